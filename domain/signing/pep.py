"""ПЭП: a person signs with a one-time SMS code (6 digits, 5 minutes, 5 attempts, resent
after 60 s, stored only as a keyed hash); the evidence of each signature is recorded.
"""
import datetime as dt
import hashlib
import hmac
import json
import secrets

from flask import current_app

from domain.deadlines import clocks
from domain.files import storage
from domain.outbox import notify
from domain.outbox.secrets import placeholder
from domain.signing.notices import (
    applicant_touched,
    notify_organization_of_applicant,
    signer_info,
)
from domain.signing.state import (
    MSG_ALREADY,
    MSG_FILE_CHANGED,
    MSG_NOT_OFFERED,
    SigningError,
    applicant_signature,
    offered_to_applicant,
    signatures_by_document,
)
from domain.transactions import write_transaction as _write_transaction
from models import (
    Appeal,
    Consent,
    Document,
    LegalDocument,
    Signature,
    SmsCode,
    User,
    audit,
    db,
    utcnow,
)

CODE_DIGITS = 6

CODE_TTL = dt.timedelta(minutes=5)

MAX_ATTEMPTS = 5

RESEND_AFTER = dt.timedelta(seconds=60)

MSG_NO_CODE = "Запросите код подтверждения"

MSG_EXPIRED = "Срок действия кода истёк. Запросите новый код"

MSG_EXHAUSTED = "Исчерпано число попыток ввода кода. Запросите новый код"

MSG_WRONG = "Неверный код подтверждения. Осталось попыток: {left}"

MSG_OTHER_DOCS = "Код подтверждения выдан для других документов. Запросите новый код"

MSG_RESEND = "Повторно отправить код можно через {seconds} с"

MSG_NO_PHONE = "В учетной записи не указан сотовый телефон"

MSG_PEP_ONLY_PERSON = ("Юридические лица и индивидуальные предприниматели подписывают документы "
                       "квалифицированной электронной подписью")


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


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
        notify.sms(user.phone, f"Код {placeholder('code')} для подписания "
                               f"документов{number}. Никому не сообщайте код.",
                   secret_values={"code": code})
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
                "signer": signer_info(user), "phone": row.phone,
                "signed_at": now.isoformat() + "Z", "ip": ip, "user_agent": user_agent[:500],
                "sms_code": {"id": row.id, "sent_at": row.created_at.isoformat() + "Z",
                             "attempt": row.attempts},
                "agreement": agreement,
            }
            created.append(Signature.create(
                document=doc, signer=user, side="applicant", kind=Signature.PEP, signed_at=now,
                evidence=json.dumps(evidence, ensure_ascii=False)))
        applicant_touched(appeal, now)
        for doc in documents:
            clocks.contract_signed(appeal, doc, now)
        audit("document_signed", actor=user, obj=appeal, ip=ip,
              details="ПЭП: " + ", ".join(f"{d.doc_type} «{d.file_name}»" for d in documents))
        for doc in documents:
            notify_organization_of_applicant(appeal, doc, user, Signature.PEP, now)
    return created
