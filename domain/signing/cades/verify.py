"""verify_detached: the checks of a detached CAdES-BES signature, in order, into a report.

Each check appends its name to the :class:`VerificationReport`; the first that fails raises
:class:`SignatureError` with the Russian message and the partial report.  The layers below
do the work: signed_data (the CMS), certificates (key, chain), curve (the GOST signature),
names (identifiers), domain.files.streebog (the document's digest).
"""
from __future__ import annotations

import binascii
import hmac
from datetime import datetime, timezone

from domain.files import streebog
from domain.files.streebog import DocumentInput
from domain.signing.cades.algorithms import DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS, algorithm_name
from domain.signing.cades.certificates import chains_to, gost_public_key, load_certificate
from domain.signing.cades.curve import gost_verify
from domain.signing.cades.names import IDENTIFIERS, digits, identifier_matches, name_dict, name_str
from domain.signing.cades.report import (
    CHECK_ALGORITHM,
    CHECK_CERT_PRESENT,
    CHECK_CHAIN,
    CHECK_DIGEST,
    CHECK_FORMAT,
    CHECK_IDENTIFIER,
    CHECK_SIGNING_CERT,
    CHECK_VALIDITY,
    CHECK_VALUE,
    MSG_ALGORITHM,
    MSG_CHAIN,
    MSG_DIGEST,
    MSG_IDENTIFIER,
    MSG_MANY_SIGNERS,
    MSG_NO_CERT,
    MSG_NOT_CADES,
    MSG_SIGNING_CERT,
    MSG_VALIDITY,
    MSG_VALUE,
    SignatureError,
    VerificationReport,
    format_time,
)
from domain.signing.cades.signed_data import (
    find_signer_certificate,
    parse_signed_data,
    signing_certificate_ok,
)


def verify_detached(signature: bytes, document: DocumentInput | None = None, *,
                    expected: dict | None = None,
                    at: datetime | None = None,
                    trusted_roots: list | None = None,
                    document_digest: "bytes | dict | None" = None) -> VerificationReport:
    """Verify a detached CAdES-BES signature made with a GOST R 34.10-2012 key.

    :param signature: the signature file content: DER, PEM or bare base64
        (bytes; base64 text may also be given as str).
    :param document: the signed document: a path, a binary file object
        (read from its current position, in chunks) or bytes.  A missing
        file raises OSError, not SignatureError.  Not read when
        ``document_digest`` gives the digest for the signature's key size
        (it may then be None).
    :param document_digest: the document's Streebog computed beforehand (e.g.
        while the document was uploaded): bytes taken as the digest for the
        signature's key size (a digest of another length does not match), or
        a mapping ``{256: bytes, 512: bytes}`` from which the digest of the
        key size is taken; empty values count as absent.  When no digest for
        the key size is given, ``document`` is hashed (it must then be given).
    :param expected: identifiers the certificate subject must carry; keys
        ``inn`` (compared with INNLE 1.2.643.100.4 or INN 1.2.643.3.131.1.1),
        ``ogrn``, ``ogrnip``, ``snils``; only the keys given are checked.
        Spaces and dashes are ignored ("123-456-789 01"); keys whose value
        is None or "" are not checked.
    :param at: moment at which the certificate must be valid when the
        signature has no signingTime attribute (default: now; naive values
        are taken as UTC).
    :param trusted_roots: DER/PEM root certificates; when given, the signer
        certificate must chain to one of them (intermediates are taken from
        the signature).  When None, the chain is not checked.
    :returns: a :class:`VerificationReport` with ``ok`` True.
    :raises SignatureError: on the first failed check (Russian message).
    :raises ValueError: on bad arguments (unknown ``expected`` key,
        unreadable trusted root).
    """
    if document is None and not document_digest:
        raise ValueError("either document or document_digest is required")
    expected = {k: digits(v) for k, v in (expected or {}).items() if v not in (None, "")}
    unknown = set(expected) - set(IDENTIFIERS)
    if unknown:
        raise ValueError("unknown keys in expected: %s" % ", ".join(sorted(unknown)))
    roots = _roots(trusted_roots) if trusted_roots is not None else None

    report = VerificationReport()

    def passed(name: str) -> None:
        """Record a check that passed."""
        report.checks.append((name, True))

    def fail(name: str, message: str) -> SignatureError:
        """Record a failed check and return the error to raise, carrying the report."""
        report.checks.append((name, False))
        report.ok = False
        report.error = message
        return SignatureError(message, check=name, report=report)

    # 1. Structure: CMS SignedData, detached, one signer, signed attributes.
    try:
        parts = parse_signed_data(signature)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, binascii.Error):
        raise fail(CHECK_FORMAT, MSG_NOT_CADES) from None
    if parts.signer_count > 1:
        raise fail(CHECK_FORMAT, MSG_MANY_SIGNERS.format(count=parts.signer_count))
    report.signing_time = parts.signing_time
    passed(CHECK_FORMAT)

    # 2. Signer certificate.
    try:
        cert = find_signer_certificate(parts.sid, parts.certificates)
    except (ValueError, TypeError, KeyError):
        cert = None
    if cert is None:
        raise fail(CHECK_CERT_PRESENT, MSG_NO_CERT)
    tbs = cert["tbs_certificate"]
    try:
        report.signer_subject = name_dict(tbs["subject"])
        report.issuer = name_str(tbs["issuer"])
        report.serial = "%x" % tbs["serial_number"].native
        report.not_before = tbs["validity"]["not_before"].native
        report.not_after = tbs["validity"]["not_after"].native
    except (ValueError, TypeError, KeyError):
        raise fail(CHECK_CERT_PRESENT, MSG_NO_CERT) from None
    passed(CHECK_CERT_PRESENT)

    # 3. Algorithms.
    sig_bits = SIGNATURE_ALGORITHMS.get(parts.sig_oid)
    if sig_bits is None:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(alg=algorithm_name(parts.sig_oid)))
    digest_bits = DIGEST_ALGORITHMS.get(parts.digest_oid)
    if digest_bits != sig_bits:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(alg=algorithm_name(parts.digest_oid)))
    try:
        key_bits, curve, public_point = gost_public_key(cert)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(alg=str(exc) or "неизвестен")) from None
    if key_bits != sig_bits:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(
            alg="ключ %d бит, подпись %d бит" % (key_bits, sig_bits)))
    report.key_bits = key_bits
    passed(CHECK_ALGORITHM)

    # 4. Document digest: the one computed beforehand, else the document hashed now.
    if isinstance(document_digest, dict):
        given = document_digest.get(key_bits) or None
    else:
        given = document_digest or None
    if given is not None:
        actual_digest = bytes(given)
    elif document is not None:
        actual_digest = streebog.streebog_file(document, key_bits)
    else:
        raise ValueError("no %d-bit document digest given and no document to hash" % key_bits)
    report.digest_hex = actual_digest.hex()
    if not hmac.compare_digest(actual_digest, parts.message_digest or b""):
        raise fail(CHECK_DIGEST, MSG_DIGEST)
    passed(CHECK_DIGEST)

    # 5. Signature value over the signed attributes.
    attrs_digest = streebog.streebog_digest(parts.signed_attrs_der, key_bits)
    if not gost_verify(curve, public_point, attrs_digest, parts.signature_value or b""):
        raise fail(CHECK_VALUE, MSG_VALUE)
    passed(CHECK_VALUE)

    # 6. signingCertificate(V2), when present.
    try:
        binding = signing_certificate_ok(parts.attrs, cert)
    except (ValueError, TypeError, KeyError, IndexError):
        binding = False
    if binding is False:
        raise fail(CHECK_SIGNING_CERT, MSG_SIGNING_CERT)
    if binding:
        passed(CHECK_SIGNING_CERT)

    # 7. Certificate validity at the signing time.
    when = parts.signing_time or (_as_utc(at) if at is not None else datetime.now(timezone.utc))
    if not (report.not_before <= when <= report.not_after):
        raise fail(CHECK_VALIDITY, MSG_VALIDITY.format(
            not_before=format_time(report.not_before), not_after=format_time(report.not_after)))
    passed(CHECK_VALIDITY)

    # 8. Identifiers of the applicant.
    for key in ("inn", "ogrn", "ogrnip", "snils"):
        if key not in expected:
            continue
        label = IDENTIFIERS[key][0]
        ok, shown = identifier_matches(key, expected[key], report.signer_subject)
        check_name = CHECK_IDENTIFIER.format(label=label)
        if not ok:
            raise fail(check_name, MSG_IDENTIFIER.format(
                label=label, actual=shown, expected=expected[key]))
        passed(check_name)

    # 9. Chain to a trusted root.
    if roots is not None:
        pool = [c for c in parts.certificates if c.dump() != cert.dump()]
        if not chains_to(cert, pool, roots, when):
            raise fail(CHECK_CHAIN, MSG_CHAIN)
        passed(CHECK_CHAIN)

    report.ok = True
    return report


def _roots(trusted_roots: list) -> list:
    """The trusted roots given (DER/PEM/loaded) as certificates; ValueError if one is unreadable."""
    roots = []
    for item in trusted_roots:
        try:
            roots.append(load_certificate(item))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise ValueError("cannot read a trusted root certificate: %s" % exc) from exc
    return roots


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
