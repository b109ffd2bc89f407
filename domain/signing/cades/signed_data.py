"""The CMS layer: a detached CAdES-BES SignedData taken apart, and its ESS attribute.

:func:`parse_signed_data` reads the signature file (DER, PEM or base64) into the parts the
checks need: the first signer's identifier, algorithms, signature value and signed
attributes (messageDigest, contentType, signingTime, and the DER the signature covers),
and the certificates carried.  It raises ValueError, TypeError, KeyError, IndexError or
AttributeError when the file is not a detached CAdES signature.  Also here: finding the
signer's certificate among those carried, and the signingCertificate(V2) check.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp, x509

from domain.files.streebog import streebog_digest
from domain.signing.cades.algorithms import DIGEST_ALGORITHMS, HASHLIB_DIGESTS
from domain.signing.cades.encoding import der_header, to_der

# Signed attributes that must occur once with a single value (RFC 5652, ESS).
_SINGLE_VALUED_ATTRS = {
    "1.2.840.113549.1.9.3",        # contentType
    "1.2.840.113549.1.9.4",        # messageDigest
    "1.2.840.113549.1.9.5",        # signingTime
    "1.2.840.113549.1.9.16.2.12",  # signingCertificate
    "1.2.840.113549.1.9.16.2.47",  # signingCertificateV2
}


@dataclass
class SignedParts:
    """What the checks read from a SignedData (of its first signer)."""

    signer_count: int
    certificates: list
    attrs: dict  # signed attribute OID -> its first value
    message_digest: bytes | None
    signing_time: datetime | None
    signed_attrs_der: bytes
    sid: cms.SignerIdentifier
    sig_oid: str
    digest_oid: str
    signature_value: bytes | None


def parse_signed_data(signature) -> SignedParts:
    """Take a detached CAdES signature apart (see the module docstring for the errors)."""
    der = to_der(signature)
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
    signed_attrs_der = der_header(0x31, len(signed_attrs.contents)) + signed_attrs.contents
    return SignedParts(
        signer_count=len(signer_infos),
        certificates=certificates,
        attrs=attrs,
        message_digest=message_digest,
        signing_time=signing_time,
        signed_attrs_der=signed_attrs_der,
        sid=signer_info["sid"],
        sig_oid=signer_info["signature_algorithm"]["algorithm"].dotted,
        digest_oid=signer_info["digest_algorithm"]["algorithm"].dotted,
        signature_value=signer_info["signature"].native,
    )


def find_signer_certificate(sid, certificates: list):
    """The certificate the signer identifier names (issuer and serial, or key id), or None."""
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
    """``data`` hashed with the algorithm an ESS attribute names; None if it is unknown."""
    if oid in DIGEST_ALGORITHMS:
        return streebog_digest(data, DIGEST_ALGORITHMS[oid])
    if oid in HASHLIB_DIGESTS:
        return hashlib.new(HASHLIB_DIGESTS[oid], data).digest()
    return None


def signing_certificate_ok(attrs: dict, cert: x509.Certificate) -> bool | None:
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
