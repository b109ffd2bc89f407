"""«Производственный календарь»: administrators see the year's working days and correct
them; every change is journalled and changes how terms count; clerks are refused."""
import datetime as dt
import re

import pytest

from domain.deadlines import calendar, corrections
from models import AuditLog, CalendarCorrection

URL = "/backoffice/calendar/"


def page(client, year: int) -> str:
    response = client.get(f"{URL}?year={year}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cell(html: str, day: dt.date) -> str:
    """The grid cell of a date (its opening tag and the text up to the closing one)."""
    found = re.search(rf'<td class="([^"]*)" data-date="{day.isoformat()}"[^>]*>(.*?)</td>', html)
    assert found, day
    return found.group(0)


def add(client, date="2026-03-10", kind="off", reason="Авария на подстанции"):
    return client.post(f"{URL}corrections", data={"date": date, "kind": kind, "reason": reason})


def test_the_admin_sees_the_year_with_its_days_off_and_working_saturdays(staff):
    html = page(staff["admin"], 2027)
    assert "Производственный календарь" in html and ">2027<" in html
    assert all(name in html for name in ("Январь", "Декабрь", "Пн", "Вс"))
    assert 'class="cal-day cal-holiday"' in cell(html, dt.date(2027, 1, 1))
    assert 'data-working="no"' in cell(html, dt.date(2027, 1, 1))
    saturday = cell(html, dt.date(2027, 2, 20))
    assert "cal-working-weekend" in saturday and 'data-working="yes"' in saturday
    assert '<sup class="cal-mark">р</sup>' in saturday
    assert "cal-off" in cell(html, dt.date(2027, 2, 27))  # an ordinary Saturday
    assert 'class="cal-day "' in cell(html, dt.date(2027, 2, 19))  # an ordinary Friday
    assert "?year=2026" in html and "?year=2028" in html  # « 2027 »
    assert "Поправок нет" in html
    assert "cal-no-transfers" not in html


def test_a_year_the_library_has_no_transfers_for_is_flagged(staff):
    later = max(calendar.RussiaStaticHolidays.special_public_holidays) + 1
    html = page(staff["admin"], later)
    assert f"Переносы выходных дней на {later} год в календаре еще не учтены" in html
    assert "cal-holiday" in cell(html, dt.date(later, 1, 1))


def test_a_correction_changes_the_page_the_counting_and_the_journal(staff):
    admin = staff["admin"]
    assert calendar.add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 10)
    response = add(admin, "10.03.2026", "off", "Авария на подстанции")
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    html = page(admin, 2026)
    assert "Поправка внесена" in html
    marked = cell(html, dt.date(2026, 3, 10))
    assert "cal-made-off" in marked and 'title="Авария на подстанции"' in marked
    assert "Авария на подстанции" in html.split("Поправки 2026 года")[1]
    assert not calendar.is_working_day(dt.date(2026, 3, 10))
    assert calendar.add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 11)
    assert add(admin, "2026-03-07", "working", "Рабочая суббота").status_code == 302
    assert calendar.add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 7)
    [entry] = AuditLog.select().where(AuditLog.action == "calendar_correction_created",
                                      AuditLog.details.contains("10.03.2026"))
    assert entry.details == "10.03.2026 — нерабочий: Авария на подстанции"
    assert entry.actor_email == "admin@kalinovsk-es.ru"

    off = CalendarCorrection.get(CalendarCorrection.date == dt.date(2026, 3, 10))
    response = admin.post(f"{URL}corrections/{off.id}/delete")
    assert response.status_code == 302
    html = page(admin, 2026)
    assert "Поправка удалена" in html
    assert "cal-made-off" not in cell(html, dt.date(2026, 3, 10))
    assert calendar.is_working_day(dt.date(2026, 3, 10))
    assert AuditLog.select().where(AuditLog.action == "calendar_correction_deleted").count() == 1
    assert admin.post(f"{URL}corrections/{off.id}/delete").status_code == 404


@pytest.mark.parametrize("who", ["clerk", "gp"])
def test_clerks_are_refused(staff, who):
    client = staff[who]
    assert client.get(URL).status_code == 403
    assert add(client).status_code == 403
    made = CalendarCorrection.create(date=dt.date(2026, 3, 10), is_working=False, reason="x")
    assert client.post(f"{URL}corrections/{made.id}/delete").status_code == 403
    assert CalendarCorrection.select().count() == 1
    assert "Производственный календарь" not in client.get("/backoffice/").get_data(as_text=True)


@pytest.mark.parametrize("form, field, message", [
    ({"reason": "   "}, "reason", corrections.REASON_MISSING),
    ({"date": "31.02.2026"}, "date", corrections.DATE_INVALID),
    ({"date": "завтра"}, "date", corrections.DATE_INVALID),
    ({"date": ""}, "date", corrections.DATE_INVALID),
    ({"date": "3000-01-01"}, "date", corrections.DATE_OUT_OF_RANGE),
    ({"kind": "maybe"}, "kind", corrections.KIND_MISSING),
    ({"reason": "ж" * 501}, "reason", corrections.REASON_TOO_LONG),
])
def test_bad_input_gets_the_russian_message_beside_its_field_and_writes_nothing(
        staff, form, field, message):
    response = add(staff["admin"], **form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field}-error" role="alert">{message}</div>' in html
    assert CalendarCorrection.select().count() == 0
    assert not AuditLog.select().where(AuditLog.action.startswith("calendar")).exists()


def test_a_second_correction_of_a_date_is_refused(staff):
    assert add(staff["admin"], "2026-03-10").status_code == 302
    response = add(staff["admin"], "10.03.2026", "working", "Другая причина")
    html = response.get_data(as_text=True)
    assert f'id="date-error" role="alert">{corrections.DATE_TAKEN}</div>' in html
    assert [(c.is_working, c.reason) for c in CalendarCorrection.select()] == [
        (False, "Авария на подстанции")]
    assert 'value="Другая причина"' in html  # what was typed is kept


@pytest.mark.parametrize("year", ["1991", "2101", "abc", "20266", ""])
def test_a_year_outside_the_calendar_is_not_found(staff, year):
    assert staff["admin"].get(f"{URL}?year={year}").status_code == 404
