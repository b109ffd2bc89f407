"""The «Обращения» lists of the back office: menu, filters, search, sorting, paging."""
import datetime as dt
import re

import pytest

from backoffice import appeal_list as views
from domain.appeals.listing import counting, filters
from models import Appeal, Organization, utcnow
from tests.casework_helpers import (
    applicant_user,
    days_ago,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)
from tests.query_count import count_queries

ROW = re.compile(r'href="/backoffice/appeals/(\d+)"')


def rows(page: str) -> list[int]:
    """Appeal ids in list order."""
    return [int(i) for i in ROW.findall(page)]


@pytest.fixture
def clerk_client(client, app):
    login_staff(client, staff("grid"))
    return client


def test_menu_groups_appeals_and_forms_carry_csrf(clerk_client):
    person = applicant_user()
    appeal = sent_appeal(person)
    page = clerk_client.get("/backoffice/").get_data(as_text=True)
    for label in ("Обращения", "Входящие", "Все обращения", "Архив"):
        assert label in page
    page = clerk_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 5  # number, status, reply, document, archive (+ logout)


def test_filters(clerk_client):
    person = applicant_user()
    company = applicant_user("energy@example.ru", legal_form="ul", company_name="ООО «Энергия»",
                             snils=None)
    gp = supplier(0)
    a = sent_appeal(person, power="le15", complies=True, when=days_ago(10))
    b = sent_appeal(company, power="15_150", complies=False, supplier_org=gp, when=days_ago(5))
    c = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос по договору", when=days_ago(1))
    Appeal.update(reg_number="7", last_status="Выставлен счет").where(Appeal.id == b.id).execute()

    def ids(query):
        return set(rows(clerk_client.get(f"/backoffice/appeals/?{query}").get_data(as_text=True)))
    assert ids("") == {a.id, b.id, c.id}
    assert ids("kind=tp") == {a.id, b.id}
    assert ids("kind=message") == {c.id}
    assert ids("numbered=yes") == {b.id}
    assert ids("numbered=no") == {a.id, c.id}
    assert ids("status=Выставлен+счет") == {b.id}
    assert ids(f"supplier={gp.id}") == {b.id}
    assert ids("supplier=none") == {a.id}
    assert ids("power=15_150") == {b.id}
    assert ids("complies=yes") == {a.id}
    assert ids("complies=no") == {b.id}
    week = (utcnow() - dt.timedelta(days=7)).date().isoformat()
    assert ids(f"date_from={week}") == {b.id, c.id}
    assert ids(f"date_to={week}") == {a.id}
    assert ids("kind=bogus&power=zzz") == {a.id, b.id, c.id}  # unknown values are ignored
    assert set(rows(clerk_client.get("/backoffice/inbox/").get_data(as_text=True))) == {a.id, c.id}


@pytest.mark.parametrize("probe", [1000, 0])
def test_date_filter_finds_the_same_rows_by_either_plan(clerk_client, monkeypatch, probe):
    """A narrow creation-date range is read from its index, a wide one (probe 0) by
    walking the list's order: the same rows, sorted by update, either way."""
    monkeypatch.setattr(filters, "DATE_RANGE_PROBE", probe)
    person = applicant_user()
    made = [sent_appeal(person, when=days_ago(n)) for n in (20, 12, 9, 3)]
    # updated long after creation: the oldest of the range is the latest updated
    Appeal.update(updated_at=utcnow()).where(Appeal.id == made[1].id).execute()
    since = (utcnow() - dt.timedelta(days=15)).date().isoformat()
    until = (utcnow() - dt.timedelta(days=5)).date().isoformat()
    page = clerk_client.get(f"/backoffice/appeals/?date_from={since}&date_to={until}")
    assert rows(page.get_data(as_text=True)) == [made[1].id, made[2].id]
    page = clerk_client.get(f"/backoffice/appeals/?date_from={since}")
    assert rows(page.get_data(as_text=True)) == [made[1].id, made[3].id, made[2].id]


def test_exact_totals_stay_fresh_past_the_first_page(clerk_client, monkeypatch):
    """Only a total over the cap («более …») is remembered; a smaller one is counted anew."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(counting, "COUNT_CAP", 5)
    monkeypatch.setattr(counting, "_over_cap", {})  # totals remembered by earlier tests
    person = applicant_user()
    for i in range(4):
        sent_appeal(person, when=days_ago(1 + i))
    assert "Найдено: 4" in clerk_client.get("/backoffice/appeals/").get_data(as_text=True)
    sent_appeal(person)
    assert "Найдено: 5" in clerk_client.get("/backoffice/appeals/").get_data(as_text=True)
    sent_appeal(person)
    assert "Найдено: более 5" in clerk_client.get("/backoffice/appeals/").get_data(as_text=True)


def test_unread_for_staff_filter_and_mark(clerk_client):
    person = applicant_user()
    seen, fresh = sent_appeal(person), sent_appeal(person)
    clerk_client.get(f"/backoffice/appeals/{seen.id}")
    page = clerk_client.get("/backoffice/appeals/?unread=1").get_data(as_text=True)
    assert rows(page) == [fresh.id]
    # the applicant writes again: unread once more
    Appeal.update(applicant_activity_at=utcnow() + dt.timedelta(seconds=1)).where(
        Appeal.id == seen.id).execute()
    assert set(rows(clerk_client.get("/backoffice/appeals/?unread=1").get_data(as_text=True))) \
        == {seen.id, fresh.id}


def test_russian_search_any_case_and_words(clerk_client):
    person = applicant_user()
    hit = sent_appeal(person, Appeal.MESSAGE, subject="Изменение условий текущего договора на ТП")
    sent_appeal(person, Appeal.MESSAGE, subject="Перенос сроков")
    for q in ("изменение", "ИЗМЕНЕНИЕ договора", "текущего  ДОГОВОРА", "Условий"):
        page = clerk_client.get("/backoffice/appeals/", query_string={"q": q}).get_data(as_text=True)
        assert rows(page) == [hit.id], q
    page = clerk_client.get("/backoffice/appeals/", query_string={"q": "100%_"}).get_data(as_text=True)
    assert rows(page) == [] and "Отсутствуют обращения" in page


def test_sorting(clerk_client):
    person = applicant_user()
    old = sent_appeal(person, when=days_ago(3))
    new = sent_appeal(person, when=days_ago(1))
    Appeal.update(updated_at=utcnow()).where(Appeal.id == old.id).execute()
    get = lambda sort: rows(clerk_client.get(f"/backoffice/appeals/?sort={sort}").get_data(as_text=True))  # noqa: E731
    assert get("created_desc") == [new.id, old.id]
    assert get("created_asc") == [old.id, new.id]
    assert get("updated_desc") == [old.id, new.id]
    assert get("updated_asc") == [new.id, old.id]


def test_keyset_paging_forward_and_back_with_capped_total(clerk_client, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    monkeypatch.setattr(counting, "COUNT_CAP", 8)
    monkeypatch.setattr(counting, "_over_cap", {})  # totals remembered by earlier tests
    person = applicant_user()
    start = days_ago(1)
    appeals = [sent_appeal(person, when=start + dt.timedelta(minutes=i)) for i in range(10)]
    # two rows share a timestamp: the id breaks the tie and no row is lost or repeated
    Appeal.update(updated_at=appeals[5].updated_at).where(Appeal.id == appeals[6].id).execute()
    expected = [a.id for a in sorted(
        Appeal.select(), key=lambda a: (a.updated_at, a.id), reverse=True)]
    url, seen, pages = "/backoffice/appeals/", [], []
    while url:
        page = clerk_client.get(url).get_data(as_text=True)
        assert "Найдено: более 8" in page
        pages.append(page)
        seen += rows(page)
        found = re.search(r'href="([^"]+)">Следующая', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected and len(pages) == 3
    back = re.search(r'href="([^"]+)">← Предыдущая', pages[-1]).group(1).replace("&amp;", "&")
    assert rows(clerk_client.get(back).get_data(as_text=True)) == expected[4:8]


def test_list_costs_a_fixed_number_of_statements(clerk_client):
    """One page: the rows with their applicant and organisations in one SELECT, a capped
    count, the filters' choices — however many rows the page shows."""
    person = applicant_user()
    gp = supplier(1)
    for i in range(12):
        sent_appeal(person, supplier_org=gp if i % 2 else None)
    sent_appeal(person, Appeal.MESSAGE, subject="Тема", organization=Organization.grid())
    with count_queries() as statements:
        page = clerk_client.get("/backoffice/appeals/").get_data(as_text=True)
    assert len(rows(page)) == 13 and gp.name in page
    appeal_selects = [s for s in statements if 'FROM "appeal"' in s]
    assert len(appeal_selects) <= 2, appeal_selects  # the page and the capped count
    assert len(statements) <= 8, statements
    assert not any("OFFSET" in s for s in appeal_selects)
