"""КЭП: a detached CAdES (GOST R 34.10-2012) of a company, a sole trader or a clerk,
verified against the signer's identifiers before anything is kept.
"""
import base64
import binascii
import datetime as dt
import json
import os

from flask import current_app, has_app_context, url_for

from domain.appeals.access import acting_organization, visible_to
from domain.deadlines import clocks
from domain.files import storage
from domain.signing import cades
from domain.signing.notices import (
    applicant_touched,
    notify_applicant_of_organization,
    notify_organization_of_applicant,
    notify_supplier_of_act,
    signer_info,
    staff_touched,
)
from domain.signing.state import (
    MSG_ALREADY,
    MSG_FILE_CHANGED,
    MSG_NOT_OFFERED,
    SIDE_LABELS,
    SigningError,
    applicant_signature,
    document_signatures,
    offered_to_applicant,
    organization_signature,
)
from domain.transactions import write_transaction as _write_transaction
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    Signature,
    User,
    audit,
    db,
    utcnow,
)

MSG_KEP_NOT_PERSON = "Физическое лицо подписывает документы кодом подтверждения из СМС"

MSG_EMPTY_SIG = "Выберите файл подписи (.sig)"

CADESPLUGIN_API = "vendor/cadesplugin_api.js"


def trusted_roots() -> list | None:
    """Root certificates from TRUSTED_ROOTS_DIR, or None when no folder is configured."""
    folder = current_app.config.get("TRUSTED_ROOTS_DIR") if has_app_context() else None
    if not folder:
        return None
    return cades.load_trusted_roots(folder)


def cadesplugin_api_url() -> str:
    """CryptoPro's cadesplugin_api.js when the deployment put it in static/vendor/ (it is
    CryptoPro's file, not shipped here); '' otherwise: then the signing dialog offers the
    upload of a .sig made elsewhere."""
    static = current_app.static_folder
    if static and os.path.isfile(os.path.join(static, CADESPLUGIN_API)):
        return url_for("static", filename=CADESPLUGIN_API)
    return ""


def expected_identifiers(signer: User, organization: Organization | None = None) -> dict:
    """What the certificate subject must carry: the organisation's ИНН for staff, the
    applicant's ИНН and ОГРН (company) or ИНН and ОГРНИП (sole trader)."""
    if signer.is_staff:
        org = organization or acting_organization(signer)
        expected = {"inn": org.inn}
        if org.ogrn:
            expected["ogrn"] = org.ogrn
        return expected
    if signer.legal_form == User.COMPANY:
        return {"inn": signer.inn, "ogrn": signer.ogrn}
    if signer.legal_form == User.SOLE_TRADER:
        return {"inn": signer.inn, "ogrnip": signer.ogrnip}
    return {"snils": signer.snils}


def _signing_side(document: Document, signer: User, appeal: Appeal) -> str:
    """The side the signer signs for, after checking they may sign this document now."""
    if signer.is_staff:
        org = acting_organization(signer)
        if (not org or not visible_to(signer, appeal) or document.party == "applicant"
                or document.organization_id != org.id):
            raise PermissionError(f"{signer.email} may not sign document {document.id}")
        if organization_signature(document):
            raise SigningError(MSG_ALREADY)
        return document.party
    if appeal.applicant_id != signer.id:
        raise PermissionError(f"{signer.email} may not sign document {document.id}")
    if signer.legal_form == User.PERSON:
        raise SigningError(MSG_KEP_NOT_PERSON)
    if applicant_signature(document):
        raise SigningError(MSG_ALREADY)
    if not offered_to_applicant(document, appeal):
        raise SigningError(MSG_NOT_OFFERED)
    return "applicant"


def recorded_digests(document: Document) -> dict:
    """{256: bytes, 512: bytes}: the Streebog digests recorded when the file was stored
    (empty for documents stored before they were recorded)."""
    result = {}
    for bits, value in ((256, document.streebog256), (512, document.streebog512)):
        try:
            if value:
                result[bits] = bytes.fromhex(value)
        except ValueError:
            continue
    return result


def _record_digests(document: Document) -> dict:
    """For a document stored before Streebog digests were recorded: hash the file once
    (SHA-256 and Streebog-256/512 in one pass), refuse it if it no longer matches the
    SHA-256 recorded at placement, else record the digests for every later check."""
    sha256, digests = storage.digest_file(document.storage_key, tuple(storage.EXTRA_DIGESTS))
    if sha256 != document.sha256:
        raise SigningError(MSG_FILE_CHANGED)
    with db.atomic():
        (Document.update(**digests)
         .where((Document.id == document.id) & (Document.sha256 == sha256)).execute())
    for name, value in digests.items():
        setattr(document, name, value)
    return recorded_digests(document)


def verify(document: Document, sig_bytes: bytes, signer: User,
           organization: Organization | None = None, at: dt.datetime | None = None,
           digests: dict | None = None):
    """cades.verify_detached against the signer's identifiers: with the document's
    Streebog `digests` when given (the file is not read), else of the stored file."""
    expected = expected_identifiers(signer, organization)
    if digests and 256 in digests and 512 in digests:
        return cades.verify_detached(sig_bytes, expected=expected, at=at,
                                     trusted_roots=trusted_roots(), document_digest=digests)
    with storage.open_file(document.storage_key) as handle:
        return cades.verify_detached(sig_bytes, handle, expected=expected, at=at,
                                     trusted_roots=trusted_roots(), document_digest=digests)


def sign_kep(document: Document, signer: User, sig_bytes: bytes, *, ip: str = "",
             user_agent: str = "", now: dt.datetime | None = None) -> Signature:
    """A clerk (for their organisation) or a company/ИП applicant signs with КЭП.

    The detached CAdES is verified first; on any failure SigningError carries the
    Russian reason and nothing is stored. On success the .sig and the verification
    report are kept and the other side is notified."""
    if not sig_bytes or not sig_bytes.strip():
        raise SigningError(MSG_EMPTY_SIG)
    appeal = Appeal.get_by_id(document.appeal_id)
    side = _signing_side(document, signer, appeal)
    organization = acting_organization(signer) if signer.is_staff else None
    # The document check of a КЭП is its messageDigest against the Streebog recorded when
    # the file was stored (hashed once, streamed, at placement): the file is not read
    # again here. The signer signed the bytes the portal served from that stored file;
    # if the file had been altered on disk since, those bytes hash differently and the
    # signature is refused («Подпись относится к другому документу…»), so no signature
    # is ever accepted for bytes other than the placed ones. Re-reading the file is the
    # audit's job: «Скачать с подписями» hashes it now and checks SHA-256 and every
    # signature against the file as it is (report_text).
    digests = recorded_digests(document)
    if len(digests) < 2:  # stored before digests were recorded: hash the file once
        digests = _record_digests(document)
    try:
        report = verify(document, sig_bytes, signer, organization, digests=digests)
    except cades.SignatureError as exc:
        audit("signature_refused", actor=signer, obj=document, ip=ip, details=str(exc)[:500])
        raise SigningError(str(exc)) from None
    key, size, sig_sha = storage.save_bytes(bytes(sig_bytes))
    try:
        with _write_transaction():
            now = now or utcnow()
            if any(s.side == side for s in document_signatures(document)):
                raise SigningError(MSG_ALREADY)
            evidence = {
                "method": "КЭП: отсоединённая подпись CAdES-BES, ГОСТ Р 34.10-2012",
                "document": {"id": document.id, "type": document.doc_type,
                             "file_name": document.file_name, "size": document.size,
                             "sha256": document.sha256},
                "signer": signer_info(signer),
                "organization": ({"id": organization.id, "name": organization.name,
                                  "inn": organization.inn} if organization else None),
                "signed_at": now.isoformat() + "Z", "ip": ip, "user_agent": user_agent[:500],
                "signature_file": {"size": size, "sha256": sig_sha},
                "report": report.to_dict(), "report_text": report.text(),
            }
            signature = Signature.create(
                document=document, signer=signer, side=side, kind=Signature.KEP, signed_at=now,
                evidence=json.dumps(evidence, ensure_ascii=False), sig_storage_key=key)
            if side == "applicant":
                applicant_touched(appeal, now)
                clocks.contract_signed(appeal, document, now)
                notify_organization_of_applicant(appeal, document, signer, Signature.KEP, now)
            else:
                staff_touched(appeal, now)
                notify_applicant_of_organization(appeal, document, organization, now)
                if side == "grid" and document.type_code == DocumentType.ACT_OF_CONNECTION:
                    notify_supplier_of_act(appeal, document, now)
                    clocks.act_sent_to_supplier(appeal, now)
            audit("document_signed", actor=signer, obj=appeal, ip=ip,
                  details=f"КЭП ({SIDE_LABELS[side]}): {document.doc_type} «{document.file_name}», "
                          f"сертификат {report.signer_subject.get('CN', '')}, № {report.serial}")
    except BaseException:
        storage.delete(key)
        raise
    return signature

MAX_SIGNATURE_BYTES = 2 * 1024 * 1024  # a CAdES-BES with a chain is a few kilobytes

# What every signature file chooser offers: DER, PEM or bare base64 CAdES (cades.encoding
# reads them all), as CryptoPro and other tools save them.
SIGNATURE_FILE_TYPES = ".sig,.sgn,.p7s,.p7b,.pem,.der,.txt,.b64"


def posted_signature(upload, b64_text: str | None) -> bytes:
    """The signature sent with a form: an uploaded .sig file, or the base64 CAdES the
    browser plug-in made. Raises SigningError for an oversized file or bad base64."""
    if upload is not None and upload.filename:
        data = upload.stream.read(MAX_SIGNATURE_BYTES + 1)
        if len(data) > MAX_SIGNATURE_BYTES:
            raise SigningError("Файл подписи слишком большой: нужна отсоединённая "
                               "подпись (.sig)")
        return data
    text = (b64_text or "").strip()
    if not text:
        return b""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("Подпись из плагина получена в неверном формате") from None
