"""The Russian production calendar and the counting of terms on it, as the Rules count.

Working days are Monday to Friday except public holidays and the government's transferred
days off, plus the Saturdays a transfer makes working: PyPI `holidays` (RU) knows them with
the decrees as sources (its `weekend_workdays` are the working Saturdays). The
administrator's corrections (one date made working or non-working, with a reason) override
the library.

Counting (Decree 861, ГК РФ ст. 191–193): a term starts on the day after its event; "within
N working days" ends at the end of the N-th working day after the event, Moscow time. The
end is given as an exclusive bound, the midnight (Moscow) that starts the next day: a
moment is in time when it is earlier than `term_ends_at(...)`.
"""
import calendar as month_calendar
import datetime as dt
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.russia import RussiaStaticHolidays

from models import CalendarCorrection, fn

# The Rules count in Moscow time (the same zone domain.formatting shows times in; not
# imported from there: formatting reaches the signing code, which starts the clocks).
MOSCOW = ZoneInfo("Europe/Moscow")

# Kinds of day, as the «Производственный календарь» page marks them.
WORKDAY, WEEKEND, HOLIDAY, WORKING_WEEKEND = "workday", "weekend", "holiday", "working_weekend"
MADE_WORKING, MADE_OFF = "made_working", "made_off"  # the administrator's corrections


class Day(NamedTuple):
    """One date of the calendar: working or not, of which kind, and why (the holiday's
    name, the transfer, the correction's reason)."""
    date: dt.date
    working: bool
    kind: str
    label: str


@lru_cache(maxsize=None)
def _library_year(year: int) -> tuple[dict, frozenset]:
    """{date: name} of the year's days off the library lists (holidays, transferred days
    off) and the year's weekend days a transfer makes working. The neighbouring years are
    loaded too: a transfer may move a day across the new year."""
    ru = holidays.country_holidays("RU", years=range(year - 1, year + 2), language="ru")
    days_off = {day: name for day, name in ru.items() if day.year == year}
    working = frozenset(day for day in ru.weekend_workdays if day.year == year)
    return days_off, working


def transfers_known(year: int) -> bool:
    """Whether the pinned library has the government's transfers of days off for the year
    (its data end with the last decree published before its release): for a later year only
    the fixed holidays are known, and the administrator corrects the rest by hand."""
    return year <= max(RussiaStaticHolidays.special_public_holidays)


def _library_day(day: dt.date) -> Day:
    """The day as the library alone has it."""
    days_off, working_weekend = _library_year(day.year)
    if day in days_off:
        return Day(day, False, HOLIDAY, days_off[day])
    if day.weekday() >= 5:
        if day in working_weekend:
            return Day(day, True, WORKING_WEEKEND, "Рабочий день (перенос выходного)")
        return Day(day, False, WEEKEND, "Выходной")
    return Day(day, True, WORKDAY, "")


class WorkingCalendar:
    """The library's calendar with corrections {date: (is_working, reason)} over it."""

    def __init__(self, corrections: dict | None = None):
        self.corrections = dict(corrections or {})

    def describe(self, day: dt.date) -> Day:
        """The day with its kind and label, the correction winning over the library."""
        if day in self.corrections:
            working, reason = self.corrections[day]
            return Day(day, working, MADE_WORKING if working else MADE_OFF, reason)
        return _library_day(day)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.corrections:
            return self.corrections[day][0]
        days_off, working_weekend = _library_year(day.year)
        if day.weekday() >= 5:
            return day in working_weekend and day not in days_off
        return day not in days_off

    def add_working_days(self, event_date: dt.date, n: int) -> dt.date:
        """The n-th working day after the event's date (the event's own day never counts);
        n = 0 gives the event's date."""
        if n < 0:
            raise ValueError("a term is never negative")
        day = event_date
        while n:
            day += dt.timedelta(days=1)
            n -= self.is_working_day(day)
        return day

    def term_ends_at(self, event_date: dt.date, n: int) -> dt.datetime:
        """The end of "within n working days of the event": the Moscow midnight after the
        n-th working day, an aware datetime; moments before it are in time."""
        return end_of_day(self.add_working_days(event_date, n))

    def next_working_day(self, day: dt.date) -> dt.date:
        """The day itself when it is working, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def months_term_due(self, event_date: dt.date, months: int) -> dt.date:
        """The last day of a term of calendar months (п.16): the same-numbered day of the
        last month (ГК ст. 192), moved to the next working day when it is a day off
        (ГК ст. 193)."""
        return self.next_working_day(add_calendar_months(event_date, months))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`, negative when `end` comes
        first: from today to the due date it is what is left («осталось N р. д.»), from
        the due date to today how far overdue («просрочено на N р. д.»)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + dt.timedelta(days=i))
                   for i in range(1, (end - start).days + 1))


def add_calendar_months(event_date: dt.date, months: int) -> dt.date:
    """The same-numbered day `months` later, or that month's last day when it is shorter
    (31 January + 1 month = 28/29 February)."""
    index = event_date.month - 1 + months
    year, month = event_date.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(event_date.day, month_calendar.monthrange(year, month)[1]))


def end_of_day(day: dt.date) -> dt.datetime:
    """The Moscow midnight that ends `day` (the start of the next one), aware."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=MOSCOW)


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """end_of_day() as the models store moments: naive UTC (a term's due_at)."""
    return end_of_day(day).astimezone(dt.timezone.utc).replace(tzinfo=None)


def last_day_of(due_at: dt.datetime) -> dt.date:
    """A term's last day (Moscow) from its stored due_at, the midnight that ends it."""
    return moscow_date(due_at) - dt.timedelta(days=1)


def moscow_date(moment: dt.datetime) -> dt.date:
    """The Moscow date of a moment (naive values are UTC, as the models store them): the
    date of an event a term counts from."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(MOSCOW).date()


# The corrections as last read, with the stamp (row count, latest change) they were read at.
_cached: tuple = (None, WorkingCalendar())


def _stamp() -> tuple:
    """A cheap fingerprint of the corrections: any add, edit or delete changes it."""
    return tuple(CalendarCorrection.select(fn.COUNT(CalendarCorrection.id),
                                           fn.MAX(CalendarCorrection.updated_at)).tuples()[0])


def current() -> WorkingCalendar:
    """The calendar in force, corrections included: one cheap query to see whether they
    changed, and one more to read them all (a few rows a year) when they did. Code that
    counts many terms takes it once and calls its methods."""
    global _cached
    stamp = _stamp()
    if stamp != _cached[0]:
        rows = CalendarCorrection.select(CalendarCorrection.date, CalendarCorrection.is_working,
                                         CalendarCorrection.reason)
        _cached = (stamp, WorkingCalendar({row.date: (row.is_working, row.reason)
                                           for row in rows}))
    return _cached[1]


def is_working_day(day: dt.date) -> bool:
    return current().is_working_day(day)


def add_working_days(event_date: dt.date, n: int) -> dt.date:
    return current().add_working_days(event_date, n)


def term_ends_at(event_date: dt.date, n: int) -> dt.datetime:
    return current().term_ends_at(event_date, n)


def months_term_due(event_date: dt.date, months: int) -> dt.date:
    return current().months_term_due(event_date, months)


def working_days_between(start: dt.date, end: dt.date) -> int:
    return current().working_days_between(start, end)
