"""«Срок» on the back office's lists and the applicant's list: the column, the filters
«просрочено», «истекает сегодня», «истекает завтра», «ход заявителя» (across a weekend and
the New Year holidays), a supplier clerk seeing only its supplier's terms, the applicant's
one line per row, the queries flat in the number of rows."""
import datetime as dt
import re
from html import unescape

import pytest

from domain.deadlines import clocks
from models import Appeal, AppealTerm, Organization, TermRule
from tests.appeal_factory import make_appeal
from tests.casework_helpers import applicant_user, login_staff, sent_appeal, staff, supplier
from tests.frozen_clock import due, freeze
from tests.query_count import count_queries

pytestmark = pytest.mark.usefixtures("database")

ROW = re.compile(r'<tr class="[^"]*">\s*<td>.*?href="/backoffice/appeals/(\d+)".*?</tr>', re.S)


def list_rows(response) -> dict:
    """{appeal id: the row's text} of a back-office list, in order."""
    html = response.get_data(as_text=True)
    return {int(m.group(1)): " ".join(unescape(re.sub(r"<[^>]+>", " ", m.group(0))).split())
            for m in ROW.finditer(html)}


def add_term(appeal, last_day: tuple, who=TermRule.GRID, code=clocks.SEND_CONTRACT,
             organization=None, state=AppealTerm.OPEN):
    """An open term of the appeal whose last day is `last_day` (y, m, d), kept on the
    appeal as clocks keeps it."""
    AppealTerm.create(appeal=appeal.id, rule_code=code, who=who, organization=organization,
                      started_at=dt.datetime(2026, 11, 1), due_at=due(*last_day), state=state)
    clocks.summarise(appeal)


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def book(app, clock):
    """Friday 04.12.2026, noon in Moscow; appeals with their earliest terms:
    late (last day Thu 03.12), today (04.12, the applicant's), monday (07.12, the next
    working day), later (08.12), none (no open term, one done), supplied (the supplier's
    term late on 03.12, the grid's on 10.12), grid_late (the grid's late on 02.12, its
    supplier's on 10.12)."""
    clock.set(2026, 12, 4, 12, 0)
    gp = supplier(0)
    person = applicant_user("due@example.ru")
    made = {name: sent_appeal(person, supplier_org=gp if name in ("supplied", "grid_late")
                              else None)
            for name in ("late", "today", "monday", "later", "none", "supplied", "grid_late")}
    add_term(made["late"], (2026, 12, 3))
    add_term(made["today"], (2026, 12, 4), who=TermRule.APPLICANT, code=clocks.SIGN_CONTRACT)
    add_term(made["monday"], (2026, 12, 7))
    add_term(made["later"], (2026, 12, 8))
    add_term(made["none"], (2026, 12, 1), state=AppealTerm.DONE)
    add_term(made["supplied"], (2026, 12, 3), who=TermRule.SUPPLIER,
             code=clocks.POST_SUPPLY_CONTRACT, organization=gp.id)
    add_term(made["supplied"], (2026, 12, 10))
    add_term(made["grid_late"], (2026, 12, 2))
    add_term(made["grid_late"], (2026, 12, 10), who=TermRule.SUPPLIER,
             code=clocks.POST_SUPPLY_CONTRACT, organization=gp.id)
    made["gp"] = gp
    return made


def ids(book, *names) -> set:
    return {book[name].id for name in names}


@pytest.mark.parametrize("term, expected", [
    ("overdue", ("late", "supplied", "grid_late")),
    ("today", ("today",)),
    ("tomorrow", ("monday",)),  # Friday's «завтра» is Monday
    ("applicant", ("today",)),
    ("", ("late", "today", "monday", "later", "none", "supplied", "grid_late")),
    ("bogus", ("late", "today", "monday", "later", "none", "supplied", "grid_late")),
])
def test_each_term_filter_finds_exactly_its_appeals(client, book, term, expected):
    login_staff(client, staff("grid"))
    for url in ("/backoffice/appeals/", "/backoffice/inbox/"):
        response = client.get(url, query_string={"term": term})
        assert response.status_code == 200
        assert set(list_rows(response)) == ids(book, *expected), (url, term)
    page = client.get("/backoffice/appeals/", query_string={"term": term}).get_data(as_text=True)
    assert f"Найдено: {len(expected)}" in page


def test_the_column_shows_the_date_who_acts_and_the_days(client, book):
    login_staff(client, staff("grid"))
    response = client.get("/backoffice/appeals/")
    rows = list_rows(response)
    assert "03.12.2026 Сетевая организация просрочено на 1 р. д." in rows[book["late"].id]
    assert "04.12.2026 Заявитель истекает сегодня" in rows[book["today"].id]
    assert "07.12.2026 Сетевая организация осталось 1 р. д." in rows[book["monday"].id]
    assert "02.12.2026 Сетевая организация просрочено на 2 р. д." in rows[book["grid_late"].id]
    assert "03.12.2026 Гарантирующий поставщик просрочено на 1 р. д." \
        in rows[book["supplied"].id]
    assert "Сетевая организация" not in rows[book["none"].id].split("Иванов")[-1]
    assert re.search(r"в сетевую — \d\d\.\d\d\.\d{4}", rows[book["none"].id])
    html = response.get_data(as_text=True)
    assert html.count('class="text-danger font-weight-bold">') == 3  # the overdue in red


def test_archive_list_keeps_the_filter(client, book):
    """An archived appeal's terms are cancelled: it has no «Срок» left."""
    appeal = book["late"]
    clocks.appeal_closed(appeal, dt.datetime(2026, 12, 4, 8))
    Appeal.update(state=Appeal.ARCHIVE).where(Appeal.id == appeal.id).execute()
    login_staff(client, staff("grid"))
    assert list_rows(client.get("/backoffice/archive/", query_string={"term": "overdue"})) == {}
    archived = list_rows(client.get("/backoffice/archive/"))
    assert set(archived) == {appeal.id} and "просрочено" not in archived[appeal.id]


def test_a_supplier_clerk_sees_and_filters_only_its_suppliers_terms(client, book):
    login_staff(client, staff("supplier", supplier_name=book["gp"].name))
    rows = list_rows(client.get("/backoffice/appeals/"))
    assert set(rows) == ids(book, "supplied", "grid_late")
    assert "03.12.2026 Гарантирующий поставщик просрочено на 1 р. д." \
        in rows[book["supplied"].id]
    assert "10.12.2026 Гарантирующий поставщик осталось 4 р. д." in rows[book["grid_late"].id]
    overdue = client.get("/backoffice/appeals/", query_string={"term": "overdue"})
    assert set(list_rows(overdue)) == ids(book, "supplied")
    assert list_rows(client.get("/backoffice/appeals/", query_string={"term": "applicant"})) == {}


def test_tomorrow_across_the_new_year_holidays(client, clock, app):
    """On Wednesday 30.12.2026 the next working day is Monday 11.01.2027."""
    clock.set(2026, 12, 30, 15, 0)
    person = applicant_user("ny@example.ru")
    monday, thursday = sent_appeal(person), sent_appeal(person)
    add_term(monday, (2027, 1, 11))
    add_term(thursday, (2026, 12, 31))  # not a working day: a months term never ends here
    add_term(sent_appeal(person), (2027, 1, 12))
    login_staff(client, staff("grid"))
    found = list_rows(client.get("/backoffice/appeals/", query_string={"term": "tomorrow"}))
    assert set(found) == {monday.id, thursday.id}
    assert "11.01.2027 Сетевая организация осталось 1 р. д." in found[monday.id]


def test_the_term_follows_the_appeals_events(client, clock, app):
    """Through the clocks: sent on Tuesday 01.12.2026, the п.15 notice's 3 working days
    end on 04.12 (the earliest); the notice done, the draft contract's 29.12 is next."""
    clock.set(2026, 12, 1, 10, 0)
    appeal = sent_appeal(applicant_user("e2e@example.ru"), complies=False)
    with app.app_context():
        clocks.application_sent(appeal, dt.datetime(2026, 12, 1, 7))
    clock.set(2026, 12, 4, 10, 0)
    login_staff(client, staff("grid"))
    today = list_rows(client.get("/backoffice/appeals/", query_string={"term": "today"}))
    assert "04.12.2026 Сетевая организация истекает сегодня" in today[appeal.id]
    with app.app_context():
        AppealTerm.update(state=AppealTerm.DONE).where(
            AppealTerm.rule_code == clocks.NOTIFY_INCOMPLETE).execute()
        clocks.summarise(appeal)
    assert list_rows(client.get("/backoffice/appeals/", query_string={"term": "today"})) == {}
    row = list_rows(client.get("/backoffice/appeals/"))[appeal.id]
    assert "29.12.2026 Сетевая организация осталось 17 р. д." in row


def _grid_appeals(count: int, start: int = 0):
    person = applicant_user(f"many{start}@example.ru")
    for i in range(count):
        add_term(sent_appeal(person), (2026, 12, 1 + i % 5))  # 3 of 5 overdue


def test_list_queries_stay_flat_for_5_and_50_rows(client, clock):
    clock.set(2026, 12, 4, 12, 0)
    login_staff(client, staff("grid"))
    _grid_appeals(5)
    with count_queries() as few:
        assert len(list_rows(client.get("/backoffice/appeals/?term=overdue"))) == 3
    _grid_appeals(45, 5)  # 27 more overdue
    with count_queries() as many:
        assert len(list_rows(client.get("/backoffice/appeals/?term=overdue"))) == 25
    assert len(many) <= len(few) + 1, (few, many)  # + the count beyond the first page


# The applicant's list ----------------------------------------------------------------

def portal_rows(response) -> list[str]:
    html = response.get_data(as_text=True)
    items = re.findall(r'<li class="appeal-row[^"]*">(.*?)</li>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def test_the_applicants_list_has_one_line_per_row(client, applicant, clock):
    clock.set(2026, 12, 10, 12, 0)
    pay = make_appeal(applicant, subject="", created_at=dt.datetime(2026, 12, 1))
    add_term(pay, (2026, 12, 19 - 1), who=TermRule.APPLICANT, code=clocks.PAY_INVOICE_SMALL)
    add_term(pay, (2026, 12, 15), code=clocks.ANSWER_MESSAGE)  # earlier, but not theirs
    waiting = make_appeal(applicant, created_at=dt.datetime(2026, 12, 2), complies=False)
    add_term(waiting, (2026, 12, 14))
    late = make_appeal(applicant, created_at=dt.datetime(2026, 12, 3), complies=False)
    add_term(late, (2026, 12, 9))
    make_appeal(applicant, created_at=dt.datetime(2026, 12, 4))
    response = client.get("/appeals?sort=created_asc")
    rows = portal_rows(response)
    assert "Ваш шаг: оплатить счет до 18.12.2026 (осталось 6 р. д.)" in rows[0]
    assert ("Сейчас: сетевая организация направляет проект договора и ТУ — до 14.12.2026 "
            "(осталось 2 р. д.)") in rows[1]
    assert "до 09.12.2026 (просрочено на 1 р. д.)" in rows[2]
    assert "Сейчас:" not in rows[3] and "Ваш шаг" not in rows[3]
    assert response.get_data(as_text=True).count('class="appeal-term overdue"') == 1


def test_the_applicants_list_queries_stay_flat(client, applicant, clock):
    clock.set(2026, 12, 10, 12, 0)

    def seed(count):
        for _ in range(count):
            add_term(make_appeal(applicant), (2026, 12, 14))
    seed(5)
    with count_queries() as few:
        assert sum("Сейчас:" in r for r in portal_rows(client.get("/appeals"))) == 5
    seed(45)
    with count_queries() as many:
        assert sum("Сейчас:" in r for r in portal_rows(client.get("/appeals"))) == 20
    assert len(few) == len(many), (few, many)


# The «Сроки» board and the home page tiles ---------------------------------------------

GROUP = re.compile(r'<h5 class="term-group-title[^"]*">(.*?)</h5>(.*?)</section>', re.S)
BOARD_ROW = re.compile(r'<tr class="term-row[^"]*">.*?href="/backoffice/appeals/(\d+)"(.*?)</tr>',
                       re.S)


def flat(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def board(response) -> list:
    """[(group title, [(appeal id, row text)])] of the board, in order."""
    html = response.get_data(as_text=True)
    return [(flat(title), [(int(i), flat(rest)) for i, rest in BOARD_ROW.findall(body)])
            for title, body in GROUP.findall(html)]


def test_the_board_sorts_by_due_date_grouped_by_organisation_and_step(client, book):
    login_staff(client, staff("grid"))
    response = client.get("/backoffice/terms-board/")
    assert response.status_code == 200
    groups = board(response)
    grid = Organization.grid().name
    gp = book["gp"].name
    titles = [title for title, _rows in groups]
    step = "Направить проект договора и технические условия"
    assert titles[0].startswith(f"{grid} — {step}") and "(Сетевая организация)" in titles[0]
    assert titles[1].startswith(f"{gp} — ") and "(Гарантирующий поставщик)" in titles[1]
    first = [appeal_id for appeal_id, _text in groups[0][1]]
    # the grid company's draft contracts by due date: 02.12, 03.12, 07.12, 08.12, 10.12
    assert first == [book[n].id for n in ("grid_late", "late", "monday", "later", "supplied")]
    assert groups[0][1][0][1].endswith("02.12.2026 просрочено на 2 р. д.")
    assert [appeal_id for appeal_id, _ in groups[1][1]] == [book["supplied"].id,
                                                            book["grid_late"].id]
    assert "Заявитель" in titles[2] and groups[2][1][0][0] == book["today"].id
    assert "истекает сегодня" in groups[2][1][0][1]
    assert "Иванов И. П." in groups[2][1][0][1]
    assert book["none"].id not in {i for _t, rows in groups for i, _ in rows}


@pytest.mark.parametrize("term, expected", [
    ("overdue", ("grid_late", "late", "supplied")),
    ("today", ("today",)),
    ("tomorrow", ("monday",)),
    ("applicant", ("today",)),
])
def test_the_board_filters_as_the_lists_do(client, book, term, expected):
    login_staff(client, staff("grid"))
    groups = board(client.get("/backoffice/terms-board/", query_string={"term": term}))
    assert {i for _t, rows in groups for i, _ in rows} == ids(book, *expected)


def test_a_supplier_clerk_sees_only_its_suppliers_terms_on_the_board(client, book):
    login_staff(client, staff("supplier", supplier_name=book["gp"].name))
    groups = board(client.get("/backoffice/terms-board/"))
    assert len(groups) == 1 and groups[0][0].startswith(book["gp"].name)
    assert [i for i, _ in groups[0][1]] == [book["supplied"].id, book["grid_late"].id]
    overdue = board(client.get("/backoffice/terms-board/?term=overdue"))
    assert [i for _t, rows in overdue for i, _ in rows] == [book["supplied"].id]


TILE = re.compile(r'<a href="([^"]*)">([^<]*)</a>\s*</h3>\s*<p class="display-4 mb-1 home-count"'
                  r' data-label="[^"]*"><a href="[^"]*" class="text-reset">([^<]*)</a>')


def home_tiles(client) -> dict:
    html = client.get("/backoffice/").get_data(as_text=True)
    return {label: (count, unescape(url)) for url, label, count in TILE.findall(html)}


def test_home_tiles_count_the_terms_and_open_the_filtered_board(client, book):
    login_staff(client, staff("grid"))
    tiles = home_tiles(client)
    assert tiles["Просрочено"] == ("3", "/backoffice/terms-board/?term=overdue")
    assert tiles["Истекает сегодня"][0] == "1" and tiles["Истекает завтра"][0] == "1"
    assert tiles["Ход заявителя"] == ("1", "/backoffice/terms-board/?term=applicant")
    rows = board(client.get(tiles["Просрочено"][1]))
    assert sum(len(r) for _t, r in rows) == 3


def test_home_tiles_of_a_supplier_clerk_count_its_suppliers_terms(client, book):
    login_staff(client, staff("supplier", supplier_name=book["gp"].name))
    tiles = home_tiles(client)
    assert tiles["Просрочено"][0] == "1"
    assert tiles["Истекает сегодня"][0] == "0" and "Ход заявителя" not in tiles


def test_board_queries_stay_flat_for_5_and_50_terms(client, clock):
    clock.set(2026, 12, 4, 12, 0)
    login_staff(client, staff("grid"))
    _grid_appeals(5)
    with count_queries() as few:
        assert sum(len(r) for _t, r in board(client.get("/backoffice/terms-board/"))) == 5
    _grid_appeals(45, 5)
    with count_queries() as many:
        assert sum(len(r) for _t, r in board(client.get("/backoffice/terms-board/"))) == 50
    assert len(few) == len(many), (few, many)
