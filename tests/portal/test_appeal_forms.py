"""Creating ТП applications and messages: drafts, uploads, sending, refusals, authorisation."""
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest

from domain.appeals import filing
from domain.errors import Refusal
from domain.files import storage, uploads
from models import Appeal, Document, Notification, Organization, Post, Setting, User
from tests.data import (
    COMPANY,
    HOSTILE_RICH_TEXT,
    PERSON,
    SOLE_TRADER,
    assert_shown_sanitised,
)
from tests.docx_reading import docx_text

GRID_INBOX = "tp@kalinovsk-es.ru"
SENT_NOTICE = "Заявка на технологическое присоединение успешно создана и отправлена в сетевую организацию"


def confirm(email=PERSON["email"]):
    User.update(confirmed=True).where(User.email == email).execute()


def supplier(name="АО «Калиновскэнергосбыт»"):
    return Organization.get(Organization.name == name)


def tp_form(**overrides):
    data = {"power": "le15", "scheme": "permanent", "complies": "yes", "supplier": "",
            "comment": "Здравствуйте, направляю заявку на ТП и схему электроснабжения",
            "action": "save"}
    data.update(overrides)
    return data


def post_tp(client, url="/appeals/new/tp", files=(), files_type="Заявка", **overrides):
    data = tp_form(**overrides)
    data["files_type"] = files_type
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def raw_upload(client, name, content, url="/uploads", **headers):
    return client.post(url, data=content, headers={"X-File-Name": quote(name), **headers},
                       content_type="application/octet-stream")


def stored(key) -> Path:
    """Where storage keeps a key (storage needs the app's STORAGE_DIR)."""
    with _APP[0].app_context():
        return storage.path_of(key)


_APP = []


@pytest.fixture(autouse=True)
def _remember_app(app):
    _APP[:] = [app]


def page_text(response):
    return response.get_data(as_text=True)


# ---- the form as the manual draws it ---------------------------------------------------------

def test_form_shows_the_manuals_choices_for_a_person(client, applicant):
    html = page_text(client.get("/appeals/new/tp"))
    for text in ("Заявка на технологическое присоединение (в том числе временное)",
                 "Максимальная мощность (с учетом ранее присоединенных энергопринимающих устройств)",
                 "≤15 кВт", "&gt;15 и ≤150 кВт", "&gt;150 кВт", "Схема электроснабжения",
                 "постоянная", "временная", "положениям п.14 Правил технологического присоединения",
                 "В пункте 14 Правил технологического присоединения указаны",
                 "соответствует", "не соответствует", "Не планируется", "АО «Калиновскэнергосбыт»",
                 "Скачать форму заявки",
                 "Какие документы нужно приложить к заявке на технологическое присоединение?",
                 "добавить документы", "максимальный размер файла 30 МВ", "Комментарий к заявке",
                 "Отменить", "Сохранить черновик", "Отправить заявку",
                 "Обращаем Ваше внимание, что Заявитель несет ответственность за достоверность"):
        assert text in html, text
    assert "Удалить черновик" not in html  # only a saved draft can be deleted
    for doc_type in ("Заявка", "Схема", "План расположения", "Правоустанавливающий документ",
                     "Доверенность", "Иное"):
        assert f'<option value="{doc_type}"' in html


def test_company_sees_point_12_1(client, auth):
    auth.register(**COMPANY)
    html = page_text(client.get("/appeals/new/tp"))
    assert "положениям п.12(1) Правил" in html
    assert "В пункте 12(1) Правил технологического присоединения указаны" in html
    assert "В пункте 14 Правил" not in html


def test_attachment_list_marks_what_applies(client, applicant):
    html = page_text(client.get("/appeals/new/tp"))
    items = re.findall(r'<li data-when="(\w+)" class="([\w-]+)"', html)
    assert items == [("always", "applies"), ("large", "not-applies"),
                     ("general", "not-applies"), ("always", "applies")]
    # A draft above 150 kW (general form): the single-line diagram and the automation list apply.
    post_tp(client, power="gt150", complies="no")
    draft = Appeal.get()
    html = page_text(client.get(f"/appeals/{draft.id}/edit"))
    assert re.findall(r'<li data-when="(\w+)" class="([\w-]+)"', html) == [
        ("always", "applies"), ("large", "applies"), ("general", "applies"), ("always", "applies")]
    assert "доверенность" in html


# ---- drafts -------------------------------------------------------------------------------

def test_save_draft_with_files_keeps_cyrillic_names_and_sha256(client, applicant):
    response = post_tp(client, files=[("Заявка.docx", b"docx-bytes"), ("Схема.bmp", b"BM" * 50)])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/appeals?state=draft")
    draft = Appeal.get()
    assert draft.state == Appeal.DRAFT and draft.kind == Appeal.TP
    assert draft.summary == "≤15 кВт постоянная схема соответствует п.14 Правил"
    assert draft.comment_html == "<p>Здравствуйте, направляю заявку на ТП и схему электроснабжения</p>"
    docs = {d.file_name: d for d in draft.documents}
    assert set(docs) == {"Заявка.docx", "Схема.bmp"}
    import hashlib
    assert docs["Схема.bmp"].sha256 == hashlib.sha256(b"BM" * 50).hexdigest()
    assert docs["Схема.bmp"].size == 100
    key = docs["Заявка.docx"].storage_key
    assert "Заявка" not in str(stored(key))
    assert stored(key).read_bytes() == b"docx-bytes"
    listing = page_text(client.get("/appeals?state=draft"))
    assert "Черновик" in listing and "≤15 кВт постоянная схема соответствует п.14 Правил" in listing
    assert "Черновик сохранен" in listing


def test_reopen_change_types_remove_a_file_and_delete_the_draft(client, applicant):
    post_tp(client, files=[("Заявка.docx", b"1"), ("Схема.bmp", b"2")], files_type="Иное")
    draft = Appeal.get()
    html = page_text(client.get(f"/appeals/{draft.id}/edit"))
    assert "Удалить черновик" in html and "Заявка.docx" in html and "0.0мб" in html
    assert 'value="le15" checked' in html and 'value="yes" checked' in html
    docs = {d.file_name: d for d in draft.documents}
    data = tp_form(power="15_150", complies="no", supplier=str(supplier().id))
    data[f"doc_type_{docs['Заявка.docx'].id}"] = "Заявка"
    data["remove_doc"] = str(docs["Схема.bmp"].id)
    assert client.post(f"/appeals/{draft.id}/edit", data=data).status_code == 302
    draft = Appeal.get_by_id(draft.id)
    assert (draft.power, draft.complies, draft.supplier.name) == ("15_150", False,
                                                                  "АО «Калиновскэнергосбыт»")
    assert [(d.file_name, d.doc_type) for d in draft.documents] == [("Заявка.docx", "Заявка")]
    assert not stored(docs["Схема.bmp"].storage_key).exists()

    key = docs["Заявка.docx"].storage_key
    response = client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="delete"))
    assert response.status_code == 302
    assert Appeal.select().count() == 0 and Document.select().count() == 0
    assert not stored(key).exists()


def test_delete_button_of_one_document_without_javascript(client, applicant):
    post_tp(client, files=[("a.pdf", b"1"), ("b.pdf", b"2")])
    draft = Appeal.get()
    first = draft.documents.order_by(Document.id).first()
    response = client.post(f"/appeals/{draft.id}/edit", data=tp_form(delete_doc=str(first.id)))
    assert response.headers["Location"].endswith(f"/appeals/{draft.id}/edit#files")
    assert [d.file_name for d in Appeal.get().documents] == ["b.pdf"]


@pytest.mark.parametrize("legal_form,power,message", [
    (PERSON, "15_150", "Пункт 14 Правил распространяется только на физических лиц"),
    (PERSON, "gt150", "Пункт 14 Правил распространяется только на физических лиц"),
    (COMPANY, "gt150", "Пункт 12(1) Правил распространяется только на юридических лиц"),
    (SOLE_TRADER, "gt150", "Пункт 12(1) Правил распространяется только на юридических лиц"),
])
def test_choices_the_rules_exclude_are_refused(client, auth, legal_form, power, message):
    auth.register(**legal_form)
    response = post_tp(client, power=power, complies="yes", files=[("Заявка.docx", b"x")])
    assert response.status_code == 400
    html = page_text(response)
    assert message in html
    assert re.search(r'id="complies-error"[^>]*>' + re.escape(message), html)
    assert Appeal.select().count() == 0
    # What was entered stays, the uploaded file too (carried as a token).
    assert f'value="{power}" checked' in html and "Заявка.docx" in html
    assert 'name="upload" value="' in html


@pytest.mark.parametrize("legal_form,power", [(PERSON, "le15"), (COMPANY, "15_150"),
                                              (COMPANY, "le15"), (SOLE_TRADER, "15_150")])
def test_choices_the_rules_allow_are_kept(client, auth, legal_form, power):
    auth.register(**legal_form)
    assert post_tp(client, power=power, complies="yes").status_code == 302
    assert Appeal.get().complies is True


def test_unknown_supplier_is_refused(client, applicant):
    grid = Organization.grid()
    response = post_tp(client, supplier=str(grid.id))
    assert response.status_code == 400
    assert "Выберите гарантирующего поставщика из списка" in page_text(response)


DISTANCE = ("Расстояние от границ участка до объектов электросетевого хозяйства нужного класса "
            "напряжения не более 300 м в городах и поселках городского типа и не более 500 м в "
            "сельской местности")
PUBLIC_BUYER = "Заявитель — покупатель по 44-ФЗ / 275-ФЗ (оплата счета в течение 15 рабочих дней)"


def test_company_ticks_the_public_buyer_and_the_distance_kept_in_the_draft_and_shown(
        client, auth):
    auth.register(**COMPANY)
    html = page_text(client.get("/appeals/new/tp"))
    assert PUBLIC_BUYER in html and DISTANCE in html
    assert post_tp(client, power="15_150", public_buyer="y", distance_near="yes").status_code == 302
    draft = Appeal.get()
    assert (draft.public_buyer, draft.distance_near) == (True, "yes")
    html = page_text(client.get(f"/appeals/{draft.id}/edit"))
    assert 'name="public_buyer" value="y" checked' in html
    assert 'name="distance_near" value="yes" checked' in html
    # Unticked and «не знаю» on the next save.
    client.post(f"/appeals/{draft.id}/edit", data=tp_form(power="15_150", distance_near="unknown"))
    assert (Appeal.get().public_buyer, Appeal.get().distance_near) == (False, "unknown")
    client.post(f"/appeals/{draft.id}/edit", data=tp_form(power="15_150", public_buyer="y",
                                                          distance_near="yes"))
    html = page_text(client.get(f"/appeals/{draft.id}"))
    assert re.search(r'id="distance-near">да<', html)
    assert "Покупатель по 44-ФЗ / 275-ФЗ" in html


def test_a_person_cannot_tick_the_public_buyer(client, applicant):
    html = page_text(client.get("/appeals/new/tp"))
    assert PUBLIC_BUYER not in html and DISTANCE in html  # not offered to a person
    response = post_tp(client, public_buyer="y")
    assert response.status_code == 400
    assert re.search(r'id="public_buyer-error" role="alert">Срок оплаты счета 15 рабочих дней '
                     r'установлен для покупателей по 44-ФЗ / 275-ФЗ', page_text(response))
    assert Appeal.select().count() == 0
    assert post_tp(client, distance_near="no").status_code == 302
    assert (Appeal.get().public_buyer, Appeal.get().distance_near) == (False, "no")


@pytest.mark.parametrize("field,value,message", [
    ("distance_near", "maybe", "Выберите ответ: да, нет или не знаю"),
    ("power", "100kW", "Выберите максимальную мощность"),
    ("scheme", "forever", "Выберите схему электроснабжения"),
    ("supplier", "АО", "Выберите гарантирующего поставщика из списка"),
])
def test_values_outside_the_choices_are_refused_beside_their_field(client, applicant, field,
                                                                  value, message):
    response = post_tp(client, **{field: value})
    assert response.status_code == 400
    assert f'id="{field}-error">{message}<' in page_text(response)
    assert Appeal.select().count() == 0


def test_plain_textarea_comment_keeps_lines_and_script_is_inert(client, applicant):
    post_tp(client, comment="Строка 1\nСтрока 2\n\n<script>alert(1)</script>Абзац")
    comment = Appeal.get().comment_html
    assert "<script" not in comment
    post_tp(client, comment="Первая\nвторая")
    assert Appeal.select().order_by(Appeal.id.desc()).first().comment_html == "<p>Первая<br>вторая</p>"
    post_tp(client, comment='<p onclick="x()"><b>жирный</b><img src=x onerror=alert(1)></p>')
    assert Appeal.select().order_by(Appeal.id.desc()).first().comment_html == "<p><b>жирный</b></p>"


# ---- sending ------------------------------------------------------------------------------

def test_send_needs_a_document_of_type_application(client, applicant, mailbox):
    confirm()
    response = post_tp(client, action="send", files=[("Схема.bmp", b"x")], files_type="Схема")
    assert response.status_code == 400
    assert "хотя бы один документ с типом «Заявка»" in page_text(response)
    assert Appeal.select().count() == 0 and Notification.select().count() == 0


def test_send_needs_every_choice(client, applicant):
    confirm()
    response = post_tp(client, action="send", power="", scheme="", complies="",
                       files=[("Заявка.docx", b"x")])
    html = page_text(response)
    assert response.status_code == 400
    for message in ("Выберите максимальную мощность", "Выберите схему электроснабжения",
                    "Укажите, соответствует ли заявка положениям п.14 Правил"):
        assert message in html


def test_unconfirmed_applicant_keeps_drafts_but_sending_explains_confirmation(client, applicant):
    assert Setting.flag("require_confirmed")
    response = post_tp(client, action="send", files=[("Заявка.docx", b"x")])
    html = page_text(response)
    assert response.status_code == 400
    assert "Учетная запись не подтверждена" in html
    assert "обратитесь лично в офис сетевой организации с документами, подтверждающими личность" in html
    assert "взять с собой телефон, указанный при регистрации" in html
    assert Appeal.select().count() == 0
    assert post_tp(client, files=[("Заявка.docx", b"x")]).status_code == 302
    draft = Appeal.get()
    response = client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="send"))
    assert response.status_code == 400 and Appeal.get().state == Appeal.DRAFT
    Setting.put("require_confirmed", "0")
    assert client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="send")).status_code == 302
    assert Appeal.get().state == Appeal.ACTIVE


def test_company_confirmation_text_mentions_power_of_attorney(client, auth):
    auth.register(**COMPANY)
    html = page_text(post_tp(client, power="15_150", action="send", files=[("Заявка.docx", b"x")]))
    assert "доверенность на совершение юридически значимых действий" in html


def test_send_application(client, applicant, mailbox):
    confirm()
    gp = supplier()
    post_tp(client, supplier=str(gp.id), files=[("Заявка.docx", b"x"), ("Схема.bmp", b"y")])
    draft = Appeal.get()
    response = client.post(f"/appeals/{draft.id}/edit",
                           data=tp_form(action="send", supplier=str(gp.id)),
                           follow_redirects=True)
    assert SENT_NOTICE in page_text(response)
    appeal = Appeal.get()
    assert appeal.state == Appeal.ACTIVE and appeal.sent_at and appeal.applicant_activity_at
    assert appeal.last_status == "Заявка создана и отправлена в сетевую"
    assert appeal.organization == Organization.grid()
    events = list(appeal.status_events)
    assert [(e.kind, e.text) for e in events] == [("sent", "Заявка создана и отправлена в сетевую")]
    posts = list(appeal.posts)
    assert len(posts) == 1 and posts[0].side == Post.APPLICANT
    assert "направляю заявку на ТП" in posts[0].body_html
    assert "направляю заявку" in appeal.search_text
    grid_mail = mailbox.to(GRID_INBOX)
    assert len(grid_mail) == 1
    assert grid_mail[0]["Subject"] == "Новая заявка на технологическое присоединение"
    text = mailbox.text(grid_mail[0])
    for part in ("≤15 кВт", "постоянная схема", "соответствует п.14 Правил", "Иванов Иван Петрович",
                 PERSON["snils"], "Заявка: Заявка.docx", "направляю заявку на ТП",
                 "телефон: +7 912 345-67-89"):
        assert part in text, part
    assert "<td>+7 912 345-67-89</td>" in mailbox.html(grid_mail[0])
    assert len(mailbox.to(gp.inbox_email)) == 1  # the supplier named in the application too

    # A sent application is no longer editable.
    response = client.post(f"/appeals/{appeal.id}/edit", data=tp_form(power="gt150", complies="no"))
    assert response.status_code == 302
    assert Appeal.get().power == "le15"
    assert "изменить нельзя" in page_text(client.get(f"/appeals/{appeal.id}/edit",
                                                    follow_redirects=True))


def test_documents_can_be_added_after_sending(client, applicant, mailbox):
    confirm()
    post_tp(client, action="send", files=[("Заявка.docx", b"x")])
    appeal = Appeal.get()
    before = appeal.updated_at
    response = client.post(f"/appeals/{appeal.id}/documents", data={
        "files": [(io.BytesIO(b"plan"), "План участка.pdf")], "doc_type": "План расположения"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/appeals/{appeal.id}")
    doc = Document.get(Document.file_name == "План участка.pdf")
    assert doc.doc_type == "План расположения" and doc.party == "applicant"
    appeal = Appeal.get()
    assert appeal.updated_at > before and appeal.applicant_activity_at > before
    # The JavaScript way: the raw file as the body.
    response = raw_upload(client, "Выписка ЕГРН.pdf", b"egrn", url=f"/appeals/{appeal.id}/documents",
                          **{"X-Doc-Type": "Правоустанавливающий документ"})
    assert response.status_code == 201
    assert response.json["documents"][0]["name"] == "Выписка ЕГРН.pdf"
    subjects = [m["Subject"] for m in mailbox.to(GRID_INBOX)]
    assert subjects.count("Заявитель добавил документы") == 2
    # Archived: refused.
    Appeal.update(state=Appeal.ARCHIVE).execute()
    response = client.post(f"/appeals/{appeal.id}/documents", data={
        "files": [(io.BytesIO(b"z"), "z.pdf")]}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "находится в архиве" in page_text(response)
    assert Document.select().count() == 3


def test_applicant_post_notifies_the_inbox_and_archive_refuses(client, applicant, mailbox):
    confirm()
    post_tp(client, action="send", files=[("Заявка.docx", b"x")])
    appeal = Appeal.get()
    user = User.by_email(PERSON["email"])
    with client.application.test_request_context():
        post = filing.add_applicant_post(appeal, user, "<p>Дополняю <b>схему</b></p>")
        from domain.outbox import notify
        notify.flush()
    assert post.body_html == "<p>Дополняю <b>схему</b></p>"
    message = mailbox.to(GRID_INBOX)[-1]
    assert message["Subject"] == "Новое сообщение заявителя"
    assert "Дополняю схему" in mailbox.text(message)
    appeal = Appeal.get()
    appeal.state = Appeal.ARCHIVE
    appeal.save()
    with pytest.raises(Refusal) as info:
        filing.add_applicant_post(appeal, user, "ещё")
    assert "архиве" in str(info.value)


# ---- uploads ------------------------------------------------------------------------------

def test_javascript_upload_then_save_makes_documents(client, applicant):
    response = raw_upload(client, "Заявка.docx", b"hello")
    assert response.status_code == 201
    body = response.json
    assert body["name"] == "Заявка.docx" and body["size"] == 5 and body["size_label"] == "0.0мб"
    data = tp_form(upload=[body["token"]], upload_type=["Заявка"])
    assert client.post("/appeals/new/tp", data=data).status_code == 302
    doc = Document.get()
    assert (doc.file_name, doc.doc_type, doc.size) == ("Заявка.docx", "Заявка", 5)
    # The same token again does not make a second document.
    draft = Appeal.get()
    client.post(f"/appeals/{draft.id}/edit", data=data)
    assert Document.select().count() == 1


def test_tokens_of_another_applicant_or_forged_are_ignored(client, auth):
    auth.register()
    token = raw_upload(client, "чужой.pdf", b"secret").json["token"]
    auth.logout()
    auth.register(**SOLE_TRADER)
    data = tp_form(power="15_150", upload=[token, token[:-2] + "xx"], upload_type=["Заявка", "Иное"])
    assert client.post("/appeals/new/tp", data=data).status_code == 302
    assert Document.select().count() == 0


def test_too_large_file_is_refused_by_name_and_others_kept(client, applicant):
    Setting.put("max_upload_mb", "1")
    big = b"x" * (1024 * 1024 + 1)
    response = raw_upload(client, "Большой.pdf", big)
    assert response.status_code == 413
    assert response.json["error"] == "Файл «Большой.pdf» больше 1 МБ и не загружен"
    response = post_tp(client, files=[("Большой.pdf", big), ("Малый.pdf", b"ok")])
    assert response.status_code == 400
    html = page_text(response)
    assert "Файл «Большой.pdf» больше 1 МБ и не загружен" in html
    assert "Малый.pdf" in html  # kept as an upload of the re-shown form
    token = re.search(r'name="upload" value="([^"]+)"', html).group(1)
    assert client.post("/appeals/new/tp", data=tp_form(upload=[token], upload_type=["Иное"])
                       ).status_code == 302
    assert [d.file_name for d in Document.select()] == ["Малый.pdf"]
    files_dir = Path(client.application.config["STORAGE_DIR"])
    assert not list(files_dir.rglob("*.part"))


def test_refused_forms_show_the_text_again_sanitised_never_as_posted(client, applicant):
    """The ТП comment and the message's text go back into the editor as sanitised HTML."""
    Setting.put("max_upload_mb", "0.001")
    refused = [post_tp(client, files=[("Большой.pdf", b"x" * 5000)], comment=HOSTILE_RICH_TEXT),
               client.post("/appeals/new/message", data={"subject": "Тема", "organization": "",
                                                         "body": HOSTILE_RICH_TEXT})]
    for response, field in zip(refused, ("comment", "body")):
        html = page_text(response)
        assert response.status_code == 400
        assert_shown_sanitised(html, field)
    assert Appeal.select().count() == 0


def test_empty_file_is_refused(client, applicant):
    response = raw_upload(client, "пусто.txt", b"")
    assert response.status_code == 400
    assert response.json["error"] == "Файл «пусто.txt» пуст и не загружен"


def test_too_large_javascript_upload_to_a_sent_appeal_is_413_and_not_kept(client, applicant):
    confirm()
    post_tp(client, action="send", files=[("Заявка.docx", b"x")])
    appeal = Appeal.get()
    Setting.put("max_upload_mb", "1")
    response = raw_upload(client, "Большой.pdf", b"x" * (1024 * 1024 + 1),
                          url=f"/appeals/{appeal.id}/documents")
    assert response.status_code == 413
    assert response.json["error"] == "Файл «Большой.pdf» больше 1 МБ и не загружен"
    assert Document.select().count() == 1
    Appeal.update(state=Appeal.ARCHIVE).execute()
    before = {p for p in Path(client.application.config["STORAGE_DIR"]).rglob("*") if p.is_file()}
    response = raw_upload(client, "Поздно.pdf", b"late", url=f"/appeals/{appeal.id}/documents")
    assert response.status_code == 400 and "находится в архиве" in response.json["error"]
    after = {p for p in Path(client.application.config["STORAGE_DIR"]).rglob("*") if p.is_file()}
    assert after == before  # the refused file is not kept


def files_in_storage(client) -> set:
    """Every stored file (pending markers aside)."""
    root = Path(client.application.config["STORAGE_DIR"])
    return {p for p in root.rglob("*") if p.is_file() and "pending" not in p.parts}


OVER_PENDING = ("Файл «второй.pdf» не загружен: загруженные, но не сохраненные файлы не могут "
                "занимать больше 1 МБ. Сохраните черновик или отправьте обращение: сохраненные "
                "файлы в этот объем не входят")


def test_raw_uploads_over_the_pending_limit_are_413_until_the_draft_is_saved(client, applicant,
                                                                             own_storage):
    Setting.put("max_pending_mb", "1")
    part = b"x" * (600 * 1024)
    first = raw_upload(client, "первый.pdf", part)
    assert first.status_code == 201
    before = files_in_storage(client)
    response = raw_upload(client, "второй.pdf", part)
    assert response.status_code == 413 and response.json["error"] == OVER_PENDING
    assert files_in_storage(client) == before  # nothing of it kept
    # Saved with the draft, the first file is a document: no longer pending.
    assert client.post("/appeals/new/tp", data=tp_form(
        upload=[first.json["token"]], upload_type=["Заявка"])).status_code == 302
    assert raw_upload(client, "второй.pdf", part).status_code == 201


def test_an_upload_dropped_from_the_form_is_deleted_and_frees_its_bytes(client, applicant,
                                                                        own_storage):
    Setting.put("max_pending_mb", "1")
    token = raw_upload(client, "первый.pdf", b"x" * (600 * 1024)).json["token"]
    before = files_in_storage(client)
    response = client.post("/appeals/new/tp", data=tp_form(upload=[token], drop_upload=token))
    assert response.status_code == 200 and "первый.pdf" not in page_text(response)
    assert len(before - files_in_storage(client)) == 1
    assert raw_upload(client, "второй.pdf", b"x" * (600 * 1024)).status_code == 201


def test_the_51st_file_is_refused_by_name_beside_the_files(client, applicant):
    before = files_in_storage(client)
    response = post_tp(client, files=[(f"{n}.pdf", b"x") for n in range(1, 52)])
    assert response.status_code == 400
    html = page_text(response)
    assert ('id="files-error" role="alert">Файл «51.pdf» не загружен: к обращению можно '
            'приложить не более 50 файлов<') in html
    tokens = re.findall(r'name="upload" value="([^"]+)"', html)
    assert len(tokens) == 50 and len(files_in_storage(client) - before) == 50
    assert client.post("/appeals/new/tp", data=tp_form(
        upload=tokens, upload_type=["Заявка"] * 50)).status_code == 302
    draft = Appeal.get()
    assert Document.select().where(Document.appeal == draft.id).count() == 50
    # A JavaScript upload made meanwhile is refused when the draft is saved with it.
    extra = raw_upload(client, "52.pdf", b"x").json["token"]
    before = files_in_storage(client)
    response = client.post(f"/appeals/{draft.id}/edit", data=tp_form(
        upload=[extra], upload_type=["Иное"]))
    assert response.status_code == 400
    assert "Файл «52.pdf» не загружен: к обращению можно приложить не более 50 файлов" in \
        page_text(response)
    assert len(before - files_in_storage(client)) == 1  # its file deleted
    assert Document.select().count() == 50


def test_a_javascript_upload_to_a_full_sent_appeal_is_413(client, applicant):
    Setting.put("max_files_per_appeal", "1")
    confirm()
    post_tp(client, action="send", files=[("Заявка.docx", b"x")])
    appeal = Appeal.get()
    before = files_in_storage(client)
    response = raw_upload(client, "Схема.pdf", b"scheme", url=f"/appeals/{appeal.id}/documents")
    assert response.status_code == 413
    assert response.json["error"] == ("Файл «Схема.pdf» не загружен: к обращению можно "
                                      "приложить не более 1 файла")
    assert files_in_storage(client) == before and Document.select().count() == 1


def test_too_long_subject_is_refused(client, applicant):
    response = client.post("/appeals/new/message", data={
        "subject": "Т" * 501, "organization": str(Organization.grid().id), "body": "текст"})
    assert response.status_code == 400
    assert 'id="subject-error">Тема не длиннее 500 символов<' in page_text(response)


def test_hostile_file_names_are_harmless(client, applicant):
    names = {"../../etc/passwd": "passwd", "..\\..\\win.ini": "win.ini",
             "a\x00b\r\n\x1b[31mc.pdf": "ab[31mc.pdf", "..": "файл",
             "<script>x</script>.html": "script>.html", "/": "файл"}
    for raw_name, expected in names.items():
        response = raw_upload(client, raw_name, b"data")
        assert response.status_code == 201, raw_name
        assert response.json["name"] == expected, raw_name
    token = raw_upload(client, "<img src=x onerror=alert(1)>.html", b"<b>hi</b>").json["token"]
    client.post("/appeals/new/tp", data=tp_form(upload=[token], upload_type=["Иное"]))
    draft = Appeal.get()
    html = page_text(client.get(f"/appeals/{draft.id}/edit"))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.html" in html
    doc = Document.get()
    response = client.get(f"/documents/{doc.id}")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    files_dir = Path(client.application.config["STORAGE_DIR"]).resolve()
    for path in Path("/").glob("etc/passwd*"):
        assert files_dir not in path.resolve().parents


def test_download_keeps_the_cyrillic_name(client, applicant):
    post_tp(client, files=[("Договор №5 (копия).docx", b"content")])
    doc = Document.get()
    response = client.get(f"/documents/{doc.id}")
    assert response.status_code == 200 and response.data == b"content"
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote("Договор №5 (копия).docx") in disposition
    assert "no-store" in response.headers["Cache-Control"]


# ---- the .docx form -------------------------------------------------------------------------



def test_download_form_for_a_person_up_to_15_kw(client, applicant):
    gp = supplier()
    response = post_tp(client, action="download", supplier=str(gp.id))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert quote("Заявка на ТП (п.14 Правил).docx") in response.headers["Content-Disposition"]
    text = docx_text(response.data)
    for part in ("ЗАЯВКА", "максимальной мощностью до 15 кВт включительно",
                 "В ООО «Калиновские Электрические Сети»", "Иванов Иван Петрович", PERSON["snils"],
                 "постоянная", "≤15 кВт", "АО «Калиновскэнергосбыт»", "Кадастровый номер",
                 "Место нахождения энергопринимающих устройств", "(подпись)", "20___ г."):
        assert part in text, part
    assert "противоаварийной" not in text  # not required from a п.14 applicant
    assert Appeal.select().count() == 0  # downloading saves nothing


@pytest.mark.parametrize("data,power,complies,name,marker", [
    (COMPANY, "15_150", "yes", "п.12(1)", "до 150 кВт включительно"),
    (COMPANY, "gt150", "no", "п.9", "противоаварийной"),
    (PERSON, "le15", "no", "п.9", "однолинейная схема"),
])
def test_download_form_by_category(client, auth, data, power, complies, name, marker):
    auth.register(**data)
    response = post_tp(client, action="download", power=power, scheme="temporary",
                       complies=complies)
    assert quote(f"Заявка на ТП ({name} Правил).docx") in response.headers["Content-Disposition"]
    text = docx_text(response.data)
    assert marker in text.lower() or marker in text
    assert "временная" in text and "Не планируется" in text
    if data is COMPANY:
        assert COMPANY["company_name"] in text and COMPANY["ogrn"] in text and COMPANY["kpp"] in text


# ---- messages -----------------------------------------------------------------------------

def test_message_form_and_required_fields(client, applicant):
    html = page_text(client.get("/appeals/new/message"))
    for text in ("Сообщение в сетевую организацию", "Тема", "Выберите получателя сообщения",
                 "Сообщение", "Отправить", "ООО «Калиновские Электрические Сети»"):
        assert text in html
    assert "АО «Калиновскэнергосбыт»" not in html  # not named in any application yet
    response = client.post("/appeals/new/message", data={"subject": " ", "organization": "",
                                                        "body": "<p> </p>"})
    html = page_text(response)
    assert response.status_code == 400
    for field, message in (("subject", "Введите тему сообщения"),
                           ("organization", "Выберите получателя сообщения"),
                           ("body", "Введите текст сообщения")):
        assert f'id="{field}-error">{message}<' in html
    assert Appeal.select().count() == 0


def test_send_message_with_attachment(client, applicant, mailbox):
    grid = Organization.grid()
    response = client.post("/appeals/new/message", data={
        "subject": "Изменение условий текущего договора на ТП", "organization": str(grid.id),
        "body": "<p>Здравствуйте, необходимо внести изменения</p><script>alert(1)</script>",
        "files": [(io.BytesIO(b"doc"), "Свидетельство.pdf")], "files_type": "Иное"},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Сообщение успешно создано и отправлено" in page_text(response)
    appeal = Appeal.get()
    assert (appeal.kind, appeal.state, appeal.organization_id) == ("message", "active", grid.id)
    assert appeal.last_status == "Сообщение создано и отправлено"
    assert appeal.summary == "Тема: Изменение условий текущего договора на ТП"
    post = appeal.posts.get()
    assert post.body_html == "<p>Здравствуйте, необходимо внести изменения</p>"
    assert Document.get().post_id == post.id
    message = mailbox.to(GRID_INBOX)[0]
    assert message["Subject"] == "Новое сообщение: Изменение условий текущего договора на ТП"
    assert "необходимо внести изменения" in mailbox.text(message)
    assert "Свидетельство.pdf" in mailbox.text(message)
    # Unconfirmed accounts may write messages (only ТП applications need confirmation).
    assert not User.by_email(PERSON["email"]).confirmed


def test_message_recipients_are_grid_and_suppliers_of_sent_applications(client, applicant, mailbox):
    confirm()
    gp, other = supplier(), supplier("ПАО «Северная энергосбытовая компания»")
    post_tp(client, supplier=str(other.id))  # a draft names a supplier: not enough
    post_tp(client, action="send", supplier=str(gp.id), files=[("Заявка.docx", b"x")])
    user = User.by_email(PERSON["email"])
    assert [o.name for o in filing.message_recipients(user)] == [
        "ООО «Калиновские Электрические Сети»", "АО «Калиновскэнергосбыт»"]
    response = client.post("/appeals/new/message", data={
        "subject": "Вопрос", "organization": str(other.id), "body": "текст"})
    assert "Выберите получателя сообщения из списка" in page_text(response)
    response = client.post("/appeals/new/message", data={
        "subject": "Договор энергоснабжения", "organization": str(gp.id), "body": "текст"})
    assert response.status_code == 302
    assert mailbox.to(gp.inbox_email)[-1]["Subject"] == "Новое сообщение: Договор энергоснабжения"


def test_script_in_subject_is_inert(client, applicant):
    grid = Organization.grid()
    client.post("/appeals/new/message", data={
        "subject": "<script>alert(1)</script>", "organization": str(grid.id), "body": "x"})
    listing = page_text(client.get("/appeals"))
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    response = client.post("/appeals/new/message", data={
        "subject": "<script>alert(2)</script>", "organization": "", "body": "x"})
    assert "<script>alert(2)</script>" not in page_text(response)


# ---- authorisation ------------------------------------------------------------------------

def test_another_applicants_ids_are_404_everywhere(client, auth):
    auth.register()
    confirm()
    post_tp(client, files=[("Заявка.docx", b"mine")])
    draft = Appeal.get()
    post_tp(client, action="send", files=[("Заявка.docx", b"sent")])
    sent = Appeal.select().where(Appeal.state == Appeal.ACTIVE).get()
    doc = Document.select().where(Document.appeal == draft).get()
    auth.logout()
    auth.register(**SOLE_TRADER)
    checks = [
        client.get(f"/appeals/{draft.id}/edit"),
        client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="save")),
        client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="send")),
        client.post(f"/appeals/{draft.id}/edit", data=tp_form(action="delete")),
        client.post(f"/appeals/{draft.id}/edit", data=tp_form(delete_doc=str(doc.id))),
        client.get(f"/documents/{doc.id}"),
        client.post(f"/appeals/{sent.id}/documents", data={
            "files": [(io.BytesIO(b"x"), "x.pdf")]}, content_type="multipart/form-data"),
        raw_upload(client, "x.pdf", b"x", url=f"/appeals/{sent.id}/documents"),
        client.get(f"/appeals/{sent.id}/edit"),
    ]
    assert [r.status_code for r in checks] == [404] * len(checks)
    # Nor can the stranger's own draft take over someone else's document.
    data = tp_form(power="15_150", **{f"doc_type_{doc.id}": "Иное", "remove_doc": str(doc.id)})
    client.post("/appeals/new/tp", data=data)
    assert Document.get_by_id(doc.id).doc_type == "Заявка"
    assert Appeal.select().where(Appeal.id == draft.id).exists()


def test_pages_need_a_logged_in_applicant(client):
    for url in ("/appeals/new/tp", "/appeals/new/message", "/appeals/1/edit", "/documents/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/uploads", data=b"x").status_code == 302


# ---- memory of a 30 MB upload -------------------------------------------------------------

SERVER = textwrap.dedent('''
    import os, sys, threading
    sys.path.insert(0, {root!r})
    from domain.accounts import credentials; credentials.HASH_METHOD = "pbkdf2:sha256:1000"
    from run import create_app, init_db
    app = create_app({{"TESTING": True, "WTF_CSRF_ENABLED": False}})
    with app.app_context():
        init_db()
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()
''')


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_30_mb_upload_raises_server_peak_memory_by_less_than_10_mb(tmp_path):
    """A real server process: both upload ways (raw body and multipart form) stay flat."""
    import http.client
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, INSTANCE_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path}/mem.sqlite3")
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=root)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(proc.stdout.readline())
        big = tmp_path / "big.bin"
        with open(big, "wb") as out:
            for _ in range(30):
                out.write(os.urandom(1024 * 1024))

        def request(method, path, body=None, headers=None):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response, data

        from urllib.parse import urlencode

        from tests.data import PERSON as person
        response, _ = request("POST", "/register", urlencode(person),
                              {"Content-Type": "application/x-www-form-urlencoded"})
        cookie = response.getheader("Set-Cookie").split(";")[0]
        request("GET", "/appeals/new/tp", headers={"Cookie": cookie})  # warm up
        raw_upload_small = request("POST", "/uploads", b"warm",
                                   {"Cookie": cookie, "X-File-Name": "w.bin"})
        assert raw_upload_small[0].status == 201
        before = _peak_kb(proc.pid)
        with open(big, "rb") as body:
            response, data = request("POST", "/uploads", body, {
                "Cookie": cookie, "X-File-Name": quote("Большой файл.bin"),
                "Content-Type": "application/octet-stream",
                "Content-Length": str(big.stat().st_size)})
        assert response.status == 201, data
        raw_growth = _peak_kb(proc.pid) - before

        # Without JavaScript: the same file inside a multipart form, streamed from disk.
        boundary = "----portal-test-boundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nsave\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        class Body:
            """head + file + tail read in chunks, never whole."""
            def __init__(self):
                self.parts = [io.BytesIO(head), open(big, "rb"), io.BytesIO(tail)]

            def read(self, size=-1):
                while self.parts:
                    chunk = self.parts[0].read(size if size and size > 0 else 65536)
                    if chunk:
                        return chunk
                    self.parts.pop(0).close()
                return b""

        length = len(head) + big.stat().st_size + len(tail)
        before = _peak_kb(proc.pid)
        response, data = request("POST", "/appeals/new/tp", Body(), {
            "Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length)})
        assert response.status == 302, data[:500]
        form_growth = _peak_kb(proc.pid) - before
        print(f"\npeak RSS growth: raw body {raw_growth} KB, multipart {form_growth} KB")
        assert raw_growth <= 10 * 1024 and form_growth <= 10 * 1024
        stored = [p for p in (tmp_path / "files").rglob("*") if p.is_file()
                  and p.stat().st_size == 30 * 1024 * 1024]
        assert len(stored) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_abandoned_uploads_are_swept_and_attached_ones_kept(client, app, applicant, tmp_path,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "files"))
    kept = raw_upload(client, "Заявка.docx", b"kept").json["token"]
    raw_upload(client, "брошен.pdf", b"abandoned")
    client.post("/appeals/new/tp", data=tp_form(upload=[kept], upload_type=["Заявка"]))
    with app.app_context():
        markers = [p for p in (Path(app.config["STORAGE_DIR"]) / "pending").rglob("*")
                   if p.is_file()]
        assert len(markers) == 2
        assert uploads.sweep_pending() == 0  # too young
        for marker in markers:
            os.utime(marker, (1, 1))
        assert uploads.sweep_pending() == 1
        assert not [p for p in (Path(app.config["STORAGE_DIR"]) / "pending").rglob("*")
                    if p.is_file()]
    doc = Document.get()
    assert stored(doc.storage_key).read_bytes() == b"kept"
    files = [p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()]
    assert len(files) == 1


def test_message_draft_made_through_the_api_reopens_in_the_message_form(client, applicant):
    user = User.by_email(PERSON["email"])
    draft = filing.create_draft(user, Appeal.MESSAGE, subject="Черновик темы",
                                 body_html="<p>текст</p>")
    html = page_text(client.get(f"/appeals/{draft.id}/edit"))
    assert "Сообщение в сетевую организацию" in html and 'value="Черновик темы"' in html
    response = client.post(f"/appeals/{draft.id}/edit", data={
        "subject": "Черновик темы", "organization": str(Organization.grid().id),
        "body": "<p>текст</p>"})
    assert response.status_code == 302
    assert Appeal.get_by_id(draft.id).state == Appeal.ACTIVE
