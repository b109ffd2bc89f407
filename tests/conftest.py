"""Shared fixtures: one app per session, a clean database per test, mail and auth helpers.

The suite runs on SQLite by default; TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL
switch it to the scaled layout, as .ci/run does.
"""
import email
import os
import sys
import tempfile
from email import policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_INSTANCE = tempfile.mkdtemp(prefix="portal-test-")
os.environ["INSTANCE_DIR"] = _INSTANCE
os.environ.pop("SMTP_URL", None)
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or \
    f"sqlite:///{_INSTANCE}/test.sqlite3"
if os.environ.get("TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
else:
    os.environ.pop("REDIS_URL", None)

import tasks  # noqa: E402
from domain.accounts import limits  # noqa: E402
from domain.accounts import credentials  # noqa: E402
from models import ALL_MODELS, User, db, is_postgres  # noqa: E402

credentials.HASH_METHOD = "pbkdf2:sha256:1000"  # cheap hashing keeps the suite fast
tasks.huey.immediate = True


@pytest.fixture(scope="session")
def app():
    from run import create_app, init_db
    application = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                              "SERVER_NAME": None, "BASE_URL": "http://localhost"})
    with application.app_context():
        init_db()
    return application


def _truncate():
    """Empty every table (faster than re-creating the schema, on both databases)."""
    tables = [f'"{m._meta.table_name}"' for m in ALL_MODELS]
    if is_postgres():
        db.execute_sql(f"TRUNCATE TABLE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f"DELETE FROM {table}")
        db.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(autouse=True)
def clean_db(app):
    """Every test starts from an empty database with the reference data seeded."""
    from domain.setup.seed import seed_demo_suppliers, seed_reference_data
    with db.connection_context():
        _truncate()
        seed_reference_data()
        seed_demo_suppliers()
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        path.unlink()
    yield


@pytest.fixture(autouse=True)
def fresh_limits():
    """Every test starts with empty per-address counters (the suite logs in from
    127.0.0.1 hundreds of times)."""
    limits.limiter.reset()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


class Mailbox:
    """E-mails written to the outbox folder (no SMTP_URL in unit tests)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def messages(self):
        files = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    def to(self, address):
        return [m for m in self.messages() if m["To"] == address]

    @staticmethod
    def text(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message):
        return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def mailbox(app):
    return Mailbox(app.config["OUTBOX_DIR"])


from tests.data import PERSON  # noqa: E402


class Auth:
    """Register, log in and out through the real views."""

    def __init__(self, client):
        self.client = client

    def register(self, **overrides):
        data = dict(PERSON)
        data.update(overrides)
        return self.client.post("/register", data=data)

    def login(self, email=PERSON["email"], password=PERSON["password"]):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def applicant(auth):
    """A registered, logged-in person."""
    auth.register()
    return User.by_email(PERSON["email"])


def make_staff(email="clerk@kalinovsk-es.ru", role="grid", supplier=None, password="Staff-pass1"):
    from run import create_staff
    return create_staff(email, password, role, supplier, "Специалист", "Анна")


@pytest.fixture
def staff_factory(app):
    return make_staff


@pytest.fixture
def own_storage(app, tmp_path, monkeypatch):
    """A storage folder of the test's own: the session's folder outlives each test's database
    (user ids come back), so pending uploads of earlier tests would count."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "files"))
