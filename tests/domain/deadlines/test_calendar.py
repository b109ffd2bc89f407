"""The working-day calendar counts as the Rules do, on the Russian production calendar."""
import datetime as dt

import pytest

from domain.deadlines import calendar
from domain.deadlines.calendar import MOSCOW, WorkingCalendar

D = dt.date
LIBRARY = WorkingCalendar()


@pytest.mark.parametrize("day, working", [
    (D(2025, 11, 1), True),    # a Saturday worked for the 3 November day off
    (D(2025, 11, 3), False),   # the day off it was transferred to
    (D(2025, 11, 4), False),   # День народного единства
    (D(2027, 2, 20), True),    # a Saturday worked for 22 February
    (D(2027, 2, 22), False),
    (D(2026, 1, 9), False),    # a transferred day off after the New Year holidays
    (D(2025, 12, 31), False),
    (D(2026, 3, 7), False),    # an ordinary Saturday
    (D(2026, 3, 8), False),    # 8 March on a Sunday ...
    (D(2026, 3, 9), False),    # ... moves to Monday
    (D(2026, 3, 10), True),    # an ordinary Tuesday
    (D(2026, 6, 12), False),   # День России
])
def test_working_days_of_the_production_calendar(day, working):
    assert LIBRARY.is_working_day(day) is working
    assert LIBRARY.describe(day).working is working


def test_a_term_starts_the_day_after_the_event_and_skips_days_off():
    assert LIBRARY.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 14)
    assert LIBRARY.add_working_days(D(2025, 10, 31), 1) == D(2025, 11, 1)  # working Saturday
    assert LIBRARY.add_working_days(D(2026, 3, 10), 1) == D(2026, 3, 11)
    assert LIBRARY.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 10)  # weekend + 9 March
    assert LIBRARY.add_working_days(D(2026, 3, 7), 10) == D(2026, 3, 23)  # event on a Saturday
    assert LIBRARY.add_working_days(D(2026, 3, 10), 0) == D(2026, 3, 10)
    with pytest.raises(ValueError):
        LIBRARY.add_working_days(D(2026, 3, 10), -1)


def test_within_n_working_days_ends_at_moscow_midnight_after_the_last_day():
    ends = LIBRARY.term_ends_at(D(2025, 12, 30), 3)
    assert ends == dt.datetime(2026, 1, 15, tzinfo=MOSCOW)
    assert ends.astimezone(dt.timezone.utc) == dt.datetime(2026, 1, 14, 21, tzinfo=dt.timezone.utc)
    last_moment = dt.datetime(2026, 1, 14, 23, 59, 59, tzinfo=MOSCOW)
    assert last_moment < ends <= dt.datetime(2026, 1, 15, 0, 0, tzinfo=MOSCOW)


def test_an_event_dates_by_moscow_time():
    assert calendar.moscow_date(dt.datetime(2026, 3, 10, 20, 59)) == D(2026, 3, 10)
    assert calendar.moscow_date(dt.datetime(2026, 3, 10, 21, 0)) == D(2026, 3, 11)  # naive UTC


def test_calendar_months_end_on_the_same_day_or_the_next_working_one():
    assert calendar.add_calendar_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert calendar.add_calendar_months(D(2027, 10, 15), 4) == D(2028, 2, 15)
    assert calendar.add_calendar_months(D(2026, 3, 10), 24) == D(2028, 3, 10)
    assert LIBRARY.months_term_due(D(2026, 3, 10), 4) == D(2026, 7, 10)  # a Friday
    assert LIBRARY.months_term_due(D(2026, 3, 11), 4) == D(2026, 7, 13)  # Saturday → Monday
    assert LIBRARY.months_term_due(D(2025, 9, 3), 2) == D(2025, 11, 5)  # 3-4 Nov off


def test_working_days_left_and_overdue():
    due = LIBRARY.add_working_days(D(2025, 12, 30), 3)
    assert LIBRARY.working_days_between(D(2025, 12, 30), due) == 3
    assert LIBRARY.working_days_between(D(2026, 1, 13), due) == 1
    assert LIBRARY.working_days_between(due, due) == 0
    assert LIBRARY.working_days_between(due, D(2026, 1, 19)) == 3  # 15, 16, 19 January
    assert LIBRARY.working_days_between(D(2026, 1, 19), due) == -3
    assert LIBRARY.working_days_between(D(2026, 1, 16), D(2026, 1, 18)) == 0


def test_the_library_names_the_days_off_and_marks_the_working_saturdays():
    assert LIBRARY.describe(D(2026, 1, 1)).kind == calendar.HOLIDAY
    assert "Новогодние каникулы" in LIBRARY.describe(D(2026, 1, 1)).label
    assert LIBRARY.describe(D(2027, 2, 20)).kind == calendar.WORKING_WEEKEND
    assert LIBRARY.describe(D(2026, 3, 7)).kind == calendar.WEEKEND
    assert LIBRARY.describe(D(2026, 3, 10)).kind == calendar.WORKDAY


def test_a_correction_overrides_the_library_and_changes_the_sum():
    corrected = WorkingCalendar({D(2026, 1, 12): (False, "Авария на подстанции"),
                                 D(2026, 1, 10): (True, "Рабочая суббота")})
    assert not corrected.is_working_day(D(2026, 1, 12))
    assert corrected.is_working_day(D(2026, 1, 10))
    assert corrected.describe(D(2026, 1, 12)) == (D(2026, 1, 12), False, calendar.MADE_OFF,
                                                  "Авария на подстанции")
    assert corrected.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 14)  # 10, 13, 14
    assert WorkingCalendar({D(2026, 1, 12): (False, "x")}).add_working_days(
        D(2025, 12, 30), 3) == D(2026, 1, 15)
    assert WorkingCalendar({D(2026, 1, 9): (True, "x")}).add_working_days(
        D(2025, 12, 30), 3) == D(2026, 1, 13)
