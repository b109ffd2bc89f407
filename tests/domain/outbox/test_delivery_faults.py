# ruff: noqa: F811 - the fixtures imported from test_outbox are used as arguments
"""Issue 14: the queue under faults. No stored task results; a killed consumer's rows are
sent again within seconds; the sent mark is written in the step the transport accepts."""
import datetime as dt
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tasks
from domain.deadlines import clocks
from models import AppealTerm, Notification, Organization, db, utcnow
from tests.casework_helpers import applicant_user, sent_appeal
from tests.domain.outbox.test_outbox import (  # noqa: F401 - fixtures
    consumer, make_events, queue_idle, smtp, wait_for,
)

pytestmark = pytest.mark.usefixtures("database")

ROOT = Path(__file__).resolve().parents[3]


def test_delivered_tasks_leave_no_results_in_the_queue(app, smtp, consumer):
    smtp.start()
    consumer.start()
    ids = make_events(app, 10, "Без результата")
    wait_for(lambda: Notification.select().where(Notification.id.in_(ids)
                                                 & Notification.sent_at.is_null()).count() == 0,
             what="every row sent")
    wait_for(queue_idle, what="the queue to drain")
    assert tasks.huey.storage.result_store_size() == 0


def test_sent_mark_is_written_when_the_server_accepts_before_quit(app, smtp, monkeypatch):
    """The QUIT after DATA fails (the connection breaks): the row is sent already and is
    neither retried nor counted as an error; and it was marked before QUIT was sent."""
    smtp.start()
    monkeypatch.setitem(tasks._settings, "smtp_url", f"smtp://127.0.0.1:{smtp.port}")
    seen_at_quit = []

    real_docmd = smtplib.SMTP.docmd

    def quit_breaks(self, cmd, args=""):
        if cmd.upper() != "QUIT":
            return real_docmd(self, cmd, args)
        with db.connection_context():
            seen_at_quit.append(Notification.select(Notification.sent_at).scalar())
        raise ConnectionResetError("connection lost after DATA")
    monkeypatch.setattr(smtplib.SMTP, "docmd", quit_breaks)
    [nid] = make_events(app, 1, "Принято")  # immediate mode: delivered right here
    row = Notification.get_by_id(nid)
    assert seen_at_quit and seen_at_quit[0] is not None
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert [m["Subject"] for m in smtp.sink.messages] == ["Принято 0"]


def _start_consumer_process(smtp_port: int) -> subprocess.Popen:
    """`huey_consumer run.huey` as the scaled layout runs it, on this test's database."""
    env = dict(os.environ, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    return subprocess.Popen(
        [sys.executable, "-m", "huey.bin.huey_consumer", "run.huey", "-w", "2", "-k", "thread",
         "-d", "0.05", "-m", "0.2", "-s", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(smtp, *processes):
    """Release the test server's held DATA, end the consumer processes still running,
    empty the queue."""
    smtp.sink.released.set()
    for process in processes:
        if process and process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
    tasks.huey.flush()


def test_killed_consumers_rows_are_sent_again_within_30_seconds(app, smtp, monkeypatch):
    smtp.sink.stall_after = 2  # the third DATA stays unanswered: the kill lands mid-delivery
    smtp.start()
    monkeypatch.setattr(tasks.huey, "immediate", False)
    tasks.huey.flush()
    first = _start_consumer_process(smtp.port)
    second = None
    try:
        ids = make_events(app, 12, "После сбоя")
        wait_for(lambda: smtp.sink.stalled >= 1, what="two deliveries and one in flight")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        with db.connection_context():
            held = Notification.select().where(Notification.id.in_(ids)
                                               & Notification.sent_at.is_null()
                                               & Notification.claimed_until.is_null(False)).count()
        smtp.sink.released.set()
        second = _start_consumer_process(smtp.port)
        wait_for(lambda: Notification.select().where(Notification.id.in_(ids)
                                                     & Notification.sent_at.is_null()).count() == 0,
                 timeout=30, what="every row sent after the crash")
        recovered_in = time.monotonic() - killed_at
    finally:
        _stop(smtp, first, second)
    assert held >= 1, "the kill should have left a claimed row behind"
    assert recovered_in < 30
    counts = smtp.sink.counts()
    assert len(counts) == len(ids)  # none lost
    # At least once: a message the server accepted in the very instant of the kill may
    # come again, with the same Message-ID; nothing else is doubled.
    assert sum(n - 1 for n in counts.values()) <= 2


def _overdue_offer_terms(email: str, count: int) -> list[int]:
    """`count` offer-path applications of one applicant whose grid company's term ended
    yesterday, the grid company's inbox set: each owes «Просрочен срок» to that inbox."""
    Organization.update(inbox_email="tp@kalinovsk-es.ru").where(
        Organization.kind == Organization.GRID).execute()
    person = applicant_user(email, confirmed=True)
    return [AppealTerm.create(appeal=sent_appeal(person, complies=True),
                              rule_code=clocks.POST_OFFER_SMALL, who="grid",
                              started_at=utcnow() - dt.timedelta(days=20),
                              due_at=utcnow() - dt.timedelta(days=1)).id
            for _ in range(count)]


def test_a_stand_alone_consumer_renders_and_sends_the_terms_reminders(app, smtp, monkeypatch):
    """`huey_consumer run.huey` builds the app, so the reminders (rendered by the periodic
    task, not in a request) reach the organisation's inbox from a separate process."""
    smtp.start()
    monkeypatch.setattr(tasks.huey, "immediate", False)
    tasks.huey.flush()
    with app.app_context(), db.connection_context():
        _overdue_offer_terms("standalone@example.ru", 1)
    tasks.remind_terms()  # queued: the consumer process runs it
    process = _start_consumer_process(smtp.port)
    try:
        wait_for(lambda: smtp.sink.subjects()["Просрочен срок: Разместить условия договора, "
                                              "технические условия и счет"] == 1,
                 timeout=30, what="the reminder sent by the stand-alone consumer")
    finally:
        _stop(smtp, process)
    [message] = smtp.sink.messages
    assert message["To"] == "tp@kalinovsk-es.ru"


def test_killed_consumer_while_reminders_are_due_loses_none_and_doubles_none(app, smtp,
                                                                              monkeypatch):
    """Twelve overdue terms; the consumer writes their reminders and is killed with one in
    the middle of delivery; a second consumer (and a second run of the task) finishes: one
    reminder row per term, each received once by its Message-ID."""
    smtp.sink.stall_after, smtp.sink.drop_stalled = 2, True
    smtp.start()
    monkeypatch.setattr(tasks.huey, "immediate", False)
    tasks.huey.flush()
    with app.app_context(), db.connection_context():
        terms = _overdue_offer_terms("killed@example.ru", 12)
    reminders_sent = (Notification.subject.startswith("Просрочен срок")
                      & Notification.sent_at.is_null(False))
    tasks.remind_terms()
    first, second = _start_consumer_process(smtp.port), None
    try:
        wait_for(lambda: smtp.sink.stalled >= 1, what="reminders written, one in delivery")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        smtp.sink.released.set()
        tasks.remind_terms()  # the next period runs the task again
        second = _start_consumer_process(smtp.port)
        wait_for(lambda: Notification.select().where(reminders_sent).count() == 12,
                 timeout=30, what="every reminder sent after the crash")
        wait_for(lambda: len(smtp.sink.messages) >= 12, what="the messages received")
    finally:
        _stop(smtp, first, second)
    with db.connection_context():
        assert Notification.select().where(
            Notification.subject.startswith("Просрочен срок")).count() == 12
        assert AppealTerm.select().where(AppealTerm.id.in_(terms)
                                         & AppealTerm.reminded_overdue_at.is_null()).count() == 0
    assert len(smtp.sink.counts()) == 12 and set(smtp.sink.counts().values()) == {1}
