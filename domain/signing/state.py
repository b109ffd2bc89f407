"""The state of a document's signatures: who signed, whether the applicant may sign now,
and the labels the pages and reports show. Refusals of every signing path are SigningError.
"""
import datetime as dt
import json
from dataclasses import dataclass

from models import Appeal, Document, DocumentType, Signature, User

SIDE_LABELS = {"grid": "Подпись Сетевой", "supplier": "Подпись ГП",
               "applicant": "Подпись Заявителя"}

KIND_LABELS = {Signature.PEP: "простая электронная подпись (код из СМС)",
               Signature.KEP: "квалифицированная электронная подпись (CAdES)"}

MSG_NOT_OFFERED = "Документ не ожидает вашей подписи"

MSG_ALREADY = "Документ уже подписан"

MSG_FILE_CHANGED = "Файл документа изменён после размещения: подписание невозможно"


class SigningError(ValueError):
    """A refused signature or code; the text is shown to the user as is."""


def signatures_by_document(document_ids) -> dict:
    """{document id: [Signature, …]} for the given documents, read with one query."""
    ids = list(document_ids)
    result = {i: [] for i in ids}
    if ids:
        for sig in (Signature.select().where(Signature.document.in_(ids))
                    .order_by(Signature.signed_at, Signature.id)):
            result[sig.document_id].append(sig)
    return result


def document_signatures(document: Document, signatures=None) -> list:
    if signatures is None:
        return list(Signature.select().where(Signature.document == document.id)
                    .order_by(Signature.signed_at, Signature.id))
    return signatures


def organization_signature(document: Document, signatures=None) -> Signature | None:
    """The signature of the organisation that placed the document, if it is there."""
    return next((s for s in document_signatures(document, signatures) if s.side == document.party), None)


def applicant_signature(document: Document, signatures=None) -> Signature | None:
    """The applicant's signature on an organisation's document, if any."""
    return next((s for s in document_signatures(document, signatures) if s.side == "applicant"), None)


def offered_to_applicant(document: Document, appeal: Appeal | None = None,
                         signatures=None) -> bool:
    """True when the applicant can sign now: needed, the organisation signed, not yet done."""
    appeal = appeal or Appeal.get_by_id(document.appeal_id)
    if (not document.needs_applicant_signature or document.party == "applicant"
            or appeal.state != Appeal.ACTIVE):
        return False
    sigs = document_signatures(document, signatures)
    return bool(organization_signature(document, sigs)) and not applicant_signature(document, sigs)


def applicant_method(user: User) -> str:
    """How the applicant signs: ПЭП for a person, КЭП for an ИП or a company."""
    return Signature.PEP if user.legal_form == User.PERSON else Signature.KEP


def side_label(signature: Signature) -> str:
    """«Подпись Сетевой» / «Подпись ГП» / «Подпись Заявителя»."""
    return SIDE_LABELS.get(signature.side, "Подпись")


METHOD_SHORT = {Signature.PEP: "ПЭП", Signature.KEP: "КЭП"}


@dataclass(frozen=True)
class SignatureLine:
    """One signature under a document's row, in the manual's words on both sides:
    «Подпись Сетевой · КЭП · добавлен: 27.07.2020», «Подпись Заявителя · ПЭП · подписан: …»."""
    label: str
    method: str
    verb: str
    when: dt.datetime


def signature_lines(signatures) -> list[SignatureLine]:
    """The lines of a document's signatures (oldest first): an organisation's signature is
    «добавлен» with the document it placed, the applicant's «подписан»."""
    return [SignatureLine(side_label(s), METHOD_SHORT.get(s.kind, s.kind),
                          "подписан" if s.side == "applicant" else "добавлен", s.signed_at)
            for s in signatures]


def evidence_of(signature: Signature) -> dict:
    """The signature's stored evidence as a dict."""
    try:
        return json.loads(signature.evidence or "{}")
    except ValueError:
        return {}


@dataclass(frozen=True)
class DocumentSigning:
    """Where one document's signatures stand: what its row on an appeal's page shows."""
    signatures: list  # oldest first
    organization_signed: bool  # the organisation that placed it has signed it
    offered_to_applicant: bool  # the applicant may sign it now
    awaiting_organization: bool  # the applicant must sign it, but its organisation has not yet


def document_signing(document: Document, appeal: Appeal, signatures: list) -> DocumentSigning:
    """The document's signing state from rows already read (its signatures, oldest first)."""
    organization_signed = organization_signature(document, signatures) is not None
    return DocumentSigning(
        signatures=signatures, organization_signed=organization_signed,
        offered_to_applicant=offered_to_applicant(document, appeal, signatures),
        awaiting_organization=(document.needs_applicant_signature
                               and document.party != "applicant" and not organization_signed))


def supply_start(appeal: Appeal, documents: list, signatures: dict) -> dt.datetime | None:
    """When the supplier's duties under the supply contract start: the day the act of
    connection signed by the grid company was posted (п.110–112 Правил). From the appeal's
    documents and their signatures ({document id: [Signature]}) already read."""
    if not appeal.supplier_id:
        return None
    return min((s.signed_at for d in documents
                if d.type_code == DocumentType.ACT_OF_CONNECTION and d.party == "grid"
                for s in signatures.get(d.id, ())
                if s.side == "grid" and s.kind == Signature.KEP), default=None)
