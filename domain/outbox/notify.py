"""The outbox: notifications are rows written in the event's transaction, sent after commit.

Callers create rows inside their `db.atomic()` block with email()/sms(); the app's
after-request hook (or an explicit flush()) queues delivery once the data is committed.
A periodic sweep in tasks.py catches anything whose enqueue was lost.

The queue lives in tasks.py, which imports the domain: it hands its enqueue function in
through set_dispatcher() when it is imported (the app factory imports it), so the domain
never imports the queue. Without a dispatcher the rows simply wait for the sweep.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from flask import g, has_app_context, render_template

from domain.outbox import secrets
from models import Notification

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS = ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
          "сентября", "октября", "ноября", "декабря"]


def sent_line(moment: dt.datetime | None = None) -> str:
    """'четверг, 6 августа 2020 г. 06:28 (МСК)' as the manual's e-mails end."""
    moment = (moment or dt.datetime.now(dt.timezone.utc)).astimezone(MOSCOW)
    return (f"{WEEKDAYS[moment.weekday()]}, {moment.day} {MONTHS[moment.month - 1]} "
            f"{moment.year} г. {moment:%H:%M} (МСК)")


def _pending() -> list:
    if has_app_context():
        if "outbox_pending" not in g:
            g.outbox_pending = []
        return g.outbox_pending
    return _fallback_pending


_fallback_pending: list = []
_dispatch = None  # tasks.enqueue, registered by tasks.py


def set_dispatcher(enqueue):
    """Register the function that queues delivery of one committed row (tasks.enqueue)."""
    global _dispatch
    _dispatch = enqueue


def render(template: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) of templates/email/<template>.*.

    The subject is plain text; the HTML part gets it as a value, autoescaped like every
    other value there (an included .txt template would not be escaped)."""
    context.setdefault("sent_line", sent_line())
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    return (subject, render_template(f"email/{template}.txt", **context),
            render_template(f"email/{template}.html", subject=subject, **context))


def email(recipient: str, template: str, *, appeal=None, secret_values: dict | None = None,
          **context) -> Notification | None:
    """Render templates/email/<template>.{txt,html} into an outbox row; None without a
    recipient. secret_values: {name: value} the context refers to by secrets.placeholder()."""
    if not recipient:
        return None
    subject, text, html = render(template, **context)
    row = Notification.create(channel=Notification.EMAIL, recipient=recipient, subject=subject,
                              appeal=appeal, body_text=text, body_html=html,
                              secrets=secrets.dumps(secret_values))
    _pending().append(row.id)
    return row


def sms(phone: str, text: str, secret_values: dict | None = None) -> Notification:
    """An SMS outbox row (text with secrets.placeholder()s for secret_values)."""
    row = Notification.create(channel=Notification.SMS, recipient=phone, body_text=text,
                              secrets=secrets.dumps(secret_values))
    _pending().append(row.id)
    return row


def flush():
    """Queue delivery of the rows created so far; call after their transaction committed.

    A queue that cannot be reached does not fail the request whose data is committed:
    the rows stay unsent in the outbox and the periodic sweep delivers them."""
    pending = _pending()
    ids, pending[:] = list(pending), []
    if _dispatch is None:
        return
    for notification_id in ids:
        _dispatch(notification_id)
