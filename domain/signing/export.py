"""«Скачать с подписями»: the document, its signatures and a verification protocol,
every signature checked again against the file as it is now.
"""
import json
import tempfile
import zipfile

from domain.files import storage
from domain.formatting import msk
from domain.signing import cades
from domain.signing.kep import trusted_roots
from domain.signing.state import (
    KIND_LABELS,
    document_signatures,
    evidence_of,
    side_label,
)
from models import Document, Signature


def _arc_base(document: Document) -> str:
    name = document.file_name.replace("/", "_").replace("\\", "_")
    return name.rsplit(".", 1)[0] if "." in name else name


def report_text(document: Document, signatures: list) -> str:
    """A Russian verification report for every signature, checked again now."""
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
    signatures = document_signatures(document)
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
