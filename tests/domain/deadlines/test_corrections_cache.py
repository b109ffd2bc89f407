"""The calendar in force reads the administrator's corrections from the database, once per
change, so counting thousands of terms costs no query per term."""
import datetime as dt

import pytest

from domain.deadlines import calendar
from models import CalendarCorrection, utcnow
from tests.query_count import count_queries

pytestmark = pytest.mark.usefixtures("database")
D = dt.date


def test_a_stored_correction_overrides_the_library_until_it_is_deleted(app):
    assert calendar.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 14)
    off = CalendarCorrection.create(date=D(2026, 1, 12), is_working=False, reason="Авария")
    assert not calendar.is_working_day(D(2026, 1, 12))
    assert calendar.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 15)
    CalendarCorrection.create(date=D(2026, 1, 10), is_working=True, reason="Рабочая суббота")
    assert calendar.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 14)
    off.delete_instance()
    assert calendar.is_working_day(D(2026, 1, 12))
    assert calendar.add_working_days(D(2025, 12, 30), 3) == D(2026, 1, 13)


def test_an_edited_correction_is_seen_at_once(app):
    row = CalendarCorrection.create(date=D(2026, 3, 10), is_working=False, reason="Авария")
    assert not calendar.is_working_day(D(2026, 3, 10))
    row.is_working, row.updated_at = True, utcnow()
    row.save()
    assert calendar.is_working_day(D(2026, 3, 10))


def test_the_corrections_are_read_once_per_change(app):
    CalendarCorrection.create(date=D(2026, 3, 10), is_working=False, reason="Авария")
    calendar.current()
    with count_queries() as statements:
        in_force = calendar.current()
        days = [in_force.add_working_days(D(2026, 1, 1) + dt.timedelta(days=i), 20)
                for i in range(1000)]
    assert len(statements) == 1  # the cheap check only
    assert len(days) == 1000 and not in_force.is_working_day(D(2026, 3, 10))
    CalendarCorrection.create(date=D(2026, 3, 11), is_working=False, reason="Авария")
    with count_queries() as statements:
        assert not calendar.current().is_working_day(D(2026, 3, 11))
    assert len(statements) == 2  # the check and one read of them all
