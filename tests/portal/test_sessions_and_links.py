"""Issue 9, security: links in e-mails never come from the request, safe redirects after
login, sessions that end on the server, limits per address and per account."""
import time
from urllib.parse import unquote

import pytest

from domain.accounts import credentials, limits, sessions
from models import LoginAttempt, User
from tests.conftest import make_staff
from tests.data import PERSON


def _reset_mail(mailbox):
    [message] = mailbox.to(PERSON["email"])
    return mailbox.text(message)


# ---- 1. links from BASE_URL, requests only for the configured hosts -------------------

def test_forged_host_is_refused_and_sends_nothing(client, auth, mailbox):
    auth.register()
    auth.logout()
    response = client.post("/forgot", data={"email": PERSON["email"]},
                           headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Некорректный запрос" in response.get_data(as_text=True)
    assert mailbox.messages() == []


def test_reset_link_uses_base_url_whatever_host_the_request_names(app, client, auth, mailbox,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://lk.example.ru")
    auth.register()
    auth.logout()
    client.post("/forgot", data={"email": PERSON["email"]}, headers={"Host": "127.0.0.1:5000"})
    text = _reset_mail(mailbox)
    assert "https://lk.example.ru/reset/" in text and "127.0.0.1" not in text


def test_default_configuration_serves_make_run_address(monkeypatch):
    import config
    for name in ("BASE_URL", "TRUSTED_HOSTS", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    assert config.base_url() == "http://127.0.0.1:5000"
    assert set(config.trusted_hosts()) == {"127.0.0.1", "localhost"}
    monkeypatch.setenv("BASE_URL", "https://lk.example.ru/")
    assert config.base_url() == "https://lk.example.ru"
    assert config.trusted_hosts() == ["lk.example.ru"]
    monkeypatch.setenv("TRUSTED_HOSTS", "lk.example.ru, lk2.example.ru")
    assert config.trusted_hosts() == ["lk.example.ru", "lk2.example.ru"]


# ---- 2. only a local path after login ---------------------------------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r\n/evil", "//evil.example",
                                    "/\\evil.example", "https://evil.example/",
                                    "/ /evil.example", "/\x00x", "javascript:alert(1)"])
@pytest.mark.parametrize("login_url", ["/login", "/backoffice/login"])
def test_login_never_redirects_off_site(client, auth, login_url, target):
    make_staff()
    auth.register()
    auth.logout()
    email = PERSON["email"] if login_url == "/login" else "clerk@kalinovsk-es.ru"
    password = PERSON["password"] if login_url == "/login" else "Staff-pass1"
    response = client.post(login_url, query_string={"next": target},
                           data={"email": email, "password": password})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location


def test_local_next_is_kept(client, auth):
    auth.register()
    auth.logout()
    response = client.post("/login", query_string={"next": "/appeals?state=draft&q=иван%20петров"},
                           data={"email": PERSON["email"], "password": PERSON["password"]})
    assert unquote(response.headers["Location"]) == "/appeals?state=draft&q=иван петров"


# ---- 4. sessions end on the server -----------------------------------------------------

def _session_cookie(client):
    return client.get_cookie("session").value


def test_cookie_copied_before_logout_opens_nothing_after(app, client, auth):
    auth.register()
    assert client.get("/info").status_code == 200
    stolen = _session_cookie(client)
    auth.logout()
    other = app.test_client()
    other.set_cookie("session", stolen)
    response = other.get("/info")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_cookie_copied_before_logout_opens_nothing_after(app, client):
    make_staff()
    client.post("/backoffice/login", data={"email": "clerk@kalinovsk-es.ru",
                                           "password": "Staff-pass1"})
    assert client.get("/backoffice/").status_code == 200
    stolen = _session_cookie(client)
    client.post("/backoffice/logout")
    other = app.test_client()
    other.set_cookie("session", stolen)
    response = other.get("/backoffice/")
    assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"]


def test_staff_session_ends_after_idle_time(app, client):
    make_staff()
    client.post("/backoffice/login", data={"email": "clerk@kalinovsk-es.ru",
                                           "password": "Staff-pass1"})
    idle = app.config["STAFF_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess[sessions.SEEN] -= idle - 60  # used a minute before the limit: still open
    assert client.get("/backoffice/").status_code == 200
    with client.session_transaction() as sess:
        sess[sessions.SEEN] = int(time.time()) - idle - 1
    response = client.get("/backoffice/")
    assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сеанс завершен" in page


def test_applicant_session_is_not_cut_by_idle_time_but_by_its_absolute_lifetime(app, client,
                                                                                auth):
    auth.register()
    with client.session_transaction() as sess:
        sess[sessions.SEEN] = int(time.time()) - 3 * 3600  # three hours without a click
    assert client.get("/info").status_code == 200
    with client.session_transaction() as sess:
        sess[sessions.STARTED] = int(time.time()) - app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 1
    response = client.get("/info")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- 6. limits per address and per account ---------------------------------------------

@pytest.fixture
def limited(app):
    """Flask-Limiter with empty counters (conftest empties them before every test)."""
    return limits.limiter


def test_many_accounts_from_one_address_are_throttled(client, limited):
    answers = [client.post("/login", data={"email": f"user{i}@example.ru", "password": "x"})
               for i in range(21)]
    assert all(a.status_code == 200 for a in answers[:20])
    assert answers[20].status_code == 429
    assert "Слишком много запросов" in answers[20].get_data(as_text=True)
    other = client.post("/login", data={"email": "user0@example.ru", "password": "x"},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # another address is not affected


def test_recovery_mails_to_one_mailbox_are_capped(client, auth, mailbox, limited):
    auth.register()
    auth.logout()
    statuses = [client.post("/forgot", data={"email": PERSON["email"]},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
                for i in range(5)]
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]
    assert len(mailbox.to(PERSON["email"])) == 3


def _login(client, ip, password):
    return client.post("/login", data={"email": PERSON["email"], "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_a_strangers_guesses_do_not_lock_the_owner_out(client, auth):
    auth.register()
    auth.logout()
    assert _login(client, "10.1.1.1", PERSON["password"]).status_code == 302  # the owner
    auth.logout()
    for i in range(30):  # guesses from many other addresses
        _login(client, f"10.2.0.{i % 6}", "wrong-password")
    stranger = _login(client, "10.3.3.3", PERSON["password"]).get_data(as_text=True)
    assert "Слишком много неудачных попыток входа" in stranger
    assert _login(client, "10.1.1.1", PERSON["password"]).status_code == 302


def test_waits_grow_with_each_failure():
    now = credentials.utcnow()
    five = [now] * 5
    assert credentials._growing_wait(five[:4], 5) is None
    assert credentials._growing_wait(five, 5) == now + credentials.BASE_WAIT
    assert credentials._growing_wait([now] * 6, 5) == now + 2 * credentials.BASE_WAIT
    assert credentials._growing_wait([now] * 60, 5) == now + credentials.FAILURE_WINDOW


def test_unknown_account_costs_a_password_check(client, monkeypatch):
    checked = []
    real = credentials.check_password_hash
    monkeypatch.setattr(credentials, "check_password_hash",
                        lambda h, p: checked.append(h) or real(h, p))
    page = client.post("/login", data={"email": "nobody@example.ru", "password": "x1234567"})
    assert "Неверный e-mail или пароль" in page.get_data(as_text=True)
    assert len(checked) == 1 and checked[0].startswith(credentials.HASH_METHOD.split(":")[0])
    assert LoginAttempt.select().where(LoginAttempt.success == False).count() == 1  # noqa: E712
    assert User.select().where(User.email == "nobody@example.ru").count() == 0
