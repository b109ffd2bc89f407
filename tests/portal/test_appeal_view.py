"""The appeal page: header, marks, thread and reply, statuses, documents, access, queries."""
import datetime as dt
import io
import re
from html import unescape

from models import Appeal, Document, Post, Setting, Signature, StatusEvent, User
from tests.appeal_factory import make_appeal, other_applicant, supplier
from tests.data import COMPANY, HOSTILE_RICH_TEXT, assert_shown_sanitised
from tests.query_count import count_queries
from tests.page_text import visible_text

BASE = dt.datetime(2020, 8, 6, 7, 19)  # 10:19 in Moscow
GRID = "ООО «Калиновские Электрические Сети»"


text = visible_text


def the_message(applicant, **overrides):
    """The manual's example: a message with number 899, a reply and two statuses."""
    values = dict(subject="Изменение условий текущего договора на ТП", reg_number="899",
                  last_status="Присвоен регистрационный номер: 899", created_at=BASE,
                  updated_at=BASE + dt.timedelta(minutes=10), unread=True, new_status=True,
                  new_post=True,
                  posts=[(Post.APPLICANT, "<p>Здравствуйте, необходимо внести изменения</p>"),
                         (Post.GRID, "<p>Просим направить документы</p>")],
                  statuses=["Присвоен регистрационный номер: 899"])
    values.update(overrides)
    return make_appeal(applicant, Appeal.MESSAGE, **values)


def test_header_thread_statuses(client, applicant):
    appeal = the_message(applicant)
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "← Вернуться к списку обращений" in page
    assert f"Сообщение к {GRID}" in page
    assert "Регистрационный номер: 899" in page
    assert "Тема: Изменение условий текущего договора на ТП" in page
    assert "Создано: 06.08.2020, 10:19" in page and "Обновлено: 06.08.2020, 10:29" in page
    thread = page[page.index("Сообщения"):page.index("Статусы")]
    assert ("Заявитель Здравствуйте, необходимо внести изменения 06.08.2020, 10:19 "
            f"{GRID} Просим направить документы 06.08.2020, 10:19") in thread
    statuses = page[page.index("Статусы"):]
    assert f"Присвоен регистрационный номер: 899 {GRID} 06.08.2020, 10:19" in statuses


def test_marks_shown_once_and_opening_marks_read(client, applicant):
    appeal = the_message(applicant)
    assert appeal.unread_for_applicant
    first = text(client.get(f"/appeals/{appeal.id}"))
    assert "Новый статус от Сетевой" in first and "Новое сообщение от Сетевой" in first
    fresh = Appeal.get_by_id(appeal.id)
    assert not fresh.unread_for_applicant and fresh.applicant_seen_at
    assert not fresh.new_status_for_applicant and not fresh.new_post_for_applicant
    second = text(client.get(f"/appeals/{appeal.id}"))
    assert "Новый статус от Сетевой" not in second and "Новое сообщение от Сетевой" not in second


def test_only_the_new_kind_is_marked(client, applicant):
    appeal = the_message(applicant, new_status=False)
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Новое сообщение от Сетевой" in page and "Новый статус от Сетевой" not in page


def test_application_header_and_documents_by_party(client, applicant):
    gp = supplier()
    appeal = make_appeal(applicant, Appeal.TP, created_at=BASE, supplier=gp,
                         documents=[("applicant", "Заявка", "Заявка.docx"),
                                    ("applicant", "Схема", "Схема.bmp"),
                                    ("grid", "Договор ТП", "Договор.docx"),
                                    ("supplier", "Договор энергоснабжения", "ЭСО.docx")])
    response = client.get(f"/appeals/{appeal.id}")
    page = text(response)
    assert "Заявка на технологическое присоединение (в том числе временное)" in page
    assert "≤15 кВт постоянная схема соответствует п.14 Правил" in page
    assert "Документы заявителя docx Заявка Заявка.docx 0.0мб добавлен: 06.08.2020 " \
           "bmp Схема Схема.bmp 0.0мб добавлен: 06.08.2020" in page
    assert f"Документы {GRID} docx Договор ТП Договор.docx" in page
    assert f"Документы {gp.name} docx Договор энергоснабжения ЭСО.docx" in page
    html = response.get_data(as_text=True)
    for doc in Document.select().where(Document.appeal == appeal):
        assert f'href="/documents/{doc.id}"' in html


def test_draft_page_offers_editing_and_no_reply(client, applicant):
    draft = make_appeal(applicant, Appeal.TP, Appeal.DRAFT,
                        comment_html="<p>Здравствуйте, направляю заявку на ТП</p>")
    response = client.get(f"/appeals/{draft.id}")
    html, page = response.get_data(as_text=True), text(response)
    assert "Черновик" in page and "Здравствуйте, направляю заявку на ТП" in page
    assert f'href="/appeals/{draft.id}/edit"' in html
    assert 'name="body"' not in html


def test_archived_appeal_is_read_only(client, applicant):
    archived = the_message(applicant, state=Appeal.ARCHIVE)
    response = client.get(f"/appeals/{archived.id}")
    html = response.get_data(as_text=True)
    assert "только для просмотра" in text(response)
    assert 'name="body"' not in html and 'type="file"' not in html
    assert "добавить документы" not in html
    before = Post.select().where(Post.appeal == archived).count()
    client.post(f"/appeals/{archived.id}/reply", data={"body": "<p>Ещё вопрос</p>"})
    assert Post.select().where(Post.appeal == archived).count() == before


def test_reply_goes_to_the_thread_with_a_file(client, applicant):
    appeal = the_message(applicant)
    response = client.post(
        f"/appeals/{appeal.id}/reply",
        data={"body": "<p>Направляю <b>документы</b></p>", "doc_type": "Правоустанавливающий документ",
              "files": (io.BytesIO(b"deed"), "Выписка ЕГРН.pdf"), "back": "state=active&kind=message"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert "back=" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    thread = text(page)[text(page).index("Сообщения"):text(page).index("Статусы")]
    assert "Заявитель Направляю документы" in thread and "Выписка ЕГРН.pdf" in thread
    assert "Сообщение отправлено" in text(page)
    doc = Document.get(Document.file_name == "Выписка ЕГРН.pdf")
    assert doc.party == "applicant" and doc.doc_type == "Правоустанавливающий документ"
    assert doc.post_id
    back = re.search(r'href="([^"]+)">← Вернуться', unescape(page.get_data(as_text=True))).group(1)
    assert back == "/appeals?kind=message"


def test_blank_reply_is_refused_beside_the_field(client, applicant):
    appeal = the_message(applicant)
    response = client.post(f"/appeals/{appeal.id}/reply", data={"body": "<p> </p>"})
    assert response.status_code == 400
    assert "Введите текст сообщения" in text(response)
    assert Post.select().where(Post.appeal == appeal).count() == 2


def test_reply_with_a_too_large_file_is_refused_beside_the_files(client, applicant):
    Setting.put("max_upload_mb", "0.001")
    appeal = the_message(applicant)
    response = client.post(f"/appeals/{appeal.id}/reply", data={
        "body": "<p>Прилагаю</p>", "doc_type": "Схема",
        "files": (io.BytesIO(b"x" * 5000), "Схема.pdf")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="reply-files-error">Файл «Схема.pdf» больше 0.001 МБ и не загружен<' in html
    assert "&lt;p&gt;Прилагаю&lt;/p&gt;</textarea>" in html
    assert "<option selected>Схема</option>" in html  # the chosen type is kept
    assert Post.select().where(Post.appeal == appeal).count() == 2
    assert Document.select().count() == 0


def test_a_refused_reply_is_shown_again_sanitised_never_as_posted(client, applicant):
    Setting.put("max_upload_mb", "0.001")
    appeal = the_message(applicant)
    response = client.post(f"/appeals/{appeal.id}/reply", data={
        "body": HOSTILE_RICH_TEXT, "files": (io.BytesIO(b"x" * 5000), "Схема.pdf")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_shown_sanitised(html, "reply-body")


def test_other_applicants_appeal_is_404(client, applicant):
    stranger = other_applicant()
    theirs = the_message(stranger)
    assert client.get(f"/appeals/{theirs.id}").status_code == 404
    response = client.post(f"/appeals/{theirs.id}/reply", data={"body": "<p>Чужое</p>"})
    assert response.status_code == 404
    assert Post.select().where(Post.appeal == theirs).count() == 2
    assert Appeal.get_by_id(theirs.id).unread_for_applicant  # not marked read by a stranger
    assert client.get("/appeals/999999").status_code == 404


def test_page_needs_login(client, applicant, auth):
    appeal = the_message(applicant)
    auth.logout()
    response = client.get(f"/appeals/{appeal.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_script_is_inert_in_subject_comment_and_messages(client, applicant):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    appeal = the_message(applicant, subject=evil, posts=[(Post.GRID, f"<p>Ответ{evil}</p>")])
    draft = make_appeal(applicant, Appeal.TP, Appeal.DRAFT, comment_html=f"<p>Текст{evil}</p>")
    for item in (appeal, draft):
        html = client.get(f"/appeals/{item.id}").get_data(as_text=True)
        body = html[html.index("<main"):html.index("</main>")]
        assert "<script>alert" not in body and "onerror" not in body.replace("onerror=&#34;", "") \
            .replace("onerror=&quot;", "")
        assert "<img" not in body
    client.post(f"/appeals/{appeal.id}/reply", data={"body": f"<p>Мой{evil}</p>"})
    html = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    body = html[html.index("<main"):html.index("</main>")]
    assert "<script>alert" not in body and "<img" not in body and "Мой" in body


def _grow(appeal, n, start=0):
    """n more posts, statuses and documents on the appeal."""
    for i in range(start, start + n):
        post = Post.create(appeal=appeal, side=Post.GRID if i % 2 else Post.APPLICANT,
                           organization=appeal.organization_id if i % 2 else None,
                           body_html=f"<p>Сообщение {i}</p>", created_at=BASE)
        StatusEvent.create(appeal=appeal, text=f"Статус {i}", organization=appeal.organization_id,
                           created_at=BASE)
        Document.create(appeal=appeal, post=post if i % 3 == 0 else None,
                        party="grid" if i % 2 else "applicant",
                        organization=appeal.organization_id if i % 2 else None,
                        doc_type="Иное", file_name=f"файл {i}.pdf", size=10, sha256="0" * 64,
                        storage_key=f"{appeal.id:08x}{i:032x}", created_at=BASE)


def test_page_makes_the_same_number_of_queries_for_5_and_50_items(client, applicant):
    appeal = the_message(applicant, posts=(), statuses=(), supplier=supplier())
    _grow(appeal, 5)
    client.get(f"/appeals/{appeal.id}")  # the first view also marks it read
    with count_queries() as few:
        assert "Сообщение 4" in text(client.get(f"/appeals/{appeal.id}"))
    _grow(appeal, 45, start=5)
    with count_queries() as many:
        assert "Сообщение 49" in text(client.get(f"/appeals/{appeal.id}"))
    assert len(few) == len(many), many
    # the user, the appeal, the organisations, posts, statuses, documents, their
    # signatures (portal/signing.page_signing), the document types of the reply box and
    # the terms with the catalogue «Сроки» (domain/deadlines/timeline.py)
    assert len(few) <= 9, few


def test_documents_added_from_the_page_appear_under_the_applicant(client, applicant):
    appeal = the_message(applicant)
    html = unescape(client.get(f"/appeals/{appeal.id}?back=kind%3Dmessage").get_data(as_text=True))
    action = re.search(r'<form class="add-documents" method="post" action="([^"]+)"', html).group(1)
    response = client.post(action, data={"files": (io.BytesIO(b"plan"), "План участка.pdf"),
                                         "doc_type": "План расположения"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/appeals/{appeal.id}?back=kind%3Dmessage")
    page = text(client.get(response.headers["Location"]))
    assert "Документы заявителя pdf План расположения План участка.pdf" in page


def _sign(appeal, doc_type, side, needs_applicant=True):
    """Mark the appeal's document of `doc_type` as needing the applicant's signature and,
    with a side, signed by it (КЭП) at BASE."""
    doc = Document.get((Document.appeal == appeal.id) & (Document.doc_type == doc_type))
    (Document.update(needs_applicant_signature=needs_applicant)
     .where(Document.id == doc.id).execute())
    if side:
        Signature.create(document=doc, side=side, kind=Signature.KEP, signed_at=BASE)
    return doc


def test_signing_facts_of_the_documents_cost_no_extra_statement(client, applicant):
    """Signatures, the documents awaiting the applicant's signature, one awaiting the
    supplier's and the supply start from the signed act: as many statements as a page
    with one unsigned document."""
    gp = supplier()
    plain = make_appeal(applicant, Appeal.TP, created_at=BASE, supplier=gp, complies=False,
                        documents=[("applicant", "Заявка", "Заявка.docx")])
    appeal = make_appeal(applicant, Appeal.TP, created_at=BASE, supplier=gp, complies=False,
                         documents=[("grid", "Договор ТП", "Договор.docx"),
                                    ("supplier", "Договор энергоснабжения", "ЭСО.docx"),
                                    ("grid", "Акт об осуществлении ТП", "Акт.pdf")])
    contract = _sign(appeal, "Договор ТП", "grid")
    _sign(appeal, "Договор энергоснабжения", None)
    _sign(appeal, "Акт об осуществлении ТП", "grid", needs_applicant=False)
    for item in (plain, appeal):
        client.get(f"/appeals/{item.id}")  # the first view also marks it read
    with count_queries() as bare:
        client.get(f"/appeals/{plain.id}")
    with count_queries() as signed:
        response = client.get(f"/appeals/{appeal.id}")
    assert len(signed) == len(bare) <= 9, signed  # 9: the terms, with «Сроки»
    page = text(response)
    assert "Документы, ожидающие Вашей подписи: Договор ТП «Договор.docx»" in page
    assert "Подпись Сетевой КЭП добавлен: 06.08.2020" in page
    assert "Ожидается подпись ГП" in page and page.count("Подписать!") == 1
    assert f'data-sign-url="/documents/{contract.id}/sign/pep"' in response.get_data(as_text=True)
    assert ("Акт об осуществлении технологического присоединения размещен 06.08.2020. "
            f"{gp.name} исполняет обязательства") in page
    assert "Заключение договора" not in page


def test_offer_path_block_shows_the_payment_and_the_concluded_contract(client, applicant):
    appeal = make_appeal(applicant, Appeal.TP, created_at=BASE, complies=True,
                         statuses=["Договор заключен"],
                         documents=[("applicant", "Платежный документ", "Платёжка.pdf"),
                                    ("applicant", "Иное", "Письмо.pdf")])
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Заявка соответствует п.14 Правил технологического присоединения" in page
    assert "Договор заключен: оплата отмечена 06.08.2020" in page
    assert "Платежные документы: Платёжка.pdf (добавлен: 06.08.2020)" in page
    assert "Приложить платежный документ" not in page  # concluded: nothing more to attach
    assert "Документы, ожидающие Вашей подписи" not in page


def test_plugin_script_is_linked_for_a_company_where_the_deployment_put_it(
        app, client, auth, tmp_path, monkeypatch):
    auth.register(**COMPANY)
    appeal = make_appeal(User.get(User.email == COMPANY["email"]), Appeal.TP)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "cadesplugin_api.js").write_text("/* CryptoPro */")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    html = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert '<script src="/static/vendor/cadesplugin_api.js">' in html
    assert "КриптоПро ЭЦП Browser plug-in" in html
