"""Shared fixtures: one app per session, a clean database for the tests that ask, mail and auth.

The database is opt-in: a test gets an emptied, reseeded database through the `database`
fixture, which `client`, `auth`, `applicant`, `staff_factory` and `mailbox` depend on; a module
that touches the database without them declares
`pytestmark = pytest.mark.usefixtures("database")`. Pure tests need neither the app nor the
database and take milliseconds. A statement run without `database` fails the test, so no test
can silently work on what the previous one left behind.

System tools fail, never skip: `gost_engine` and `soffice` name the Debian package to install
when it is missing.

The suite runs on SQLite by default; TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL
switch it to the scaled layout, as .ci/run does.
"""
import email
import functools
import os
import shutil
import sys
import tempfile
import threading
from email import policy
from pathlib import Path

import pytest
from peewee import AutoField

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

# The project is imported only now: config reads the environment set above.
import tasks  # noqa: E402
from domain.accounts import limits  # noqa: E402
from domain.accounts import credentials  # noqa: E402
from domain.accounts.staff import create_staff  # noqa: E402
from domain.setup.install import init_db  # noqa: E402
from domain.setup.seed import seed_demo_suppliers, seed_reference_data  # noqa: E402
from models import ALL_MODELS, User, db, is_postgres  # noqa: E402
from run import create_app  # noqa: E402
from tests import gost_tools  # noqa: E402
from tests.data import PERSON  # noqa: E402

credentials.HASH_METHOD = "pbkdf2:sha256:1000"  # cheap hashing keeps the suite fast
tasks.huey.immediate = True


class DatabaseNotRequested(RuntimeError):
    """SQL run in a background thread (live server, queue consumer) while no test holds
    the `database` fixture."""


class _DatabaseGate:
    """Open only while a test holds the `database` fixture (and while the app is built)."""

    open = False
    MESSAGE = ("SQL without the `database` fixture (a clean database): request it, or a "
               "fixture that depends on it, or mark the module with "
               'pytest.mark.usefixtures("database"); statement: ')

    @classmethod
    def guard(cls, database):
        """Make every statement on `database` fail the test while the gate is shut."""
        execute_sql = database.execute_sql

        def guarded(sql, params=None):
            if not cls.open:
                if threading.current_thread() is threading.main_thread():
                    pytest.fail(cls.MESSAGE + sql[:80], pytrace=False)
                # Servers and consumers catch an Exception and keep serving.
                raise DatabaseNotRequested(cls.MESSAGE + sql[:80])
            return execute_sql(sql, params)
        database.execute_sql = guarded


@pytest.fixture(scope="session")
def app():
    """The portal app with its schema created; its database is gated (see `database`)."""
    application = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                              "SERVER_NAME": None, "BASE_URL": "http://localhost"})
    _DatabaseGate.open = True
    with application.app_context():
        if is_postgres():
            _scratch_postgres()
        init_db()
    _DatabaseGate.open = False
    _DatabaseGate.guard(db.obj)
    return application


def _truncate():
    """Empty every table and restart its ids (faster than re-creating the schema)."""
    tables = [f'"{m._meta.table_name}"' for m in ALL_MODELS]
    if is_postgres():
        _empty_postgres(tables)
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f"DELETE FROM {table}")
        db.execute_sql("PRAGMA foreign_keys = ON")


@functools.cache
def _postgres_superuser() -> bool:
    """Whether the test database's user may switch the trigger machinery off."""
    return db.execute_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                          ).fetchone()[0]


def _scratch_postgres():
    """The test database is scratch: its commits need not wait for the disk (that wait was
    a third of the PostgreSQL suite's time). Set on the database, so every pooled connection
    opened later has it too."""
    if not _postgres_superuser():
        return
    with db.connection_context():
        name = db.execute_sql("SELECT current_database()").fetchone()[0]
        db.execute_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        db.execute_sql("SET synchronous_commit = off")


def _empty_postgres(tables):
    """DELETE with foreign keys and triggers off (session_replication_role, superusers only)
    costs milliseconds per test; TRUNCATE, which gives every table and index a new file,
    costs a tenth of a second and up to a second on a busy disk."""
    if not _postgres_superuser():
        db.execute_sql(f"TRUNCATE TABLE {', '.join(tables)} RESTART IDENTITY CASCADE")
        return
    ids = [(m._meta.table_name, m._meta.primary_key.column_name) for m in ALL_MODELS
           if isinstance(m._meta.primary_key, AutoField)]
    with db.atomic():
        db.execute_sql("SET LOCAL session_replication_role = replica")
        for table in tables:
            db.execute_sql(f"DELETE FROM {table}")
        db.execute_sql("SELECT " + ", ".join(
            ["setval(pg_get_serial_sequence(quote_ident(%s), %s), 1, false)"] * len(ids)),
            [value for pair in ids for value in pair])


@pytest.fixture
def database(app):
    """An empty database with the reference data seeded, and an empty e-mail outbox."""
    _DatabaseGate.open = True
    with db.connection_context():
        _truncate()
        seed_reference_data()
        seed_demo_suppliers()
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        path.unlink()
    # Empty per-address counters too: the suite logs in from 127.0.0.1 hundreds of times.
    limits.limiter.reset()
    yield
    _DatabaseGate.open = False


@pytest.fixture(scope="session")
def gost_engine():
    """openssl's GOST engine, which makes the tests' real signatures: missing, it fails the
    test with the package to install (a machine without it must not go green)."""
    if not gost_tools.gost_engine_available():
        pytest.fail(gost_tools.GOST_MISSING, pytrace=False)


@pytest.fixture(scope="session")
def soffice():
    """The path of LibreOffice's `soffice`: missing, it fails the test with the package to
    install."""
    path = shutil.which("soffice")
    if path is None:
        pytest.fail("LibreOffice (soffice) is not installed: install Debian's "
                    "libreoffice-writer-nogui: make office-deps", pytrace=False)
    return path


@pytest.fixture
def client(app, database):
    """A test client of the app over a clean database."""
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
def mailbox(app, database):
    """The e-mails written during this test (`database` empties the outbox first)."""
    return Mailbox(app.config["OUTBOX_DIR"])


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
    """Register, log in and out through the real views."""
    return Auth(client)


@pytest.fixture
def applicant(auth):
    """A registered, logged-in person."""
    auth.register()
    return User.by_email(PERSON["email"])


def make_staff(email="clerk@kalinovsk-es.ru", role="grid", supplier=None, password="Staff-pass1"):
    """A staff account (the caller provides the database)."""
    return create_staff(email, password, role, supplier, "Специалист", "Анна")


@pytest.fixture
def staff_factory(database):
    """make_staff over a clean database."""
    return make_staff


@pytest.fixture
def own_storage(app, tmp_path, monkeypatch):
    """A storage folder of the test's own: the session's folder outlives each test's database
    (user ids come back), so pending uploads of earlier tests would count."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "files"))
