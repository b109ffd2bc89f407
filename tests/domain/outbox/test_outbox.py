"""Fault test of the outbox: a real SMTP server (aiosmtpd) that goes down and comes back,
a real huey consumer that is stopped midway and restarted, a queue that loses its tasks.

Every e-mail must arrive exactly once: none lost (the periodic sweep finds unsent rows),
none doubled (a sender claims a row before sending it).
"""
import asyncio
import collections
import datetime as dt
import signal
import socket
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

import tasks
from domain.outbox import notify
from models import Notification, User, db, utcnow
from tests.conftest import make_staff
from tests.data import PERSON

TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout=TIMEOUT, what="condition"):
    """Poll until condition() is truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.connection_context():
            value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Sink:
    """aiosmtpd handler counting received messages by their outbox Message-ID."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.lock = threading.Lock()
        self.messages = []
        # Set stall_after to hold every DATA after that many messages unanswered until
        # `released` is set (later ones pass): a client is provably in mid-delivery.
        self.stall_after = None
        self.stalled = 0
        self.released = threading.Event()
        # With drop_stalled a held DATA is refused once released (451): the server never
        # took the message its killed client sent.
        self.drop_stalled = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        if self.delay:
            await asyncio.sleep(self.delay)
        if (self.stall_after is not None and not self.released.is_set()
                and len(self.messages) >= self.stall_after):
            self.stalled += 1
            while not self.released.is_set():
                await asyncio.sleep(0.02)
            if self.drop_stalled:
                return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def counts(self):
        with self.lock:
            return collections.Counter(m["Message-ID"] for m in self.messages)

    def subjects(self):
        with self.lock:
            return collections.Counter(m["Subject"] for m in self.messages)


class SmtpServer:
    """A real SMTP server on a fixed free port that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.sink = Sink()
        self.controller = None

    def start(self):
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


class Consumer:
    """A real huey consumer (threads) in this process, started and stopped by the test."""

    def __init__(self):
        self.consumer = None

    def start(self):
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        self.consumer = tasks.huey.create_consumer(
            workers=2, worker_type="thread", periodic=False, scheduler_interval=1,
            initial_delay=0.02, backoff=1.15, max_delay=0.2)
        self.consumer.start()
        for sig, handler in handlers.items():  # keep Ctrl-C working for pytest
            signal.signal(sig, handler)

    def kill(self):
        """Stop without waiting for the workers to finish (as close to a crash as threads get)."""
        if self.consumer:
            self.consumer.stop(graceful=False)
            for _, worker in self.consumer.worker_threads:
                worker.join(timeout=TIMEOUT)
            self.consumer.scheduler.join(timeout=TIMEOUT)
            self.consumer = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def consumer(app, database, smtp, monkeypatch):
    """huey out of immediate mode, SMTP through the test server, short retry delays."""
    saved = dict(tasks._settings)
    tasks.configure({"smtp_url": f"smtp://127.0.0.1:{smtp.port}"})
    monkeypatch.setattr(tasks, "RETRY_DELAYS", [0.3, 0.5, 0.8, 1, 1, 1, 1, 1, 1, 1])
    monkeypatch.setattr(tasks, "SWEEP_GRACE_SECONDS", 0)
    tasks.huey.immediate = False
    tasks.huey.flush()
    worker = Consumer()
    yield worker
    worker.kill()
    tasks.huey.flush()
    tasks.huey.immediate = True
    tasks._settings.clear()
    tasks._settings.update(saved)


def queue_idle():
    """Nothing queued or scheduled any more."""
    return tasks.huey.pending_count() == 0 and tasks.huey.scheduled_count() == 0


def make_events(app, count, prefix, flush=True):
    """`count` e-mails written through the outbox API inside their event's transaction."""
    ids = []
    with app.test_request_context():
        with db.atomic():
            for n in range(count):
                row = notify.email(f"user{n}@example.ru", "account_confirmed",
                                   user=User(email=f"user{n}@example.ru"))
                Notification.update(subject=f"{prefix} {n}").where(
                    Notification.id == row.id).execute()
                ids.append(row.id)
        if flush:
            notify.flush()
        else:
            notify._pending().clear()  # the enqueue after commit is lost
    return ids


def message_ids(ids):
    """The Message-ID each outbox row is sent with."""
    rows = Notification.select().where(Notification.id.in_(ids))
    return {row.id: f"<outbox-{row.id}-{row.created_at:%Y%m%d%H%M%S}@so-online.ru>" for row in rows}


def assert_exactly_once(smtp, ids):
    expected = message_ids(ids)
    counts = smtp.sink.counts()
    assert {mid: counts.get(mid, 0) for mid in expected.values()} == \
        {mid: 1 for mid in expected.values()}
    assert all(n == 1 for n in counts.values()), counts


def confirm_through_back_office(app) -> User:
    """A clerk confirms a new applicant's account: a real request that writes an e-mail."""
    make_staff("clerk@kalinovsk-es.ru", "grid")
    clerk = app.test_client()
    clerk.post("/backoffice/login", data={"email": "clerk@kalinovsk-es.ru",
                                          "password": "Staff-pass1"})
    person = User.create(email=PERSON["email"], notify_email="notify@example.ru",
                         legal_form="fl", last_name="Иванов", password_hash="x")
    assert clerk.post(f"/backoffice/applicants/{person.id}/confirm").status_code == 302
    return person


def test_smtp_down_then_back_every_email_arrives_once(app, smtp, consumer):
    consumer.start()
    # SMTP is down: the event still commits, through a real back-office request as well.
    person = confirm_through_back_office(app)
    assert User.get_by_id(person.id).confirmed
    ids = make_events(app, 8, "Событие") + [
        Notification.get(Notification.recipient == "notify@example.ru").id]

    def all_failed_once():
        rows = list(Notification.select().where(Notification.id.in_(ids)))
        return all(r.sent_at is None and r.attempts >= 1 and r.last_error for r in rows)
    wait_for(all_failed_once, what="a failed attempt on every row")
    row = Notification.get_by_id(ids[0])
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at > row.created_at  # a later attempt is scheduled
    assert smtp.sink.counts() == {}

    # The server comes back: the scheduled retries (and the sweep) deliver each once.
    smtp.start()
    tasks.sweep_outbox.call_local()
    wait_for(lambda: Notification.select().where(Notification.id.in_(ids)
                                                 & Notification.sent_at.is_null()).count() == 0,
             what="every row sent")
    tasks.sweep_outbox.call_local()  # nothing left for it
    wait_for(queue_idle, what="the queue to drain")
    assert_exactly_once(smtp, ids)
    confirmed = [m for m in smtp.sink.messages if m["To"] == "notify@example.ru"]
    assert confirmed[0]["Subject"] == "Уведомление: учетная запись подтверждена"
    assert all(r.last_error == "" for r in Notification.select().where(Notification.id.in_(ids)))


def test_retry_delays_grow_and_stop_after_the_last(app, smtp, consumer, monkeypatch):
    monkeypatch.setattr(tasks, "RETRY_DELAYS", [0.2, 0.4, 0.6])
    consumer.start()
    [nid] = make_events(app, 1, "Не дойдет")
    wait_for(lambda: Notification.get_by_id(nid).attempts == 3, what="three attempts")
    wait_for(queue_idle, what="no further retries queued")
    row = Notification.get_by_id(nid)
    assert row.sent_at is None and row.attempts == 3 and row.last_error
    # After the last delay the row waits for «Отправить повторно»: the sweep leaves it alone.
    assert nid not in tasks.pending_ids(grace_seconds=0)
    smtp.start()
    assert tasks.sweep_outbox.call_local() == 0


def test_consumer_killed_midway_and_queue_lost_loses_nothing(app, smtp, consumer):
    smtp.sink.delay = 0.05  # slow enough to stop the consumer in the middle
    smtp.start()
    ids = make_events(app, 30, "Письмо")
    consumer.start()
    wait_for(lambda: len(smtp.sink.messages) >= 3, what="the first deliveries")
    consumer.kill()
    sent_before = Notification.select().where(Notification.id.in_(ids)
                                              & Notification.sent_at.is_null(False)).count()
    assert 0 < sent_before < len(ids)

    # What a crash leaves behind: the queue's tasks are gone (a lost Redis), one row is
    # claimed by a worker that died holding it, and some rows were never enqueued at all.
    tasks.huey.flush()
    unsent = [r.id for r in Notification.select().where(Notification.id.in_(ids)
                                                         & Notification.sent_at.is_null())
              .order_by(Notification.id)]
    Notification.update(claimed_until=utcnow() - dt.timedelta(seconds=1)).where(
        Notification.id == unsent[-1]).execute()
    never_queued = make_events(app, 5, "Без очереди", flush=False)
    held = Notification.create(recipient="held@example.ru", subject="Держит другой",
                               body_text="t", claimed_until=utcnow() + dt.timedelta(seconds=2))
    all_ids = ids + never_queued + [held.id]

    consumer.start()
    assert tasks.sweep_outbox.call_local() == len(unsent) + len(never_queued)
    # A storm of duplicate enqueues changes nothing: the claim lets one sender through.
    for nid in unsent + never_queued:
        tasks.deliver_notification(nid)
    wait_for(lambda: Notification.select().where(Notification.id.in_(all_ids[:-1])
                                                 & Notification.sent_at.is_null()).count() == 0,
             what="every row sent after the restart")
    # The row another sender held is left alone until its claim expires, then swept.
    assert Notification.get_by_id(held.id).sent_at is None
    wait_for(lambda: tasks.sweep_outbox.call_local() == 1, what="the expired claim")
    wait_for(lambda: Notification.get_by_id(held.id).sent_at is not None, what="the held row")
    wait_for(queue_idle, what="the queue to drain")
    assert_exactly_once(smtp, all_ids)
    assert len(smtp.sink.messages) == len(all_ids)


def test_queue_unreachable_does_not_fail_the_request(app, monkeypatch, mailbox):
    """A lost queue (Redis down) at enqueue time: the request succeeds, the sweep sends later."""
    def broken(_id):
        raise ConnectionError("redis down")
    monkeypatch.setattr(tasks, "deliver_notification", broken)
    confirm_through_back_office(app)
    row = Notification.get(Notification.recipient == "notify@example.ru")
    assert row.sent_at is None and mailbox.to("notify@example.ru") == []
    monkeypatch.undo()
    monkeypatch.setattr(tasks, "SWEEP_GRACE_SECONDS", 0)
    assert tasks.pending_ids() == [row.id]
    tasks.sweep_outbox.call_local()
    assert Notification.get_by_id(row.id).sent_at is not None
    assert len(mailbox.to("notify@example.ru")) == 1
