"""Processing an application in the back office in a real browser, and what the applicant
then receives (e-mails through a real SMTP server) and sees in the portal; a supplier clerk
sees only the applications naming its supplier."""
import re
from email.header import decode_header, make_header

import pytest
from playwright.sync_api import expect

from domain.accounts.credentials import hash_password
from models import Appeal, Document
from tests.browser.conftest import login_via_page, staff_login, submit
from tests.casework_helpers import (
    STAFF_PASSWORD,
    applicant_user,
    sent_appeal,
    staff,
    supplier,
)

pytestmark = pytest.mark.browser

APPLICANT_PASSWORD = "Secret-pass1"
GRID = "ООО «Калиновские Электрические Сети»"


def _applicant(email="i.vereschagina2018@ya.ru", **fields):
    """An applicant who can log in to the portal with APPLICANT_PASSWORD."""
    user = applicant_user(email, confirmed=True, **fields)
    user.password_hash = hash_password(APPLICANT_PASSWORD)
    user.save()
    return user


def _open_menu_item(page, category, item):
    """Flask-Admin's top menu: open the category, click the item."""
    menu = page.locator("#admin-navbar-collapse")
    menu.get_by_role("link", name=category).click()
    with page.expect_navigation():
        menu.get_by_role("link", name=item, exact=True).click()


def _mail(live_server, to, subject):
    """The e-mail to `to` with `subject`, waited for on the real SMTP server."""
    return live_server.smtp.wait_for(lambda m: m["To"] == to and m["Subject"] == subject)


def test_clerk_processes_application_and_applicant_sees_it(live_server, page, browser,
                                                           browser_context_args):
    url = live_server.url
    person = _applicant()
    appeal = sent_appeal(person, complies=False,
                         comment="<p>Здравствуйте, направляю заявку на ТП и схему электроснабжения</p>")
    other = sent_appeal(_applicant("someone@example.ru"))
    Appeal.update(reg_number="5").where(Appeal.id == other.id).execute()  # numbered: not «Входящие»
    clerk = staff("grid")

    staff_login(page, url, clerk.email, STAFF_PASSWORD)
    _open_menu_item(page, "Обращения", "Входящие")
    expect(page.get_by_role("heading", name="Входящие")).to_be_visible()
    rows = page.locator("table.appeal-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Иванов И. П.")
    expect(rows.first.locator(".unread-mark")).to_have_count(1)
    with page.expect_navigation():
        rows.first.get_by_role("link", name="Заявка на ТП").click()
    expect(page.get_by_text("Здравствуйте, направляю заявку на ТП")).to_be_visible()
    expect(page.locator(".applicant-card")).to_contain_text(person.snils)

    # «Присвоить регистрационный номер»: 299
    page.get_by_label("Присвоить регистрационный номер").fill("299")
    submit(page, "Присвоить номер")
    expect(page.locator(".alert-success")).to_contain_text("Присвоен регистрационный номер: 299")
    expect(page.locator(".reg-number")).to_have_text("299")
    mail = _mail(live_server, person.email, "Уведомление: присвоен регистрационный номер")
    raw_from = dict(mail.raw_items())["From"]
    assert str(make_header(decode_header(raw_from))) == f"Личный кабинет {GRID} <info@so-online.ru>"
    text = live_server.smtp.text(mail)
    for line in ("Присвоен № 299", "Регистрационный номер: 299", "≤15 кВт", "постоянная схема",
                 "не соответствует п.14 Правил", "Данное письмо является уведомлением"):
        assert line in text
    assert "Присвоен № 299" in live_server.smtp.html(mail)
    assert f"{url}/appeals/{appeal.id}" in live_server.smtp.links(mail)

    # «Добавить статус» from the catalogue
    page.get_by_label("Статус из списка").select_option("Заявка принята к рассмотрению")
    submit(page, "Добавить статус")
    expect(page.locator(".status-history")).to_contain_text("Заявка принята к рассмотрению")
    mail = _mail(live_server, person.email, "Уведомление: добавлен новый статус")
    assert "Добавлен статус: Заявка принята к рассмотрению" in live_server.smtp.text(mail)

    # the reply
    page.get_by_label("Ответ заявителю").fill("Здравствуйте, Ваша заявка принята в работу.")
    submit(page, "Отправить ответ")
    expect(page.locator(".post-grid")).to_contain_text("Здравствуйте, Ваша заявка принята в работу.")
    mail = _mail(live_server, person.email, "Уведомление: добавлено новое сообщение")
    text = live_server.smtp.text(mail)
    assert "Добавлено новое сообщение со стороны Сетевой организации:" in text
    assert "Здравствуйте, Ваша заявка принята в работу." in text

    # the contract, to be signed by the applicant
    page.get_by_label("Тип документа").select_option("Договор ТП")
    page.get_by_label("Файл", exact=True).set_input_files(files=[{
        "name": "Договор ТП.docx", "buffer": b"PK\x03\x04 contract",
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    page.get_by_label("требуется подпись заявителя").check()
    submit(page, "Разместить документ")
    expect(page.get_by_role("heading", name=f"Документы {GRID}")).to_be_visible()
    expect(page.get_by_role("link", name="Договор ТП.docx")).to_be_visible()
    mail = _mail(live_server, person.email, "Уведомление: размещен новый документ")
    text = live_server.smtp.text(mail)
    assert "Договор ТП.docx" in text and "Требуется подпись заявителя" in text
    assert Document.get(Document.file_name == "Договор ТП.docx").needs_applicant_signature
    # each event produced exactly one e-mail
    assert len([m for m in live_server.smtp.messages if m["To"] == person.email]) == 4

    # the applicant in the portal
    context = browser.new_context(**browser_context_args)
    portal = context.new_page()
    login_via_page(portal, url, person.email, APPLICANT_PASSWORD)
    portal.goto(f"{url}/appeals")
    row = portal.locator(".appeal-row").first
    expect(row).to_contain_text("Регистрационный номер: 299")
    expect(row).to_contain_text("Статус: Заявка принята к рассмотрению")
    expect(row.locator(".mark-new")).to_have_text("Обновление")
    with portal.expect_navigation():
        row.get_by_role("link").click()
    expect(portal.get_by_text("Новый статус от Сетевой")).to_be_visible()
    expect(portal.get_by_text("Новое сообщение от Сетевой")).to_be_visible()
    expect(portal.locator("#reg-number")).to_have_text("299")
    expect(portal.get_by_text("Присвоен регистрационный номер: 299").first).to_be_visible()
    expect(portal.get_by_text("Заявка принята к рассмотрению").first).to_be_visible()
    expect(portal.get_by_text("Здравствуйте, Ваша заявка принята в работу.")).to_be_visible()
    expect(portal.get_by_role("heading", name=f"Документы {GRID}")).to_be_visible()
    expect(portal.get_by_text("Договор ТП", exact=True).first).to_be_visible()
    portal.goto(f"{url}/appeals")
    expect(portal.locator(".appeal-row").first.locator(".mark-new")).to_have_count(0)
    context.close()


def test_supplier_clerk_sees_only_applications_naming_its_supplier(live_server, page):
    url = live_server.url
    gp_a, gp_b = supplier(0), supplier(1)
    person = _applicant("client@example.ru")
    mine = sent_appeal(person, supplier_org=gp_a, comment="<p>заявка с поставщиком А</p>")
    theirs = sent_appeal(person, supplier_org=gp_b, comment="<p>заявка с поставщиком Б</p>")
    nobody = sent_appeal(person, comment="<p>заявка без поставщика</p>")
    to_me = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос поставщику А", organization=gp_a)
    gp_clerk = staff("supplier", supplier_name=gp_a.name)

    staff_login(page, url, gp_clerk.email, STAFF_PASSWORD)
    _open_menu_item(page, "Обращения", "Все обращения")
    expect(page.get_by_text("Найдено: 2")).to_be_visible()
    links = page.locator("table.appeal-table tbody a")
    hrefs = sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == sorted([f"/backoffice/appeals/{mine.id}", f"/backoffice/appeals/{to_me.id}"])
    expect(page.get_by_role("link", name="Администрирование")).to_have_count(0)

    page.get_by_label("Поиск").fill("ЗАЯВКА")
    submit(page, "Найти")
    expect(page.locator("table.appeal-table tbody tr")).to_have_count(1)
    for hidden in (theirs, nobody):
        response = page.goto(f"{url}/backoffice/appeals/{hidden.id}")
        assert response.status == 404
    page.goto(f"{url}/backoffice/appeals/{mine.id}")
    expect(page.get_by_text("заявка с поставщиком А")).to_be_visible()
    expect(page.get_by_role("button", name="Присвоить номер")).to_have_count(0)
    expect(page.get_by_label("Тип документа")).to_contain_text("Договор энергоснабжения")
    assert re.search(r"Гарантирующий поставщик", page.content())


def test_p14_contract_offers_no_applicant_signature(live_server, page):
    url = live_server.url
    appeal = sent_appeal(_applicant(), complies=True)
    staff_login(page, url, staff("grid").email, STAFF_PASSWORD)
    page.goto(f"{url}/backoffice/appeals/{appeal.id}")
    box = page.get_by_label("требуется подпись заявителя")
    hint = page.get_by_text("подпись заявителя на договоре не требуется")
    expect(box).to_be_enabled()
    expect(hint).to_be_hidden()
    page.get_by_label("Тип документа").select_option("Договор ТП")
    expect(box).to_be_disabled()
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Заявка соответствует п.14 Правил: договор заключается оплатой")
    page.get_by_label("Тип документа").select_option("Договор энергоснабжения")
    expect(box).to_be_enabled()
    expect(hint).to_be_hidden()
    box.check()
    page.get_by_label("Файл", exact=True).set_input_files(files=[{
        "name": "ЭСО.docx", "buffer": b"PK\x03\x04 supply",
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    submit(page, "Разместить документ")
    expect(page.get_by_role("link", name="ЭСО.docx")).to_be_visible()
    assert Document.get(Document.file_name == "ЭСО.docx").needs_applicant_signature
