"""The catalogue «Сроки» (TermRule rows): the events that start and end each term, by stable
code, with the words staff read; who acts; and a term's last day on the calendar in force.

The clocks of the appeals (next step) key on these codes, never on the texts an
administrator may edit.
"""
import datetime as dt

from domain.deadlines.calendar import WorkingCalendar
from models import TermRule

# Events a term starts or ends on.
APPLICATION_RECEIVED = "application_received"
INCOMPLETE_NOTICE_OR_NEXT_STEP = "incomplete_notice_or_next_step"
INCOMPLETE_NOTICE = "incomplete_notice"
MISSING_ITEMS_SENT = "missing_items_sent"
COMPLETE_APPLICATION_RECEIVED = "complete_application_received"
OFFER_POSTED = "offer_posted"
INVOICE_POSTED = "invoice_posted"
PAYMENT_RECORDED = "payment_recorded"
CONTRACT_POSTED = "contract_posted"
CONTRACT_SIGNED_OR_REFUSED = "contract_signed_or_refused"
CONTRACT_CONCLUDED = "contract_concluded"
ACT_POSTED = "act_posted"
SUPPLIER_NOTIFIED = "supplier_notified"
SUPPLIER_APPLICATION_RECEIVED = "supplier_application_received"
SUPPLY_CONTRACT_POSTED = "supply_contract_posted"
MESSAGE_RECEIVED = "message_received"
FIRST_REPLY = "first_reply"

EVENTS = {
    APPLICATION_RECEIVED: "Получена заявка",
    INCOMPLETE_NOTICE_OR_NEXT_STEP: "Направлено уведомление «Заявка неполная» "
                                    "или размещены документы следующего шага",
    INCOMPLETE_NOTICE: "Направлено уведомление «Заявка неполная»",
    MISSING_ITEMS_SENT: "Направлены недостающие сведения",
    COMPLETE_APPLICATION_RECEIVED: "Получена полная заявка",
    OFFER_POSTED: "Размещены условия договора, технические условия и счет",
    INVOICE_POSTED: "Размещен счет",
    PAYMENT_RECORDED: "Отмечена оплата счета (договор заключен)",
    CONTRACT_POSTED: "Размещены проект договора и технические условия",
    CONTRACT_SIGNED_OR_REFUSED: "Договор подписан или направлен мотивированный отказ",
    CONTRACT_CONCLUDED: "Договор заключен",
    ACT_POSTED: "Размещен акт об осуществлении технологического присоединения",
    SUPPLIER_NOTIFIED: "Акт направлен гарантирующему поставщику",
    SUPPLIER_APPLICATION_RECEIVED: "Получена заявка с указанием гарантирующего поставщика",
    SUPPLY_CONTRACT_POSTED: "Размещен договор энергоснабжения",
    MESSAGE_RECEIVED: "Получено сообщение",
    FIRST_REPLY: "Направлен первый ответ",
}

WHO = {
    TermRule.GRID: "Сетевая организация",
    TermRule.APPLICANT: "Заявитель",
    TermRule.SUPPLIER: "Гарантирующий поставщик",
    TermRule.RECIPIENT: "Организация, получившая сообщение",
}

# The longest term each unit may be given (a typo of 2000 days would hide every overdue).
MAX_LENGTH = {TermRule.WORKING_DAYS: 250, TermRule.CALENDAR_MONTHS: 60}


def length_text(rule: TermRule) -> str:
    """«10 р. д.», «4 мес.» — the term's length as staff read it."""
    unit = "р. д." if rule.unit == TermRule.WORKING_DAYS else "мес."
    return f"{rule.length} {unit}"


def due_date(rule: TermRule, event_date: dt.date, in_force: WorkingCalendar) -> dt.date:
    """The term's last day for an event on `event_date`: the length-th working day after
    it, or the end of the calendar months moved off a day off (calendar.py)."""
    if rule.unit == TermRule.CALENDAR_MONTHS:
        return in_force.months_term_due(event_date, rule.length)
    return in_force.add_working_days(event_date, rule.length)


def by_code(code: str) -> TermRule:
    """The catalogue row of a code (seeded, so always there)."""
    return TermRule.get(TermRule.code == code)
