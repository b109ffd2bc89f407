"""The п.14 / п.12(1) path: paying the invoice concludes the contract (п.103–106 Правил).

Where the application complies with п.14 (a person) or п.12(1) (a company or ИП), the
grid company's posted terms, invoice and technical conditions are an offer: the applicant
signs nothing, attaches the payment document, a grid clerk records the payment and the
status «Договор заключен» follows.
"""
import datetime as dt
from dataclasses import dataclass

from domain.appeals import filing
from domain.appeals.access import acting_organization
from domain.appeals.casework import add_status
from domain.appeals.rules import offer_path
from domain.errors import Refusal
from domain.signing.state import supply_start
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    StatusCatalog,
    StatusEvent,
    audit,
)


def payment_documents(documents: list) -> list:
    """The payment documents the applicant attached, among the appeal's documents (in
    their order: the pages read them oldest first)."""
    return [d for d in documents
            if d.party == "applicant" and d.type_code == DocumentType.PAYMENT]


def concluded_at(events) -> dt.datetime | None:
    """When «Договор заключен» was recorded, among the appeal's status events, or None."""
    return min((e.created_at for e in events if e.code == StatusCatalog.CONTRACT_CONCLUDED),
               default=None)


@dataclass(frozen=True)
class ContractFacts:
    """What an appeal's page shows about concluding the contract and the supply start."""
    offer_path: bool  # п.14 / п.12(1): paying the invoice concludes the contract
    concluded_at: dt.datetime | None
    payments: list  # the applicant's payment documents (on the offer path)
    supply_start: dt.datetime | None


def contract_facts(appeal: Appeal, documents: list, signatures: dict,
                   events: list) -> ContractFacts:
    """The contract facts from the appeal's rows already read: its documents (oldest
    first), their signatures ({document id: [Signature]}) and its status events."""
    offer = offer_path(appeal)
    return ContractFacts(offer_path=offer, concluded_at=concluded_at(events) if offer else None,
                         payments=payment_documents(documents) if offer else [],
                         supply_start=supply_start(appeal, documents, signatures))


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
    if concluded_at(StatusEvent.select().where(StatusEvent.appeal == appeal.id)):
        raise Refusal("Оплата уже отмечена: договор заключен", "payment")
    concluded = StatusCatalog.by_code(StatusCatalog.CONTRACT_CONCLUDED)
    event = add_status(appeal, clerk, concluded.name)
    audit("payment_recorded", actor=clerk, obj=appeal, details=(note or "")[:500])
    return event
