"""The action forms of the back office's appeal page: a refusal is shown beside its field
with the clerk's input kept, and nothing is written."""
import io

import pytest

from models import Appeal, Document, Post, Setting, StatusEvent, User
from tests.casework_helpers import applicant_user, login_staff, sent_appeal, staff
from tests.data import HOSTILE_RICH_TEXT, assert_shown_sanitised


@pytest.fixture
def clerk_client(client, app):
    login_staff(client, staff("grid"))
    return client


def test_reply_with_a_too_large_file_is_refused_beside_the_files(clerk_client, app):
    Setting.put("max_upload_mb", "0.001")
    appeal = sent_appeal(applicant_user())
    response = clerk_client.post(f"/backoffice/appeals/{appeal.id}/post", data={
        "body": "Направляем письмо", "files": [(io.BytesIO(b"x" * 5000), "Письмо.pdf")]},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ('id="reply-files-error" role="alert">Файл «Письмо.pdf» больше 0.001 МБ и не '
            'загружен<') in page
    assert ">Направляем письмо</textarea>" in page
    assert Post.select().where(Post.appeal == appeal.id).count() == 0
    assert Document.select().count() == 0


def test_a_refused_reply_is_shown_again_sanitised_never_as_posted(clerk_client):
    Setting.put("max_upload_mb", "0.001")
    appeal = sent_appeal(applicant_user())
    response = clerk_client.post(f"/backoffice/appeals/{appeal.id}/post", data={
        "body": HOSTILE_RICH_TEXT, "files": [(io.BytesIO(b"x" * 5000), "Письмо.pdf")]},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_shown_sanitised(page, "reply-body")
    assert Post.select().where(Post.appeal == appeal.id).count() == 0


def test_refused_document_keeps_the_chosen_type_and_signature_mark(clerk_client):
    appeal = sent_appeal(applicant_user())
    response = clerk_client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Договор ТП", "needs_signature": "1"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="doc_file-error" role="alert">Выберите файл<' in page
    assert '<option value="Договор ТП" selected>Договор ТП</option>' in page
    assert 'id="needs_signature" name="needs_signature" value="1" checked' in page


def test_status_outside_the_catalogue_is_refused(clerk_client):
    appeal = sent_appeal(applicant_user())
    response = clerk_client.post(f"/backoffice/appeals/{appeal.id}/status",
                                 data={"status": "Придуманный статус", "custom_status": ""})
    assert response.status_code == 400
    assert "Выберите статус из списка или введите свой" in response.get_data(as_text=True)
    assert StatusEvent.select().where(StatusEvent.appeal == appeal.id).count() == 1  # «sent»


def test_placed_document_downloads_with_the_type_of_its_name(clerk_client):
    appeal = sent_appeal(applicant_user())
    clerk_client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": "Договор ТП",
        "file": (io.BytesIO(b"<script>alert(1)</script>"), "Договор.pdf", "text/html")},
        content_type="multipart/form-data")
    document = Document.get()
    response = clerk_client.get(f"/backoffice/appeals/{appeal.id}/documents/{document.id}")
    assert document.content_type == "application/pdf"
    assert response.mimetype == "application/pdf"


# п.14 / п.12(1): paying the invoice concludes the contract, the applicant signs no contract.

UNSIGNED_HINT = ("Договор ТП: Заявка соответствует п.14 Правил: договор заключается оплатой "
                 "счета, подпись заявителя на договоре не требуется")


def _place(client, appeal, doc_type, name="Договор.docx"):
    return client.post(f"/backoffice/appeals/{appeal.id}/document", data={
        "doc_type": doc_type, "needs_signature": "1",
        "file": (io.BytesIO(b"PK contract"), name)}, content_type="multipart/form-data")


def test_contract_of_a_p14_application_cannot_ask_for_the_applicants_signature(clerk_client):
    appeal = sent_appeal(applicant_user(), complies=True)
    response = _place(clerk_client, appeal, "Договор ТП")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ('id="needs_signature-error" role="alert">Заявка соответствует п.14 Правил: договор '
            'заключается оплатой счета, подпись заявителя на договоре не требуется<') in page
    assert '<option value="Договор ТП" selected>Договор ТП</option>' in page
    assert Document.select().count() == 0


def test_other_documents_of_a_p14_application_may_still_ask_for_a_signature(clerk_client):
    appeal = sent_appeal(applicant_user(), complies=True)
    response = _place(clerk_client, appeal, "Договор энергоснабжения", "ЭСО.docx")
    assert response.status_code == 302
    assert Document.get(Document.file_name == "ЭСО.docx").needs_applicant_signature


def test_the_form_explains_why_the_p14_contract_is_not_signed(clerk_client):
    offer = sent_appeal(applicant_user(), complies=True)
    page = clerk_client.get(f"/backoffice/appeals/{offer.id}").get_data(as_text=True)
    assert f'id="needs_signature-hint" data-unsigned-hint>{UNSIGNED_HINT}<' in page
    assert 'data-unsigned-type="Договор ТП"' in page
    other = sent_appeal(applicant_user("petrov@example.ru"), complies=False)
    page = clerk_client.get(f"/backoffice/appeals/{other.id}").get_data(as_text=True)
    assert "data-unsigned" not in page and 'name="needs_signature"' in page


def test_contract_of_an_application_outside_p14_asks_for_the_signature(clerk_client):
    appeal = sent_appeal(applicant_user(), complies=False)
    assert _place(clerk_client, appeal, "Договор ТП").status_code == 302
    assert Document.get().needs_applicant_signature


def test_applicant_card_shows_the_phone_as_the_applicants_list_does(clerk_client):
    applicant = applicant_user()
    applicant.phone = "+79129780113"
    applicant.save()
    appeal = sent_appeal(applicant)
    page = clerk_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert '<dt class="col-sm-4">Сотовый телефон</dt><dd class="col-sm-8">+7 912 978-01-13<' in page
    assert "+79129780113" not in page


def test_the_page_shows_the_public_buyer_and_the_distance_condition(clerk_client):
    appeal = sent_appeal(applicant_user(legal_form=User.COMPANY), complies=True, power="15_150")
    page = clerk_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert 'id="distance-near">—<' in page and 'id="public-buyer">нет<' in page
    Appeal.update(public_buyer=True, distance_near="yes").where(Appeal.id == appeal.id).execute()
    page = clerk_client.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert 'id="distance-near">да<' in page
    assert 'id="public-buyer">да (оплата счета в течение 15 рабочих дней)<' in page
