"""Malformed ids, pages, dates and return URLs in the back office: a clear answer in its
own layout, never a server error (backoffice/record_args.py, backoffice/errors.py)."""
import re

import pytest

from models import Appeal, User
from tests.casework_helpers import (
    applicant_user,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)

BIG = str(2 ** 63)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def text(response) -> str:
    return response.get_data(as_text=True)


def title(response) -> str:
    return TITLE.search(text(response)).group(1).strip()


@pytest.fixture
def admin(client):
    login_staff(client, staff("admin"))
    return client


def test_ids_no_row_can_have_are_a_404_in_the_back_office_layout(admin):
    appeal = sent_appeal(applicant_user())
    for url in (f"/backoffice/appeals/{BIG}", f"/backoffice/appeals/{appeal.id}/documents/{BIG}",
                f"/backoffice/appeals/{2 ** 63 - 1}", "/backoffice/staff/edit/?id=abc",
                f"/backoffice/applicants/details/?id={BIG}",
                "/backoffice/statuses/edit/?id=1&id=2", "/backoffice/outbox/details/?id=1&id=2",
                "/backoffice/staff/password/?id=٣"):
        response = admin.get(url)
        assert response.status_code == 404, url
        assert title(response) == "Страница не найдена - Бэк-офис", url
        assert "backoffice.css" in text(response) and "Выйти" in text(response)


def test_an_applicant_gets_the_portals_404_under_backoffice(client, auth):
    auth.register()
    response = client.get(f"/backoffice/appeals/{BIG}")
    assert response.status_code == 404
    assert "portal.css" in text(response) and "Страница не найдена" in text(response)


def test_staff_form_refuses_a_supplier_that_is_not_in_the_list(admin):
    for supplier_value in ("abc", BIG, "²"):
        response = admin.post("/backoffice/staff/new/", data={
            "email": "new@kalinovsk-es.ru", "last_name": "Петрова", "role": "supplier",
            "supplier": supplier_value})
        assert response.status_code == 200
        page = text(response)
        assert page.count("Такого гарантирующего поставщика нет в списке") == 1
        assert 'value="new@kalinovsk-es.ru"' in page  # the rest of the form is kept
    assert User.by_email("new@kalinovsk-es.ru") is None


def test_a_malformed_rowid_refuses_the_whole_action(admin):
    person = applicant_user()
    response = admin.post("/backoffice/applicants/action/",
                          data={"action": "confirm", "rowid": [str(person.id), "abc"]})
    assert response.status_code == 400
    assert title(response) == "Некорректный запрос - Бэк-офис"
    assert not User.get_by_id(person.id).confirmed
    response = admin.post("/backoffice/applicants/action/",
                          data={"action": "confirm", "rowid": [str(person.id)]})
    assert response.status_code == 302 and User.get_by_id(person.id).confirmed


def test_an_unsafe_return_url_is_a_400(admin):
    for url in ("/\r\n/evil.example", "//evil.example", "https://evil.example/"):
        response = admin.get("/backoffice/statuses/", query_string={"url": url})
        assert response.status_code == 400, url
    assert admin.get("/backoffice/statuses/", query_string={"url": "/backoffice/"}) \
        .status_code == 200


def test_list_page_sort_and_search_fall_back(admin):
    person = applicant_user()
    for args in ({"page": BIG}, {"page": "-1"}, {"sort": "0"}, {"sort": BIG},
                 {"search": "иванов " * 2000}):
        response = admin.get("/backoffice/applicants/", query_string=args)
        assert response.status_code == 200, args
        assert person.email in text(response), args


def test_dates_the_calendar_ends_with_bound_nothing(admin):
    chosen = supplier()
    appeal = sent_appeal(applicant_user(), supplier_org=chosen)
    for args in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"},
                 {"date_from": "0001-01-01", "date_to": "9999-12-31"},
                 {"supplier": BIG}, {"supplier": "²"}, {"after": f"20240101000000000000-{BIG}"}):
        response = admin.get("/backoffice/appeals/", query_string=args)
        assert response.status_code == 200, args
        assert f'href="/backoffice/appeals/{appeal.id}"' in text(response), args
    other = sent_appeal(applicant_user("other@example.ru"))
    narrowed = text(admin.get("/backoffice/appeals/", query_string={"supplier": chosen.id}))
    assert f'href="/backoffice/appeals/{appeal.id}"' in narrowed
    assert f'href="/backoffice/appeals/{other.id}"' not in narrowed
    assert Appeal.select().count() == 2
