"""Browser-test infrastructure: a live server in a thread, a real huey consumer, an SMTP sink.

`live_server` (package scope) serves the session app on 127.0.0.1 with CSRF switched on,
delivers e-mail through a real aiosmtpd server and runs a real huey consumer in-process
(SqliteHuey by default, RedisHuey with TEST_REDIS_URL). Playwright drives Debian's
chromium headless; `context` (so `page`) fails a test whose pages reported any
Content-Security-Policy violation. The helpers at the bottom fill the portal's forms by
their visible words.
"""
import email
import re
import signal
import socket
import threading
import time
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

import tasks

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run", "--disable-dev-shm-usage"]


def pytest_configure(config):
    """pytest-playwright's own base_url fixture warns under pytest 9; not our code."""
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler keeping every received message, parsed with the default policy."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        """Store one message as an email.message.EmailMessage."""
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list:
        """A snapshot of the messages received so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def clear(self):
        """Forget the messages received so far."""
        with self._lock:
            self._messages.clear()

    def wait_for(self, predicate=lambda m: True, timeout: float = 15):
        """The first message matching predicate; polls until it arrives or fails the test."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages:
                if predicate(message):
                    return message
            if time.monotonic() > deadline:
                pytest.fail(f"no matching e-mail within {timeout} s; received: "
                            f"{[(m['To'], m['Subject']) for m in self.messages]}")
            time.sleep(0.05)

    @staticmethod
    def text(message) -> str:
        """The plain-text body of a message."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        """The HTML body of a message."""
        return message.get_body(preferencelist=("html",)).get_content()

    @staticmethod
    def links(message) -> list[str]:
        """Every http(s) link in the plain-text body."""
        return re.findall(r"https?://\S+", SmtpSink.text(message))


@pytest.fixture(scope="package")
def smtp_server():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield SimpleNamespace(sink=sink, port=port)
    controller.stop()


def _start_consumer():
    """A real huey consumer (threads) in this process; the main-thread signal handlers it
    installs are put back so Ctrl-C still stops pytest."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = tasks.huey.create_consumer(workers=2, worker_type="thread", periodic=False,
                                          initial_delay=0.05, backoff=1.15, max_delay=0.5)
    consumer.start()
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    return consumer


@pytest.fixture(scope="package")
def live_server(app, smtp_server):
    """The app served on 127.0.0.1 in a thread, mail through SMTP, tasks through a consumer.

    Yields .url (no trailing slash), .smtp (messages, wait_for(), clear(), text(), links())
    and .app. While it runs, CSRF is on for the whole app: test-client POSTs without a token
    are refused, so prepare data through the models (or the pages) rather than `client`.
    """
    saved_settings = dict(tasks._settings)
    saved_csrf = app.config.get("WTF_CSRF_ENABLED", True)
    saved_base = app.config["BASE_URL"]
    tasks.configure({"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"})
    app.config["WTF_CSRF_ENABLED"] = True
    tasks.huey.immediate = False
    tasks.huey.flush()
    consumer = _start_consumer()
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"  # the links in e-mails lead here
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", smtp=smtp_server.sink, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        consumer.stop(graceful=True)
        tasks.huey.flush()
        tasks.huey.immediate = True
        tasks._settings.clear()
        tasks._settings.update(saved_settings)
        app.config["WTF_CSRF_ENABLED"] = saved_csrf
        app.config["BASE_URL"] = saved_base


@pytest.fixture(autouse=True)
def _fresh_world(request, database):
    """Each browser test starts from a clean database (the live server reads and writes it)
    and sees only its own e-mails (when it uses the live server)."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("live_server").smtp.clear()
    yield


# Every Content-Security-Policy violation of a page, handed to the test (the listener runs
# in each new document before the page's own scripts).
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolation([event.effectiveDirective, event.blockedURI || 'inline',
                         (event.sourceFile || event.documentURI) + ':' + event.lineNumber]
                        .join(' '));
});
"""


def watch_csp(context, violations: list) -> list:
    """Append to `violations` each policy violation a page of `context` reports, as
    «page URL: directive, what was blocked, where»."""
    context.expose_binding("__cspViolation", lambda source, report: violations.append(
        f"{source['page'].url}: {report}"))
    context.add_init_script(CSP_LISTENER)
    return violations


@pytest.fixture
def csp_violations():
    """The policy violations reported so far by the pages of the test's `context`."""
    return []


@pytest.fixture
def context(context, csp_violations):
    """pytest-playwright's context, watched: a browser test fails when any page it opened
    reported a Content-Security-Policy violation (something the policy stopped from working)."""
    watch_csp(context, csp_violations)
    yield context
    assert csp_violations == [], "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, headless, without background network chatter."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Russian user in Moscow on a desktop screen."""
    return {**browser_context_args, "locale": "ru-RU", "timezone_id": "Europe/Moscow",
            "viewport": {"width": 1280, "height": 900}}


# ---- helpers for tests: fill the portal's forms by their visible words ----

LEGAL_FORM_LABELS = {"fl": "Физическое лицо", "ip": "Индивидуальный предприниматель",
                     "ul": "Юридическое лицо"}
# Form data key -> label text shown on the registration page (exact, without the colon).
REGISTER_LABELS = {"email": "E-mail", "company_name": "Наименование", "last_name": "Фамилия",
                   "first_name": "Имя", "middle_name": "Отчество", "snils": "СНИЛС", "inn": "ИНН",
                   "ogrnip": "ОГРНИП", "ogrn": "ОГРН", "kpp": "КПП", "phone": "Сотовый телефон",
                   "password": "Пароль", "password2": "Подтвердите пароль"}


def label_pattern(text):
    """A label's accessible name: optional «*», the text, optional « руководителя», a colon."""
    return re.compile(rf"^(\* ?)?{re.escape(text)}( руководителя)?:?$")


def field_by_label(page, text):
    """The input whose label reads exactly `text` (as the manual names the field)."""
    return page.get_by_label(label_pattern(text))


def fill_register_form(page, url, data, open_page=True):
    """Open «Регистрация», choose the legal form and fill the fields it shows."""
    if open_page:
        page.goto(f"{url}/register")
    page.get_by_label(LEGAL_FORM_LABELS[data.get("legal_form", "fl")], exact=True).check()
    for key, label in REGISTER_LABELS.items():
        box = field_by_label(page, label)
        if data.get(key) and box.is_visible():
            box.fill(data[key])
    for key in ("consent_personal_data", "consent_e_interaction"):
        if data.get(key):
            page.locator(f"#{key}").check()


def submit(page, button_name):
    """Click a button by its visible name and wait for the page the server answers."""
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()


def register_via_page(page, url, data):
    """Register through the page; the browser ends on whatever page the server answers."""
    fill_register_form(page, url, data)
    submit(page, "Зарегистрироваться")


def login_via_page(page, url, email, password):
    """«Вход в личный кабинет»: E-mail, Пароль, «Войти»."""
    page.goto(f"{url}/login")
    field_by_label(page, "E-mail").fill(email)
    field_by_label(page, "Пароль").fill(password)
    submit(page, "Войти")


def logout_via_page(page):
    """«Выйти» in the menu (opens the phone menu first when it is folded)."""
    button = page.get_by_role("button", name="Выйти")
    if not button.is_visible():
        page.locator("label.menu-button").click()
    with page.expect_navigation():
        button.click()


def staff_login(page, url, email, password):
    """The back office's staff login at /backoffice/login."""
    page.goto(f"{url}/backoffice/login")
    field_by_label(page, "E-mail").fill(email)
    field_by_label(page, "Пароль").fill(password)
    submit(page, "Войти")
