"""Reminders of the terms: each written once, at its moment on the Russian calendar, to
the acting organisation's inbox or to the applicant; none for ended terms; none twice when
the task runs twice or two runs overlap."""
import datetime as dt
import threading

import pytest

import tasks
from domain.deadlines import clocks, reminders
from models import AppealTerm, Notification, Organization, TermRule, db
from tests.casework_helpers import applicant_user, sent_appeal, supplier
from tests.domain.outbox.test_outbox import SmtpServer
from tests.frozen_clock import due, freeze

pytestmark = pytest.mark.usefixtures("database")

GRID_INBOX = "tp@kalinovsk-es.ru"


@pytest.fixture
def clock(monkeypatch, app):
    frozen = freeze(monkeypatch)
    with app.app_context():
        Organization.update(inbox_email=GRID_INBOX).where(
            Organization.kind == Organization.GRID).execute()
        yield frozen


@pytest.fixture
def person():
    return applicant_user("remind@example.ru", confirmed=True)


def open_term(appeal, code, last_day, *, who=None, organization=None, state=AppealTerm.OPEN):
    rule = TermRule.get(TermRule.code == code)
    return AppealTerm.create(appeal=appeal, rule_code=code, who=who or rule.who,
                             organization=organization, started_at=dt.datetime(2025, 12, 1),
                             due_at=due(*last_day), state=state)


def mail() -> list:
    """(recipient, subject) of the outbox rows, in order."""
    return [(n.recipient, n.subject) for n in Notification.select().order_by(Notification.id)]


def test_the_grid_company_is_reminded_one_working_day_before_across_the_new_year(clock, person):
    """Last day 12.01.2026: the working day before it is 30.12.2025 (31.12 and the new
    year's holidays are days off), not 29.12."""
    appeal = sent_appeal(person, complies=True)
    open_term(appeal, clocks.POST_OFFER_SMALL, (2026, 1, 12))
    clock.set(2025, 12, 29, 18, 0)
    assert tasks.send_reminders() == 0
    clock.set(2025, 12, 30, 9, 0)
    assert tasks.send_reminders() == 1
    assert mail() == [(GRID_INBOX, "Истекает срок: Разместить условия договора, технические "
                                   "условия и счет")]
    row = Notification.get()
    assert "до 12.01.2026" in row.body_text and "пп. 103–105" in row.body_text
    assert "/backoffice" in row.body_text
    clock.set(2026, 1, 12, 23, 0)  # still the last day: no «Просрочен» yet, no second «Истекает»
    assert tasks.send_reminders() == 0
    clock.set(2026, 1, 13, 0, 1)
    assert tasks.send_reminders() == 1
    assert mail()[1] == (GRID_INBOX, "Просрочен срок: Разместить условия договора, "
                                     "технические условия и счет")
    clock.set(2026, 1, 20, 9, 0)
    assert tasks.send_reminders() == 0
    assert len(mail()) == 2


def test_a_suppliers_term_reminds_the_suppliers_inbox(clock, person):
    gp = supplier(0)
    Organization.update(inbox_email="gp-inbox@example.ru").where(Organization.id == gp.id).execute()
    appeal = sent_appeal(person, supplier_org=gp)
    open_term(appeal, clocks.POST_SUPPLY_CONTRACT, (2026, 3, 11), organization=gp.id)
    clock.set(2026, 3, 10, 9, 0)
    tasks.send_reminders()
    assert mail() == [("gp-inbox@example.ru",
                       "Истекает срок: Разместить договор энергоснабжения")]


def test_the_applicant_is_reminded_two_working_days_before(clock, person):
    appeal = sent_appeal(person, complies=True)
    open_term(appeal, clocks.PAY_INVOICE_SMALL, (2026, 1, 12))
    clock.set(2025, 12, 26, 12, 0)
    assert tasks.send_reminders() == 0
    clock.set(2025, 12, 29, 12, 0)
    assert tasks.send_reminders() == 1
    assert mail() == [("remind@example.ru", "Истекает срок: оплатить счет до 12.01.2026")]
    body = Notification.get().body_text
    assert "/appeals/" in body or "/appeal" in body
    clock.set(2026, 1, 14, 12, 0)  # overdue: the applicant's terms remind no organisation
    assert tasks.send_reminders() == 0


def test_ended_terms_are_not_reminded(clock, person):
    appeal = sent_appeal(person, complies=True)
    open_term(appeal, clocks.POST_OFFER_SMALL, (2026, 1, 12), state=AppealTerm.DONE)
    open_term(appeal, clocks.PAY_INVOICE_SMALL, (2026, 1, 12), state=AppealTerm.CANCELLED)
    for moment in ((2025, 12, 29, 12), (2025, 12, 30, 12), (2026, 1, 13, 12)):
        clock.set(*moment)
        assert tasks.send_reminders() == 0
    assert mail() == []


def test_the_applicants_step_starts_with_its_email_in_the_events_transaction(clock, person):
    appeal = sent_appeal(person, complies=True)
    clock.set(2025, 12, 30, 16, 0)
    with db.atomic() as transaction:
        clocks._Event(appeal, clock()).start(clocks.PAY_INVOICE_SMALL)
        transaction.rollback()  # the event failed: neither the term nor its e-mail stays
    assert mail() == [] and AppealTerm.select().count() == 0
    with db.atomic():
        term = clocks._Event(appeal, clock()).start(clocks.PAY_INVOICE_SMALL)
    assert mail() == [("remind@example.ru", "Ваш шаг: оплатить счет до 16.01.2026")]
    assert "пп. 105–106" in Notification.get().body_text
    assert AppealTerm.get_by_id(term.id).applicant_started_sent_at == clock()
    with db.atomic():
        clocks._Event(appeal, clock()).start(clocks.POST_OFFER_SMALL)  # the grid's: no e-mail
    assert len(mail()) == 1


def test_running_twice_or_at_once_writes_each_reminder_once(clock, person, app):
    appeals = [sent_appeal(person, complies=True) for _ in range(3)]
    for appeal in appeals:
        open_term(appeal, clocks.POST_OFFER_SMALL, (2026, 1, 12))
        open_term(appeal, clocks.PAY_INVOICE_SMALL, (2026, 1, 12))
    clock.set(2025, 12, 30, 9, 0)
    errors = []

    def run():
        try:
            with app.app_context(), db.connection_context():
                reminders.send_due(clock(), batch=1)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tasks.send_reminders()
    per_term = {}
    for row in Notification.select():
        per_term[(row.appeal_id, row.subject)] = per_term.get((row.appeal_id, row.subject), 0) + 1
    assert len(per_term) == 6 and set(per_term.values()) == {1}


def test_a_crash_mid_run_loses_no_reminder_and_sends_none_twice(clock, person, monkeypatch):
    """The run dies while writing its second batch (as a killed consumer would): that
    batch's marks roll back with its rows; the next run writes exactly the missing ones,
    and the SMTP server receives each reminder once (by Message-ID)."""
    smtp = SmtpServer()
    smtp.start()
    monkeypatch.setitem(tasks._settings, "smtp_url", f"smtp://127.0.0.1:{smtp.port}")
    try:
        appeals = [sent_appeal(person, complies=True) for _ in range(5)]
        terms = [open_term(appeal, clocks.POST_OFFER_SMALL, (2026, 1, 12)) for appeal in appeals]
        clock.set(2025, 12, 30, 9, 0)
        real_write, calls = reminders._write, []

        def dies_on_the_third(kind, term):
            calls.append(term.id)
            if len(calls) == 3:
                raise SystemExit("consumer killed")
            real_write(kind, term)
        monkeypatch.setattr(reminders, "_write", dies_on_the_third)
        with pytest.raises(SystemExit):
            reminders.send_due(clock(), batch=2)
        marked = AppealTerm.select().where(AppealTerm.reminded_before_at.is_null(False)).count()
        assert marked == 2 == Notification.select().count()  # the first batch only
        monkeypatch.setattr(reminders, "_write", real_write)
        assert tasks.send_reminders() == 3
        assert tasks.send_reminders() == 0
        per_term = {}
        for row in Notification.select():
            per_term[row.appeal_id] = per_term.get(row.appeal_id, 0) + 1
        assert per_term == {t.appeal_id: 1 for t in terms}
        counts = smtp.sink.counts()
        assert len(counts) == 5 and set(counts.values()) == {1}
    finally:
        smtp.stop()
