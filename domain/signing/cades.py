"""Verification of detached CAdES-BES signatures made with GOST R 34.10-2012 keys.

The module checks a detached CMS ``SignedData`` signature (DER, PEM or bare
base64, as saved by CryptoPro, "Контур.Крипто", OpenSSL ``cms -sign``) against
the signed document and returns a :class:`VerificationReport`.  Every failed
check raises :class:`SignatureError` whose text is a Russian message that can
be shown to the applicant as is.

Checks, in the order they are performed:

1. the file is a CMS ``SignedData`` with exactly one signer and no embedded
   content (a detached signature) and with signed attributes (CAdES);
2. the signer certificate is present in the signature;
3. the algorithms are GOST R 34.10-2012 (256 or 512 bit) with the matching
   GOST R 34.11-2012 (Streebog) digest;
4. the ``messageDigest`` signed attribute equals Streebog of the document;
5. the signature value over the DER of the signed attributes is correct;
6. the ``signingCertificate``/``signingCertificateV2`` attribute, if present,
   refers to the signer certificate;
7. the signer certificate was valid at the signing time (``signingTime``
   attribute, else the ``at`` argument, else now);
8. the identifiers in the certificate subject (ИНН, ОГРН, ОГРНИП, СНИЛС)
   match the expected ones;
9. if trusted roots are given, the certificate chains to one of them (every
   link's GOST signature is verified; intermediates may come from the CMS).

Not checked (out of scope): revocation (CRL/OCSP), timestamps (CAdES-T and
later), key usage and certificate policies of qualified certificates.

Hashing: Streebog of a 30 MB document in pure Python (gostcrypto) takes
minutes, so when the OpenSSL GOST provider ("gostprov" from Debian's
libengine-gost-openssl) is installed it is used through ctypes in a private
OpenSSL library context; otherwise gostcrypto is used.  The choice can be
forced with the environment variable ``CADES_STREEBOG_BACKEND``
(``auto`` (default), ``openssl`` or ``python``).  Elliptic-curve arithmetic
is done here in Jacobian coordinates with the curve parameters of gostcrypto
(gostcrypto's own affine verification costs ~300 ms for a 512-bit key).

Even with OpenSSL, hashing 30 MB costs ~230 ms, more than the rest of the
verification (5 ms for 256-bit, 13 ms for 512-bit keys).  A caller that
hashed the document once when it was stored (:func:`streebog_hasher` fed
while streaming the upload) passes ``document_digest`` to
:func:`verify_detached`, which then does not read the document.
"""
from __future__ import annotations

import base64
import binascii
import ctypes
import ctypes.util
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Union

from asn1crypto import cms, core, pem, tsp, x509
from gostcrypto import gosthash
from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019

__all__ = [
    "SignatureError",
    "VerificationReport",
    "streebog_file",
    "streebog_hasher",
    "streebog_backend",
    "verify_detached",
    "load_trusted_roots",
    "CHUNK_SIZE",
]

#: Size of the chunks in which documents are read and hashed.
CHUNK_SIZE = 1 << 20

# ---------------------------------------------------------------------------
# User-facing messages (Russian) and check names.
# ---------------------------------------------------------------------------

MSG_NOT_CADES = "Файл подписи не является отсоединённой подписью CAdES"
MSG_MANY_SIGNERS = (
    "Файл подписи содержит несколько подписей ({count}); "
    "поддерживается только одна подпись"
)
MSG_NO_CERT = "В файле подписи отсутствует сертификат подписанта"
MSG_ALGORITHM = "Подпись выполнена не по ГОСТ Р 34.10-2012 (алгоритм {alg})"
MSG_DIGEST = "Подпись относится к другому документу: хэш документа не совпадает"
MSG_VALUE = "Значение подписи неверно"
MSG_SIGNING_CERT = (
    "Атрибут signingCertificateV2 подписи не соответствует сертификату подписанта"
)
MSG_VALIDITY = (
    "Сертификат подписанта не действовал на момент подписания "
    "(действителен с {not_before} по {not_after})"
)
MSG_IDENTIFIER = "{label} в сертификате ({actual}) не совпадает с {label} заявителя ({expected})"
MSG_CHAIN = "Сертификат подписанта не выдан доверенным удостоверяющим центром"

CHECK_FORMAT = "Формат отсоединённой подписи CAdES"
CHECK_CERT_PRESENT = "Сертификат подписанта в составе подписи"
CHECK_ALGORITHM = "Алгоритм ГОСТ Р 34.10-2012"
CHECK_DIGEST = "Хэш документа совпадает с подписанным"
CHECK_VALUE = "Значение подписи"
CHECK_SIGNING_CERT = "Ссылка на сертификат подписанта (signingCertificateV2)"
CHECK_VALIDITY = "Срок действия сертификата на момент подписания"
CHECK_IDENTIFIER = "{label} совпадает с {label} заявителя"
CHECK_CHAIN = "Цепочка сертификатов до доверенного УЦ"

# ---------------------------------------------------------------------------
# Object identifiers.
# ---------------------------------------------------------------------------

OID_GOST2012_256_KEY = "1.2.643.7.1.1.1.1"
OID_GOST2012_512_KEY = "1.2.643.7.1.1.1.2"
OID_STREEBOG_256 = "1.2.643.7.1.1.2.2"
OID_STREEBOG_512 = "1.2.643.7.1.1.2.3"
OID_SIGN_GOST2012_256 = "1.2.643.7.1.1.3.2"
OID_SIGN_GOST2012_512 = "1.2.643.7.1.1.3.3"

# Signature algorithm identifiers accepted in SignerInfo / certificates,
# mapped to the key size.  CryptoPro puts the key algorithm OID into
# SignerInfo.signatureAlgorithm, OpenSSL does the same; the "signwithdigest"
# OIDs are accepted too.
_SIGNATURE_ALGORITHMS = {
    OID_GOST2012_256_KEY: 256,
    OID_SIGN_GOST2012_256: 256,
    OID_GOST2012_512_KEY: 512,
    OID_SIGN_GOST2012_512: 512,
}
_KEY_ALGORITHMS = {OID_GOST2012_256_KEY: 256, OID_GOST2012_512_KEY: 512}
_DIGEST_ALGORITHMS = {OID_STREEBOG_256: 256, OID_STREEBOG_512: 512}

# Human-readable names of algorithms met in practice, for the refusal message.
_ALGORITHM_NAMES = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.5": "RSA с SHA-1",
    "1.2.840.113549.1.1.10": "RSA-PSS",
    "1.2.840.113549.1.1.11": "RSA с SHA-256",
    "1.2.840.113549.1.1.12": "RSA с SHA-384",
    "1.2.840.113549.1.1.13": "RSA с SHA-512",
    "1.2.840.10045.2.1": "ECDSA",
    "1.2.840.10045.4.3.2": "ECDSA с SHA-256",
    "1.2.840.10045.4.3.3": "ECDSA с SHA-384",
    "1.2.840.10045.4.3.4": "ECDSA с SHA-512",
    "1.2.840.10040.4.1": "DSA",
    "1.3.101.112": "Ed25519",
    "1.2.643.2.2.19": "ГОСТ Р 34.10-2001",
    "1.2.643.2.2.3": "ГОСТ Р 34.10-2001 с ГОСТ Р 34.11-94",
    "1.2.643.2.2.9": "ГОСТ Р 34.11-94",
    "1.3.14.3.2.26": "SHA-1",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
    "1.2.643.7.1.1.1.1": "ГОСТ Р 34.10-2012 256 бит",
    "1.2.643.7.1.1.1.2": "ГОСТ Р 34.10-2012 512 бит",
    "1.2.643.7.1.1.3.2": "ГОСТ Р 34.10-2012 256 бит",
    "1.2.643.7.1.1.3.3": "ГОСТ Р 34.10-2012 512 бит",
    "1.2.643.7.1.1.2.2": "ГОСТ Р 34.11-2012 256 бит",
    "1.2.643.7.1.1.2.3": "ГОСТ Р 34.11-2012 512 бит",
}

# Key parameter sets (publicKeyParamSet OID) -> name in gostcrypto's table
# (R 1323565.1.024-2019 names; the CryptoPro sets are the same curves as
# tc26 256 B/C/D).
_PARAMSET_TO_CURVE = {
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}

# Subject attribute OIDs -> short names used in VerificationReport.signer_subject.
_NAME_FIELDS = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.42": "G",
    "2.5.4.12": "T",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.8": "ST",
    "2.5.4.7": "L",
    "2.5.4.9": "STREET",
    "2.5.4.5": "SERIALNUMBER",
    "1.2.840.113549.1.9.1": "E",
    "1.2.643.3.131.1.1": "INN",
    "1.2.643.100.4": "INNLE",
    "1.2.643.100.1": "OGRN",
    "1.2.643.100.5": "OGRNIP",
    "1.2.643.100.3": "SNILS",
}

# Keys accepted in ``expected`` -> (Russian label, subject fields to compare).
_IDENTIFIERS = {
    "inn": ("ИНН", ("INNLE", "INN")),
    "ogrn": ("ОГРН", ("OGRN",)),
    "ogrnip": ("ОГРНИП", ("OGRNIP",)),
    "snils": ("СНИЛС", ("SNILS",)),
}

_HASHLIB_DIGESTS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}

_MAX_CHAIN_DEPTH = 6

# Signed attributes that must occur once with a single value (RFC 5652, ESS).
_SINGLE_VALUED_ATTRS = {
    "1.2.840.113549.1.9.3",        # contentType
    "1.2.840.113549.1.9.4",        # messageDigest
    "1.2.840.113549.1.9.5",        # signingTime
    "1.2.840.113549.1.9.16.2.12",  # signingCertificate
    "1.2.840.113549.1.9.16.2.47",  # signingCertificateV2
}

DocumentInput = Union[str, "os.PathLike[str]", BinaryIO, bytes, bytearray, memoryview]


class SignatureError(Exception):
    """A check of the signature failed.

    ``str(error)`` is a Russian message naming the failed check; ``check`` is
    the name of that check and ``report`` is the partial
    :class:`VerificationReport` (``ok`` is False, ``checks`` ends with the
    failed one) that can be stored as the reason of a refusal.
    """

    def __init__(self, message: str, *, check: str | None = None,
                 report: "VerificationReport | None" = None) -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.report = report


def _fmt_dt(value: datetime | None) -> str:
    """Render an aware datetime for users: ``31.12.2025 23:59:59 UTC``."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime("%d.%m.%Y %H:%M:%S UTC")


@dataclass
class VerificationReport:
    """Result of :func:`verify_detached`.

    Fields are filled as the checks progress, so a partial report attached to
    a :class:`SignatureError` may have some of them empty.
    """

    ok: bool = False
    signer_subject: dict = field(default_factory=dict)
    issuer: str = ""
    serial: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    signing_time: datetime | None = None
    key_bits: int | None = None
    digest_hex: str = ""
    checks: list = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict (datetimes as ISO 8601 strings)."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "ok": self.ok,
            "signer_subject": dict(self.signer_subject),
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "signing_time": iso(self.signing_time),
            "key_bits": self.key_bits,
            "digest_hex": self.digest_hex,
            "checks": [[name, bool(passed)] for name, passed in self.checks],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "VerificationReport":
        """Rebuild a report stored with :meth:`to_dict`."""
        def parse(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            ok=bool(data.get("ok")),
            signer_subject=dict(data.get("signer_subject") or {}),
            issuer=data.get("issuer") or "",
            serial=data.get("serial") or "",
            not_before=parse(data.get("not_before")),
            not_after=parse(data.get("not_after")),
            signing_time=parse(data.get("signing_time")),
            key_bits=data.get("key_bits"),
            digest_hex=data.get("digest_hex") or "",
            checks=[(name, bool(passed)) for name, passed in data.get("checks") or []],
            error=data.get("error"),
        )

    def text(self) -> str:
        """Return a multi-line Russian rendering for logs and the admin UI."""
        subject = self.signer_subject
        lines = [
            "Подпись действительна" if self.ok else
            "Подпись недействительна: %s" % (self.error or "проверка не завершена"),
            "Владелец сертификата: %s" % (subject.get("CN") or "—"),
        ]
        if subject.get("O"):
            lines.append("Организация: %s" % subject["O"])
        for key, label in (("INNLE", "ИНН ЮЛ"), ("INN", "ИНН"), ("OGRN", "ОГРН"),
                           ("OGRNIP", "ОГРНИП"), ("SNILS", "СНИЛС")):
            if subject.get(key):
                lines.append("%s: %s" % (label, subject[key]))
        lines += [
            "Издатель: %s" % (self.issuer or "—"),
            "Серийный номер: %s" % (self.serial or "—"),
            "Срок действия: с %s по %s" % (_fmt_dt(self.not_before), _fmt_dt(self.not_after)),
            "Время подписания: %s" % (_fmt_dt(self.signing_time) if self.signing_time
                                      else "не указано в подписи"),
            "Ключ: ГОСТ Р 34.10-2012, %s бит" % (self.key_bits or "—"),
            "Хэш документа (ГОСТ Р 34.11-2012): %s" % (self.digest_hex or "—"),
            "Проверки:",
        ]
        lines += ["  [%s] %s" % ("+" if passed else "-", name) for name, passed in self.checks]
        return "\n".join(lines)

    __str__ = text


# ---------------------------------------------------------------------------
# Streebog (GOST R 34.11-2012).
# ---------------------------------------------------------------------------

class _PyStreebog:
    """Streebog on top of gostcrypto.

    gostcrypto's ``update`` loses data when a call leaves a partial block and
    the next call completes it exactly (its internal buffer is then not
    reset), so only whole 64-byte blocks are passed to it and the tail is
    kept here until :meth:`digest`.
    """

    name = "python"

    def __init__(self, bits: int) -> None:
        self._hash = gosthash.new("streebog%d" % bits)
        self._tail = b""

    def update(self, data) -> None:
        data = self._tail + bytes(data)
        cut = len(data) - len(data) % 64
        if cut:
            self._hash.update(data[:cut])
        self._tail = data[cut:]

    def digest(self) -> bytes:
        final = self._hash.copy()
        if self._tail:
            final.update(self._tail)
        return bytes(final.digest())


class _OpenSSL:
    """ctypes binding to the Streebog digests of OpenSSL's GOST provider.

    The provider is loaded into a private ``OSSL_LIB_CTX`` so that the rest
    of the process (Python's ssl/hashlib) is not affected.
    """

    def __init__(self) -> None:
        name = ctypes.util.find_library("crypto")
        if not name:
            raise OSError("libcrypto not found")
        lib = ctypes.CDLL(name)
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        lib.OSSL_LIB_CTX_new.restype = vp
        lib.OSSL_LIB_CTX_new.argtypes = []
        lib.OSSL_PROVIDER_load.restype = vp
        lib.OSSL_PROVIDER_load.argtypes = [vp, cp]
        lib.EVP_MD_fetch.restype = vp
        lib.EVP_MD_fetch.argtypes = [vp, cp, cp]
        lib.EVP_MD_CTX_new.restype = vp
        lib.EVP_MD_CTX_new.argtypes = []
        lib.EVP_MD_CTX_free.restype = None
        lib.EVP_MD_CTX_free.argtypes = [vp]
        lib.EVP_DigestInit_ex.restype = ctypes.c_int
        lib.EVP_DigestInit_ex.argtypes = [vp, vp, vp]
        lib.EVP_DigestUpdate.restype = ctypes.c_int
        lib.EVP_DigestUpdate.argtypes = [vp, cp, ctypes.c_size_t]
        lib.EVP_DigestFinal_ex.restype = ctypes.c_int
        lib.EVP_DigestFinal_ex.argtypes = [vp, cp, ctypes.POINTER(ctypes.c_uint)]
        libctx = lib.OSSL_LIB_CTX_new()
        if not libctx or not lib.OSSL_PROVIDER_load(libctx, b"gostprov"):
            raise OSError("OpenSSL GOST provider (gostprov) is not available")
        self.lib = lib
        self.md = {}
        for bits, md_name in ((256, b"md_gost12_256"), (512, b"md_gost12_512")):
            md = lib.EVP_MD_fetch(libctx, md_name, None)
            if not md:
                raise OSError("OpenSSL GOST provider has no %s" % md_name.decode())
            self.md[bits] = md
        # Self-test against gostcrypto on a value that spans several blocks.
        probe = bytes(range(256)) * 3
        ours = _OpenSSLStreebog(self, 256)
        ours.update(probe)
        if ours.digest() != bytes(gosthash.new("streebog256", data=bytearray(probe)).digest()):
            raise OSError("OpenSSL Streebog self-test failed")


class _OpenSSLStreebog:
    """Streebog computed by OpenSSL (see :class:`_OpenSSL`)."""

    name = "openssl"

    def __init__(self, binding: _OpenSSL, bits: int) -> None:
        self._lib = binding.lib
        self._size = bits // 8
        self._ctx = self._lib.EVP_MD_CTX_new()
        if not self._ctx or self._lib.EVP_DigestInit_ex(self._ctx, binding.md[bits], None) != 1:
            self._free()
            raise OSError("EVP_DigestInit_ex failed")

    def _free(self) -> None:
        if getattr(self, "_ctx", None):
            self._lib.EVP_MD_CTX_free(self._ctx)
            self._ctx = None

    __del__ = _free

    def update(self, data) -> None:
        if self._ctx is None:
            raise ValueError("digest already finalised")
        if not isinstance(data, bytes):
            data = bytes(data)
        if data and self._lib.EVP_DigestUpdate(self._ctx, data, len(data)) != 1:
            raise OSError("EVP_DigestUpdate failed")

    def digest(self) -> bytes:
        if self._ctx is None:
            raise ValueError("digest already finalised")
        out = ctypes.create_string_buffer(64)
        length = ctypes.c_uint(0)
        try:
            if self._lib.EVP_DigestFinal_ex(self._ctx, out, ctypes.byref(length)) != 1:
                raise OSError("EVP_DigestFinal_ex failed")
        finally:
            self._free()
        return out.raw[:length.value]


_openssl_lock = threading.Lock()
_openssl_state: dict = {}


def _openssl_binding() -> _OpenSSL | None:
    """Return the OpenSSL binding, or None if the GOST provider is missing."""
    with _openssl_lock:
        if "binding" not in _openssl_state:
            try:
                _openssl_state["binding"] = _OpenSSL()
            except (OSError, AttributeError) as exc:  # no lib / no symbol / no provider
                _openssl_state["binding"] = None
                _openssl_state["error"] = str(exc)
        return _openssl_state["binding"]


def streebog_backend() -> str:
    """Return the Streebog implementation in use: ``"openssl"`` or ``"python"``.

    Controlled by ``CADES_STREEBOG_BACKEND`` (``auto``/``openssl``/``python``).
    """
    choice = os.environ.get("CADES_STREEBOG_BACKEND", "auto").strip().lower() or "auto"
    if choice == "python":
        return "python"
    if choice not in ("auto", "openssl"):
        raise ValueError("CADES_STREEBOG_BACKEND must be auto, openssl or python")
    if _openssl_binding() is not None:
        return "openssl"
    if choice == "openssl":
        raise RuntimeError("OpenSSL GOST provider is unavailable: %s"
                           % _openssl_state.get("error"))
    return "python"


def streebog_hasher(bits: int):
    """Return an incremental Streebog (GOST R 34.11-2012) hasher, ``bits`` = 256 or 512.

    The object has ``update(data)`` (any chunk sizes, 64-byte aligned or not) and
    ``digest()`` (the usual byte order, as printed by ``openssl dgst``; call it
    once) and a ``name`` ("openssl" or "python").  It is backed by OpenSSL's GOST
    provider when available, else by gostcrypto fed whole 64-byte blocks (see
    :class:`_PyStreebog`).  Used to hash uploads while they are stored, so that
    :func:`verify_detached` can be given the digest instead of the document.
    """
    if bits not in (256, 512):
        raise ValueError("bits must be 256 or 512")
    if streebog_backend() == "openssl":
        return _OpenSSLStreebog(_openssl_binding(), bits)
    return _PyStreebog(bits)


_new_streebog = streebog_hasher


def _streebog(data: bytes, bits: int) -> bytes:
    hasher = _new_streebog(bits)
    hasher.update(data)
    return hasher.digest()


def streebog_file(fileobj_or_path: DocumentInput, bits: int) -> bytes:
    """Return Streebog (GOST R 34.11-2012) of a file, ``bits`` = 256 or 512.

    Accepts a path, a binary file object (read from its current position to
    the end, not closed) or bytes.  Files are read in :data:`CHUNK_SIZE`
    chunks, so memory use does not depend on the file size.  The digest is
    returned in the usual byte order (as printed by ``openssl dgst`` and
    stored in the CMS ``messageDigest`` attribute).
    """
    hasher = _new_streebog(bits)
    if isinstance(fileobj_or_path, (bytes, bytearray, memoryview)):
        view = memoryview(fileobj_or_path)
        for start in range(0, len(view), CHUNK_SIZE):
            hasher.update(view[start:start + CHUNK_SIZE])
        return hasher.digest()
    if isinstance(fileobj_or_path, (str, os.PathLike)):
        with open(fileobj_or_path, "rb") as fileobj:
            _feed(hasher, fileobj)
    elif hasattr(fileobj_or_path, "read"):
        _feed(hasher, fileobj_or_path)
    else:
        raise TypeError("expected a path, a binary file object or bytes")
    return hasher.digest()


def _feed(hasher, fileobj) -> None:
    while True:
        chunk = fileobj.read(CHUNK_SIZE)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("the document must be opened in binary mode")
        hasher.update(chunk)


# ---------------------------------------------------------------------------
# GOST R 34.10-2012 verification (short Weierstrass form, Jacobian coordinates).
# ---------------------------------------------------------------------------

class _Curve:
    """Curve parameters in short Weierstrass form."""

    __slots__ = ("name", "size", "p", "a", "b", "q", "gx", "gy")

    def __init__(self, name: str, params: dict) -> None:
        p = params["p"]
        a, b, x, y = params.get("a", 0), params.get("b", 0), params.get("x", 0), params.get("y", 0)
        if not (a or b or x or y):
            # Twisted Edwards curve (tc26 256 A, 512 C): convert as gostcrypto does.
            e, d, u, v = params["e"], params["d"], params["u"], params["v"]
            s = (e - d) * pow(4, -1, p) % p
            t = (e + d) * pow(6, -1, p) % p
            a = (s * s - 3 * t * t) % p
            b = (2 * t ** 3 - t * s * s) % p
            x = (s * (1 + v) * pow(1 - v, -1, p) + t) % p
            y = s * (1 + v) * pow((1 - v) * u, -1, p) % p
        self.name = name
        self.size = 64 if "512" in name else 32
        self.p, self.a, self.b, self.q, self.gx, self.gy = p, a, b, params["q"], x, y
        if not self.on_curve(x, y):
            raise ValueError("bad curve parameters: %s" % name)

    def on_curve(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0


_curves: dict = {}


def _curve(name: str) -> _Curve:
    curve = _curves.get(name)
    if curve is None:
        curve = _curves[name] = _Curve(name, CURVES_R_1323565_1_024_2019[name])
    return curve


def _jac_double(pt, a: int, p: int):
    x1, y1, z1 = pt
    if not z1 or not y1:
        return (0, 1, 0)
    yy = y1 * y1 % p
    s = 4 * x1 * yy % p
    zz = z1 * z1 % p
    m = (3 * x1 * x1 + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    z3 = 2 * y1 * z1 % p
    return (x3, y3, z3)


def _jac_add(p1, p2, a: int, p: int):
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if not z1:
        return p2
    if not z2:
        return p1
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _jac_double(p1, a, p)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = z1 * z2 * h % p
    return (x3, y3, z3)


def _gost_verify(curve: _Curve, public_xy: tuple, digest: bytes, signature: bytes) -> bool:
    """Verify a GOST R 34.10-2012 signature.

    ``digest`` is the Streebog output as stored in CMS (interpreted as a
    little-endian number, i.e. reversed before use as the standard's
    vector h); ``signature`` is the CMS/X.509 encoding s||r (big-endian).
    """
    size = curve.size
    if len(signature) != 2 * size:
        return False
    q, p, a = curve.q, curve.p, curve.a
    s = int.from_bytes(signature[:size], "big")
    r = int.from_bytes(signature[size:], "big")
    if not (0 < r < q and 0 < s < q):
        return False
    qx, qy = public_xy
    if not curve.on_curve(qx, qy):
        return False
    e = int.from_bytes(digest, "little") % q or 1
    v = pow(e, -1, q)
    z1 = s * v % q
    z2 = -r * v % q
    # Shamir's trick: z1*G + z2*Q in one pass.
    g_pt, q_pt = (curve.gx, curve.gy, 1), (qx, qy, 1)
    gq_pt = _jac_add(g_pt, q_pt, a, p)
    acc = (0, 1, 0)
    for i in range(max(z1.bit_length(), z2.bit_length()) - 1, -1, -1):
        acc = _jac_double(acc, a, p)
        bit1, bit2 = (z1 >> i) & 1, (z2 >> i) & 1
        if bit1 and bit2:
            acc = _jac_add(acc, gq_pt, a, p)
        elif bit1:
            acc = _jac_add(acc, g_pt, a, p)
        elif bit2:
            acc = _jac_add(acc, q_pt, a, p)
    x, _, z = acc
    if not z:
        return False
    x_affine = x * pow(z * z % p, -1, p) % p
    return x_affine % q == r


# ---------------------------------------------------------------------------
# ASN.1 helpers.
# ---------------------------------------------------------------------------

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def _to_der(data: bytes) -> bytes:
    """Return DER from DER, PEM (any label) or bare base64 input."""
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    data = bytes(data)
    if data[:1] == b"\x30":
        # DER as is: never strip, its last bytes may look like whitespace.
        return data
    stripped = data.strip()
    match = _PEM_RE.search(stripped)
    if match:
        body = match.group(2)
        # Skip RFC 1421 style headers ("Key: value" lines) if any.
        body = b"\n".join(line for line in body.splitlines() if b":" not in line)
        return base64.b64decode(b"".join(body.split()), validate=True)
    compact = b"".join(stripped.split())
    return base64.b64decode(compact, validate=True)


def _der_header(tag: int, length: int) -> bytes:
    """Return a DER tag and length header."""
    if length < 0x80:
        return bytes([tag, length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded


def _load_certificate(data) -> x509.Certificate:
    if isinstance(data, x509.Certificate):
        return data
    return x509.Certificate.load(_to_der(data))


def _split_pem_certificates(data: bytes) -> list:
    if pem.detect(data):
        return [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [_to_der(data)]


def _attr_text(value) -> str:
    """Return the text of an attribute value of any string type."""
    if isinstance(value, core.Any):
        value = core.load(value.dump())
    native = value.native
    if isinstance(native, bytes):
        return native.decode("utf-8", "replace")
    return str(native)


def _name_fields(name: x509.Name) -> list:
    """Return [(short name or dotted OID, text)] in certificate order."""
    fields = []
    for rdn in name.chosen:
        for atv in rdn:
            oid = atv["type"].dotted
            fields.append((_NAME_FIELDS.get(oid, oid), _attr_text(atv["value"])))
    return fields


def _name_dict(name: x509.Name) -> dict:
    result: dict = {}
    for key, value in _name_fields(name):
        result[key] = "%s, %s" % (result[key], value) if key in result else value
    return result


def _name_str(name: x509.Name) -> str:
    return ", ".join("%s=%s" % pair for pair in reversed(_name_fields(name)))


def _gost_public_key(cert: x509.Certificate):
    """Return (bits, curve, (x, y)) of a GOST R 34.10-2012 certificate key.

    asn1crypto cannot parse GOST keys, so SubjectPublicKeyInfo is decoded by
    hand: the BIT STRING holds an OCTET STRING with X||Y, each little-endian.
    Raises ValueError with the algorithm name when the key is not GOST 2012.
    """
    spki = core.Sequence.load(cert["tbs_certificate"]["subject_public_key_info"].dump())
    algorithm = core.Sequence.load(spki[0].dump())
    oid = core.ObjectIdentifier.load(algorithm[0].dump()).dotted
    bits = _KEY_ALGORITHMS.get(oid)
    if bits is None:
        raise ValueError(_algorithm_name(oid))
    params = core.Sequence.load(algorithm[1].dump())
    paramset = core.ObjectIdentifier.load(params[0].dump()).dotted
    curve_name = _PARAMSET_TO_CURVE.get(paramset)
    if curve_name is None:
        raise ValueError("%s, параметры %s" % (_algorithm_name(oid), paramset))
    curve = _curve(curve_name)
    if curve.size * 8 != bits:
        raise ValueError("%s, параметры %s" % (_algorithm_name(oid), paramset))
    bit_string = core.BitString.load(spki[1].dump())
    raw = bit_string.contents
    if not raw or raw[0] != 0:
        raise ValueError("некорректный открытый ключ")
    key = core.OctetString.load(raw[1:]).native
    size = bits // 8
    if len(key) != 2 * size:
        raise ValueError("некорректный открытый ключ")
    point = (int.from_bytes(key[:size], "little"), int.from_bytes(key[size:], "little"))
    return bits, curve, point


def _algorithm_name(oid: str) -> str:
    name = _ALGORITHM_NAMES.get(oid)
    return "%s, OID %s" % (name, oid) if name else "OID %s" % oid


def _cert_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if ``cert`` carries a valid GOST signature made with ``issuer``'s key."""
    try:
        sig_oid = cert["signature_algorithm"]["algorithm"].dotted
        bits = _SIGNATURE_ALGORITHMS.get(sig_oid)
        if bits is None:
            return False
        issuer_bits, curve, point = _gost_public_key(issuer)
        if issuer_bits != bits:
            return False
        digest = _streebog(cert["tbs_certificate"].dump(), bits)
        return _gost_verify(curve, point, digest, cert["signature_value"].native)
    except (ValueError, TypeError, KeyError):
        return False


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.basic_constraints_value
    except (ValueError, TypeError):
        return False
    return bool(constraints is not None and constraints["ca"].native)


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= when <= validity["not_after"].native


def _chains_to(signer: x509.Certificate, pool: list, roots: list, when: datetime) -> bool:
    """Build a path signer -> ... -> trusted root, verifying every signature."""
    root_ders = {root.dump() for root in roots}
    if signer.dump() in root_ders:
        return True

    def walk(cert: x509.Certificate, depth: int, seen: frozenset) -> bool:
        if depth > _MAX_CHAIN_DEPTH:
            return False
        issuer_name = cert["tbs_certificate"]["issuer"]
        try:
            aki = cert.authority_key_identifier
        except (ValueError, TypeError):
            aki = None
        for candidate in list(roots) + list(pool):
            der = candidate.dump()
            if der in seen or candidate["tbs_certificate"]["subject"] != issuer_name:
                continue
            try:
                ski = candidate.key_identifier
            except (ValueError, TypeError):
                ski = None
            if aki and ski and aki != ski:
                continue
            if not _cert_signed_by(cert, candidate):
                continue
            if der in root_ders:
                return True
            if _is_ca(candidate) and _valid_at(candidate, when) and \
                    walk(candidate, depth + 1, seen | {der}):
                return True
        return False

    return walk(signer, 0, frozenset({signer.dump()}))


def _digits(value) -> str:
    return re.sub(r"[\s\-]", "", str(value or ""))


def _identifier_matches(key: str, expected: str, subject: dict) -> tuple:
    """Return (matches, value shown to the user) for one ``expected`` key."""
    fields = _IDENTIFIERS[key][1]
    actual = {name: _digits(subject.get(name)) for name in fields if subject.get(name)}
    if key == "inn":
        candidates = set(actual.values())
        inn = actual.get("INN", "")
        # Legacy certificates of legal entities: INN = "00" + 10-digit INN.
        if len(inn) == 12 and inn.startswith("00"):
            candidates.add(inn[2:])
        ok = expected in candidates
        preferred = ("INNLE", "INN") if len(expected) == 10 else ("INN", "INNLE")
        shown = next((actual[name] for name in preferred if name in actual), "отсутствует")
        return ok, shown
    shown = actual.get(fields[0], "")
    return (bool(shown) and shown == expected), (shown or "отсутствует")


def _find_signer_certificate(sid, certificates: list):
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"]
        serial = sid.chosen["serial_number"].native
        for cert in certificates:
            tbs = cert["tbs_certificate"]
            if tbs["serial_number"].native == serial and tbs["issuer"] == issuer:
                return cert
    elif sid.name == "subject_key_identifier":
        key_id = sid.chosen.native
        for cert in certificates:
            try:
                if cert.key_identifier == key_id:
                    return cert
            except (ValueError, TypeError):
                continue
    return None


def _ess_hash(oid: str, data: bytes) -> bytes | None:
    if oid in _DIGEST_ALGORITHMS:
        return _streebog(data, _DIGEST_ALGORITHMS[oid])
    if oid in _HASHLIB_DIGESTS:
        return hashlib.new(_HASHLIB_DIGESTS[oid], data).digest()
    return None


def _signing_certificate_ok(attrs: dict, cert: x509.Certificate) -> bool | None:
    """Check signingCertificate(V2); None when neither attribute is present."""
    cert_der = cert.dump()
    if "1.2.840.113549.1.9.16.2.47" in attrs:
        value = tsp.SigningCertificateV2.load(attrs["1.2.840.113549.1.9.16.2.47"].dump())
        first = value["certs"][0]
        algorithm = first["hash_algorithm"]["algorithm"].dotted
        expected_hash = first["cert_hash"].native
    elif "1.2.840.113549.1.9.16.2.12" in attrs:
        value = tsp.SigningCertificate.load(attrs["1.2.840.113549.1.9.16.2.12"].dump())
        algorithm = "1.3.14.3.2.26"
        expected_hash = value["certs"][0]["cert_hash"].native
    else:
        return None
    actual = _ess_hash(algorithm, cert_der)
    return actual is not None and hmac.compare_digest(actual, expected_hash)


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


# ---------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------

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
    expected = {k: _digits(v) for k, v in (expected or {}).items() if v not in (None, "")}
    unknown = set(expected) - set(_IDENTIFIERS)
    if unknown:
        raise ValueError("unknown keys in expected: %s" % ", ".join(sorted(unknown)))
    roots = None
    if trusted_roots is not None:
        roots = []
        for item in trusted_roots:
            try:
                roots.append(_load_certificate(item))
            except (ValueError, TypeError, binascii.Error) as exc:
                raise ValueError("cannot read a trusted root certificate: %s" % exc) from exc

    report = VerificationReport()

    def passed(name: str) -> None:
        report.checks.append((name, True))

    def fail(name: str, message: str) -> SignatureError:
        report.checks.append((name, False))
        report.ok = False
        report.error = message
        return SignatureError(message, check=name, report=report)

    # 1. Structure: CMS SignedData, detached, one signer, signed attributes.
    try:
        der = _to_der(signature)
        content_info = cms.ContentInfo.load(der)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = content_info["content"]
        encap = signed_data["encap_content_info"]
        if not isinstance(encap["content"], core.Void):
            raise ValueError("attached signature")
        signer_infos = list(signed_data["signer_infos"])
        if not signer_infos:
            raise ValueError("no signers")
        certificates = [choice.chosen for choice in signed_data["certificates"]
                        if choice.name == "certificate"] \
            if not isinstance(signed_data["certificates"], core.Void) else []
        signer_info = signer_infos[0]
        signed_attrs = signer_info["signed_attrs"]
        if isinstance(signed_attrs, core.Void) or not len(signed_attrs):
            raise ValueError("no signed attributes")
        attrs: dict = {}
        for attr in signed_attrs:
            oid = attr["type"].dotted
            values = attr["values"]
            if oid in _SINGLE_VALUED_ATTRS and (oid in attrs or len(values) != 1):
                raise ValueError("duplicate attribute")
            if oid not in attrs and len(values):
                attrs[oid] = values[0]
        message_digest = attrs["1.2.840.113549.1.9.4"]
        message_digest = core.OctetString.load(message_digest.dump()).native
        content_type = attrs["1.2.840.113549.1.9.3"]
        content_type = core.ObjectIdentifier.load(content_type.dump()).dotted
        if content_type != encap["content_type"].dotted:
            raise ValueError("contentType mismatch")
        signing_time = None
        if "1.2.840.113549.1.9.5" in attrs:
            signing_time = cms.Time.load(attrs["1.2.840.113549.1.9.5"].dump()).native
        # The signature covers the DER of the attributes as SET OF (tag 0x31
        # instead of [0] IMPLICIT); the header is rebuilt from the contents so
        # that an indefinite-length [0] is handled too.
        signed_attrs_der = _der_header(0x31, len(signed_attrs.contents)) + signed_attrs.contents
        sid = signer_info["sid"]
        sig_oid = signer_info["signature_algorithm"]["algorithm"].dotted
        digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
        signature_value = signer_info["signature"].native
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, binascii.Error):
        raise fail(CHECK_FORMAT, MSG_NOT_CADES) from None
    if len(signer_infos) > 1:
        raise fail(CHECK_FORMAT, MSG_MANY_SIGNERS.format(count=len(signer_infos)))
    report.signing_time = signing_time
    passed(CHECK_FORMAT)

    # 2. Signer certificate.
    try:
        cert = _find_signer_certificate(sid, certificates)
    except (ValueError, TypeError, KeyError):
        cert = None
    if cert is None:
        raise fail(CHECK_CERT_PRESENT, MSG_NO_CERT)
    tbs = cert["tbs_certificate"]
    try:
        report.signer_subject = _name_dict(tbs["subject"])
        report.issuer = _name_str(tbs["issuer"])
        report.serial = "%x" % tbs["serial_number"].native
        report.not_before = tbs["validity"]["not_before"].native
        report.not_after = tbs["validity"]["not_after"].native
    except (ValueError, TypeError, KeyError):
        raise fail(CHECK_CERT_PRESENT, MSG_NO_CERT) from None
    passed(CHECK_CERT_PRESENT)

    # 3. Algorithms.
    sig_bits = _SIGNATURE_ALGORITHMS.get(sig_oid)
    if sig_bits is None:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(alg=_algorithm_name(sig_oid)))
    digest_bits = _DIGEST_ALGORITHMS.get(digest_oid)
    if digest_bits != sig_bits:
        raise fail(CHECK_ALGORITHM, MSG_ALGORITHM.format(alg=_algorithm_name(digest_oid)))
    try:
        key_bits, curve, public_point = _gost_public_key(cert)
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
        actual_digest = streebog_file(document, key_bits)
    else:
        raise ValueError("no %d-bit document digest given and no document to hash" % key_bits)
    report.digest_hex = actual_digest.hex()
    if not hmac.compare_digest(actual_digest, message_digest or b""):
        raise fail(CHECK_DIGEST, MSG_DIGEST)
    passed(CHECK_DIGEST)

    # 5. Signature value over the signed attributes.
    attrs_digest = _streebog(signed_attrs_der, key_bits)
    if not _gost_verify(curve, public_point, attrs_digest, signature_value or b""):
        raise fail(CHECK_VALUE, MSG_VALUE)
    passed(CHECK_VALUE)

    # 6. signingCertificate(V2), when present.
    try:
        binding = _signing_certificate_ok(attrs, cert)
    except (ValueError, TypeError, KeyError, IndexError):
        binding = False
    if binding is False:
        raise fail(CHECK_SIGNING_CERT, MSG_SIGNING_CERT)
    if binding:
        passed(CHECK_SIGNING_CERT)

    # 7. Certificate validity at the signing time.
    when = signing_time or (_as_utc(at) if at is not None else datetime.now(timezone.utc))
    if not (report.not_before <= when <= report.not_after):
        raise fail(CHECK_VALIDITY, MSG_VALIDITY.format(
            not_before=_fmt_dt(report.not_before), not_after=_fmt_dt(report.not_after)))
    passed(CHECK_VALIDITY)

    # 8. Identifiers of the applicant.
    for key in ("inn", "ogrn", "ogrnip", "snils"):
        if key not in expected:
            continue
        label = _IDENTIFIERS[key][0]
        ok, shown = _identifier_matches(key, expected[key], report.signer_subject)
        check_name = CHECK_IDENTIFIER.format(label=label)
        if not ok:
            raise fail(check_name, MSG_IDENTIFIER.format(
                label=label, actual=shown, expected=expected[key]))
        passed(check_name)

    # 9. Chain to a trusted root.
    if roots is not None:
        pool = [c for c in certificates if c.dump() != cert.dump()]
        if not _chains_to(cert, pool, roots, when):
            raise fail(CHECK_CHAIN, MSG_CHAIN)
        passed(CHECK_CHAIN)

    report.ok = True
    return report


def load_trusted_roots(folder: Union[str, "os.PathLike[str]"]) -> list:
    """Read root certificates (*.cer, *.crt, *.pem; DER or PEM) from a folder.

    Returns a list of DER bytes suitable for ``trusted_roots``; a PEM file may
    hold several certificates.  Files are read in name order; a file that is
    not a certificate raises ValueError naming it.
    """
    result = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".cer", ".crt", ".pem"):
            continue
        try:
            for der in _split_pem_certificates(path.read_bytes()):
                x509.Certificate.load(der)["tbs_certificate"]["subject"].native  # fail early
                result.append(der)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise ValueError("%s is not a certificate: %s" % (path, exc)) from exc
    return result
