"""Transport for one outbox row: e-mail through mailer, SMS through the SMS gateway."""
from mailer import build_message, send
from models import Notification


def deliver(row: Notification, settings: dict):
    """Send the row over its channel; raises on any transport failure."""
    if row.channel == Notification.SMS:
        from sms import send_sms
        send_sms(row.recipient, row.body_text, settings)
        return
    msg = build_message(sender_name=settings.get("sender_name", ""),
                        sender=settings.get("mail_from", "info@so-online.ru"),
                        recipient=row.recipient, subject=row.subject,
                        text=row.body_text, html=row.body_html)
    send(msg, settings.get("smtp_url"), settings.get("outbox_dir", "outbox"))
