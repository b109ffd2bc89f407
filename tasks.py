"""The huey queue and its tasks: delivery of outbox notifications (e-mail, SMS).

Tasks bind at import, so the huey instance lives here; it is SqliteHuey in instance/
by default and RedisHuey when REDIS_URL is set. Tasks take ids, never objects.
"""
import datetime as dt
import logging
import threading
import time

from huey import RedisHuey, SqliteHuey, crontab
from peewee import fn

import config
from domain.deadlines import corrections, recompute, reminders
from domain.files import storage, uploads
from domain.outbox import delivery, notify
from models import Notification, connect_database, db, utcnow

log = logging.getLogger(__name__)

# Nobody reads task results: storing them would only fill Redis (or the queue file).
if config.redis_url():
    huey = RedisHuey("portal", url=config.redis_url(), results=False)
else:
    huey = SqliteHuey("portal", filename=str(config.instance_dir() / "queue.sqlite3"),
                      results=False)

# Growing pauses between delivery attempts; after the last one the row waits for an admin.
# Read at call time, so tests may swap in short delays.
RETRY_DELAYS = [10, 30, 60, 300, 900, 3600]
# A sender holds a row for CLAIM_SECONDS and renews the claim every CLAIM_RENEW_SECONDS
# while its transport works: a crashed consumer's rows are free again within seconds, a
# slow SMTP server never lets a second sender in.
CLAIM_SECONDS = 10
CLAIM_RENEW_SECONDS = 3
# The sweep leaves rows alone for this long after they became due: their own enqueue (after
# commit) or scheduled retry normally takes them first.
SWEEP_GRACE_SECONDS = 10
# A sweep that sees rows becoming due within this many seconds runs again when they do,
# rather than at the next minute.
SWEEP_AHEAD_SECONDS = 60

_settings = {}


def configure(settings: dict):
    """Called by the app factory: what delivery needs (SMTP URL, outbox, sender) and where
    the housekeeping finds the stored files."""
    _settings.update(settings)
    if settings.get("storage_dir"):
        storage.configure(settings["storage_dir"])


def settings_from_environment() -> dict:
    """Delivery settings from the same environment variables the web app reads."""
    cfg = config.Config()
    return {"smtp_url": cfg.SMTP_URL, "mail_from": cfg.MAIL_FROM, "outbox_dir": cfg.OUTBOX_DIR,
            "sms_url": cfg.SMS_URL, "sms_outbox": cfg.SMS_OUTBOX, "sender_name": "",
            "storage_dir": cfg.STORAGE_DIR}


@huey.on_startup()
def _open_db():
    """A consumer process outside the web app binds the database and reads its settings.

    (`huey_consumer tasks.huey` never runs the app factory: without this its e-mails
    went to a relative ./outbox folder instead of SMTP_URL.)"""
    if db.obj is None:
        connect_database(config.database_url())
    if not _settings:
        configure(settings_from_environment())


@huey.on_startup()
def _sweep_at_start():
    """A consumer that (re)starts looks for rows a crashed one left behind at once."""
    if not huey.immediate:
        sweep_soon()


def _claim(notification_id: int) -> bool:
    """Take the row for sending; False when it is sent, another sender holds it, or its
    next attempt is not due yet (a duplicate enqueue after a failure must not spend the
    attempts the retry schedule has left)."""
    now = utcnow()
    claimed = (Notification.update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
               .where((Notification.id == notification_id) & Notification.sent_at.is_null()
                      & (Notification.next_attempt_at <= now)
                      & (Notification.claimed_until.is_null() | (Notification.claimed_until < now)))
               .execute())
    return claimed == 1


class ClaimKeeper:
    """Renews a row's claim from a thread of its own while the transport works.

    The claim lapses CLAIM_SECONDS after the sender dies, whatever the transport was doing;
    while the sender lives, the claim never lapses under it."""

    def __init__(self, notification_id: int):
        self.notification_id = notification_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True,
                                        name=f"claim-{notification_id}")

    def _renew(self):
        while not self._stop.wait(CLAIM_RENEW_SECONDS):
            with db.connection_context():
                until = utcnow() + dt.timedelta(seconds=CLAIM_SECONDS)
                (Notification.update(claimed_until=until)
                 .where((Notification.id == self.notification_id)
                        & Notification.sent_at.is_null()).execute())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _mark_sent(row: Notification):
    """The transport accepted the row: record it before anything else happens."""
    (Notification.update(attempts=row.attempts + 1, sent_at=utcnow(), claimed_until=None,
                         last_error="", secrets="")  # a sent code or link is wiped
     .where(Notification.id == row.id).execute())


def _record_failure(row: Notification, exc: Exception):
    """Count the failed attempt and schedule the next one after a growing pause."""
    attempt = row.attempts + 1
    delay = RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)]
    (Notification.update(attempts=attempt, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                         claimed_until=None,
                         next_attempt_at=utcnow() + dt.timedelta(seconds=delay))
     .where(Notification.id == row.id).execute())
    log.warning("notification %s failed (attempt %s): %s", row.id, attempt, exc)
    if attempt < len(RETRY_DELAYS) and not huey.immediate:
        deliver_notification.schedule((row.id,), delay=delay)


@huey.task()
def deliver_notification(notification_id: int):
    """Send one outbox row; on failure schedule a later attempt.

    At least once, never twice by design: the claim lets one sender through, and the sent
    mark is written the moment the transport accepts the message (before the SMTP QUIT),
    so only a crash inside that instant can repeat it, with the same Message-ID."""
    with db.connection_context():
        if not _claim(notification_id):
            return
        row = Notification.get_by_id(notification_id)
        accepted = []

        def on_accepted():
            _mark_sent(row)
            accepted.append(True)
        try:
            with ClaimKeeper(notification_id):
                delivery.deliver(row, _settings, on_accepted)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            if accepted:  # e.g. the connection broke after the server took the message
                log.warning("notification %s: %s after the transport accepted it",
                            notification_id, exc)
                return
            _record_failure(row, exc)


def pending_ids(limit: int = 500, grace_seconds: float | None = None) -> list[int]:
    """Unsent rows due for at least the grace period that no sender holds, oldest first."""
    now = utcnow()
    grace = SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    due = now - dt.timedelta(seconds=grace)
    query = (Notification.select(Notification.id)
             .where(Notification.sent_at.is_null() & (Notification.next_attempt_at <= due)
                    & (Notification.attempts < len(RETRY_DELAYS))
                    & (Notification.claimed_until.is_null() | (Notification.claimed_until < now)))
             .order_by(Notification.id).limit(limit))
    return [row.id for row in query]


def next_due_in() -> float | None:
    """Seconds until the next unsent row becomes sweepable (a claim lapses, a retry's
    grace ends), if one does within SWEEP_AHEAD_SECONDS; None otherwise."""
    now = utcnow()
    horizon = now + dt.timedelta(seconds=SWEEP_AHEAD_SECONDS)
    grace = dt.timedelta(seconds=SWEEP_GRACE_SECONDS)
    unsent = Notification.sent_at.is_null() & (Notification.attempts < len(RETRY_DELAYS))
    claim = (Notification.select(fn.MIN(Notification.claimed_until))
             .where(unsent & (Notification.claimed_until >= now)
                    & (Notification.claimed_until <= horizon)).scalar())
    retry = (Notification.select(fn.MIN(Notification.next_attempt_at))
             .where(unsent & Notification.claimed_until.is_null()
                    & (Notification.next_attempt_at > now - grace)
                    & (Notification.next_attempt_at <= horizon - grace)).scalar())
    moments = [m for m in (claim, retry + grace if retry else None) if m]
    if not moments:
        return None
    return max(0.0, (min(moments) - now).total_seconds())


_sweep_lock = threading.Lock()
_sweep_scheduled_at = 0.0  # monotonic time of the follow-up sweep this process scheduled


def _schedule_follow_up(delay: float):
    """One follow-up sweep at a time per process, at the earliest moment asked for."""
    global _sweep_scheduled_at
    when = time.monotonic() + delay
    with _sweep_lock:
        if time.monotonic() < _sweep_scheduled_at <= when:
            return
        _sweep_scheduled_at = when
    sweep_soon.schedule(delay=delay + 0.5)


def sweep() -> int:
    """Re-queue rows left unsent by a crashed consumer, a lost Redis or a missed enqueue;
    come back as soon as more become due. Returns how many rows were queued."""
    with db.connection_context():
        ids = pending_ids()
        wait = next_due_in()
    for notification_id in ids:
        deliver_notification(notification_id)
    if wait is not None and not huey.immediate:
        _schedule_follow_up(wait)
    return len(ids)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox():
    """Every minute: the sweep."""
    return sweep()


@huey.task()
def sweep_soon():
    """The sweep, run when rows become due between the minutes."""
    return sweep()


def enqueue(notification_id: int) -> bool:
    """Queue delivery of a committed row; False (logged) when the queue is unreachable.

    The row is safe in the database either way: the periodic sweep sends it later."""
    try:
        deliver_notification(notification_id)
        return True
    except Exception:  # noqa: BLE001 - Redis down, queue file locked: the sweep recovers
        log.exception("could not queue notification %s; the sweep will send it", notification_id)
        return False


@huey.periodic_task(crontab(minute="17"))
def sweep_abandoned_uploads():
    """Hourly: delete uploaded files whose form was never saved (older than a day)."""
    with db.connection_context():
        return uploads.sweep_pending()


def _app_context():
    """The web app's context (set by the app factory through configure()): the reminders'
    e-mails are rendered with its templates and links on its BASE_URL."""
    return _settings["app"].app_context()


def send_reminders() -> int:
    """Write the reminders due now (domain/deadlines/reminders.py); safe to run twice.
    Without the web app (a consumer started as `tasks.huey`) nothing is marked: the
    reminders wait for a consumer started as `huey_consumer run.huey`."""
    if _settings.get("app") is None:
        log.error("reminders need the app: start the consumer as `huey_consumer run.huey`")
        return 0
    with _app_context(), db.connection_context():
        return reminders.send_due()


@huey.periodic_task(crontab(minute="*/5"))
def remind_terms():
    """Every five minutes: the terms' reminders."""
    return send_reminders()


@huey.task()
def recompute_terms():
    """The open terms' due dates recounted after a calendar correction."""
    with db.connection_context():
        return recompute.recompute_open_terms()


def enqueue_recompute() -> bool:
    """Queue the recount; False (logged) when the queue is unreachable: the correction is
    committed, and the next correction (or `recompute_terms()` by hand) recounts."""
    try:
        recompute_terms()
        return True
    except Exception:  # noqa: BLE001 - Redis down, queue file locked
        log.exception("could not queue the recount of the open terms")
        return False


notify.set_dispatcher(enqueue)
corrections.set_dispatcher(enqueue_recompute)
