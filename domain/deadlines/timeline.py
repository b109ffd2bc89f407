"""An appeal's terms as both sides read them, like a parcel tracker: the steps done with
their dates, the current ones with their last day and the working days left (or overdue),
the next ones by the appeal's path; and the applicant's one line «Сейчас: …» / «Ваш шаг: …».

One query reads the catalogue with the appeal's terms; the calendar in force is taken once.
"""
import datetime as dt
from dataclasses import dataclass

from peewee import JOIN

from domain.deadlines import calendar, clocks, due
from domain.deadlines.terms import WHO
from domain.text import lower_first
from models import Appeal, AppealTerm, TermRule, User, utcnow

DONE, CURRENT, NEXT, STOPPED = "done", "current", "next", "stopped"

# What the applicant reads the organisation doing, by the term's code (the catalogue's
# names are the imperative of the step; the line speaks of it in progress).
DOING = {
    clocks.NOTIFY_INCOMPLETE: "проверяет полноту заявки",
    clocks.POST_OFFER_SMALL: "размещает условия договора, ТУ и счет",
    clocks.SEND_CONTRACT: "направляет проект договора и ТУ",
    clocks.SEND_CONTRACT_TEMPORARY: "направляет проект договора и ТУ",
    **{code: "осуществляет технологическое присоединение" for code in clocks.CONNECT_CODES},
    clocks.NOTIFY_SUPPLIER: "направляет акт гарантирующему поставщику",
    clocks.POST_SUPPLY_CONTRACT: "размещает договор энергоснабжения",
    clocks.ANSWER_MESSAGE: "готовит ответ на сообщение",
}
ACTOR = {TermRule.GRID: "сетевая организация", TermRule.SUPPLIER: "гарантирующий поставщик",
         TermRule.APPLICANT: "заявитель"}


@dataclass(frozen=True)
class Step:
    """One line of the timeline."""
    code: str
    name: str  # the catalogue's name of the step
    who: str  # TermRule.GRID / APPLICANT / SUPPLIER
    basis: str  # the legal basis staff read
    state: str  # DONE / CURRENT / NEXT / STOPPED
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    last_day: dt.date | None = None  # the term's last day (Moscow)
    left: int | None = None  # working days left after today, for a current step in time
    overdue: int | None = None  # working days past the last day (current or done late)

    @property
    def who_label(self) -> str:
        return WHO.get(self.who, "")

    @property
    def term_text(self) -> str:
        """«до 14.12.2026 (осталось 3 р. д.)», «… (просрочено на 2 р. д.)», «… (истекает
        сегодня)»."""
        if self.last_day is None:
            return ""
        text = f"до {self.last_day:%d.%m.%Y}"
        if self.state != CURRENT:
            return text
        return f"{text} ({due.state_text(self.left, self.overdue)})"

    @property
    def applicant_line(self) -> str:
        """«Ваш шаг: оплатить счет до 19.12.2026 (осталось 5 р. д.)» or «Сейчас: сетевая
        организация направляет проект договора и ТУ — до 14.12.2026 (осталось 3 р. д.)»."""
        if self.who == TermRule.APPLICANT:
            return f"Ваш шаг: {lower_first(self.name)} {self.term_text}"
        doing = DOING.get(self.code, lower_first(self.name))
        return f"Сейчас: {ACTOR.get(self.who, '')} {doing} — {self.term_text}"


@dataclass(frozen=True)
class Timeline:
    steps: list

    @property
    def current(self) -> list:
        return [s for s in self.steps if s.state == CURRENT]

    @property
    def headline(self) -> Step | None:
        """The step the applicant's line names: their own, else the earliest of the path
        (the grid company's before the supplier's), else any (current steps come so)."""
        return self.current[0] if self.current else None

    @property
    def asked_to_complete(self) -> bool:
        """Whether «Заявка неполная» was ever sent: the applicant's term to complete the
        application started (so the pages read the rounds only then)."""
        return any(s.code == clocks.COMPLETE_APPLICATION and s.state != NEXT for s in self.steps)


def path_of(appeal: Appeal, supplier_id: int | None = None) -> list[str]:
    """The steps the Rules lay out for the appeal, in order (a supplier's clerk: its own)."""
    own = [clocks.POST_SUPPLY_CONTRACT] if appeal.supplier_id else []
    if supplier_id is not None or appeal.kind != Appeal.TP:
        return own if supplier_id == appeal.supplier_id else []
    steps = [clocks.contract_step(appeal), clocks.applicant_step(appeal),
             clocks.connect_step(appeal)]
    return steps + ([clocks.NOTIFY_SUPPLIER] if appeal.supplier_id else []) + own


def _rules_with_terms(appeal: Appeal) -> list:
    """[(TermRule, AppealTerm or None)]: the catalogue with the appeal's terms, one query."""
    rows = (TermRule.select(TermRule, AppealTerm)
            .join(AppealTerm, JOIN.LEFT_OUTER, attr="term",
                  on=((AppealTerm.rule_code == TermRule.code) & (AppealTerm.appeal == appeal.id)))
            .order_by(TermRule.sort_order))
    return [(row, row.term if getattr(row, "term", None) and row.term.id else None)
            for row in rows]


def _step(rule: TermRule, term: AppealTerm, now: dt.datetime,
          in_force: calendar.WorkingCalendar) -> Step:
    """The step of a started term: seen now while open, else as it stood when it ended."""
    state = {AppealTerm.OPEN: CURRENT, AppealTerm.DONE: DONE}.get(term.state, STOPPED)
    seen = due.due_of(term.due_at, term.who, now if state == CURRENT else term.ended_at,
                      in_force)
    return Step(rule.code, rule.name, term.who, rule.legal_basis, state, term.started_at,
                term.ended_at, seen.last_day, seen.left if state == CURRENT else None,
                seen.overdue)


def timeline(appeal: Appeal, *, supplier_id: int | None = None,
             now: dt.datetime | None = None) -> Timeline:
    """The appeal's steps: the terms started (oldest first; a supplier's clerk sees only
    its supplier's), then the next steps of its path no term has started yet."""
    if appeal.state == Appeal.DRAFT:
        return Timeline([])
    now = now or utcnow()
    rows = _rules_with_terms(appeal)
    rules = {rule.code: rule for rule, _term in rows}
    terms = [(rule, term) for rule, term in rows if term is not None
             and (supplier_id is None or term.organization_id == supplier_id)]
    # the calendar (a query to see its corrections) only where there is a term to count
    in_force = calendar.current() if terms else None
    started = sorted((_step(rule, term, now, in_force) for rule, term in terms),
                     key=lambda s: (s.state == CURRENT, s.started_at, s.code))
    have = {s.code for s in started}
    if have & set(clocks.CONNECT_CODES):  # whichever п.16 row it started under
        have |= set(clocks.CONNECT_CODES)
    path = path_of(appeal, supplier_id)
    following = [Step(code, rules[code].name, rules[code].who, rules[code].legal_basis, NEXT)
                 for code in (path if appeal.state == Appeal.ACTIVE else [])
                 if code not in have and code in rules]
    current = sorted((s for s in started if s.state == CURRENT), key=_headline_key(path))
    done = [s for s in started if s.state != CURRENT]
    return Timeline(done + current + following)


def staff_timeline(appeal: Appeal, clerk: User, now: dt.datetime | None = None) -> Timeline:
    """The timeline a clerk may see: a supplier's clerk only its supplier's terms (the
    scoping of domain/appeals/access.py: a supplier clerk acts for its own organisation)."""
    if clerk.role != User.SUPPLIER_CLERK:
        return timeline(appeal, now=now)
    if not clerk.organization_id:
        return Timeline([])
    return timeline(appeal, supplier_id=clerk.organization_id, now=now)


def _headline_key(path: list[str]):
    """The order of an appeal's current steps: the applicant's own first, then by the
    appeal's path (path_of), then by the last day."""
    rank = {code: i for i, code in enumerate(path)}
    return lambda s: (s.who != TermRule.APPLICANT, rank.get(s.code, len(rank)), s.last_day)


def attach_headlines(appeals, now: dt.datetime | None = None) -> None:
    """Give each appeal of a list page its `headline` (the Step of the applicant's one line
    «Сейчас: …» / «Ваш шаг: …», or None), as on its page: one query for the page's open
    terms with their catalogue rows, the calendar taken once and only when one is open."""
    now = now or utcnow()
    by_id = {a.id: a for a in appeals}
    for appeal in appeals:
        appeal.headline = None
    if not by_id:
        return
    rows = list(AppealTerm.select(AppealTerm, TermRule)
                .join(TermRule, on=(AppealTerm.rule_code == TermRule.code), attr="rule")
                .where(AppealTerm.appeal.in_(list(by_id)) & (AppealTerm.state == AppealTerm.OPEN)))
    if not rows:
        return
    in_force = calendar.current()
    steps: dict = {}
    for term in rows:
        steps.setdefault(term.appeal_id, []).append(_step(term.rule, term, now, in_force))
    for appeal_id, current in steps.items():
        appeal = by_id[appeal_id]
        if appeal.state == Appeal.ACTIVE:
            appeal.headline = min(current, key=_headline_key(path_of(appeal)))
