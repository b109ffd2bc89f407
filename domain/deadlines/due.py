"""«Срок» as the lists, the «Сроки» board and the home page tiles read it: the stored due
moment of a term (AppealTerm.due_at, or the appeal's copy of its earliest one) told as its
last day, who acts and the working days left or overdue; and the windows of the filters
«просрочено», «истекает сегодня», «истекает завтра».

Nothing here counts a term again: due_at is stored (clocks.py); only the days left or
overdue are counted, on the calendar in force taken once per page.
"""
import datetime as dt
from dataclasses import dataclass

from domain.deadlines import calendar
from domain.deadlines.terms import WHO
from models import utcnow

OVERDUE, TODAY, TOMORROW, APPLICANT_MOVE = "overdue", "today", "tomorrow", "applicant"
# The filters' values and labels, in the order shown.
TERM_FILTERS = {"": "Все", OVERDUE: "Просрочено", TODAY: "Истекает сегодня",
                TOMORROW: "Истекает завтра", APPLICANT_MOVE: "Ход заявителя"}


def now() -> dt.datetime:
    """The moment the lists and the board count from (naive UTC; the tests freeze it)."""
    return utcnow()


def window(term: str, moment: dt.datetime,
           in_force: calendar.WorkingCalendar | None = None) -> tuple:
    """(after, up_to) bounds on due_at (naive UTC, None: unbounded) of a date filter:
    overdue — the end has passed; today — the last day is today; tomorrow — the last day
    is the next working day (a term ends on a working day: on a Friday that is Monday)."""
    if term == OVERDUE:
        return None, moment
    today = calendar.moscow_date(moment)
    end_today = calendar.end_of_day_utc(today)
    if term == TODAY:
        return moment, end_today
    next_day = (in_force or calendar.current()).next_working_day(today + dt.timedelta(days=1))
    return end_today, calendar.end_of_day_utc(next_day)


@dataclass(frozen=True)
class Due:
    """One term's «Срок»: its last day (Moscow), who acts, the working days left after
    today, or overdue."""
    last_day: dt.date
    who: str
    left: int | None = None
    overdue: int | None = None

    @property
    def who_label(self) -> str:
        return WHO.get(self.who, "")

    @property
    def date_text(self) -> str:
        return f"{self.last_day:%d.%m.%Y}"

    @property
    def state_text(self) -> str:
        return state_text(self.left, self.overdue)


def state_text(left: int | None, overdue: int | None) -> str:
    """«просрочено на 2 р. д.», «истекает сегодня», «осталось 3 р. д.» of a running term."""
    if overdue:
        return f"просрочено на {overdue} р. д."
    return "истекает сегодня" if not left else f"осталось {left} р. д."


def due_of(due_at: dt.datetime, who: str, moment: dt.datetime,
           in_force: calendar.WorkingCalendar) -> Due:
    """The Due of an open term ending (exclusively) at due_at, seen at `moment`."""
    last_day = calendar.last_day_of(due_at)
    if moment >= due_at:
        # at least one: a term that ran out at the midnight before a weekend is late too
        return Due(last_day, who, overdue=max(1, in_force.working_days_between(
            last_day, calendar.moscow_date(moment))))
    return Due(last_day, who, left=in_force.working_days_between(calendar.moscow_date(moment),
                                                                   last_day))


def attach(rows, due_name: str, who_of, moment: dt.datetime | None = None) -> None:
    """Give each row its `due` (a Due, or None without an open term) from its stored
    `due_name` attribute and `who_of(row)`; the calendar is read once, and only when a row
    has a term."""
    moment = moment or now()
    in_force = None
    for row in rows:
        due_at = getattr(row, due_name, None)
        if due_at is None:
            row.due = None
            continue
        in_force = in_force or calendar.current()
        row.due = due_of(due_at, who_of(row), moment, in_force)
