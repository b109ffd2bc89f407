"""The due dates of the open terms recounted on the calendar in force, after the
administrator corrected it (corrections.py queues this; tasks.py runs it).

Each open term's due_at is counted again from its started_at by its rule; the terms are read
in id order, 1,000 at a time (the ended ones skipped), and each batch's changes are written in one transaction as
one UPDATE per new due date (terms started on the same day by the same rule share it). A
term moved later is reminded again: its «before» marks are cleared, and its «overdue» mark
when it is no longer overdue. A term that ended meanwhile is left alone.
"""
import datetime as dt
from collections import defaultdict

from domain.deadlines import calendar, clocks
from models import AppealTerm, TermRule, db, fn, utcnow

BATCH = 1000


def recompute_open_terms(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Recount every open term's due date; returns how many changed."""
    now = now or utcnow()
    in_force = calendar.current()
    rules = {rule.code: rule for rule in TermRule.select()}
    counted = {}  # (rule code, Moscow date of the start) -> due_at: few per batch

    def due_of(code, started_at):
        key = (code, calendar.moscow_date(started_at))
        if key not in counted:
            counted[key] = clocks.due_at(rules[code], started_at, in_force)
        return counted[key]

    changed, after = 0, 0
    while True:
        # A walk along the primary key, the state checked here: with `state = 'open'` in
        # the WHERE the planner may take the (state, due_at) index and sort every open
        # term again for each batch.
        rows = list(AppealTerm.select(AppealTerm.id, AppealTerm.rule_code,
                                      AppealTerm.started_at, AppealTerm.due_at,
                                      AppealTerm.state, AppealTerm.appeal)
                    .where(AppealTerm.id > after).order_by(AppealTerm.id).limit(batch).tuples())
        if not rows:
            return changed
        after = rows[-1][0]
        groups = defaultdict(list)  # (new due_at, moved later) -> ids
        moved_appeals = set()
        for term_id, code, started_at, old, state, appeal_id in rows:
            if state != AppealTerm.OPEN:
                continue
            new = due_of(code, started_at)
            if new != old:
                groups[(new, new > old)].append(term_id)
                moved_appeals.add(appeal_id)
        with db.atomic():
            for (new, later), ids in groups.items():
                changed += _move(ids, new, later, now)
            if moved_appeals:  # the lists' «Срок» copies follow the terms
                clocks.summarise_many(sorted(moved_appeals))
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
    # The state wrapped in TRIM(): given `state = 'open'` SQLite's planner took the
    # (state, due_at) index over the primary key and read every open term per UPDATE.
    return (AppealTerm.update(values)
            .where(AppealTerm.id.in_(ids) & (fn.TRIM(AppealTerm.state) == AppealTerm.OPEN))
            .execute())
