"""The applicant's account flow through the test client: register, log in, recover, edit."""
import datetime as dt
import re

import pytest

from models import AuditLog, Consent, LoginAttempt, User, utcnow
from tests.data import COMPANY, PERSON, SOLE_TRADER


@pytest.mark.parametrize("data", [PERSON, SOLE_TRADER, COMPANY], ids=["fl", "ip", "ul"])
def test_register_each_legal_form_logs_in_and_lands_in_cabinet(client, auth, data):
    response = auth.register(**data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/info")
    page = client.get("/info").get_data(as_text=True)
    assert "Учетная запись не подтверждена" in page
    assert "документами, подтверждающими личность" in page
    user = User.by_email(data["email"])
    assert user.legal_form == data["legal_form"] and not user.confirmed
    assert user.phone.startswith("+79")
    if data is PERSON:
        assert user.snils == "112-233-445 95"
        assert "телефон, указанный при регистрации" in page
    else:
        assert "доверенность" in page
    if data is COMPANY:
        assert (user.company_name, user.kpp) == ("ООО «Энергия»", "419901495")
        assert len(user.inn) == 10 and len(user.ogrn) == 13
    if data is SOLE_TRADER:
        assert len(user.inn) == 12 and len(user.ogrnip) == 15 and user.snils is None


def test_consents_recorded_with_version_time_and_ip(client, auth):
    auth.register()
    consents = list(Consent.select().join(User).where(User.email == PERSON["email"]))
    assert sorted(c.document.key for c in consents) == ["e-interaction", "personal-data"]
    assert all(c.document.version == 1 and c.ip == "127.0.0.1" and c.accepted_at for c in consents)


def test_wrong_checksum_shown_next_to_field_and_values_kept(client, auth):
    bad = PERSON["snils"][:-1] + str((int(PERSON["snils"][-1]) + 1) % 10)
    page = auth.register(snils=bad).get_data(as_text=True)
    assert "Неверное контрольное число СНИЛС" in page
    assert 'value="Иванов"' in page and 'value="ivanov@example.ru"' in page
    assert f'value="{bad}"' in page
    assert User.select().count() == 0


@pytest.mark.parametrize("field,value,message", [
    ("inn", "7707083894", "Неверное контрольное число ИНН"),
    ("ogrn", "1027700132194", "Неверное контрольное число ОГРН"),
    ("kpp", "77AB01001", "КПП должен состоять из 9 символов"),
    ("phone", "+7 495 123-45-67", "Укажите номер сотового телефона"),
    ("email", "not-an-email", "Введите корректный адрес электронной почты"),
    ("password2", "something-else", "Пароли не совпадают"),
    ("password", "short", "не менее 8 символов"),
    ("consent_e_interaction", "", "Необходимо принять соглашение"),
    ("company_name", "", "Заполните поле"),
])
def test_company_registration_errors(client, auth, field, value, message):
    data = dict(COMPANY, **{field: value})
    if field == "password":
        data["password2"] = value
    page = auth.register(**data).get_data(as_text=True)
    assert message in page
    assert User.select().count() == 0


def test_sole_trader_wrong_ogrnip(client, auth):
    page = auth.register(**dict(SOLE_TRADER, ogrnip="304500116000158")).get_data(as_text=True)
    assert "Неверное контрольное число ОГРНИП" in page


def test_email_unique_ignoring_case_and_snils_once(client, auth):
    auth.register()
    auth.logout()
    page = auth.register(email="IVANOV@Example.RU", snils="").get_data(as_text=True)
    assert "уже зарегистрирован" in page
    page = auth.register(email="other@example.ru").get_data(as_text=True)
    assert "Пользователь с таким СНИЛС уже зарегистрирован" in page
    assert User.select().count() == 1


def test_password_equal_to_email_refused(client, auth):
    page = auth.register(password=PERSON["email"], password2=PERSON["email"]).get_data(as_text=True)
    assert "не должен совпадать с адресом электронной почты" in page


def test_middle_name_optional(client, auth):
    assert auth.register(middle_name="").status_code == 302


def test_login_logout_and_uniform_error(client, auth):
    auth.register()
    auth.logout()
    assert client.get("/info").status_code == 302
    wrong_password = auth.login(password="nope-nope").get_data(as_text=True)
    unknown = auth.login(email="nobody@example.ru").get_data(as_text=True)
    assert "Неверный e-mail или пароль" in wrong_password and "Неверный e-mail или пароль" in unknown
    response = auth.login(email="IVANOV@example.ru")
    assert response.status_code == 302
    assert "Иванов И. П." in client.get("/info").get_data(as_text=True)


def test_brute_force_locks_with_until_message(client, auth):
    auth.register()
    auth.logout()
    for _ in range(5):
        auth.login(password="wrong-password")
    page = auth.login().get_data(as_text=True)  # even the right password waits now
    assert "Слишком много неудачных попыток входа" in page
    assert re.search(r"после \d\d:\d\d \(МСК\)", page)
    assert client.get("/info").status_code == 302
    # After the window passes, login works again.
    for attempt in LoginAttempt.select():
        attempt.at -= dt.timedelta(minutes=16)
        attempt.save()
    assert auth.login().status_code == 302
    assert AuditLog.select().where(AuditLog.action == "login_failed").count() == 5


def test_session_cookie_flags(client, auth):
    response = auth.register()
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_enforced(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": "a@b.ru", "password": "x"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def _reset_link(mailbox, address):
    [message] = mailbox.to(address)
    assert message["Subject"] == "Восстановление пароля в личном кабинете"
    return re.search(r"http://[^\s]+/reset/[^\s]+", mailbox.text(message)).group(0)


def test_password_recovery_one_time_link(client, auth, mailbox):
    auth.register()
    auth.logout()
    page = client.post("/forgot", data={"email": PERSON["email"]}, follow_redirects=True)
    assert "Если этот адрес зарегистрирован" in page.get_data(as_text=True)
    link = _reset_link(mailbox, PERSON["email"])
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"new_password": "Brand-new-1", "new_password2": "Brand-new-1"})
    assert response.status_code == 302
    auth.logout()
    assert client.get(path).status_code == 410  # used once: dead
    assert auth.login(password="Brand-new-1").status_code == 302


def test_recovery_does_not_reveal_unknown_email(client, mailbox):
    page = client.post("/forgot", data={"email": "nobody@example.ru"}, follow_redirects=True)
    assert "Если этот адрес зарегистрирован" in page.get_data(as_text=True)
    assert mailbox.messages() == []


def test_recovery_link_expires(client, auth, mailbox, monkeypatch):
    auth.register()
    auth.logout()
    client.post("/forgot", data={"email": PERSON["email"]})
    path = _reset_link(mailbox, PERSON["email"]).split("localhost", 1)[1]
    from domain.accounts import credentials
    monkeypatch.setattr(credentials, "RESET_MAX_AGE", -1)
    assert client.get(path).status_code == 410


def test_recovery_link_dies_when_password_changes(client, auth, mailbox):
    auth.register()
    client.post("/forgot", data={"email": PERSON["email"]})
    path = _reset_link(mailbox, PERSON["email"]).split("localhost", 1)[1]
    client.post("/settings", data={"form": "password", "pw-old_password": PERSON["password"],
                                   "pw-new_password": "Changed-pass1",
                                   "pw-new_password2": "Changed-pass1"})
    assert client.get(path).status_code == 410


def test_settings_profile_edit_and_notification_email(client, auth):
    auth.register(**COMPANY)
    page = client.get("/settings").get_data(as_text=True)
    assert "Форма изменения регистрационных данных" in page and "energy@example.ru" in page
    assert "Оставьте поле E-mail пустым, чтобы не получать уведомления" in page
    response = client.post("/settings", data={
        "form": "profile", "notify_email": "", "company_name": "ООО «Энергия-2»",
        "last_name": "Сергеев", "first_name": "Пётр", "middle_name": "",
        "inn": COMPANY["inn"], "ogrn": COMPANY["ogrn"], "kpp": "419901001"})
    assert response.status_code == 302
    user = User.by_email(COMPANY["email"])
    assert (user.notify_email, user.company_name, user.kpp, user.first_name) == \
        ("", "ООО «Энергия-2»", "419901001", "Пётр")
    assert user.email == COMPANY["email"]  # the login does not change


def test_settings_validation_keeps_values(client, auth):
    auth.register(**COMPANY)
    page = client.post("/settings", data={
        "form": "profile", "notify_email": "x@y.ru", "company_name": "ООО «Новое»",
        "last_name": "Сергеев", "first_name": "Петр", "inn": "1234567890",
        "ogrn": COMPANY["ogrn"], "kpp": COMPANY["kpp"]}).get_data(as_text=True)
    assert "Неверное контрольное число ИНН" in page and 'value="ООО «Новое»"' in page
    assert User.by_email(COMPANY["email"]).company_name == "ООО «Энергия»"


def test_confirmed_account_identifiers_frozen(client, auth):
    auth.register()
    User.update(confirmed=True, confirmed_at=utcnow()).execute()
    client.post("/settings", data={"form": "profile", "notify_email": "n@example.ru",
                                   "last_name": "Иванов", "first_name": "Иван",
                                   "snils": "000-000-000 00"})
    user = User.by_email(PERSON["email"])
    assert user.snils == "112-233-445 95" and user.notify_email == "n@example.ru"
    assert "Учетная запись подтверждена" in client.get("/info").get_data(as_text=True)


def test_password_change_keeps_this_session_and_ends_others(app, client, auth):
    auth.register()
    other = app.test_client()
    other.post("/login", data={"email": PERSON["email"], "password": PERSON["password"]})
    assert other.get("/info").status_code == 200
    page = client.post("/settings", data={"form": "password", "pw-old_password": "wrong",
                                          "pw-new_password": "Changed-pass1",
                                          "pw-new_password2": "Changed-pass1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Неверный старый пароль" in page
    client.post("/settings", data={"form": "password", "pw-old_password": PERSON["password"],
                                   "pw-new_password": "Changed-pass1",
                                   "pw-new_password2": "Changed-pass1"})
    assert client.get("/info").status_code == 200
    assert other.get("/info").status_code == 302
    auth.logout()
    assert auth.login(password="Changed-pass1").status_code == 302


def test_legal_documents_are_linked_and_readable(client):
    page = client.get("/register").get_data(as_text=True)
    assert "/legal/personal-data" in page and "/legal/e-interaction" in page
    assert "152-ФЗ" in client.get("/legal/personal-data").get_data(as_text=True)
    assert "63-ФЗ" in client.get("/legal/e-interaction").get_data(as_text=True)


def test_register_page_works_without_javascript(client):
    page = client.get("/register").get_data(as_text=True)
    for label in ("Правовая форма", "Физическое лицо", "Индивидуальный предприниматель",
                  "Юридическое лицо", "СНИЛС", "ОГРНИП", "ОГРН", "КПП", "Наименование",
                  "Сотовый телефон", "Подтвердите пароль", "Зарегистрироваться"):
        assert label in page


def test_settings_show_the_phone_as_people_read_it(client, auth):
    auth.register(**PERSON)
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="phone">+7 912 345-67-89<' in page
