"""The п.14 / п.12(1) path: paying the invoice concludes the contract (п.103–106 Правил).

Where the application complies with п.14 (a person) or п.12(1) (a company or ИП), the
grid company's posted terms, invoice and technical conditions are an offer: the applicant
signs nothing, attaches the payment document, a grid clerk records the payment and the
status «Договор заключен» follows.
"""
from domain.appeals import filing
from domain.appeals.access import acting_organization
from domain.appeals.casework import add_status
from domain.errors import Refusal
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    StatusCatalog,
    StatusEvent,
    audit,
)


def offer_path(appeal: Appeal) -> bool:
    """True for a ТП application that complies with п.14 / п.12(1): paying concludes it."""
    return appeal.kind == Appeal.TP and appeal.complies is True


def payment_documents(appeal: Appeal) -> list:
    """The payment documents the applicant attached, oldest first."""
    return list(Document.select().where((Document.appeal == appeal.id)
                                        & (Document.party == "applicant")
                                        & (Document.type_code == DocumentType.PAYMENT))
                .order_by(Document.created_at, Document.id))


def concluded_at(appeal: Appeal):
    """When «Договор заключен» was recorded, or None."""
    event = (StatusEvent.select(StatusEvent.created_at)
             .where((StatusEvent.appeal == appeal.id)
                    & (StatusEvent.code == StatusCatalog.CONTRACT_CONCLUDED))
             .order_by(StatusEvent.created_at).first())
    return event.created_at if event else None


def attach_payment(appeal: Appeal, applicant, file) -> Document:
    """The applicant attaches the document of payment («Платежный документ»); the
    organisations' inboxes are told (filing.add_applicant_documents)."""
    if not file or not getattr(file, "filename", ""):
        raise Refusal("Выберите файл платежного документа", "payment")
    if appeal.applicant_id != applicant.id:
        raise Refusal("Обращение не найдено")
    if appeal.state != Appeal.ACTIVE or not offer_path(appeal):
        raise Refusal("Платежный документ к этому обращению не прикладывается", "payment")
    payment = DocumentType.by_code(DocumentType.APPLICANT, DocumentType.PAYMENT)
    documents = filing.add_applicant_documents(appeal, applicant, files=[(file, payment.name)])
    return documents[0]


def record_payment(appeal: Appeal, clerk, note: str = "") -> StatusEvent:
    """A grid clerk records that the invoice is paid: the status «Договор заключен»
    (with the applicant's e-mail, through casework.add_status)."""
    org = acting_organization(clerk)
    if not org or org.kind != Organization.GRID:
        raise PermissionError(f"{clerk.email} may not record payments")
    if not offer_path(appeal):
        raise Refusal("Заявка не соответствует п.14 / п.12(1): договор заключается подписанием",
                      "payment")
    if concluded_at(appeal):
        raise Refusal("Оплата уже отмечена: договор заключен", "payment")
    concluded = StatusCatalog.by_code(StatusCatalog.CONTRACT_CONCLUDED)
    event = add_status(appeal, clerk, concluded.name)
    audit("payment_recorded", actor=clerk, obj=appeal, details=(note or "")[:500])
    return event
