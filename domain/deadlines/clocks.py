"""The clocks of the appeals: the terms of «Сроки» (TermRule) each event of an appeal starts
and ends, stored as AppealTerm rows.

The domain operations call one function here per event, inside their own transaction, with
the event's moment: a ТП application or a message sent, the applicant writing, an
organisation's reply, a document placed, the contract concluded or signed, the act sent to
the supplier, the appeal annulled or archived. Which row of the catalogue starts follows
the appeal's facts (the п.14 / п.12(1) offer path, the scheme, the power, the supplier).
Each call takes the calendar in force once (calendar.current()).

The «Заявка неполная» loop (п.15): the notice ends the grid company's notice term, stops its
running step and starts the applicant's 20 working days; the missing items sent end those
and start the grid company's step again, in full, from that day (a new row; the notice
term is not restarted: it counts from the first receipt of the application).

The application's own ticks choose among rows: the 44-ФЗ / 275-ФЗ buyer pays within 15
working days, the п.16 distance condition («да») gives the 4-month connection term. The
open terms are recounted after a calendar correction by recompute.py.
"""
import datetime as dt

from domain.appeals.rules import offer_path
from domain.deadlines import calendar, reminders
from domain.deadlines.terms import INCOMPLETE_NOTICE, due_date
from models import Appeal, AppealTerm, Document, DocumentType, Organization, TermRule

NOTIFY_INCOMPLETE, COMPLETE_APPLICATION = "notify_incomplete", "complete_application"
POST_OFFER_SMALL, PAY_INVOICE_SMALL = "post_offer_small", "pay_invoice_small"
PAY_INVOICE_PUBLIC = "pay_invoice_small_public_buyer"
SEND_CONTRACT, SEND_CONTRACT_TEMPORARY = "send_contract", "send_contract_temporary"
SIGN_CONTRACT = "sign_contract"
CONNECT_SMALL_NEAR, CONNECT_SMALL = "connect_small_near", "connect_small"
CONNECT_670, CONNECT_ABOVE_670 = "connect_670", "connect_above_670"
CONNECT_CODES = (CONNECT_SMALL_NEAR, CONNECT_SMALL, CONNECT_670, CONNECT_ABOVE_670)
NOTIFY_SUPPLIER, POST_SUPPLY_CONTRACT = "notify_supplier", "post_supply_contract"
ANSWER_MESSAGE = "answer_message"
# The applicant's terms whose miss lets the clerk annul the application (п.15, п.105–106).
ANNULLABLE = (COMPLETE_APPLICATION, PAY_INVOICE_SMALL, PAY_INVOICE_PUBLIC)

# The grid company's documents that make up a step: the offer of п.103–105, the draft
# contract with ТУ of п.15.
OFFER_DOCUMENTS = frozenset({DocumentType.CONTRACT, DocumentType.TECHNICAL_CONDITIONS,
                             DocumentType.INVOICE})
CONTRACT_DOCUMENTS = frozenset({DocumentType.CONTRACT, DocumentType.TECHNICAL_CONDITIONS})


# Which row applies -----------------------------------------------------------------

def contract_step(appeal: Appeal) -> str:
    """The grid company's first step on a complete application: the offer (п.14 / п.12(1))
    or the draft contract (10 working days for a temporary connection, else 20)."""
    if offer_path(appeal):
        return POST_OFFER_SMALL
    return SEND_CONTRACT_TEMPORARY if appeal.scheme == "temporary" else SEND_CONTRACT


def applicant_step(appeal: Appeal) -> str:
    """The applicant's step once the grid company's documents are posted: paying the invoice
    on the offer path (15 working days for a buyer under 44-ФЗ / 275-ФЗ, ticked on the
    application), else signing the contract (or refusing with reasons)."""
    if not offer_path(appeal):
        return SIGN_CONTRACT
    return PAY_INVOICE_PUBLIC if appeal.public_buyer else PAY_INVOICE_SMALL


def connect_step(appeal: Appeal) -> str:
    """The п.16 «б» row by the power category: up to 150 kW the 4 months when the applicant
    says the distance condition holds («да»), else the 6 months; above 150 kW the year of
    «до 670 кВт» (the form stops at «>150 кВт»: the shorter term, so it is never missed
    unseen)."""
    if appeal.power == "gt150":
        return CONNECT_670
    return CONNECT_SMALL_NEAR if appeal.distance_near == "yes" else CONNECT_SMALL


def step_documents(appeal: Appeal) -> frozenset:
    """The type codes the grid company posts to end its first step."""
    return OFFER_DOCUMENTS if offer_path(appeal) else CONTRACT_DOCUMENTS


# Storing -----------------------------------------------------------------------------

def due_at(rule: TermRule, moment: dt.datetime, in_force: calendar.WorkingCalendar) -> dt.datetime:
    """The exclusive end of the rule's term for an event at `moment` (naive UTC), as the
    models store it: the Moscow midnight after the term's last day, in UTC."""
    last_day = due_date(rule, calendar.moscow_date(moment), in_force)
    return calendar.end_of_day_utc(last_day)


ANY = object()  # _Event.end: the terms of every organisation


class _Event:
    """One event of an appeal: its moment, the calendar in force, the catalogue (read once,
    when a term starts)."""

    def __init__(self, appeal: Appeal, now: dt.datetime):
        self.appeal, self.now = appeal, now
        self.in_force = calendar.current()
        self._rules = None

    def rule(self, code: str) -> TermRule:
        return self.rules()[code]

    def rules(self) -> dict:
        if self._rules is None:
            self._rules = {r.code: r for r in TermRule.select()}
        return self._rules

    def paused_by(self, event: str) -> list[str]:
        """The codes of the catalogue's rows the event stops (TermRule.paused_by)."""
        return [code for code, rule in self.rules().items() if rule.paused_by == event]

    def start(self, code: str, *, who: str | None = None, organization=None,
              once: bool = True) -> AppealTerm | None:
        """Start the term (once per appeal unless once=False; then once while one is open
        for the same organisation)."""
        rule = self.rule(code)
        terms = AppealTerm.select().where((AppealTerm.appeal == self.appeal.id)
                                          & (AppealTerm.rule_code == code))
        if not once:
            terms = terms.where((AppealTerm.state == AppealTerm.OPEN)
                                & _same_organization(organization))
        if terms.exists():
            return None
        term = AppealTerm.create(appeal=self.appeal.id, rule_code=code, who=who or rule.who,
                                 organization=organization, started_at=self.now,
                                 due_at=due_at(rule, self.now, self.in_force))
        summarise(self.appeal)
        reminders.step_started(term)  # the applicant's «Ваш шаг», in this transaction
        return term

    def end(self, *codes, organization=ANY, state: str = AppealTerm.DONE) -> int:
        """End the open terms of these codes (every code when none is given), of that
        organisation when given (None: the grid company's)."""
        condition = ((AppealTerm.appeal == self.appeal.id) & (AppealTerm.state == AppealTerm.OPEN))
        if codes:
            condition &= AppealTerm.rule_code.in_(codes)
        if organization is not ANY:
            condition &= _same_organization(organization)
        ended = AppealTerm.update(state=state, ended_at=self.now).where(condition).execute()
        if ended:
            summarise(self.appeal)
        return ended


def summarise(appeal: Appeal):
    """Copy the appeal's earliest open term onto it (Appeal.term_due_at, term_who,
    term_code, supplier_term_due_at): what the lists filter and show as «Срок» without
    reading appeal_term per row. Called after every start and end; the object passed in
    gets the values too, so a later save() of it keeps them."""
    values = summary_of(appeal.id)
    Appeal.update(**values).where(Appeal.id == appeal.id).execute()
    for name, value in values.items():
        setattr(appeal, name, value)


def summarise_many(appeal_ids=None):
    """summarise() set-based: one UPDATE of correlated subqueries on appeal_term's
    (appeal, state, due_at) index, for these appeals (every appeal with an open term when
    None). The migration fills the copies with it; the recount after a calendar correction
    refreshes the appeals whose terms moved."""
    term = AppealTerm.alias()
    open_terms = (term.appeal == Appeal.id) & (term.state == AppealTerm.OPEN)

    def earliest(column, condition=open_terms):
        return (term.select(column).where(condition)
                .order_by(term.due_at, term.id).limit(1))
    scope = (Appeal.id.in_(appeal_ids) if appeal_ids is not None else
             Appeal.id.in_(AppealTerm.select(AppealTerm.appeal)
                           .where(AppealTerm.state == AppealTerm.OPEN)))
    return (Appeal.update(term_due_at=earliest(term.due_at), term_who=earliest(term.who),
                          term_code=earliest(term.rule_code),
                          supplier_term_due_at=earliest(
                              term.due_at, open_terms & term.organization.is_null(False)))
            .where(scope).execute())


def summary_of(appeal_id: int) -> dict:
    """Appeal's term_* columns from its open terms (all None when none is open)."""
    terms = list(AppealTerm.select(AppealTerm.due_at, AppealTerm.who, AppealTerm.rule_code,
                                   AppealTerm.organization)
                 .where((AppealTerm.appeal == appeal_id) & (AppealTerm.state == AppealTerm.OPEN))
                 .order_by(AppealTerm.due_at, AppealTerm.id))
    first = terms[0] if terms else None
    supplier = next((t for t in terms if t.organization_id is not None), None)
    return {"term_due_at": first and first.due_at, "term_who": first and first.who,
            "term_code": first and first.rule_code,
            "supplier_term_due_at": supplier and supplier.due_at}


def _same_organization(organization):
    """Terms of a supplier are the supplier's; the grid company's carry no organisation."""
    org_id = getattr(organization, "id", organization)
    return AppealTerm.organization.is_null() if org_id is None else \
        (AppealTerm.organization == org_id)


def acting(organization: Organization | None) -> tuple[str, int | None]:
    """(who, organisation id kept on the term) of an organisation that must act."""
    if organization is not None and organization.kind == Organization.SUPPLIER:
        return TermRule.SUPPLIER, organization.id
    return TermRule.GRID, None


# The events ----------------------------------------------------------------------------

def application_sent(appeal: Appeal, now: dt.datetime):
    """A ТП application received (complete until a clerk says «Заявка неполная»): the
    grid company's п.15 notice term and its first step; the supplier's supply contract
    when the application names one."""
    event = _Event(appeal, now)
    event.start(NOTIFY_INCOMPLETE)
    event.start(contract_step(appeal))
    if appeal.supplier_id:
        event.start(POST_SUPPLY_CONTRACT, organization=appeal.supplier_id)


def message_received(appeal: Appeal, organization: Organization, now: dt.datetime):
    """The applicant's message (a sent message or a post in a thread) to `organization`:
    its answer term, unless one is running already."""
    who, org_id = acting(organization)
    _Event(appeal, now).start(ANSWER_MESSAGE, who=who, organization=org_id, once=False)


def organization_replied(appeal: Appeal, organization: Organization, now: dt.datetime):
    """An organisation's reply in the thread answers the applicant's messages to it."""
    _who, org_id = acting(organization)
    _Event(appeal, now).end(ANSWER_MESSAGE, organization=org_id)


def document_placed(appeal: Appeal, document: Document, organization: Organization,
                    now: dt.datetime):
    """An organisation's document of a coded type: the grid company's step documents end
    the п.15 notice term, and once all of them are posted its step, starting the
    applicant's; the act ends the п.16 term and starts the supplier's notice; the
    supplier's supply contract ends its term."""
    event = _Event(appeal, now)
    who, org_id = acting(organization)
    code = document.type_code
    if who == TermRule.SUPPLIER:
        if code == DocumentType.SUPPLY_CONTRACT:
            event.end(POST_SUPPLY_CONTRACT, organization=org_id)
        return
    if appeal.kind != Appeal.TP:
        return
    needed = step_documents(appeal)
    if code in needed:
        event.end(NOTIFY_INCOMPLETE)
        if needed <= _grid_document_codes(appeal):
            event.end(contract_step(appeal))
            event.start(applicant_step(appeal))
    elif code == DocumentType.ACT_OF_CONNECTION:
        event.end(NOTIFY_INCOMPLETE, *CONNECT_CODES)
        if appeal.supplier_id:
            event.start(NOTIFY_SUPPLIER)


def _grid_document_codes(appeal: Appeal) -> set:
    return {code for (code,) in Document.select(Document.type_code)
            .where((Document.appeal == appeal.id) & (Document.party == "grid")
                   & Document.type_code.is_null(False)).distinct().tuples()}


def contract_concluded(appeal: Appeal, now: dt.datetime):
    """«Договор заключен» (the payment recorded on the offer path, the status set by a
    clerk, the applicant's signature elsewhere): the applicant's step ends, the п.16 term of
    the connection starts."""
    if appeal.kind != Appeal.TP:
        return
    event = _Event(appeal, now)
    event.end(PAY_INVOICE_SMALL, PAY_INVOICE_PUBLIC, SIGN_CONTRACT)
    if not AppealTerm.select().where((AppealTerm.appeal == appeal.id)
                                     & AppealTerm.rule_code.in_(CONNECT_CODES)).exists():
        event.start(connect_step(appeal))


def contract_signed(appeal: Appeal, document: Document, now: dt.datetime):
    """The applicant signed the grid company's contract: off the offer path that concludes
    it (п.15)."""
    if document.type_code == DocumentType.CONTRACT and document.party == "grid" \
            and not offer_path(appeal):
        contract_concluded(appeal, now)


def act_sent_to_supplier(appeal: Appeal, now: dt.datetime):
    """The signed act of connection went to the supplier named in the application."""
    _Event(appeal, now).end(NOTIFY_SUPPLIER)


def incomplete_notice(appeal: Appeal, now: dt.datetime):
    """«Заявка неполная» sent: the notice term is met, the running terms the catalogue says
    it pauses stop (cancelled: they start again in full once the application is complete)
    and the applicant's term to complete it starts (one per round)."""
    event = _Event(appeal, now)
    event.end(NOTIFY_INCOMPLETE)
    paused = event.paused_by(INCOMPLETE_NOTICE)
    if paused:  # end() of no code would end every term
        event.end(*paused, state=AppealTerm.CANCELLED)
    event.start(COMPLETE_APPLICATION, once=False)


def missing_items_sent(appeal: Appeal, now: dt.datetime):
    """The applicant sent the missing items: their term is met, and each term the notice of
    this round stopped starts again, in full, from now; so does the grid company's step if
    it never started (not when its documents were posted already)."""
    event = _Event(appeal, now)
    asked = (AppealTerm.select(AppealTerm.started_at)
             .where((AppealTerm.appeal == appeal.id) & (AppealTerm.state == AppealTerm.OPEN)
                    & (AppealTerm.rule_code == COMPLETE_APPLICATION)).first())
    event.end(COMPLETE_APPLICATION)
    if asked is not None:
        stopped = AppealTerm.select().where(
            (AppealTerm.appeal == appeal.id) & (AppealTerm.state == AppealTerm.CANCELLED)
            & AppealTerm.rule_code.in_(event.paused_by(INCOMPLETE_NOTICE))
            & (AppealTerm.ended_at == asked.started_at))  # the notice's moment
        for term in stopped:
            event.start(term.rule_code, who=term.who, organization=term.organization_id,
                        once=False)
    event.start(contract_step(appeal))  # once per appeal: only if it never started


def annullable_overdue(appeal: Appeal, now: dt.datetime) -> AppealTerm | None:
    """The applicant's open term past its end whose miss allows annulment, if any."""
    return (AppealTerm.select()
            .where((AppealTerm.appeal == appeal.id) & (AppealTerm.state == AppealTerm.OPEN)
                   & AppealTerm.rule_code.in_(ANNULLABLE) & (AppealTerm.due_at <= now))
            .order_by(AppealTerm.due_at).first())


def appeal_closed(appeal: Appeal, now: dt.datetime):
    """Annulled or archived: every open term stops (returning from the archive restarts
    none)."""
    _Event(appeal, now).end(state=AppealTerm.CANCELLED)
