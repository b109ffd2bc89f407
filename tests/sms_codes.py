"""The SMS codes of the signing tests: read from the SMS outbox, and aged as time would."""
import re

from domain.outbox import sms
from models import SmsCode

CODE = re.compile(r"\b(\d{6})\b")


def sms_codes(app, phone) -> list[str]:
    """The six-digit codes sent to `phone` so far, oldest first (the app's SMS outbox)."""
    return [CODE.search(r["text"]).group(1)
            for r in sms.read_outbox(app.config["SMS_OUTBOX"]) if r["to"] == phone]


def age_codes(delta):
    """Move every SMS code back in time, as if `delta` had passed."""
    for row in SmsCode.select():
        SmsCode.update(created_at=row.created_at - delta, expires_at=row.expires_at - delta
                       ).where(SmsCode.id == row.id).execute()
