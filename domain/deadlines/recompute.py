"""The due dates of the open terms recounted on the calendar in force, after the
administrator corrected it (corrections.py queues this; tasks.py runs it).

Each open term's due_at is counted again from its started_at by its rule; the terms are read
in id order, 1,000 at a time, and each batch's changes are written in one transaction as
one UPDATE per new due date (terms started on the same day by the same rule share it). A
term moved later is reminded again: its «before» marks are cleared, and its «overdue» mark
when it is no longer overdue. A term that ended meanwhile is left alone.
"""
import datetime as dt
from collections import defaultdict

from domain.deadlines import calendar, clocks
from models import AppealTerm, TermRule, db, utcnow

BATCH = 1000


def recompute_open_terms(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Recount every open term's due date; returns how many changed."""
    now = now or utcnow()
    in_force = calendar.current()
    rules = {rule.code: rule for rule in TermRule.select()}
    counted = {}  # (rule code, started_at) -> due_at: few distinct ones per batch

    def due_of(code, started_at):
        key = (code, started_at)
        if key not in counted:
            counted[key] = clocks.due_at(rules[code], started_at, in_force)
        return counted[key]

    changed, after = 0, 0
    while True:
        rows = list(AppealTerm.select(AppealTerm.id, AppealTerm.rule_code,
                                      AppealTerm.started_at, AppealTerm.due_at)
                    .where((AppealTerm.state == AppealTerm.OPEN) & (AppealTerm.id > after))
                    .order_by(AppealTerm.id).limit(batch).tuples())
        if not rows:
            return changed
        after = rows[-1][0]
        groups = defaultdict(list)  # (new due_at, moved later) -> ids
        for term_id, code, started_at, old in rows:
            new = due_of(code, started_at)
            if new != old:
                groups[(new, new > old)].append(term_id)
        with db.atomic():
            for (new, later), ids in groups.items():
                changed += _move(ids, new, later, now)
        if len(counted) > 100_000:
            counted.clear()


def _move(ids: list, new: dt.datetime, later: bool, now: dt.datetime) -> int:
    """Give the still open terms their new due date, clearing the marks that no longer
    hold: reminders «before» were for the old, earlier date."""
    values = {AppealTerm.due_at: new}
    if later:
        values.update({AppealTerm.reminded_before_at: None, AppealTerm.applicant_before_at: None})
        if new > now:
            values[AppealTerm.reminded_overdue_at] = None
    return (AppealTerm.update(values)
            .where(AppealTerm.id.in_(ids) & (AppealTerm.state == AppealTerm.OPEN)).execute())
