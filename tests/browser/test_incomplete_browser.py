"""The п.15 loop in a real browser from both sides, the e-mails received over real SMTP:
the clerk ticks what is missing, the applicant gets the e-mail, answers each item on the
appeal page (a text, a file) and the grid company's inbox is told; the clerk sees the
answers."""
import pytest
from playwright.sync_api import expect

from domain.accounts.credentials import hash_password
from domain.deadlines import clocks
from models import Organization, db, utcnow
from tests.browser.conftest import login_via_page, staff_login
from tests.casework_helpers import STAFF_PASSWORD, applicant_user, sent_appeal, staff

pytestmark = pytest.mark.browser

APPLICANT_PASSWORD = "Secret-pass1"


def _mail(live_server, to, subject):
    return live_server.smtp.wait_for(lambda m: m["To"] == to and m["Subject"] == subject)


def test_incomplete_loop_from_both_sides(live_server, page, browser, browser_context_args):
    url = live_server.url
    person = applicant_user("dopolnit@example.ru", confirmed=True)
    person.password_hash = hash_password(APPLICANT_PASSWORD)
    person.save()
    appeal = sent_appeal(person, complies=False, power="15_150")
    with db.atomic():
        clocks.application_sent(appeal, utcnow())
    grid = Organization.grid()

    # the clerk: «Заявка неполная» with two items, one commented
    staff_login(page, url, staff("grid").email, STAFF_PASSWORD)
    page.goto(f"{url}/backoffice/appeals/{appeal.id}")
    page.locator("#incomplete-form summary").click()
    page.locator("#item-voltage").check()
    page.locator("#comment-voltage").fill("Укажите 0,4 или 10 кВ")
    page.locator("#item-site_plan").check()
    with page.expect_navigation():
        page.locator("#incomplete-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("«Заявка неполная»")
    expect(page.locator("#incomplete-open")).to_be_visible()
    mail = _mail(live_server, person.email, "Уведомление: заявка неполная")
    text = live_server.smtp.text(mail)
    assert "- Уровень напряжения, на котором осуществляется присоединение: Укажите 0,4 или " \
           "10 кВ" in text
    assert "- План расположения энергопринимающих устройств" in text
    assert f"{url}/appeals/{appeal.id}" in live_server.smtp.links(mail)

    # the applicant: the items on the appeal page, one left out, then both answered
    context = browser.new_context(**browser_context_args)
    portal = context.new_page()
    login_via_page(portal, url, person.email, APPLICANT_PASSWORD)
    portal.goto(f"{url}/appeals/{appeal.id}")
    section = portal.locator("#missing-items")
    expect(section).to_contain_text("Комментарий сетевой организации: Укажите 0,4 или 10 кВ")
    items = section.locator(".missing-item")
    expect(items).to_have_count(2)
    items.nth(0).get_by_label("Сведения").fill("0,4 кВ")
    with portal.expect_navigation():
        section.get_by_role("button", name="Направить недостающие сведения").click()
    expect(portal.locator("#missing-items .missing-item").nth(1).locator(".error")) \
        .to_have_text("Укажите сведения или приложите файл")
    expect(portal.locator("#missing-items .missing-item").nth(0).get_by_label("Сведения")) \
        .to_have_value("0,4 кВ")
    portal.locator("#missing-items .missing-item").nth(1).get_by_label("или файл") \
        .set_input_files(files=[{"name": "План участка.pdf", "buffer": b"%PDF-1.4 plan",
                                 "mimeType": "application/pdf"}])
    with portal.expect_navigation():
        portal.get_by_role("button", name="Направить недостающие сведения").click()
    expect(portal.get_by_text("Недостающие сведения направлены в сетевую организацию")) \
        .to_be_visible()
    expect(portal.locator("#missing-items")).to_have_count(0)
    expect(portal.locator("#incomplete-rounds")).to_contain_text("0,4 кВ")
    expect(portal.get_by_text("План участка.pdf").first).to_be_visible()
    context.close()

    inbox = _mail(live_server, grid.inbox_email, "Заявитель направил недостающие сведения")
    text = live_server.smtp.text(inbox)
    assert "- Уровень напряжения, на котором осуществляется присоединение: 0,4 кВ" in text
    assert "- План расположения энергопринимающих устройств (файл: План участка.pdf)" in text

    # the clerk sees the answers and both lines in the status history
    page.reload()
    expect(page.locator("#incomplete-rounds")).to_contain_text("сведения направлены")
    expect(page.locator("#incomplete-rounds")).to_contain_text("Ответ: 0,4 кВ")
    expect(page.locator(".status-history")).to_contain_text("Направлены недостающие сведения")
    expect(page.locator(".status-history")).to_contain_text("Заявка неполная")
