"""Staff unread marks per organisation: «Новое от заявителя» and the «Непрочитанные» filter.

An appeal is unread for an organisation while the applicant has added data that nobody
of that organisation has opened since; a supplier clerk opening an application does not
make it read for the grid company, and the other way round.
"""
import datetime as dt
import re

import pytest

from backoffice import appeal_list as views
from domain.appeals import casework, filing, read_marks
from domain.outbox import notify
from models import Appeal, AppealSeen, Organization, utcnow
from tests.casework_helpers import (
    applicant_user,
    days_ago,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)
from tests.query_count import count_queries

ROW = re.compile(r'<tr class="(unread)?">\s*<td>[^<]*</td>\s*<td>.*?'
                 r'href="/backoffice/appeals/(\d+)"', re.S)
MARK = "Новое от заявителя"


def marks(page: str) -> dict[int, bool]:
    """{appeal id: shown unread?} for the rows of a list page."""
    return {int(i): bool(u) for u, i in ROW.findall(page)}


@pytest.fixture
def people(app, database):
    """An applicant, a supplier, a grid clerk's and the supplier clerk's logged-in clients."""
    person = applicant_user()
    gp = supplier(0)
    grid_clerk, gp_clerk = staff("grid"), staff("supplier", supplier_name=gp.name)
    grid, gp_client = app.test_client(), app.test_client()
    login_staff(grid, grid_clerk)
    login_staff(gp_client, gp_clerk)
    return {"person": person, "gp": gp, "grid": grid, "gp_client": gp_client,
            "grid_clerk": grid_clerk, "gp_clerk": gp_clerk}


def listed(client, query="") -> dict[int, bool]:
    """The «Все обращения» rows with their unread marks."""
    response = client.get(f"/backoffice/appeals/{query}")
    assert response.status_code == 200
    return marks(response.get_data(as_text=True))


def unread_ids(client) -> set[int]:
    """The ids the «Непрочитанные» filter lists."""
    return set(listed(client, "?unread=1"))


def applicant_writes(app, appeal: Appeal, text="<p>Дополняю сведения</p>"):
    """The applicant adds a message to the thread, as the portal does."""
    appeal = Appeal.get_by_id(appeal.id)
    with app.test_request_context():
        filing.add_applicant_post(appeal, appeal.applicant, text)
        notify.flush()


def test_supplier_clerk_opening_leaves_it_unread_for_the_grid_company(app, people):
    grid, gp_client = people["grid"], people["gp_client"]
    appeal = sent_appeal(people["person"], supplier_org=people["gp"])
    assert listed(grid) == {appeal.id: True} and listed(gp_client) == {appeal.id: True}

    page = gp_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert MARK in page  # the page itself says what was new when it was opened
    assert listed(gp_client) == {appeal.id: False}
    assert MARK not in gp_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert listed(grid) == {appeal.id: True}
    assert MARK in grid.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert listed(grid) == {appeal.id: False}
    assert AppealSeen.select().where(AppealSeen.appeal == appeal.id).count() == 2


def test_grid_clerk_opening_leaves_it_unread_for_the_supplier(app, people):
    grid, gp_client = people["grid"], people["gp_client"]
    application = sent_appeal(people["person"], supplier_org=people["gp"])
    message = sent_appeal(people["person"], Appeal.MESSAGE, subject="Вопрос поставщику",
                          organization=people["gp"])
    for appeal in (application, message):
        grid.get(f"/backoffice/appeals/{appeal.id}")
    assert listed(grid) == {application.id: False, message.id: False}
    assert listed(gp_client) == {application.id: True, message.id: True}
    assert unread_ids(gp_client) == {application.id, message.id}
    assert unread_ids(grid) == set()


def test_new_applicant_post_makes_it_unread_again_for_both(app, people):
    grid, gp_client = people["grid"], people["gp_client"]
    appeal = sent_appeal(people["person"], supplier_org=people["gp"], when=days_ago(1))
    grid.get(f"/backoffice/appeals/{appeal.id}")
    gp_client.get(f"/backoffice/appeals/{appeal.id}")
    assert listed(grid) == listed(gp_client) == {appeal.id: False}

    applicant_writes(app, appeal)
    assert listed(grid) == listed(gp_client) == {appeal.id: True}
    assert unread_ids(grid) == unread_ids(gp_client) == {appeal.id}
    # the grid company reads it; the supplier has still not
    grid.get(f"/backoffice/appeals/{appeal.id}")
    assert unread_ids(grid) == set() and unread_ids(gp_client) == {appeal.id}


def test_unread_filter_is_per_organisation(app, people):
    grid, gp_client, person, gp = (people["grid"], people["gp_client"], people["person"],
                                   people["gp"])
    a = sent_appeal(person, supplier_org=gp, when=days_ago(3))
    b = sent_appeal(person, supplier_org=gp, when=days_ago(2))
    c = sent_appeal(person, when=days_ago(1))  # no supplier: the grid company's alone
    grid.get(f"/backoffice/appeals/{a.id}")
    gp_client.get(f"/backoffice/appeals/{b.id}")
    assert unread_ids(grid) == {b.id, c.id}
    assert unread_ids(gp_client) == {a.id}
    assert listed(grid) == {a.id: False, b.id: True, c.id: True}
    assert listed(gp_client) == {a.id: True, b.id: False}
    # the filter combines with the others and with the inbox
    assert set(listed(grid, "?unread=1&supplier=none")) == {c.id}
    inbox = gp_client.get("/backoffice/inbox/?unread=1").get_data(as_text=True)
    assert set(marks(inbox)) == {a.id}
    # an appeal without data from the applicant is never unread
    Appeal.update(applicant_activity_at=None).where(Appeal.id == c.id).execute()
    assert unread_ids(grid) == {b.id}


def test_opening_again_keeps_one_row_and_never_moves_back(app, people):
    appeal = sent_appeal(people["person"])
    clerk = people["grid_clerk"]
    later, earlier = utcnow(), utcnow() - dt.timedelta(hours=1)
    read_marks.mark_seen_by_staff(appeal, clerk, later)
    read_marks.mark_seen_by_staff(appeal, clerk, earlier)  # a slower request finishing last
    [row] = AppealSeen.select().where(AppealSeen.appeal == appeal.id)
    assert row.seen_at == later and row.organization_id == Organization.grid().id
    newer = later + dt.timedelta(seconds=5)
    read_marks.mark_seen_by_staff(appeal, clerk, newer)
    assert AppealSeen.get(AppealSeen.appeal == appeal.id).seen_at == newer
    assert AppealSeen.select().count() == 1


def test_seen_marks_go_with_the_appeal(app, people):
    appeal = sent_appeal(people["person"], supplier_org=people["gp"])
    people["grid"].get(f"/backoffice/appeals/{appeal.id}")
    people["gp_client"].get(f"/backoffice/appeals/{appeal.id}")
    assert AppealSeen.select().count() == 2
    Appeal.delete_by_id(appeal.id)
    assert AppealSeen.select().count() == 0


def test_unread_pages_by_keyset(app, people, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    grid = people["grid"]
    start = days_ago(1)
    made = [sent_appeal(people["person"], when=start + dt.timedelta(minutes=i))
            for i in range(9)]
    for appeal in made[::3]:
        grid.get(f"/backoffice/appeals/{appeal.id}")
    expected = [a.id for a in reversed(made) if a not in made[::3]]
    url, seen = "/backoffice/appeals/?unread=1", []
    while url:
        page = grid.get(url).get_data(as_text=True)
        rows = marks(page)
        assert all(rows.values())
        seen += list(rows)
        found = re.search(r'href="([^"]+)">Следующая', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected


def test_unread_filter_follows_the_list_order_after_staff_actions(app, people):
    """The filter pages by appeal_unread's copies of the dates: they follow the appeal."""
    grid, clerk = people["grid"], people["grid_clerk"]
    older = sent_appeal(people["person"], when=days_ago(2))
    newer = sent_appeal(people["person"], when=days_ago(1))
    assert list(listed(grid, "?unread=1")) == [newer.id, older.id]
    with app.test_request_context():
        casework.add_status(Appeal.get_by_id(older.id), clerk, "Выставлен счет")
        notify.flush()
    assert list(listed(grid, "?unread=1")) == [older.id, newer.id]  # updated just now
    assert list(listed(grid, "?unread=1&sort=created_asc")) == [older.id, newer.id]
    assert list(listed(grid, "?unread=1&sort=created_desc")) == [newer.id, older.id]


def test_every_applicant_action_makes_it_unread(app, people):
    """Sending, posts and documents all move applicant_activity_at; the index follows."""
    grid = people["grid"]
    draft = filing.create_draft(people["person"], Appeal.MESSAGE, subject="Вопрос",
                                 organization=Organization.grid(),
                                 comment_html="<p>Текст</p>")
    assert unread_ids(grid) == set()
    with app.test_request_context():
        filing.send_appeal(Appeal.get_by_id(draft.id))
        notify.flush()
    assert unread_ids(grid) == {draft.id}
    grid.get(f"/backoffice/appeals/{draft.id}")
    assert unread_ids(grid) == set()
    applicant_writes(app, draft)
    assert unread_ids(grid) == {draft.id}


@pytest.mark.parametrize("who", ["grid", "gp_client"])
def test_list_with_marks_costs_a_fixed_number_of_statements(app, people, who):
    """Marks of both organisations on the page: still one SELECT for the rows."""
    client = people[who]
    for i in range(12):
        appeal = sent_appeal(people["person"], supplier_org=people["gp"])
        if i % 2:
            people["grid"].get(f"/backoffice/appeals/{appeal.id}")
        if i % 3:
            people["gp_client"].get(f"/backoffice/appeals/{appeal.id}")
    with count_queries() as statements:
        plain = client.get("/backoffice/appeals/").get_data(as_text=True)
        count_plain = len(statements)
        unread = client.get("/backoffice/appeals/?unread=1").get_data(as_text=True)
    rows = marks(plain)
    assert len(rows) == 12
    expected_unread = 6 if who == "grid" else 4
    assert sum(rows.values()) == expected_unread
    assert len(marks(unread)) == expected_unread and all(marks(unread).values())
    assert count_plain <= 8 and len(statements) - count_plain <= 8, statements
    assert sum('"appeal_seen"' in s for s in statements) <= 2, statements  # one per page
