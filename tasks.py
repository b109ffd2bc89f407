"""The huey queue and its tasks: delivery of outbox notifications (e-mail, SMS).

Tasks bind at import, so the huey instance lives here; it is SqliteHuey in instance/
by default and RedisHuey when REDIS_URL is set. Tasks take ids, never objects.
"""
import datetime as dt
import logging

from huey import RedisHuey, SqliteHuey, crontab

import config
from domain.files import storage, uploads
from domain.outbox import delivery, notify
from models import Notification, connect_database, db, utcnow

log = logging.getLogger(__name__)

if config.redis_url():
    huey = RedisHuey("portal", url=config.redis_url())
else:
    huey = SqliteHuey("portal", filename=str(config.instance_dir() / "queue.sqlite3"))

# Growing pauses between delivery attempts; after the last one the row waits for an admin.
# Read at call time, so tests may swap in short delays.
RETRY_DELAYS = [10, 30, 60, 300, 900, 3600]
CLAIM_SECONDS = 300
# The sweep leaves rows alone for this long after they became due: their own enqueue (after
# commit) or scheduled retry normally takes them first, and re-queuing a backlog every
# minute would only fill the queue with tasks that find the row claimed.
SWEEP_GRACE_SECONDS = 30

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


def _claim(notification_id: int) -> bool:
    """Take the row for sending; False when it is sent or another sender holds it."""
    now = utcnow()
    claimed = (Notification.update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
               .where((Notification.id == notification_id) & Notification.sent_at.is_null()
                      & (Notification.claimed_until.is_null() | (Notification.claimed_until < now)))
               .execute())
    return claimed == 1


@huey.task()
def deliver_notification(notification_id: int):
    """Send one outbox row exactly once; on failure schedule a later attempt."""
    with db.connection_context():
        if not _claim(notification_id):
            return "skipped"
        row = Notification.get_by_id(notification_id)
        try:
            delivery.deliver(row, _settings)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            attempt = row.attempts + 1
            delay = RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)]
            (Notification.update(attempts=attempt, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                                 claimed_until=None,
                                 next_attempt_at=utcnow() + dt.timedelta(seconds=delay))
             .where(Notification.id == notification_id).execute())
            log.warning("notification %s failed (attempt %s): %s", notification_id, attempt, exc)
            if attempt < len(RETRY_DELAYS) and not huey.immediate:
                deliver_notification.schedule((notification_id,), delay=delay)
            return "failed"
        (Notification.update(attempts=row.attempts + 1, sent_at=utcnow(), claimed_until=None,
                             last_error="")
         .where(Notification.id == notification_id).execute())
        return "sent"


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


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox():
    """Re-queue rows left unsent by a crashed consumer, a lost Redis or a missed enqueue."""
    with db.connection_context():
        ids = pending_ids()
    for notification_id in ids:
        deliver_notification(notification_id)
    return len(ids)


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


notify.set_dispatcher(enqueue)
