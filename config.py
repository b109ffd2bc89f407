"""Configuration read from environment variables, with an embedded SQLite default.

Every deployment choice (database, queue, mail transport, SMS gateway) is made here
by configuration alone; code never changes between the embedded and the scaled layout.
"""
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent


def instance_dir() -> Path:
    """The folder for local state (database, queue, outbox, files); created on demand."""
    path = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _persistent_secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def storage_dir() -> str:
    """Where uploaded and generated files live (outside the web root)."""
    return os.environ.get("STORAGE_DIR") or str(instance_dir() / "files")


def base_url() -> str:
    """Where users reach the portal: BASE_URL, else the address `make run` serves."""
    return (os.environ.get("BASE_URL") or f"http://{host()}:{port()}").rstrip("/")


def trusted_hosts() -> list[str]:
    """Host names the portal answers for: TRUSTED_HOSTS (comma-separated), else BASE_URL's
    host (and 127.0.0.1/localhost when BASE_URL is not set: the embedded default)."""
    listed = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if listed:
        return listed
    hosts = [urlsplit(base_url()).hostname or "localhost"]
    if not os.environ.get("BASE_URL"):
        hosts += ["127.0.0.1", "localhost"]
    return sorted(set(hosts))


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'portal.sqlite3'}"


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


class Config:
    """Flask settings; built per app so tests can point it at their own instance dir."""

    def __init__(self):
        self.SECRET_KEY = _persistent_secret_key()
        self.DATABASE_URL = database_url()
        self.REDIS_URL = redis_url()
        self.SMTP_URL = os.environ.get("SMTP_URL") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "info@so-online.ru")
        self.SMS_URL = os.environ.get("SMS_URL") or None
        self.STORAGE_DIR = storage_dir()
        self.OUTBOX_DIR = str(instance_dir() / "outbox")
        self.SMS_OUTBOX = str(instance_dir() / "sms-outbox.jsonl")
        self.TRUSTED_ROOTS_DIR = os.environ.get("TRUSTED_ROOTS_DIR") or None
        # Links in e-mails come from BASE_URL only, never from the request's Host header,
        # and requests for other hosts are refused (400).
        self.BASE_URL = base_url()
        self.TRUSTED_HOSTS = trusted_hosts()
        # Every session ends after SESSION_ABSOLUTE_HOURS; a staff session also after
        # STAFF_IDLE_MINUTES without a request (domain/accounts/sessions.py).
        self.SESSION_ABSOLUTE_HOURS = _number("SESSION_ABSOLUTE_HOURS", 12)
        self.STAFF_IDLE_MINUTES = _number("STAFF_IDLE_MINUTES", 30)
        self.PERMANENT_SESSION_LIFETIME = int(self.SESSION_ABSOLUTE_HOURS * 3600)
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None
        # Uploads are streamed to disk; Flask must not refuse them before our own check.
        self.MAX_CONTENT_LENGTH = 200 * 1024 * 1024
        self.MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024


def host() -> str:
    return os.environ.get("HOST", "127.0.0.1")


def port() -> int:
    return int(os.environ.get("PORT", "5000"))
