"""Transport for one outbox row: e-mail through mailer, SMS through the SMS gateway."""
from domain.outbox.mailer import build_message, send
from domain.outbox import secrets
from domain.outbox.sms import send_sms
from models import Notification, Organization


def deliver(row: Notification, settings: dict, on_accepted=lambda: None):
    """Send the row over its channel; raises on any transport failure.

    on_accepted() runs the moment the transport has taken the message (the SMTP server's
    answer to DATA, the SMS gateway's answer, the outbox file in place), before anything
    else, so the row's sent mark cannot fall behind other work."""
    if row.channel == Notification.SMS:
        send_sms(row.recipient, secrets.reveal(row.body_text, row.secrets), settings)
        on_accepted()
        return
    msg = build_message(sender_name=settings.get("sender_name") or sender_name(),
                        sender=settings.get("mail_from", "info@so-online.ru"),
                        recipient=row.recipient, subject=row.subject,
                        text=secrets.reveal(row.body_text, row.secrets),
                        html=secrets.reveal(row.body_html, row.secrets))
    # One Message-ID per outbox row: should a crash fall between the SMTP server's "250 OK"
    # and the row being marked sent, the repeat carries the same id and mail systems
    # can drop it as a duplicate.
    domain = msg["Message-ID"].rsplit("@", 1)[-1].rstrip(">")
    msg.replace_header("Message-ID", f"<outbox-{row.id}-{row.created_at:%Y%m%d%H%M%S}@{domain}>")
    send(msg, settings.get("smtp_url"), settings.get("outbox_dir", "outbox"),
         on_accepted=on_accepted)


def sender_name() -> str:
    """«Личный кабинет <grid company>», the display name of every notification."""
    grid = Organization.grid()
    return f"Личный кабинет {grid.name}" if grid else "Личный кабинет"
