"""Processing an appeal in the back office and the e-mails the applicant receives."""
import io
import threading
from email.header import decode_header, make_header

import pytest

from domain.appeals import casework
from domain.errors import Refusal
from domain.outbox import notify
from models import (
    Appeal,
    AppealSeen,
    AuditLog,
    Document,
    Notification,
    Organization,
    Post,
    StatusEvent,
    db,
)
from tests.casework_helpers import (
    applicant_user,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)


@pytest.fixture
def clerk(app, database):
    return staff("grid")


@pytest.fixture
def app_ctx(app):
    """Direct casework calls render e-mails: they need the application context."""
    with app.app_context():
        yield


def sender_of(mail) -> str:
    """The From header decoded by RFC 2047 rules (Python's address parser puts spaces
    between adjacent encoded words, which mail clients do not)."""
    raw = dict(mail.raw_items())["From"]
    return str(make_header(decode_header(raw)))


def _page(client, appeal):
    return client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)


def test_whole_processing_flow_through_the_back_office(client, clerk, mailbox):
    person = applicant_user(notify_email="i.vereschagina2018@ya.ru")
    appeal = sent_appeal(person, complies=False)
    login_staff(client, clerk)

    inbox = client.get("/backoffice/inbox/").get_data(as_text=True)
    assert f"/backoffice/appeals/{appeal.id}" in inbox and "Новое от заявителя" in inbox
    page = _page(client, appeal)
    assert "Иванов Иван Петрович" in page and person.snils in page
    assert "не подтверждена" in page and "≤15 кВт" in page and "Не планируется" in page
    assert "направляю заявку на ТП" in page
    assert AppealSeen.get(AppealSeen.appeal == appeal.id).organization_id == clerk.organization_id
    assert "Новое от заявителя" not in client.get("/backoffice/inbox/").get_data(as_text=True)

    # «Присвоить регистрационный номер» with the number typed by the clerk
    response = client.post(f"/backoffice/appeals/{appeal.id}/number", data={"number": "299"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Присвоен регистрационный номер: 299" in page
    [mail] = mailbox.to("i.vereschagina2018@ya.ru")
    assert mail["Subject"] == "Уведомление: присвоен регистрационный номер"
    assert sender_of(mail) == "Личный кабинет ООО «Калиновские Электрические Сети» <info@so-online.ru>"
    text = mailbox.text(mail)
    for line in ("Присвоен № 299", "Заявка на технологическое присоединение (в том числе временное)",
                 "Регистрационный номер: 299", "≤15 кВт", "постоянная схема",
                 "не соответствует п.14 Правил", "Данное письмо является уведомлением",
                 "Пожалуйста, не отвечайте на это сообщение", "Отправлено: ", "(МСК)",
                 f"/appeals/{appeal.id}"):
        assert line in text, line
    assert "Присвоен № 299" in mailbox.html(mail)
    assert "Регистрационный номер: <b>299</b>" in mailbox.html(mail)
    # it is gone from «Входящие»
    assert f"/backoffice/appeals/{appeal.id}" not in client.get("/backoffice/inbox/").get_data(as_text=True)

    # «Добавить статус» from the catalogue
    response = client.post(f"/backoffice/appeals/{appeal.id}/status",
                           data={"status": "Заявка принята к рассмотрению"})
    assert response.status_code == 302
    mail = mailbox.to("i.vereschagina2018@ya.ru")[-1]
    assert mail["Subject"] == "Уведомление: добавлен новый статус"
    assert "Добавлен статус: Заявка принята к рассмотрению" in mailbox.text(mail)
    assert "Регистрационный номер: 299" in mailbox.text(mail)

    # the reply (rich text, sanitised) with an attachment
    response = client.post(f"/backoffice/appeals/{appeal.id}/post", data={
        "body": "<p>Здравствуйте, Ваша заявка принята в работу.</p><script>alert(1)</script>",
        "files": (io.BytesIO(b"scan"), "Перечень.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    mail = mailbox.to("i.vereschagina2018@ya.ru")[-1]
    assert mail["Subject"] == "Уведомление: добавлено новое сообщение"
    text = mailbox.text(mail)
    assert "Добавлено новое сообщение со стороны Сетевой организации:" in text
    assert "Здравствуйте, Ваша заявка принята в работу." in text and "Перечень.pdf" in text
    post = Post.get(Post.appeal == appeal.id, Post.side == Post.GRID)
    assert "<script>" not in post.body_html and "принята в работу" in post.body_html
    assert post.organization.kind == Organization.GRID

    # «Разместить документ»: the contract, to be signed
    response = client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Договор ТП", "needs_signature": "1",
        "file": (io.BytesIO(b"PK contract"), "Договор №5.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    mail = mailbox.to("i.vereschagina2018@ya.ru")[-1]
    assert mail["Subject"] == "Уведомление: размещен новый документ"
    text = mailbox.text(mail)
    assert "Договор ТП" in text and "Договор №5.docx" in text and "Требуется подпись заявителя" in text
    doc = Document.get(Document.appeal == appeal.id, Document.doc_type == "Договор ТП")
    assert doc.party == "grid" and doc.needs_applicant_signature and doc.file_name == "Договор №5.docx"

    page = _page(client, appeal)
    assert "Документы ООО «Калиновские Электрические Сети»" in page and "Договор №5.docx" in page
    assert "Здравствуйте, Ваша заявка принята в работу." in page
    download = client.get(f"/backoffice/appeals/{appeal.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == b"PK contract"
    assert "attachment" in download.headers["Content-Disposition"]

    # «В архив» and back
    assert client.post(f"/backoffice/appeals/{appeal.id}/archive").status_code == 302
    assert Appeal.get_by_id(appeal.id).state == Appeal.ARCHIVE
    assert f"/backoffice/appeals/{appeal.id}" in client.get("/backoffice/archive/").get_data(as_text=True)
    assert "Из архива" in _page(client, appeal)
    assert client.post(f"/backoffice/appeals/{appeal.id}/unarchive").status_code == 302
    assert Appeal.get_by_id(appeal.id).state == Appeal.ACTIVE

    fresh = Appeal.get_by_id(appeal.id)
    assert fresh.reg_number == "299" and fresh.new_status_for_applicant and fresh.new_post_for_applicant
    assert fresh.unread_for_applicant
    assert "принята в работу" in fresh.search_text and "299" in fresh.search_text
    history = [e.text for e in StatusEvent.select().where(StatusEvent.appeal == appeal.id)
               .order_by(StatusEvent.id)]
    assert history[1:] == ["Присвоен регистрационный номер: 299", "Заявка принята к рассмотрению",
                           "Обращение перемещено в архив", "Обращение возвращено из архива"]
    actions = [r.action for r in AuditLog.select().where(AuditLog.actor == clerk.id)
               .order_by(AuditLog.id)]
    assert [a for a in actions if a.startswith("appeal_")] == [
        "appeal_number", "appeal_status", "appeal_post", "appeal_document", "appeal_archive",
        "appeal_unarchive"]
    # one e-mail per event, each sent exactly once
    assert len(mailbox.to("i.vereschagina2018@ya.ru")) == 6
    assert Notification.select().where(Notification.sent_at.is_null()).count() == 0


def test_message_numbering_email_has_subject_line(client, clerk, mailbox):
    person = applicant_user()
    message = sent_appeal(person, Appeal.MESSAGE,
                          subject="Изменение условий текущего договора на ТП",
                          comment="<p>Здравствуйте, необходимо внести изменения</p>")
    Organization.update(next_number=899).where(Organization.kind == Organization.GRID).execute()
    login_staff(client, clerk)
    assert client.post(f"/backoffice/appeals/{message.id}/number", data={"number": ""}).status_code == 302
    [mail] = mailbox.to(person.email)
    text = mailbox.text(mail)
    assert "Присвоен № 899" in text and "Сообщение" in text
    assert "Регистрационный номер: 899" in text
    assert "Тема: Изменение условий текущего договора на ТП" in text
    assert Organization.grid().next_number == 900


def test_next_number_skips_numbers_typed_by_hand(clerk, app_ctx):
    person = applicant_user()
    first, second, third = (sent_appeal(person) for _ in range(3))
    assert casework.assign_number(first, clerk, "2") == "2"
    assert casework.assign_number(second, clerk) == "1"
    assert casework.assign_number(third, clerk) == "3"  # 2 is taken: skipped
    notify.flush()


def test_taken_number_refused_next_to_the_field_and_nothing_written(client, clerk, mailbox):
    person = applicant_user()
    first, second = sent_appeal(person), sent_appeal(person)
    login_staff(client, clerk)
    client.post(f"/backoffice/appeals/{first.id}/number", data={"number": "299"})
    response = client.post(f"/backoffice/appeals/{second.id}/number", data={"number": "299"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Номер 299 уже присвоен другому обращению" in page and 'value="299"' in page
    assert Appeal.get_by_id(second.id).reg_number is None
    assert len(mailbox.to(person.email)) == 1
    assert StatusEvent.select().where((StatusEvent.appeal == second.id)
                                      & (StatusEvent.kind == StatusEvent.NUMBER)).count() == 0


def test_same_number_in_another_organisation_is_fine(clerk, app_ctx):
    person = applicant_user()
    gp = supplier(0)
    gp_clerk = staff("supplier", supplier_name=gp.name)
    grid_message = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос")
    gp_message = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос ГП", organization=gp)
    assert casework.assign_number(grid_message, clerk, "10") == "10"
    assert casework.assign_number(gp_message, gp_clerk, "10") == "10"
    assert casework.assign_number(sent_appeal(person, Appeal.MESSAGE, subject="Ещё",
                                              organization=gp), gp_clerk) == "1"
    notify.flush()


def test_numbering_twice_refused(clerk, app_ctx):
    appeal = sent_appeal(applicant_user())
    casework.assign_number(appeal, clerk)
    with pytest.raises(Refusal, match="уже присвоен"):
        casework.assign_number(appeal, clerk, "77")
    notify.flush()


@pytest.mark.parametrize("data,message", [
    ({"status": "", "custom_status": "  "}, "Выберите статус из списка или введите свой"),
])
def test_empty_status_refused(client, clerk, data, message):
    appeal = sent_appeal(applicant_user())
    login_staff(client, clerk)
    response = client.post(f"/backoffice/appeals/{appeal.id}/status", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_free_text_status(client, clerk, mailbox):
    person = applicant_user()
    appeal = sent_appeal(person)
    login_staff(client, clerk)
    client.post(f"/backoffice/appeals/{appeal.id}/status",
                data={"status": "Выставлен счет", "custom_status": "Ожидается выезд на объект"})
    assert Appeal.get_by_id(appeal.id).last_status == "Ожидается выезд на объект"
    assert "Добавлен статус: Ожидается выезд на объект" in mailbox.text(mailbox.to(person.email)[-1])


def test_empty_reply_and_bad_document_refused_with_messages(client, clerk):
    appeal = sent_appeal(applicant_user())
    login_staff(client, clerk)
    page = client.post(f"/backoffice/appeals/{appeal.id}/post",
                       data={"body": "<p> </p>"}).get_data(as_text=True)
    assert "Введите текст сообщения" in page
    page = client.post(f"/backoffice/appeals/{appeal.id}/document",
                       data={"doc_type": "Договор ТП"}).get_data(as_text=True)
    assert "Выберите файл" in page
    page = client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Заявка", "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Выберите тип документа" in page
    assert Post.select().where(Post.appeal == appeal.id).count() == 0
    assert Document.select().where(Document.appeal == appeal.id).count() == 0


def test_too_large_document_refused_and_not_kept(client, clerk, app):
    from models import Setting
    Setting.put("max_upload_mb", "0.001")
    appeal = sent_appeal(applicant_user())
    login_staff(client, clerk)
    page = client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Договор ТП", "file": (io.BytesIO(b"x" * 5000), "big.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "больше 0.001 МБ" in page
    assert Document.select().count() == 0


def test_no_email_when_notification_address_empty(client, clerk, mailbox):
    person = applicant_user(notify_email="")
    appeal = sent_appeal(person)
    login_staff(client, clerk)
    client.post(f"/backoffice/appeals/{appeal.id}/number", data={"number": ""})
    client.post(f"/backoffice/appeals/{appeal.id}/status", data={"status": "Выставлен счет"})
    assert mailbox.messages() == [] and Notification.select().count() == 0
    assert Appeal.get_by_id(appeal.id).reg_number == "1"


def test_supplier_reply_and_contract_on_application_naming_it(client, mailbox):
    person = applicant_user()
    gp = supplier(0)
    appeal = sent_appeal(person, supplier_org=gp)
    gp_clerk = staff("supplier", supplier_name=gp.name)
    login_staff(client, gp_clerk)
    client.post(f"/backoffice/appeals/{appeal.id}/post", data={"body": "Направляем договор."})
    mail = mailbox.to(person.email)[-1]
    assert "со стороны Гарантирующего поставщика:" in mailbox.text(mail)
    client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Договор энергоснабжения", "needs_signature": "1",
        "file": (io.BytesIO(b"eso"), "Договор ЭСО.docx")}, content_type="multipart/form-data")
    doc = Document.get(Document.appeal == appeal.id)
    assert doc.party == "supplier" and doc.organization_id == gp.id
    page = client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert f"Документы {gp.name}" in page
    mail = mailbox.to(person.email)[-1]
    assert mail["Subject"] == "Уведомление: размещен новый документ" and gp.name in mailbox.text(mail)
    # registration numbers and the archive of a ТП application are the grid company's
    assert client.post(f"/backoffice/appeals/{appeal.id}/number").status_code == 403
    assert client.post(f"/backoffice/appeals/{appeal.id}/archive").status_code == 403
    assert Appeal.get_by_id(appeal.id).reg_number is None


def _concurrent_numbers(app, clerk, appeals, threads=4):
    """Number `appeals` from several threads at once; returns every number given."""
    results, errors = [], []
    barrier = threading.Barrier(threads)
    chunks = [appeals[i::threads] for i in range(threads)]

    def work(chunk):
        with app.app_context(), db.connection_context():
            barrier.wait()
            for appeal in chunk:
                try:
                    results.append(casework.assign_number(appeal, clerk))
                except Exception as exc:  # noqa: BLE001 - collected for the assertion
                    errors.append(exc)
    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, errors


def test_two_clerks_at_once_never_get_the_same_number(app, clerk):
    person = applicant_user()
    appeals = [sent_appeal(person) for _ in range(24)]
    results, errors = _concurrent_numbers(app, clerk, appeals)
    assert errors == []
    assert sorted(results, key=int) == [str(n) for n in range(1, 25)]
    assert Organization.grid().next_number == 25
    numbers = [a.reg_number for a in Appeal.select().where(Appeal.id.in_([a.id for a in appeals]))]
    assert len(set(numbers)) == 24


def test_reply_typed_without_the_editor_keeps_paragraphs_and_is_inert(client, clerk):
    """A plain textarea (no JavaScript): line breaks become paragraphs, markup stays text."""
    appeal = sent_appeal(applicant_user())
    login_staff(client, clerk)
    client.post(f"/backoffice/appeals/{appeal.id}/post",
                data={"body": "Здравствуйте.\n\nСрок: 3 < 5 дней\nС уважением"})
    post = Post.get(Post.appeal == appeal.id)
    assert post.body_html == "<p>Здравствуйте.</p><p>Срок: 3 &lt; 5 дней<br>С уважением</p>"
    client.post(f"/backoffice/appeals/{appeal.id}/post",
                data={"body": "<p><b>Ответ</b><script>alert(1)</script></p>"})
    latest = Post.select().where(Post.appeal == appeal.id).order_by(Post.id.desc()).first()
    assert latest.body_html == "<p><b>Ответ</b></p>"


def test_the_same_typed_number_raced_by_four_clerks_is_a_refusal_not_a_server_error(app, clerk):
    """Issue 14.1: four «Присвоить регистрационный номер» with the same typed number on
    four appeals at the same moment, through real requests: one gets it, the others the
    clerk's message with the page and the typed number kept."""
    person = applicant_user()
    appeals = [sent_appeal(person) for _ in range(4)]
    clients = []
    for _ in appeals:
        client = app.test_client()
        login_staff(client, clerk)
        clients.append(client)
    barrier = threading.Barrier(len(appeals))
    answers = [None] * len(appeals)

    def post(index):
        barrier.wait()
        answers[index] = clients[index].post(f"/backoffice/appeals/{appeals[index].id}/number",
                                             data={"number": "555"})
    workers = [threading.Thread(target=post, args=(i,)) for i in range(len(appeals))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(a.status_code for a in answers) == [302, 400, 400, 400]
    for answer in answers:
        if answer.status_code == 400:
            page = answer.get_data(as_text=True)
            assert "Номер 555 уже присвоен другому обращению" in page
            assert 'value="555"' in page
    numbers = [a.reg_number for a in Appeal.select().where(Appeal.id.in_([a.id for a in appeals]))]
    assert numbers.count("555") == 1 and numbers.count(None) == 3
