"""The rich-text editor (static/editor.js) in a real browser: what a refused form puts back
into it is shown as sanitised text and nothing in it runs."""
import pytest
from playwright.sync_api import expect

from models import Post, Setting
from tests.browser.conftest import staff_login, submit
from tests.casework_helpers import STAFF_PASSWORD, applicant_user, sent_appeal, staff
from tests.data import HOSTILE_RICH_TEXT

pytestmark = pytest.mark.browser

MARK = "ПОДМЕНА"


def _post_body_replaced(page, url_pattern: str, payload: str):
    """Send the next form post to url_pattern with MARK in it replaced by `payload`, as a
    tool between the browser and the server would: the raw body reaches the server."""
    def swap(route):
        body = route.request.post_data_buffer.replace(MARK.encode(), payload.encode())
        route.continue_(post_data=body)
    page.route(url_pattern, swap)


def test_a_refused_back_office_reply_runs_nothing_and_shows_the_sanitised_text(live_server,
                                                                               page):
    Setting.put("max_upload_mb", "0.001")
    appeal = sent_appeal(applicant_user())
    clerk = staff("grid")
    staff_login(page, live_server.url, clerk.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/backoffice/appeals/{appeal.id}")
    box = page.get_by_role("textbox", name="Ответ заявителю")
    box.fill(MARK)
    page.get_by_label("Вложения").set_input_files(files=[{
        "name": "Письмо.pdf", "mimeType": "application/pdf", "buffer": b"x" * 5000}])
    _post_body_replaced(page, f"**/backoffice/appeals/{appeal.id}/post", HOSTILE_RICH_TEXT)
    submit(page, "Отправить ответ")
    expect(page.get_by_text("Файл «Письмо.pdf» больше 0.001 МБ и не загружен")).to_be_visible()
    page.wait_for_load_state("networkidle")  # an <img src=x> would have failed by now
    assert page.evaluate("window.__xss") is None
    expect(box.locator("b")).to_have_text("Жирный")
    expect(box).to_have_text("Жирный текст ссылка")
    assert box.locator("img, script, [onclick], [style], a[href]").count() == 0
    assert Post.select().count() == 0


def test_the_editor_copies_only_allowed_elements_from_its_textarea(live_server, page,
                                                                   csp_violations):
    """editor.js alone, given raw HTML in its textarea (no server sanitising in between)."""
    page.goto(f"{live_server.url}/login")  # any page of the portal's origin
    page.evaluate("""html => {
        document.body.textContent = '';
        const label = document.createElement('label');
        label.htmlFor = 'text';
        label.textContent = 'Текст';
        const area = document.createElement('textarea');
        area.id = 'text';
        area.className = 'rich-text';
        area.value = html + '<a href="https://example.ru/x" title="t">сайт</a>';
        document.body.append(label, area);
    }""", HOSTILE_RICH_TEXT)
    # A script element made here (Playwright's add_script_tag uses an inline onload, which
    # the portal's CSP refuses).
    page.evaluate("""src => new Promise(done => {
        const script = document.createElement('script');
        script.src = src;
        script.addEventListener('load', done);
        document.head.append(script);
    })""", f"{live_server.url}/static/editor.js")
    box = page.get_by_role("textbox", name="Текст")
    expect(box).to_have_text("Жирный текст ссылкасайт")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None
    assert box.locator("img, script, [onclick], [style]").count() == 0
    assert box.locator("a").first.get_attribute("href") is None  # javascript: dropped
    assert box.locator("a").last.get_attribute("href") == "https://example.ru/x"
    # Parsing the hostile text into the inert document makes Chromium report its inline
    # handler and style attributes to the policy (nothing runs): those reports are expected.
    parsed = [v for v in csp_violations if "/static/editor.js" in v
              and ("script-src-attr" in v or "style-src-attr" in v)]
    assert parsed
    csp_violations[:] = [v for v in csp_violations if v not in parsed]
