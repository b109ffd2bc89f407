"""Signing documents: ПЭП by a one-time SMS code for people, КЭП (detached CAdES) for
companies, sole traders and staff, each signature kept with what proves it.

- A document an organisation placed is signed by that organisation's clerk with КЭП;
  the server verifies the detached CAdES against the organisation's ИНН (cades.py).
- A document that needs the applicant's signature is offered to the applicant only once
  the organisation's signature is on it. A person signs with a 6-digit SMS code (lives
  5 minutes, 5 attempts, resent after 60 s, stored only as a keyed hash); a company or
  ИП uploads or makes in the browser a detached CAdES checked against its ИНН/ОГРН/ОГРНИП.
- Refused signatures raise SigningError with the Russian reason; nothing is stored.
- Every signature notifies the other side; a signed «Акт об осуществлении ТП» also
  notifies the guaranteeing supplier named in the application (supply runs from that day).
- signed_zip() packs the document, its signatures and a verification report.

Writes run in one transaction each; callers outside a request call notify.flush() after.
"""
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
import tempfile
import zipfile

from flask import current_app, has_app_context

import cades
import notify
import storage
from casework import _write_transaction, acting_organization, portal_link, visible_to
from models import (Appeal, Consent, Document, LegalDocument, Organization, SmsCode,
                    Signature, User, audit, db, utcnow)

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)

ACT_TYPE = "Акт об осуществлении ТП"
SIDE_LABELS = {"grid": "Подпись Сетевой", "supplier": "Подпись ГП",
               "applicant": "Подпись Заявителя"}
KIND_LABELS = {Signature.PEP: "простая электронная подпись (код из СМС)",
               Signature.KEP: "квалифицированная электронная подпись (CAdES)"}

MSG_NO_CODE = "Запросите код подтверждения"
MSG_EXPIRED = "Срок действия кода истёк. Запросите новый код"
MSG_EXHAUSTED = "Исчерпано число попыток ввода кода. Запросите новый код"
MSG_WRONG = "Неверный код подтверждения. Осталось попыток: {left}"
MSG_OTHER_DOCS = "Код подтверждения выдан для других документов. Запросите новый код"
MSG_RESEND = "Повторно отправить код можно через {seconds} с"
MSG_NOT_OFFERED = "Документ не ожидает вашей подписи"
MSG_ALREADY = "Документ уже подписан"
MSG_NO_PHONE = "В учетной записи не указан сотовый телефон"
MSG_PEP_ONLY_PERSON = ("Юридические лица и индивидуальные предприниматели подписывают документы "
                       "квалифицированной электронной подписью")
MSG_KEP_NOT_PERSON = "Физическое лицо подписывает документы кодом подтверждения из СМС"
MSG_EMPTY_SIG = "Выберите файл подписи (.sig)"
MSG_FILE_CHANGED = "Файл документа изменён после размещения: подписание невозможно"


class SigningError(ValueError):
    """A refused signature or code; the text is shown to the user as is."""


# Reading the state of signatures ---------------------------------------------------

def signatures_by_document(document_ids) -> dict:
    """{document id: [Signature, …]} for the given documents, read with one query."""
    ids = list(document_ids)
    result = {i: [] for i in ids}
    if ids:
        for sig in (Signature.select().where(Signature.document.in_(ids))
                    .order_by(Signature.signed_at, Signature.id)):
            result[sig.document_id].append(sig)
    return result


def _sigs(document: Document, signatures=None) -> list:
    if signatures is None:
        return list(Signature.select().where(Signature.document == document.id)
                    .order_by(Signature.signed_at, Signature.id))
    return signatures


def organization_signature(document: Document, signatures=None) -> Signature | None:
    """The signature of the organisation that placed the document, if it is there."""
    return next((s for s in _sigs(document, signatures) if s.side == document.party), None)


def applicant_signature(document: Document, signatures=None) -> Signature | None:
    """The applicant's signature on an organisation's document, if any."""
    return next((s for s in _sigs(document, signatures) if s.side == "applicant"), None)


def offered_to_applicant(document: Document, appeal: Appeal | None = None,
                         signatures=None) -> bool:
    """True when the applicant can sign now: needed, the organisation signed, not yet done."""
    appeal = appeal or Appeal.get_by_id(document.appeal_id)
    if (not document.needs_applicant_signature or document.party == "applicant"
            or appeal.state != Appeal.ACTIVE):
        return False
    sigs = _sigs(document, signatures)
    return bool(organization_signature(document, sigs)) and not applicant_signature(document, sigs)


def applicant_method(user: User) -> str:
    """How the applicant signs: ПЭП for a person, КЭП for an ИП or a company."""
    return Signature.PEP if user.legal_form == User.PERSON else Signature.KEP


def side_label(signature: Signature) -> str:
    """«Подпись Сетевой» / «Подпись ГП» / «Подпись Заявителя»."""
    return SIDE_LABELS.get(signature.side, "Подпись")


def evidence_of(signature: Signature) -> dict:
    """The signature's stored evidence as a dict."""
    try:
        return json.loads(signature.evidence or "{}")
    except ValueError:
        return {}


# ПЭП: one-time codes ---------------------------------------------------------------

def _secret() -> bytes:
    key = current_app.config["SECRET_KEY"] if has_app_context() else "portal"
    return str(key).encode("utf-8")


def hash_code(code: str, salt: str | None = None) -> str:
    """'salt$hex': HMAC-SHA256 of the code keyed by the app secret (6 digits alone are
    easy to enumerate, a keyed hash is not without the key)."""
    salt = salt or secrets.token_hex(8)
    digest = hmac.new(_secret(), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


def code_matches(code: str, stored: str) -> bool:
    """Constant-time comparison of a typed code with the stored hash."""
    salt, _sep, _digest = stored.partition("$")
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    return len(typed) == CODE_DIGITS and hmac.compare_digest(hash_code(typed, salt), stored)


def _doc_key(documents) -> str:
    return ",".join(str(i) for i in sorted({d.id for d in documents}))


def _check_offered(documents, user: User) -> Appeal:
    """All documents belong to one of the user's active appeals and await their signature."""
    if not documents:
        raise SigningError(MSG_NOT_OFFERED)
    appeal_ids = {d.appeal_id for d in documents}
    if len(appeal_ids) != 1:
        raise SigningError(MSG_NOT_OFFERED)
    appeal = Appeal.get_by_id(appeal_ids.pop())
    if appeal.applicant_id != user.id:
        raise PermissionError(f"{user.email} may not sign documents of appeal {appeal.id}")
    sigs = signatures_by_document(d.id for d in documents)
    for doc in documents:
        if applicant_signature(doc, sigs[doc.id]):
            raise SigningError(MSG_ALREADY)
        if not offered_to_applicant(doc, appeal, sigs[doc.id]):
            raise SigningError(MSG_NOT_OFFERED)
    return appeal


def resend_wait(user: User, now: dt.datetime | None = None) -> int:
    """Seconds until a new code may be sent (0 = now)."""
    now = now or utcnow()
    last = (SmsCode.select(SmsCode.created_at).where(SmsCode.user == user.id)
            .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).first())
    if not last:
        return 0
    left = (last.created_at + RESEND_AFTER - now).total_seconds()
    return max(0, int(left + 0.999))


def issue_code(user: User, documents, *, now: dt.datetime | None = None) -> SmsCode:
    """Send a new 6-digit code to the applicant's phone for signing `documents` (ПЭП).

    The code goes out as an SMS outbox row (delivered by huey after commit); earlier
    unused codes stop working. Refused within 60 s of the previous code."""
    documents = list(documents)
    if user.legal_form != User.PERSON:
        raise SigningError(MSG_PEP_ONLY_PERSON)
    if not user.phone:
        raise SigningError(MSG_NO_PHONE)
    appeal = _check_offered(documents, user)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    with _write_transaction():
        now = now or utcnow()
        wait = resend_wait(user, now)
        if wait:
            raise SigningError(MSG_RESEND.format(seconds=wait))
        (SmsCode.update(expires_at=now)
         .where((SmsCode.user == user.id) & SmsCode.used_at.is_null()
                & (SmsCode.expires_at > now)).execute())
        row = SmsCode.create(user=user, document=documents[0] if len(documents) == 1 else None,
                             document_ids=_doc_key(documents), phone=user.phone,
                             code_hash=hash_code(code), created_at=now,
                             expires_at=now + CODE_TTL)
        number = f" по заявке № {appeal.reg_number}" if appeal.reg_number else ""
        notify.sms(user.phone, f"Код {code} для подписания документов{number}. "
                               f"Никому не сообщайте код.")
        audit("sign_code_sent", actor=user, obj=appeal,
              details=f"документы {row.document_ids}, телефон {user.phone}")
    return row


def _consume_code(user: User, documents, code: str, now: dt.datetime) -> SmsCode:
    """Check the typed code against the user's current one; counts the attempt first.

    The attempt counter is raised with a conditional UPDATE committed before the
    comparison, so parallel guesses cannot exceed the limit."""
    row = (SmsCode.select().where((SmsCode.user == user.id) & SmsCode.used_at.is_null())
           .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).first())
    if row is None:
        raise SigningError(MSG_NO_CODE)
    if row.expires_at <= now:
        raise SigningError(MSG_EXPIRED)
    if row.document_ids != _doc_key(documents):
        raise SigningError(MSG_OTHER_DOCS)
    with db.atomic():
        counted = (SmsCode.update(attempts=SmsCode.attempts + 1)
                   .where((SmsCode.id == row.id) & (SmsCode.attempts < MAX_ATTEMPTS)
                          & SmsCode.used_at.is_null()).execute())
    if not counted:
        raise SigningError(MSG_EXHAUSTED)
    row.attempts += 1
    if not code_matches(code, row.code_hash):
        left = MAX_ATTEMPTS - row.attempts
        raise SigningError(MSG_WRONG.format(left=left) if left > 0 else MSG_EXHAUSTED)
    return row


def _sha256_of(document: Document) -> str:
    digest = hashlib.sha256()
    with storage.open_file(document.storage_key) as handle:
        while chunk := handle.read(storage.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _agreement(user: User) -> dict:
    """The electronic-interaction agreement the applicant accepted at registration."""
    consent = (Consent.select(Consent, LegalDocument).join(LegalDocument)
               .where((Consent.user == user.id) & (LegalDocument.key == LegalDocument.E_INTERACTION))
               .order_by(Consent.accepted_at.desc()).first())
    if not consent:
        return {}
    return {"title": consent.document.title, "version": consent.document.version,
            "accepted_at": consent.accepted_at.isoformat() + "Z", "ip": consent.ip}


def _signer_info(user: User) -> dict:
    info = {"id": user.id, "name": user.full_name, "email": user.email,
            "legal_form": user.legal_form_label}
    for key in ("snils", "inn", "ogrn", "ogrnip"):
        if getattr(user, key, None):
            info[key] = getattr(user, key)
    if user.legal_form == User.COMPANY and user.company_name:
        info["company"] = user.company_name
    return info


def sign_pep(documents, user: User, code: str, ip: str = "", user_agent: str = "", *,
             now: dt.datetime | None = None) -> list[Signature]:
    """The applicant (a person) signs `documents` with the SMS code: ПЭП.

    Records the evidence of a simple electronic signature (63-ФЗ ст. 9 and the agreement
    accepted at registration): each document's SHA-256, the signer, the phone, the time,
    IP and browser, the code's id; notifies the organisations."""
    documents = list(documents)
    if user.legal_form != User.PERSON:
        raise SigningError(MSG_PEP_ONLY_PERSON)
    appeal = _check_offered(documents, user)
    now = now or utcnow()
    row = _consume_code(user, documents, code, now)
    # A ПЭП binds nothing but the recorded SHA-256 to what the person saw, so the file
    # they were served is checked against it here (unlike a КЭП, see sign_kep).
    hashes = {}
    for doc in documents:
        hashes[doc.id] = _sha256_of(doc)
        if hashes[doc.id] != doc.sha256:
            raise SigningError(MSG_FILE_CHANGED)
    agreement = _agreement(user)
    created = []
    with _write_transaction():
        used = (SmsCode.update(used_at=now)
                .where((SmsCode.id == row.id) & SmsCode.used_at.is_null()).execute())
        if not used:
            raise SigningError(MSG_NO_CODE)
        sigs = signatures_by_document(d.id for d in documents)
        for doc in documents:
            if applicant_signature(doc, sigs[doc.id]):
                raise SigningError(MSG_ALREADY)
            evidence = {
                "method": "ПЭП: одноразовый код из СМС (63-ФЗ, ст. 9; соглашение об "
                          "электронном взаимодействии)",
                "document": {"id": doc.id, "type": doc.doc_type, "file_name": doc.file_name,
                             "size": doc.size, "sha256": hashes[doc.id]},
                "signer": _signer_info(user), "phone": row.phone,
                "signed_at": now.isoformat() + "Z", "ip": ip, "user_agent": user_agent[:500],
                "sms_code": {"id": row.id, "sent_at": row.created_at.isoformat() + "Z",
                             "attempt": row.attempts},
                "agreement": agreement,
            }
            created.append(Signature.create(
                document=doc, signer=user, side="applicant", kind=Signature.PEP, signed_at=now,
                evidence=json.dumps(evidence, ensure_ascii=False)))
        _applicant_touched(appeal, now)
        audit("document_signed", actor=user, obj=appeal, ip=ip,
              details="ПЭП: " + ", ".join(f"{d.doc_type} «{d.file_name}»" for d in documents))
        for doc in documents:
            _notify_organization_of_applicant(appeal, doc, user, Signature.PEP, now)
    return created


# КЭП: detached CAdES ---------------------------------------------------------------

def trusted_roots() -> list | None:
    """Root certificates from TRUSTED_ROOTS_DIR, or None when no folder is configured."""
    folder = current_app.config.get("TRUSTED_ROOTS_DIR") if has_app_context() else None
    if not folder:
        return None
    return cades.load_trusted_roots(folder)


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
            if any(s.side == side for s in _sigs(document)):
                raise SigningError(MSG_ALREADY)
            evidence = {
                "method": "КЭП: отсоединённая подпись CAdES-BES, ГОСТ Р 34.10-2012",
                "document": {"id": document.id, "type": document.doc_type,
                             "file_name": document.file_name, "size": document.size,
                             "sha256": document.sha256},
                "signer": _signer_info(signer),
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
                _applicant_touched(appeal, now)
                _notify_organization_of_applicant(appeal, document, signer, Signature.KEP, now)
            else:
                _staff_touched(appeal, now)
                _notify_applicant_of_organization(appeal, document, organization, now)
                if side == "grid" and document.doc_type == ACT_TYPE:
                    _notify_supplier_of_act(appeal, document, now)
            audit("document_signed", actor=signer, obj=appeal, ip=ip,
                  details=f"КЭП ({SIDE_LABELS[side]}): {document.doc_type} «{document.file_name}», "
                          f"сертификат {report.signer_subject.get('CN', '')}, № {report.serial}")
    except BaseException:
        storage.delete(key)
        raise
    return signature


# Effects on the appeal and notifications -------------------------------------------

def _applicant_touched(appeal: Appeal, now):
    Appeal.update(updated_at=now, applicant_activity_at=now).where(Appeal.id == appeal.id).execute()


def _staff_touched(appeal: Appeal, now):
    Appeal.update(updated_at=now, staff_activity_at=now).where(Appeal.id == appeal.id).execute()


def _notify_organization_of_applicant(appeal, document, user, kind, now):
    """The placing organisation's inbox hears that the applicant signed."""
    org = Organization.get_or_none(Organization.id == document.organization_id) \
        if document.organization_id else Organization.grid()
    if not org:
        return
    appeal.applicant = user
    notify.email(org.inbox_email, "signed_by_applicant", appeal=appeal, case=appeal,
                 document=document,
                 organization=org, applicant=user, method=KIND_LABELS[kind], signed_at=now)


def _notify_applicant_of_organization(appeal, document, organization, now):
    """The applicant hears that the organisation signed (and whether they must sign too)."""
    applicant = User.get_by_id(appeal.applicant_id)
    appeal.applicant = applicant
    notify.email(applicant.notify_email, "signed_by_organization", appeal=appeal, case=appeal,
                 document=document, organization=organization, signed_at=now,
                 needs_signature=document.needs_applicant_signature,
                 link=portal_link(appeal))


def _notify_supplier_of_act(appeal, document, now):
    """The supplier named in the application learns of the signed act of connection."""
    if not appeal.supplier_id:
        return
    supplier = Organization.get_by_id(appeal.supplier_id)
    appeal.applicant = User.get_by_id(appeal.applicant_id)
    notify.email(supplier.inbox_email, "signed_act_supplier", appeal=appeal, case=appeal,
                 document=document,
                 supplier=supplier, signed_at=now)


def supply_start(appeal: Appeal) -> dt.datetime | None:
    """When the supplier's duties under the supply contract start: the day the act of
    connection signed by the grid company was posted (п.110–112 Правил)."""
    if not appeal.supplier_id:
        return None
    row = (Signature.select(Signature.signed_at).join(Document)
           .where((Document.appeal == appeal.id) & (Document.doc_type == ACT_TYPE)
                  & (Document.party == "grid") & (Signature.side == "grid")
                  & (Signature.kind == Signature.KEP))
           .order_by(Signature.signed_at).first())
    return row.signed_at if row else None


# «Скачать с подписями» -------------------------------------------------------------

def _arc_base(document: Document) -> str:
    name = document.file_name.replace("/", "_").replace("\\", "_")
    return name.rsplit(".", 1)[0] if "." in name else name


def report_text(document: Document, signatures: list) -> str:
    """A Russian verification report for every signature, checked again now."""
    from templating import msk
    lines = ["Протокол проверки электронных подписей",
             f"Документ: {document.doc_type} «{document.file_name}», {document.size} байт",
             f"SHA-256 при размещении: {document.sha256}"]
    # The audit reads the file once, as it is now: SHA-256 for its integrity and the
    # Streebog digests every КЭП is checked against below.
    current, fresh = storage.digest_file(document.storage_key, tuple(storage.EXTRA_DIGESTS))
    fresh = {bits: bytes.fromhex(fresh[name]) for name, bits in storage.EXTRA_DIGESTS.items()}
    lines.append("Целостность файла: " + ("не нарушена" if current == document.sha256
                                          else f"НАРУШЕНА (SHA-256 сейчас {current})"))
    if not signatures:
        lines.append("\nПодписей нет.")
    for number, sig in enumerate(signatures, 1):
        evidence = evidence_of(sig)
        lines += ["", f"{number}. {side_label(sig)} — {KIND_LABELS.get(sig.kind, sig.kind)}",
                  f"Подписано: {msk(sig.signed_at, '%d.%m.%Y %H:%M:%S')} (МСК)"]
        signer = evidence.get("signer") or {}
        if signer:
            lines.append(f"Подписант: {signer.get('company') or ''} {signer.get('name', '')}".strip())
        if evidence.get("organization"):
            lines.append(f"Организация: {evidence['organization']['name']}, "
                         f"ИНН {evidence['organization']['inn']}")
        if sig.kind == Signature.PEP:
            doc_hash = (evidence.get("document") or {}).get("sha256", "")
            lines += [f"Телефон: {evidence.get('phone', '')}",
                      f"Код подтверждения № {(evidence.get('sms_code') or {}).get('id', '')}",
                      f"IP-адрес: {evidence.get('ip', '')}",
                      f"Браузер: {evidence.get('user_agent', '')}",
                      f"SHA-256 подписанного документа: {doc_hash}",
                      "Результат: " + ("документ не изменялся после подписания"
                                       if doc_hash == current else
                                       "документ ИЗМЕНЁН после подписания")]
            agreement = evidence.get("agreement") or {}
            if agreement:
                lines.append(f"Соглашение: «{agreement.get('title')}», редакция "
                             f"{agreement.get('version')}, принято {agreement.get('accepted_at')}")
        else:
            lines.append("Проверка при подписании:")
            lines += ["  " + line for line in (evidence.get("report_text") or "").splitlines()]
            lines.append("Проверка сейчас:")
            lines.append("  " + _recheck(document, sig, fresh))
    return "\n".join(lines) + "\n"


def _recheck(document: Document, sig: Signature, digests: dict | None = None) -> str:
    """Verify a stored КЭП again (identifiers as at signing; validity at the signing time)
    against the file's Streebog `digests` computed now (else the file is hashed)."""
    if not sig.sig_storage_key:
        return "файл подписи отсутствует"
    evidence = evidence_of(sig)
    expected = {}
    subject = ((evidence.get("report") or {}).get("signer_subject")) or {}
    if evidence.get("organization"):
        expected["inn"] = evidence["organization"]["inn"]
    else:
        signer = evidence.get("signer") or {}
        expected = {k: signer[k] for k in ("inn", "ogrn", "ogrnip") if signer.get(k)}
    try:
        with storage.open_file(sig.sig_storage_key) as handle:
            sig_bytes = handle.read()
        if digests:
            cades.verify_detached(sig_bytes, expected=expected or None, at=sig.signed_at,
                                  trusted_roots=trusted_roots(), document_digest=digests)
        else:
            with storage.open_file(document.storage_key) as handle:
                cades.verify_detached(sig_bytes, handle, expected=expected or None,
                                      at=sig.signed_at, trusted_roots=trusted_roots())
    except cades.SignatureError as exc:
        return f"подпись недействительна: {exc}"
    except OSError:
        return "файл подписи недоступен"
    return f"подпись действительна ({subject.get('CN', '')})"


def signed_zip(document: Document):
    """«Скачать с подписями»: (file object, download name) of a zip with the document,
    each КЭП as a .sig, each ПЭП's evidence as .json, and the verification report."""
    signatures = _sigs(document)
    base = _arc_base(document)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with storage.open_file(document.storage_key) as src, \
                archive.open(document.file_name.replace("/", "_"), "w", force_zip64=True) as dst:
            while chunk := src.read(storage.CHUNK):
                dst.write(chunk)
        for number, sig in enumerate(signatures, 1):
            label = side_label(sig)
            if sig.kind == Signature.KEP and sig.sig_storage_key:
                with storage.open_file(sig.sig_storage_key) as handle:
                    archive.writestr(f"{base} — {label}.sig", handle.read())
            else:
                archive.writestr(f"{base} — {label} (ПЭП).json",
                                 json.dumps(evidence_of(sig), ensure_ascii=False, indent=2))
        archive.writestr("Протокол проверки подписей.txt", report_text(document, signatures))
    out.seek(0)
    return out, f"{base} с подписями.zip"


MAX_SIGNATURE_BYTES = 2 * 1024 * 1024  # a CAdES-BES with a chain is a few kilobytes


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
