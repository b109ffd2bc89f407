"""The Content-Security-Policy in a real browser: it is enforced (an injected inline script
does not run and is reported), and the main pages of the portal and the back office, with
the controls that used to be inline script (Flask-Admin's batch actions and filters, the
applicant card's confirmation), work without a single violation. (Every browser test fails
on a violation: tests/browser/conftest.py watches each page.)"""
import time

import pytest
from playwright.sync_api import expect

from domain.accounts.credentials import hash_password
from models import Appeal, LegalDocument, User
from tests.browser.conftest import login_via_page, staff_login
from tests.casework_helpers import STAFF_PASSWORD, applicant_user, sent_appeal, staff

pytestmark = pytest.mark.browser

PASSWORD = "Secret-pass1"


def open_page(page, url):
    """Go to a page and check that the server answered it (not with an error page)."""
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")


def wait_for_report(page, violations, timeout=5.0):
    """Wait until the browser has reported a violation (the report arrives as a task)."""
    deadline = time.monotonic() + timeout
    while not violations:
        assert time.monotonic() < deadline, "no violation reported"
        page.wait_for_timeout(50)


def person() -> User:
    """A confirmed applicant who logs in with PASSWORD."""
    user = applicant_user("ivanov@example.ru", confirmed=True)
    user.password_hash = hash_password(PASSWORD)
    user.save()
    return user


# An inline script added by script: does it run? With nonceFrom, it carries the nonce of
# the page's element that selector names.
INJECT = """(nonceFrom) => {
  window.injected = false;
  const script = document.createElement('script');
  if (nonceFrom) script.nonce = document.querySelector(nonceFrom).nonce;
  script.textContent = 'window.injected = true';
  document.body.appendChild(script);
  return window.injected === true;
}"""


def test_an_injected_inline_script_is_refused_and_reported(live_server, page, csp_violations):
    open_page(page, f"{live_server.url}/login")
    assert page.evaluate(INJECT, None) is False
    wait_for_report(page, csp_violations)
    assert [v.split()[1:3] for v in csp_violations] == [["script-src-elem", "inline"]]
    csp_violations.clear()  # the one violation this test made on purpose


def test_in_the_back_office_only_an_inline_script_with_the_pages_nonce_runs(
        live_server, page, csp_violations):
    """Flask-Admin's inline scripts (modal forms) carry the nonce its tags carry."""
    admin = staff("admin")
    staff_login(page, live_server.url, admin.email, STAFF_PASSWORD)
    assert page.evaluate(INJECT, "script[src*='jquery']") is True
    assert page.evaluate(INJECT, None) is False
    wait_for_report(page, csp_violations)
    assert len(csp_violations) == 1
    csp_violations.clear()


def test_main_portal_pages_run_without_a_violation(live_server, page, csp_violations):
    url = live_server.url
    header_errors = []  # Chromium names each Permissions-Policy feature it does not know
    page.on("console", lambda message: header_errors.append(message.text)
            if "Permissions-Policy" in message.text else None)
    for path in ("/login", "/forgot", f"/legal/{LegalDocument.PERSONAL_DATA}"):
        open_page(page, url + path)
    open_page(page, f"{url}/register")
    page.get_by_label("Юридическое лицо", exact=True).check()  # register.js switches the fields
    expect(page.get_by_label("Наименование:")).to_be_visible()

    applicant = person()
    appeal = sent_appeal(applicant)
    login_via_page(page, url, applicant.email, PASSWORD)
    for path in ("/info", "/appeals", "/appeals/new/tp", "/appeals/new/message", "/settings"):
        open_page(page, url + path)
    open_page(page, f"{url}/appeals/{appeal.id}")
    expect(page.locator(".rich-box")).to_be_visible()  # editor.js made the reply box
    assert csp_violations == [] and header_errors == []


def test_main_back_office_pages_run_without_a_violation(live_server, page, csp_violations):
    url = live_server.url
    applicant = person()
    appeal = sent_appeal(applicant)
    Appeal.update(state=Appeal.ARCHIVE).where(Appeal.id == sent_appeal(applicant).id).execute()
    admin = staff("admin")
    open_page(page, f"{url}/backoffice/login")
    staff_login(page, url, admin.email, STAFF_PASSWORD)
    for path in ("/", "/inbox/", "/appeals/", "/archive/", f"/appeals/{appeal.id}",
                 "/applicants/", f"/applicants/details/?id={applicant.id}", "/suppliers/",
                 "/statuses/", "/document_types/", "/staff/", "/staff/new/", "/settings/",
                 "/audit/", "/outbox/"):
        open_page(page, f"{url}/backoffice{path}")
    assert csp_violations == []


def test_flask_admin_actions_and_filters_and_the_card_confirmation_work(live_server, page,
                                                                         csp_violations):
    url = live_server.url
    applicant = applicant_user("petrov@example.ru", confirmed=False)
    admin = staff("admin")
    staff_login(page, url, admin.email, STAFF_PASSWORD)
    open_page(page, f"{url}/backoffice/applicants/")

    # «Добавить Фильтр»: the entry adds its filter row (Flask-Admin's filters script).
    page.get_by_role("link", name="Добавить Фильтр").click()
    page.locator(".field-filters").get_by_role("link", name="Учетная запись подтверждена").click()
    expect(page.locator("#filter_form table.filters tr")).to_have_count(1)
    assert "#" not in page.url

    # «С выбранным» → «Подтвердить учетную запись»: Flask-Admin asks, then runs the action.
    page.locator(f"input.action-checkbox[value='{applicant.id}']").check()
    page.get_by_role("button", name="С выбранным").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("link", name="Подтвердить учетную запись").click()
    assert User.get_by_id(applicant.id).confirmed

    # The card's «Отменить подтверждение» asks first; «Отмена» keeps the account confirmed.
    open_page(page, f"{url}/backoffice/applicants/details/?id={applicant.id}")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Отменить подтверждение").click()
    expect(page.locator("#account-state")).to_contain_text("Учетная запись подтверждена")
    assert questions == ["Отменить подтверждение учетной записи?"]
    assert User.get_by_id(applicant.id).confirmed
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Отменить подтверждение").click()
    assert not User.get_by_id(applicant.id).confirmed
    assert csp_violations == []


def test_without_javascript_the_noscript_style_sheet_hides_script_only_buttons(
        live_server, browser, browser_context_args):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    open_page(page, f"{live_server.url}/login")
    # Playwright still evaluates with page scripts off: measure a «js-only» button.
    display = page.evaluate("""() => {
      const button = document.createElement('button');
      button.className = 'js-only';
      document.body.appendChild(button);
      return getComputedStyle(button).display;
    }""")
    context.close()
    assert display == "none"
