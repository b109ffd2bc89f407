"""A calendar correction recounts the due dates of the open terms (through the queue, here
in immediate mode) and leaves the ended ones alone; a term moved later is reminded again."""
import datetime as dt

import pytest

from tasks import send_reminders
from domain.deadlines import clocks, recompute
from domain.deadlines.corrections import add_correction, delete_correction
from models import Appeal, AppealTerm, Notification, Organization, TermRule
from tests.casework_helpers import applicant_user, sent_appeal, staff
from tests.frozen_clock import due, freeze

pytestmark = pytest.mark.usefixtures("database")

SENT = dt.datetime(2025, 12, 30, 13, 0)  # 16:00 in Moscow: the 10th working day is 23.01.2026


@pytest.fixture
def clock(monkeypatch, app):
    frozen = freeze(monkeypatch)
    with app.app_context():
        Organization.update(inbox_email="tp@kalinovsk-es.ru").where(
            Organization.kind == Organization.GRID).execute()
        yield frozen


def term(appeal, state=AppealTerm.OPEN, **marks):
    return AppealTerm.create(appeal=appeal, rule_code=clocks.POST_OFFER_SMALL,
                             who=TermRule.GRID, started_at=SENT, due_at=due(2026, 1, 23),
                             state=state, **marks)


def due_of(row):
    return AppealTerm.get_by_id(row.id).due_at


def test_a_correction_moves_the_open_terms_and_leaves_the_ended_ones(clock):
    clock.set(2026, 1, 15, 10, 0)
    appeal = sent_appeal(applicant_user("recount@example.ru"), complies=True)
    running, done = term(appeal), term(appeal, state=AppealTerm.DONE)
    admin = staff("admin")
    correction = add_correction("22.01.2026", "off", "Авария на подстанции", actor=admin)
    assert due_of(running) == due(2026, 1, 26)  # Friday 23.01 is now the 10th: Monday 26.01
    assert due_of(done) == due(2026, 1, 23)
    # The lists' «Срок» (the appeal's copy of its earliest open term) moves with it.
    assert Appeal.get_by_id(appeal.id).term_due_at == due(2026, 1, 26)
    delete_correction(correction, actor=admin)
    assert due_of(running) == due(2026, 1, 23)
    assert Appeal.get_by_id(appeal.id).term_due_at == due(2026, 1, 23)
    add_correction("10.01.2026", "working", "Рабочая суббота", actor=admin)
    assert due_of(running) == due(2026, 1, 22)


def test_a_term_moved_later_is_reminded_again_with_its_new_date(clock):
    appeal = sent_appeal(applicant_user("again@example.ru"), complies=True)
    clock.set(2026, 1, 22, 9, 0)
    reminded = term(appeal)
    assert send_reminders() == 1
    add_correction("23.01.2026", "off", "Авария", actor=staff("admin"))
    assert due_of(reminded) == due(2026, 1, 26)
    assert AppealTerm.get_by_id(reminded.id).reminded_before_at is None
    # 23.01 is a day off now: 22.01 is the working day before 26.01, so the reminder is due
    # again at once, with the new date; then not again
    assert send_reminders() == 1 and send_reminders() == 0
    assert ["до 26.01.2026" in n.body_text for n in Notification.select()
            .order_by(Notification.id)] == [False, True]


def test_an_overdue_term_moved_past_now_is_no_longer_marked_overdue(clock):
    appeal = sent_appeal(applicant_user("late@example.ru"), complies=True)
    clock.set(2026, 1, 24, 9, 0)
    late = term(appeal, reminded_before_at=SENT, reminded_overdue_at=SENT)
    assert recompute.recompute_open_terms(clock()) == 0  # nothing changed: marks stay
    add_correction("21.01.2026", "off", "Авария", actor=staff("admin"))
    row = AppealTerm.get_by_id(late.id)
    assert row.due_at == due(2026, 1, 26)
    assert (row.reminded_before_at, row.reminded_overdue_at) == (None, None)
