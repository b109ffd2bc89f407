"""The administrator's corrections of the production calendar: a date made working or
non-working, with its reason, over what the `holidays` library says. Each add and delete is
written to the audit journal in the same transaction, and once committed queues the
recount of the open terms' due dates (recompute.py) through the dispatcher tasks.py
registers (set_dispatcher: the domain never imports the queue; without one, e.g. in a
script, the recount runs at once).
"""
import datetime as dt
import re

from peewee import JOIN, IntegrityError

from domain.deadlines import recompute
from domain.errors import Refusal
from models import CalendarCorrection, User, audit, db, utcnow

WORKING, OFF = "working", "off"
KIND_LABELS = {WORKING: "рабочий", OFF: "нерабочий"}
YEARS = range(1992, 2101)  # the library's Russian calendar starts in 1991; the Rules later
REASON_MAX = 500

DATE_INVALID = "Укажите дату в формате ДД.ММ.ГГГГ"
DATE_OUT_OF_RANGE = f"Укажите дату с {YEARS[0]} по {YEARS[-1]} год"
DATE_TAKEN = "На эту дату поправка уже есть: удалите ее, чтобы внести другую"
KIND_MISSING = "Выберите: рабочий или нерабочий день"
REASON_MISSING = "Укажите причину поправки"
REASON_TOO_LONG = f"Не более {REASON_MAX} символов"

_dispatch = None  # tasks.recompute_terms, registered by tasks.py


def set_dispatcher(enqueue):
    """Register the function that queues the recount of the open terms."""
    global _dispatch
    _dispatch = enqueue


def _recount():
    """After a committed change: the open terms' due dates in the queue, not the request."""
    if _dispatch is None:
        recompute.recompute_open_terms()
    else:
        _dispatch()


# An <input type="date"> sends 2026-03-10; typed by hand it is 10.03.2026.
_DATE_FORMATS = ((re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
                 (re.compile(r"\d{2}\.\d{2}\.\d{4}"), "%d.%m.%Y"))


def parse_day(text: str | None) -> dt.date | None:
    """The date a form field holds (ISO or ДД.ММ.ГГГГ, ASCII digits), else None."""
    text = (text or "").strip()
    for pattern, fmt in _DATE_FORMATS:
        if pattern.fullmatch(text):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                return None
    return None


def _checked(day_text, kind, reason) -> tuple[dt.date, bool, str]:
    """The correction the form asks for, or a Refusal naming every wrong field."""
    errors = {}
    day = parse_day(day_text)
    if day is None:
        errors["date"] = DATE_INVALID
    elif day.year not in YEARS:
        errors["date"] = DATE_OUT_OF_RANGE
    elif CalendarCorrection.select().where(CalendarCorrection.date == day).exists():
        errors["date"] = DATE_TAKEN
    if kind not in KIND_LABELS:
        errors["kind"] = KIND_MISSING
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = REASON_MISSING
    elif len(reason) > REASON_MAX:
        errors["reason"] = REASON_TOO_LONG
    if errors:
        raise Refusal.of(errors)
    return day, kind == WORKING, reason


def describe(correction: CalendarCorrection) -> str:
    """The journal's words for a correction: «10.03.2026 — нерабочий: Авария»."""
    kind = KIND_LABELS[WORKING if correction.is_working else OFF]
    return f"{correction.date:%d.%m.%Y} — {kind}: {correction.reason}"


def add_correction(day_text, kind, reason, *, actor, ip: str = "") -> CalendarCorrection:
    """Make a date working or non-working (kind WORKING / OFF) for the reason given."""
    day, is_working, reason = _checked(day_text, kind, reason)
    now = utcnow()
    try:
        with db.atomic():
            correction = CalendarCorrection.create(date=day, is_working=is_working,
                                                   reason=reason, created_by=actor,
                                                   created_at=now, updated_at=now)
            audit("calendar_correction_created", actor=actor, obj=correction,
                  details=describe(correction), ip=ip)
    except IntegrityError:  # another administrator took the date in between
        raise Refusal(DATE_TAKEN, "date") from None
    _recount()
    return correction


def delete_correction(correction: CalendarCorrection, *, actor, ip: str = ""):
    """Give the date back to the library's calendar."""
    with db.atomic():
        audit("calendar_correction_deleted", actor=actor, obj=correction,
              details=describe(correction), ip=ip)
        correction.delete_instance()
    _recount()


def corrections_of(year: int) -> list[CalendarCorrection]:
    """The year's corrections by date, with who made them."""
    return list(CalendarCorrection.select(CalendarCorrection, User)
                .join(User, JOIN.LEFT_OUTER, on=(CalendarCorrection.created_by == User.id))
                .where(CalendarCorrection.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
                .order_by(CalendarCorrection.date))
