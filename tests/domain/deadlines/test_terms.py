"""«Сроки»: the seeded terms of the issue's table, each counted on the calendar in force."""
import datetime as dt

import pytest

from domain.deadlines import calendar, terms
from domain.setup import seed
from models import CalendarCorrection, TermRule

pytestmark = pytest.mark.usefixtures("database")
D = dt.date
WD, MONTHS = TermRule.WORKING_DAYS, TermRule.CALENDAR_MONTHS


def test_the_catalogue_holds_the_rows_of_the_rules(app):
    rows = {t.code: (t.who, t.starts_on, t.ends_on, t.length, t.unit) for t in TermRule.select()}
    assert rows == {
        "notify_incomplete": ("grid", terms.APPLICATION_RECEIVED,
                              terms.INCOMPLETE_NOTICE_OR_NEXT_STEP, 3, WD),
        "complete_application": ("applicant", terms.INCOMPLETE_NOTICE, terms.MISSING_ITEMS_SENT,
                                 20, WD),
        "post_offer_small": ("grid", terms.COMPLETE_APPLICATION_RECEIVED, terms.OFFER_POSTED,
                             10, WD),
        "pay_invoice_small": ("applicant", terms.INVOICE_POSTED, terms.PAYMENT_RECORDED, 5, WD),
        "pay_invoice_small_public_buyer": ("applicant", terms.INVOICE_POSTED,
                                           terms.PAYMENT_RECORDED, 15, WD),
        "send_contract": ("grid", terms.COMPLETE_APPLICATION_RECEIVED, terms.CONTRACT_POSTED,
                          20, WD),
        "send_contract_temporary": ("grid", terms.COMPLETE_APPLICATION_RECEIVED,
                                    terms.CONTRACT_POSTED, 10, WD),
        "sign_contract": ("applicant", terms.CONTRACT_POSTED, terms.CONTRACT_SIGNED_OR_REFUSED,
                          10, WD),
        "connect_small_near": ("grid", terms.CONTRACT_CONCLUDED, terms.ACT_POSTED, 4, MONTHS),
        "connect_small": ("grid", terms.CONTRACT_CONCLUDED, terms.ACT_POSTED, 6, MONTHS),
        "connect_670": ("grid", terms.CONTRACT_CONCLUDED, terms.ACT_POSTED, 12, MONTHS),
        "connect_above_670": ("grid", terms.CONTRACT_CONCLUDED, terms.ACT_POSTED, 24, MONTHS),
        "notify_supplier": ("grid", terms.ACT_POSTED, terms.SUPPLIER_NOTIFIED, 2, WD),
        "post_supply_contract": ("supplier", terms.SUPPLIER_APPLICATION_RECEIVED,
                                 terms.SUPPLY_CONTRACT_POSTED, 10, WD),
        "answer_message": ("recipient", terms.MESSAGE_RECEIVED, terms.FIRST_REPLY, 15, WD),
    }
    for rule in TermRule.select():
        assert rule.legal_basis and rule.name
        assert rule.starts_on in terms.EVENTS and rule.ends_on in terms.EVENTS
        assert rule.who in terms.WHO


def test_seeding_again_keeps_what_the_administrator_changed(app):
    TermRule.update(length=7, name="Свое название").where(
        TermRule.code == "notify_incomplete").execute()
    TermRule.delete().where(TermRule.code == "answer_message").execute()
    seed.seed_terms()
    edited = terms.by_code("notify_incomplete")
    assert (edited.length, edited.name) == (7, "Свое название")
    assert terms.by_code("answer_message").length == 15
    assert TermRule.select().count() == len(seed.TERMS)


def test_a_term_ends_on_the_calendar_in_force(app):
    in_force = calendar.current()
    notify = terms.by_code("notify_incomplete")
    assert terms.due_date(notify, D(2025, 12, 30), in_force) == D(2026, 1, 14)
    assert terms.length_text(notify) == "3 р. д."
    connect = terms.by_code("connect_small_near")
    assert terms.length_text(connect) == "4 мес."
    assert terms.due_date(connect, D(2026, 3, 11), in_force) == D(2026, 7, 13)  # Sat → Mon
    CalendarCorrection.create(date=D(2026, 1, 12), is_working=False, reason="Авария")
    assert terms.due_date(notify, D(2025, 12, 30), calendar.current()) == D(2026, 1, 15)
