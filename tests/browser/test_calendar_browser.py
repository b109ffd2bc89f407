"""«Производственный календарь» in a real browser: with CSRF on and the Content-Security-
Policy enforced, an administrator marks a day off through the form, sees it in the grid
and deletes the correction, with no script needed and no violation."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from domain.deadlines import calendar
from tests.casework_helpers import STAFF_PASSWORD, staff
from tests.browser.conftest import staff_login

pytestmark = pytest.mark.browser


def test_an_administrator_corrects_the_calendar_through_the_page(live_server, page,
                                                                  csp_violations):
    admin = staff("admin")
    staff_login(page, live_server.url, admin.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/backoffice/calendar/?year=2026")
    expect(page.locator('td[data-date="2026-01-01"]')).to_have_class("cal-day cal-holiday")
    page.get_by_label("Дата").fill("2026-03-10")
    page.get_by_label("нерабочий").check()
    page.get_by_label("Причина").fill("Авария на подстанции")
    with page.expect_navigation():
        page.get_by_role("button", name="Внести поправку").click()
    day = page.locator('td[data-date="2026-03-10"]')
    expect(day).to_have_class("cal-day cal-made-off")
    expect(day).to_have_attribute("title", "Авария на подстанции")
    assert not calendar.is_working_day(dt.date(2026, 3, 10))
    with page.expect_navigation():
        page.get_by_role("button", name="Удалить").click()
    expect(page.locator(".cal-no-corrections")).to_be_visible()
    assert calendar.is_working_day(dt.date(2026, 3, 10))
    assert csp_violations == []
