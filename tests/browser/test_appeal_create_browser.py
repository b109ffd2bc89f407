"""The manual's section 3 and 5 in a real browser: fill a ТП application, download its form,
attach «Заявка.docx» and «Схема.bmp» through the file input (per-file uploads with progress),
save the draft, find it under «Черновики», reopen and send it, see the notice; then write a
message to the grid company. E-mails to the organisation's inbox arrive through real SMTP."""
import re

import pytest
from playwright.sync_api import expect

from models import Appeal, Document, Post, User
from tests.browser.conftest import register_via_page, submit
from tests.data import PERSON

pytestmark = pytest.mark.browser

GRID_INBOX = "tp@kalinovsk-es.ru"
SUPPLIER_LABEL = re.compile(r"^Гарантирующий поставщик \(энергосбытовая организация\)")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def row_of(page, file_name):
    """The «Загружаемые файлы» row showing that file."""
    return page.locator(".upload-item").filter(has_text=file_name)


def test_application_from_draft_to_sending_and_a_message(live_server, page):
    url = live_server.url
    register_via_page(page, url, PERSON)
    User.update(confirmed=True).where(User.email == PERSON["email"]).execute()

    page.goto(f"{url}/appeals")
    page.get_by_role("link", name="Создание заявки на технологическое присоединение").click()
    expect(page.get_by_role("heading", name="Заявка на технологическое присоединение (в том числе временное)")).to_be_visible()

    # A choice the Rules exclude is flagged at once, and the attachments list follows the category.
    page.get_by_label(">150 кВт", exact=True).check()
    page.get_by_label("соответствует", exact=True).check()
    expect(page.get_by_text("Пункт 14 Правил распространяется только на физических лиц")).to_be_visible()
    automation = page.locator(".required-docs li[data-when='general']")
    diagram = page.locator(".required-docs li[data-when='large']")
    expect(automation).to_have_class("applies")  # above 150 kW: the general form
    expect(diagram).to_have_class("applies")
    page.get_by_label("не соответствует", exact=True).check()
    expect(page.get_by_text("Пункт 14 Правил распространяется")).to_be_hidden()

    page.get_by_label("≤15 кВт", exact=True).check()
    page.get_by_label("постоянная", exact=True).check()
    page.get_by_label("соответствует", exact=True).check()
    expect(automation).to_have_class("not-applies")
    expect(diagram).to_have_class("not-applies")
    expect(page.get_by_text("Пункт 14 Правил распространяется")).to_be_hidden()
    page.get_by_label(SUPPLIER_LABEL).select_option(label="АО «Калиновскэнергосбыт»")

    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать форму заявки").click()
    assert download.value.suggested_filename == "Заявка на ТП (п.14 Правил).docx"
    expect(page.get_by_text("Какие документы нужно приложить к заявке на технологическое присоединение?")).to_be_visible()

    # Two files through the input behind «добавить документы»: each gets its row and progress.
    page.locator("input[type=file]").set_input_files([
        {"name": "Заявка.docx", "mimeType": DOCX, "buffer": b"PK\x03\x04 form" * 1000},
        {"name": "Схема.bmp", "mimeType": "image/bmp", "buffer": b"BM" + b"\x00" * 5000},
    ])
    expect(page.get_by_role("heading", name="Загружаемые файлы")).to_be_visible()
    for name in ("Заявка.docx", "Схема.bmp"):
        expect(row_of(page, name)).to_have_class(re.compile("uploaded"))
        expect(row_of(page, name).get_by_text("0.0мб")).to_be_visible()
    row_of(page, "Схема.bmp").get_by_role("combobox").select_option("Схема")
    row_of(page, "Заявка.docx").get_by_role("combobox").select_option("Заявка")

    editor = page.get_by_role("textbox", name="Комментарий к заявке")
    editor.fill("Здравствуйте, направляю заявку на ТП и схему электроснабжения")
    editor.press("Control+a")
    page.get_by_role("button", name="Полужирный").click()

    submit(page, "Сохранить черновик")
    expect(page.get_by_text("Черновик сохранен")).to_be_visible()
    page.get_by_role("link", name="Черновики").click()
    row = page.locator(".appeal-row").filter(has_text="≤15 кВт постоянная схема соответствует п.14 Правил")
    expect(row.get_by_text("Черновик")).to_be_visible()
    draft = Appeal.get()
    assert "<b>Здравствуйте, направляю заявку на ТП и схему электроснабжения</b>" in draft.comment_html
    assert sorted((d.file_name, d.doc_type) for d in draft.documents) == [
        ("Заявка.docx", "Заявка"), ("Схема.bmp", "Схема")]

    # Reopen the draft and send it.
    row.get_by_role("link").first.click()
    page.get_by_role("link", name="Продолжить редактирование черновика").click()
    expect(page.get_by_label("≤15 кВт", exact=True)).to_be_checked()
    expect(page.get_by_label(SUPPLIER_LABEL)).to_have_value(str(draft.supplier_id))
    expect(row_of(page, "Схема.bmp").get_by_role("combobox")).to_have_value("Схема")
    expect(page.get_by_text("Удалить черновик")).to_be_visible()
    expect(page.get_by_text("Обращаем Ваше внимание, что Заявитель несет ответственность")).to_be_visible()
    submit(page, "Отправить заявку")
    expect(page.get_by_text("Заявка на технологическое присоединение успешно создана и "
                            "отправлена в сетевую организацию")).to_be_visible()
    sent = Appeal.get_by_id(draft.id)
    assert sent.state == Appeal.ACTIVE
    assert sent.last_status == "Заявка создана и отправлена в сетевую"
    assert "направляю заявку на ТП" in Post.get(Post.appeal == sent).body_html
    mail = live_server.smtp.wait_for(lambda m: m["To"] == GRID_INBOX)
    assert mail["Subject"] == "Новая заявка на технологическое присоединение"
    assert "Заявка.docx" in live_server.smtp.text(mail)

    # A sent application cannot be edited any more.
    page.goto(f"{url}/appeals/{draft.id}/edit")
    expect(page.get_by_text("Отправленное обращение изменить нельзя")).to_be_visible()

    # «Создание обращения»: every field required, then sent.
    page.goto(f"{url}/appeals")
    page.get_by_role("link", name="Создание обращения").click()
    expect(page.get_by_role("heading", name="Сообщение в сетевую организацию")).to_be_visible()
    submit(page, "Отправить")
    expect(page.get_by_text("Введите тему сообщения")).to_be_visible()
    expect(page.get_by_text("Введите текст сообщения")).to_be_visible()
    page.get_by_label(re.compile("Тема")).fill("Изменение условий текущего договора на ТП")
    page.get_by_label(re.compile("Выберите получателя сообщения")).select_option(
        label="АО «Калиновскэнергосбыт»")
    page.get_by_role("textbox", name=re.compile("Сообщение")).fill(
        "Здравствуйте, необходимо внести изменения в договор на ТП")
    page.locator("input[type=file]").set_input_files(
        [{"name": "Выписка.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}])
    expect(row_of(page, "Выписка.pdf")).to_have_class(re.compile("uploaded"))
    submit(page, "Отправить")
    expect(page.get_by_text("Сообщение успешно создано и отправлено")).to_be_visible()
    expect(page.get_by_text("Тема: Изменение условий текущего договора на ТП")).to_be_visible()
    message = Appeal.get(Appeal.kind == Appeal.MESSAGE)
    assert message.organization.name == "АО «Калиновскэнергосбыт»"
    assert [d.file_name for d in Document.select().where(Document.appeal == message)] == ["Выписка.pdf"]
    live_server.smtp.wait_for(lambda m: m["Subject"] == "Новое сообщение: Изменение условий текущего договора на ТП")


def test_application_without_javascript(live_server, browser, browser_context_args):
    """With JavaScript off: a plain multiple file input and a plain textarea post with the form."""
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        url = live_server.url
        register_via_page(page, url, PERSON)
        page.goto(f"{url}/appeals/new/tp")
        page.get_by_label(">15 и ≤150 кВт", exact=True).check()
        page.get_by_label("временная", exact=True).check()
        page.get_by_label("не соответствует", exact=True).check()
        page.locator("input[type=file]").set_input_files([
            {"name": "Заявка.docx", "mimeType": DOCX, "buffer": b"form"},
            {"name": "Схема.bmp", "mimeType": "image/bmp", "buffer": b"BM"}])
        page.get_by_label("Комментарий к заявке").fill("Первая строка\nвторая строка")
        submit(page, "Сохранить черновик")
        expect(page.get_by_text("Черновик сохранен")).to_be_visible()
        draft = Appeal.get()
        assert draft.summary == ">15 и ≤150 кВт временная схема не соответствует п.14 Правил"
        assert draft.comment_html == "<p>Первая строка<br>вторая строка</p>"
        assert sorted(d.file_name for d in draft.documents) == ["Заявка.docx", "Схема.bmp"]
        # Reopened: each saved file has its own type select and «Удалить».
        page.goto(f"{url}/appeals/{draft.id}/edit")
        row = row_of(page, "Схема.bmp")
        row.get_by_role("combobox").select_option("Схема")
        submit(page, "Сохранить черновик")
        assert {d.file_name: d.doc_type for d in Appeal.get().documents}["Схема.bmp"] == "Схема"
        page.goto(f"{url}/appeals/{draft.id}/edit")
        with page.expect_navigation():
            row_of(page, "Схема.bmp").get_by_role("button", name="Удалить").click()
        expect(page.get_by_text("Документ удален")).to_be_visible()
        assert [d.file_name for d in Appeal.get().documents] == ["Заявка.docx"]
    finally:
        context.close()
