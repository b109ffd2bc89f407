"""Reminders of the terms, as outbox e-mails, each written once.

To the acting organisation's inbox (the grid company's, or the supplier's for a supplier's
term): one working day before the term's last day («Истекает срок: …») and once it has
passed («Просрочен срок: …»). To the applicant: when their step starts (written by the
event itself, step_started()) and two working days before its last day.

A periodic task (tasks.py) calls send_due(). Each batch marks its terms and writes their
outbox rows in one transaction, and a term is taken only by the conditional UPDATE of its
mark (… WHERE mark IS NULL) whose rowcount says it was this run's: a crash loses no
reminder (nothing is marked without its row) and two runs at once never both write one.
The pick is a range of the (state, due_at) index: open terms whose due_at falls in the
window of the kind.
"""
import datetime as dt

from domain.deadlines import calendar
from domain.links import backoffice_link, portal_link
from domain.outbox import notify
from domain.transactions import write_transaction
from domain.text import lower_first
from models import Appeal, AppealTerm, Organization, TermRule, User, utcnow

BATCH = 200
# Overdue terms are looked for this far back: a term that passed longer ago unreminded was
# missed before reminders existed (migration step 13), and the range stays short.
OVERDUE_LOOKBACK = dt.timedelta(days=45)

BEFORE, OVERDUE, APPLICANT_BEFORE = "before", "overdue", "applicant_before"
# kind: (mark column, working days before the last day, template)
KINDS = {
    BEFORE: ("reminded_before_at", 1, "term_org_before"),
    OVERDUE: ("reminded_overdue_at", None, "term_org_overdue"),
    APPLICANT_BEFORE: ("applicant_before_at", 2, "term_applicant_before"),
}


def _window(kind: str, now: dt.datetime, in_force) -> tuple[dt.datetime, dt.datetime]:
    """(after, up to) the due_at of the terms a kind's reminder is due for at `now`: for
    «before», the terms still running whose last day is at most N working days ahead."""
    days = KINDS[kind][1]
    if days is None:
        return now - OVERDUE_LOOKBACK, now
    horizon = in_force.add_working_days(calendar.moscow_date(now), days)
    return now, calendar.end_of_day_utc(horizon)


def _who(kind: str):
    return (AppealTerm.who == TermRule.APPLICANT) if kind == APPLICANT_BEFORE \
        else (AppealTerm.who != TermRule.APPLICANT)


def _candidates(kind: str, now: dt.datetime, in_force, limit: int) -> list[int]:
    after, up_to = _window(kind, now, in_force)
    mark = getattr(AppealTerm, KINDS[kind][0])
    query = (AppealTerm.select(AppealTerm.id)
             .where((AppealTerm.state == AppealTerm.OPEN) & (AppealTerm.due_at > after)
                    & (AppealTerm.due_at <= up_to) & mark.is_null() & _who(kind))
             .order_by(AppealTerm.due_at).limit(limit))
    return [row.id for row in query]


def _take(kind: str, term_id: int, now: dt.datetime) -> bool:
    """Mark the term's reminder as this run's; False when another run (or a recompute)
    got there first or the term ended meanwhile."""
    mark = getattr(AppealTerm, KINDS[kind][0])
    return (AppealTerm.update({mark: now})
            .where((AppealTerm.id == term_id) & mark.is_null()
                   & (AppealTerm.state == AppealTerm.OPEN)).execute()) == 1


def send_due(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Write every reminder due at `now`; returns how many terms were reminded."""
    now = now or utcnow()
    in_force = calendar.current()
    written = 0
    for kind in KINDS:
        while ids := _candidates(kind, now, in_force, batch):
            with write_transaction():
                taken = [i for i in ids if _take(kind, i, now)]
                for term in AppealTerm.select().where(AppealTerm.id.in_(taken)):
                    _write(kind, term)
            notify.flush()
            written += len(taken)
    return written


def step_started(term: AppealTerm | None):
    """The applicant's «Ваш шаг» e-mail for a term of theirs just started, in the event's
    transaction (clocks._Event.start calls it)."""
    if term is None or term.who != TermRule.APPLICANT:
        return
    _email(term, "term_applicant_started")
    (AppealTerm.update(applicant_started_sent_at=term.started_at)
     .where(AppealTerm.id == term.id).execute())


def _write(kind: str, term: AppealTerm):
    _email(term, KINDS[kind][2])


def _email(term: AppealTerm, template: str):
    appeal = Appeal.get_by_id(term.appeal_id)
    appeal.applicant = User.get_by_id(appeal.applicant_id)
    rule = TermRule.get(TermRule.code == term.rule_code)
    grid = Organization.grid()
    context = dict(appeal=appeal, case=appeal, rule=rule, step=lower_first(rule.name),
                   last_day=calendar.last_day_of(term.due_at), grid_name=grid.name if grid else "")
    if term.who == TermRule.APPLICANT:
        notify.email(appeal.applicant.notify_email, template, link=portal_link(appeal),
                     **context)
        return
    org = Organization.get_by_id(term.organization_id) if term.organization_id else grid
    if org is not None:
        notify.email(org.inbox_email, template, org=org, a=appeal, applicant=appeal.applicant,
                     link=backoffice_link(), **context)

