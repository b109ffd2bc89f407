"""The account flow in a real browser (Debian's chromium): register each legal form, see a
checksum error beside its field, log out and in, change the password, recover it through the
e-mail a real SMTP server received, and reach the menu on a phone screen."""
import re

import pytest
from playwright.sync_api import expect

from models import User
from tests.browser.conftest import (
    field_by_label,
    fill_register_form,
    login_via_page,
    logout_via_page,
    register_via_page,
    submit,
)
from tests.data import COMPANY, PERSON, SOLE_TRADER

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("data", [PERSON, SOLE_TRADER, COMPANY], ids=["fl", "ip", "ul"])
def test_register_each_legal_form(live_server, page, data):
    register_via_page(page, live_server.url, data)
    expect(page).to_have_url(f"{live_server.url}/info")
    expect(page.get_by_text("Учетная запись не подтверждена")).to_be_visible()
    menu = page.get_by_role("navigation", name="Главное меню")
    for item in ("Информация", "Данные и настройки"):
        expect(menu.get_by_role("link", name=item)).to_be_visible()
    expect(menu.get_by_role("button", name="Выйти")).to_be_visible()
    user = User.by_email(data["email"])
    assert user.legal_form == data["legal_form"] and user.phone.startswith("+79")


def test_legal_form_switches_fields_and_checksum_error_keeps_values(live_server, page):
    page.goto(f"{live_server.url}/register")
    page.evaluate("window.notReloaded = true")
    snils, kpp = field_by_label(page, "СНИЛС"), field_by_label(page, "КПП")
    expect(snils).to_be_visible()
    expect(kpp).to_be_hidden()

    page.get_by_label("Юридическое лицо", exact=True).check()
    expect(snils).to_be_hidden()
    for label in ("Наименование", "ИНН", "ОГРН", "КПП"):
        expect(field_by_label(page, label)).to_be_visible()
    expect(page.get_by_text("Фамилия руководителя:")).to_be_visible()

    page.get_by_label("Индивидуальный предприниматель", exact=True).check()
    expect(field_by_label(page, "ОГРНИП")).to_be_visible()
    expect(kpp).to_be_hidden()
    expect(snils).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True  # switched without a reload

    bad = PERSON["snils"][:-1] + str((int(PERSON["snils"][-1]) + 1) % 10)
    fill_register_form(page, live_server.url, dict(PERSON, snils=bad), open_page=False)
    submit(page, "Зарегистрироваться")
    snils_field = page.locator(".field", has=page.locator("#snils"))
    expect(snils_field.locator(".error")).to_have_text(re.compile("Неверное контрольное число СНИЛС"))
    expect(field_by_label(page, "СНИЛС")).to_have_value(bad)
    expect(field_by_label(page, "Фамилия")).to_have_value(PERSON["last_name"])
    expect(field_by_label(page, "E-mail")).to_have_value(PERSON["email"])
    expect(field_by_label(page, "Сотовый телефон")).to_have_value(PERSON["phone"])
    expect(page.get_by_label("Физическое лицо", exact=True)).to_be_checked()
    assert User.select().count() == 0


def test_logout_login_and_password_change(live_server, page):
    url, email = live_server.url, PERSON["email"]
    register_via_page(page, url, PERSON)
    logout_via_page(page)
    expect(page.get_by_role("heading", name="ВХОД В ЛИЧНЫЙ КАБИНЕТ")).to_be_visible()

    login_via_page(page, url, email, "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("Неверный e-mail или пароль")
    login_via_page(page, url, email, PERSON["password"])
    expect(page).to_have_url(f"{url}/info")

    page.get_by_role("link", name="Данные и настройки").click()
    form = page.locator("section", has=page.get_by_role("heading", name="Форма изменения пароля"))
    field_by_label(form, "Старый пароль").fill(PERSON["password"])
    field_by_label(form, "Новый пароль").fill("Changed-pass2")
    field_by_label(form, "Подтвердите пароль").fill("Changed-pass2")
    with page.expect_navigation():
        form.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Пароль изменён")
    expect(page).to_have_url(f"{url}/settings")  # still logged in

    logout_via_page(page)
    login_via_page(page, url, email, PERSON["password"])
    expect(page.get_by_role("alert")).to_have_text("Неверный e-mail или пароль")
    login_via_page(page, url, email, "Changed-pass2")
    expect(page).to_have_url(f"{url}/info")


def test_password_recovery_through_smtp(live_server, page):
    url, email = live_server.url, PERSON["email"]
    register_via_page(page, url, PERSON)
    logout_via_page(page)

    page.get_by_role("link", name="Забыли пароль?").click()
    field_by_label(page, "E-mail").fill(email.upper())
    submit(page, "Восстановить пароль")
    expect(page.get_by_role("status")).to_contain_text("отправлено письмо")

    message = live_server.smtp.wait_for(lambda m: m["To"] == email)
    links = live_server.smtp.links(message)
    assert len(links) == 1 and links[0].startswith(f"{url}/reset/")
    page.goto(links[0])
    field_by_label(page, "Новый пароль").fill("Recovered-pass3")
    field_by_label(page, "Подтвердите пароль").fill("Recovered-pass3")
    submit(page, "Сохранить пароль")
    expect(page).to_have_url(f"{url}/info")

    logout_via_page(page)
    login_via_page(page, url, email, "Recovered-pass3")
    expect(page).to_have_url(f"{url}/info")
    page.goto(links[0])  # the link is one-time
    expect(page.get_by_label("Новый пароль")).to_have_count(0)


def test_phone_menu_and_screenshots(live_server, browser, browser_context_args):
    desktop = browser.new_page(**browser_context_args)
    desktop.goto(f"{live_server.url}/register")
    desktop.screenshot(path="/tmp/register-desktop.png", full_page=True)
    desktop.close()

    phone_args = dict(browser_context_args, viewport={"width": 390, "height": 844},
                      is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**phone_args)
    page = context.new_page()
    register_via_page(page, live_server.url, PERSON)
    settings = page.get_by_role("link", name="Данные и настройки")
    expect(settings).to_be_hidden()
    page.get_by_text("☰").click()
    expect(settings).to_be_visible()
    page.screenshot(path="/tmp/phone.png", full_page=True)
    toggle = page.get_by_role("checkbox", name="Меню")  # also reachable by keyboard
    toggle.focus()
    page.keyboard.press("Space")
    expect(settings).to_be_hidden()
    page.keyboard.press("Space")
    settings.click()
    expect(page.get_by_role("heading", name="Форма изменения пароля")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    context.close()
