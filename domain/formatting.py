"""Jinja filters and globals shared by the portal, the back office and e-mails."""
import datetime as dt
from zoneinfo import ZoneInfo

from domain.identifiers import format_phone
from domain.signing import kep

MOSCOW = ZoneInfo("Europe/Moscow")


def msk(value: dt.datetime | None, fmt: str = "%d.%m.%Y, %H:%M") -> str:
    """A stored naive-UTC time shown in Moscow time ('30.07.2020, 22:49')."""
    if not value:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(MOSCOW).strftime(fmt)


def msk_date(value: dt.datetime | None) -> str:
    return msk(value, "%d.%m.%Y")


def file_size_mb(size: int | None) -> str:
    """'0.0мб' as the manual's upload list shows sizes."""
    return f"{(size or 0) / (1024 * 1024):.1f}мб"


def phone_text(value: str | None) -> str:
    """A stored E.164 number as people read it ('+7 912 978-01-13'); anything unparsable
    (legacy or imported data) as it is."""
    try:
        return format_phone(value) if value else ""
    except Exception:  # noqa: BLE001 - legacy or imported data
        return value


def init_app(app):
    app.jinja_env.filters.update(msk=msk, msk_date=msk_date, mb=file_size_mb, phone=phone_text)
    app.jinja_env.globals.update(signature_file_types=kep.SIGNATURE_FILE_TYPES)
