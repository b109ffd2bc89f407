"""The portal's own catalogue rows keep working when the administrator renames them in
«Справочники»: behaviour keys on their codes, the administrator edits only the name."""
import io

import pytest

from domain.appeals import payments
from domain.setup.seed import seed_reference_data
from domain.signing import state
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    Signature,
    StatusCatalog,
    StatusEvent,
    User,
)
from tests import gost_tools
from tests.appeal_factory import make_appeal
from tests.appeal_factory import supplier as demo_supplier
from tests.backoffice.test_appeals import rows
from tests.casework_helpers import login_staff, staff

GRID_INN = "4401000012"



def supply_start_of(appeal):
    """The supply start the appeal's pages show, from its documents and signatures."""
    documents = list(Document.select().where(Document.appeal == appeal.id))
    return state.supply_start(appeal, documents,
                              state.signatures_by_document(d.id for d in documents))

def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(app, database):
    """The administrator's back-office client."""
    client = app.test_client()
    login_staff(client, staff("admin"))
    return client


@pytest.fixture
def clerk(app, database):
    """A grid clerk's back-office client."""
    client = app.test_client()
    login_staff(client, staff("grid"))
    return client


def rename_document_type(admin, party: str, name: str, new_name: str) -> DocumentType:
    """Rename a type in «Типы документов» as the administrator does: the edit form, sent
    with the row's other values as they were."""
    row = DocumentType.get((DocumentType.party == party) & (DocumentType.name == name))
    answer = admin.post(f"/backoffice/document_types/edit/?id={row.id}", data={
        "name": new_name, "party": row.party, "sort_order": str(row.sort_order), "active": "y"})
    assert answer.status_code == 302, text(answer)[:500]
    return DocumentType.get_by_id(row.id)


def rename_status(admin, name: str, new_name: str) -> StatusCatalog:
    """Rename a status in «Статусы» through its edit form."""
    row = StatusCatalog.get(StatusCatalog.name == name)
    answer = admin.post(f"/backoffice/statuses/edit/?id={row.id}", data={
        "name": new_name, "sort_order": str(row.sort_order), "active": "y"})
    assert answer.status_code == 302, text(answer)[:500]
    return StatusCatalog.get_by_id(row.id)


def send_tp(client, files_type: str):
    """«Отправить заявку» from the portal's form with one file of the given type."""
    return client.post("/appeals/new/tp", content_type="multipart/form-data", data={
        "power": "le15", "scheme": "permanent", "complies": "yes", "supplier": "",
        "comment": "Направляю заявку", "action": "send", "files_type": files_type,
        "files": [(io.BytesIO(b"%PDF application"), "Заявка.pdf")]})


def test_renamed_application_type_is_still_required_for_sending(admin, client, applicant):
    renamed = rename_document_type(admin, DocumentType.APPLICANT, "Заявка", "Заявление на ТП")
    assert renamed.code == DocumentType.APPLICATION
    User.update(confirmed=True).where(User.id == applicant.id).execute()
    assert "Заявление на ТП" in text(client.get("/appeals/new/tp"))
    refused = send_tp(client, "Схема")
    assert refused.status_code == 400
    assert "хотя бы один документ с типом «Заявление на ТП»" in text(refused)
    assert send_tp(client, "Заявление на ТП").status_code == 302
    sent = Appeal.get(Appeal.state == Appeal.ACTIVE)
    assert [d.doc_type for d in sent.documents] == ["Заявление на ТП"]


def test_renamed_act_still_notifies_the_supplier_and_starts_supply(admin, clerk, applicant,
                                                                   mailbox, tmp_path):
    rename_document_type(admin, DocumentType.ORGANIZATION, "Акт об осуществлении ТП",
                         "Акт о технологическом присоединении")
    gp = demo_supplier()
    appeal = make_appeal(applicant, complies=True, supplier=gp, reg_number="305")
    act = b"%PDF act of connection"
    placed = clerk.post(f"/backoffice/appeals/{appeal.id}/document",
                        content_type="multipart/form-data",
                        data={"doc_type": "Акт о технологическом присоединении",
                              "file": (io.BytesIO(act), "Акт.pdf")})
    assert placed.status_code == 302
    document = Document.get(Document.appeal == appeal.id)
    assert supply_start_of(appeal) is None and not mailbox.to(gp.inbox_email)
    pki = gost_tools.GostPki(tmp_path)
    signer = pki.make_signer(pki.make_root(), cn="Специалист Анна", org=Organization.GRID,
                             innle=GRID_INN)
    (tmp_path / "act.pdf").write_bytes(act)
    signed = clerk.post(f"/backoffice/signing/{appeal.id}/documents/{document.id}/sign",
                        content_type="multipart/form-data",
                        data={"signature": (io.BytesIO(pki.sign(signer, tmp_path / "act.pdf")),
                                            "act.sig")})
    assert signed.status_code == 302
    assert supply_start_of(appeal) == Signature.get(Signature.document == document.id).signed_at
    notice = mailbox.to(gp.inbox_email)[-1]
    assert "акт об осуществлении технологического присоединения" in notice["Subject"].lower()


def test_renamed_payment_document_and_status_still_conclude_the_contract(admin, clerk, client,
                                                                         applicant, mailbox):
    rename_document_type(admin, DocumentType.APPLICANT, "Платежный документ",
                         "Платёжное поручение")
    rename_status(admin, "Договор заключен", "Договор ТП заключен (оплачен)")
    appeal = make_appeal(applicant, complies=True, reg_number="306")
    attached = client.post(f"/appeals/{appeal.id}/payment", content_type="multipart/form-data",
                           data={"payment": (io.BytesIO(b"%PDF payment"), "Платёжка.pdf")})
    assert attached.status_code == 302
    [paid] = payments.payment_documents(list(Document.select().where(Document.appeal == appeal.id)))
    assert (paid.doc_type, paid.file_name) == ("Платёжное поручение", "Платёжка.pdf")
    assert "Платёжка.pdf" in text(clerk.get(f"/backoffice/appeals/{appeal.id}"))
    recorded = clerk.post(f"/backoffice/signing/{appeal.id}/payment", data={"note": "п/п № 5"},
                          follow_redirects=True)
    assert "Оплата отмечена: договор заключен" in text(recorded)
    assert "Отметить оплату" not in text(recorded)
    appeal = Appeal.get_by_id(appeal.id)
    assert appeal.last_status == "Договор ТП заключен (оплачен)"
    assert payments.concluded_at(StatusEvent.select().where(StatusEvent.appeal == appeal.id))
    assert "Договор ТП заключен (оплачен)" in mailbox.text(mailbox.to(applicant.notify_email)[-1])
    again = clerk.post(f"/backoffice/signing/{appeal.id}/payment", follow_redirects=True)
    assert "Оплата уже отмечена" in text(again)


def test_number_status_filter_keys_on_the_number_not_the_words(admin, clerk, applicant):
    rename_status(admin, "Заявка принята к рассмотрению", "Принята в работу")
    numbered, with_look_alike, plain = (make_appeal(applicant) for _ in range(3))
    assert clerk.post(f"/backoffice/appeals/{numbered.id}/number",
                      data={"number": "77"}).status_code == 302
    # A clerk's own status that merely begins with the same words is not a number.
    assert clerk.post(f"/backoffice/appeals/{with_look_alike.id}/status", data={
        "custom_status": "Присвоен регистрационный номер в архиве ГП"}).status_code == 302
    assert clerk.post(f"/backoffice/appeals/{plain.id}/status",
                      data={"status": "Принята в работу"}).status_code == 302
    page = text(clerk.get("/backoffice/appeals/?status=Присвоен+регистрационный+номер"))
    assert rows(page) == [numbered.id]
    assert rows(text(clerk.get("/backoffice/appeals/?status=Принята+в+работу"))) == [plain.id]


def test_code_is_shown_not_edited_and_survives_a_restart(admin):
    renamed = rename_document_type(admin, DocumentType.APPLICANT, "Заявка", "Заявление")
    listing = text(admin.get("/backoffice/document_types/"))
    assert "Заявление" in listing and DocumentType.APPLICATION in listing
    form = text(admin.get(f"/backoffice/document_types/edit/?id={renamed.id}"))
    assert 'name="code"' not in form
    admin.post(f"/backoffice/document_types/edit/?id={renamed.id}", data={
        "name": "Заявление", "code": "hacked", "party": renamed.party, "sort_order": "0",
        "active": "y"})
    assert DocumentType.get_by_id(renamed.id).code == DocumentType.APPLICATION
    moved = admin.post(f"/backoffice/document_types/edit/?id={renamed.id}", data={
        "name": "Заявление", "party": DocumentType.ORGANIZATION, "sort_order": "0",
        "active": "y"})
    assert "можно изменить название" in text(moved)
    assert DocumentType.get_by_id(renamed.id).party == DocumentType.APPLICANT
    concluded = rename_status(admin, "Договор заключен", "Контракт заключен")
    assert StatusCatalog.CONTRACT_CONCLUDED in text(admin.get("/backoffice/statuses/"))
    seed_reference_data()  # as every start of the portal does
    assert DocumentType.get(DocumentType.code == DocumentType.APPLICATION).name == "Заявление"
    assert not DocumentType.select().where(DocumentType.name == "Заявка").exists()
    assert StatusCatalog.by_code(StatusCatalog.CONTRACT_CONCLUDED).id == concluded.id
    assert not StatusCatalog.select().where(StatusCatalog.name == "Договор заключен").exists()
