"""Certificates: loading, the GOST public key in them, and the chain to a trusted root.

asn1crypto reads X.509 but not GOST keys, so the key is decoded here.  A chain is built
from the signer up through the intermediates carried in the signature to one of the
trusted roots, verifying every link's GOST signature (issuer name, key identifiers, CA
flag and validity at the signing time are checked on the way).  Trusted roots are read
from a folder of .cer/.crt/.pem files.
"""
from __future__ import annotations

import binascii
import os
from datetime import datetime
from pathlib import Path
from typing import Union

from asn1crypto import core, x509

from domain.files.streebog import streebog_digest
from domain.signing.cades.algorithms import (
    KEY_ALGORITHMS,
    PARAMSET_TO_CURVE,
    SIGNATURE_ALGORITHMS,
    algorithm_name,
)
from domain.signing.cades.curve import gost_verify, named_curve
from domain.signing.cades.encoding import split_pem_certificates, to_der

_MAX_CHAIN_DEPTH = 6


def load_certificate(data) -> x509.Certificate:
    """A certificate from DER, PEM or base64 (an already loaded one is returned as is)."""
    if isinstance(data, x509.Certificate):
        return data
    return x509.Certificate.load(to_der(data))


def gost_public_key(cert: x509.Certificate):
    """Return (bits, curve, (x, y)) of a GOST R 34.10-2012 certificate key.

    asn1crypto cannot parse GOST keys, so SubjectPublicKeyInfo is decoded by
    hand: the BIT STRING holds an OCTET STRING with X||Y, each little-endian.
    Raises ValueError with the algorithm name when the key is not GOST 2012.
    """
    spki = core.Sequence.load(cert["tbs_certificate"]["subject_public_key_info"].dump())
    algorithm = core.Sequence.load(spki[0].dump())
    oid = core.ObjectIdentifier.load(algorithm[0].dump()).dotted
    bits = KEY_ALGORITHMS.get(oid)
    if bits is None:
        raise ValueError(algorithm_name(oid))
    params = core.Sequence.load(algorithm[1].dump())
    paramset = core.ObjectIdentifier.load(params[0].dump()).dotted
    curve_name = PARAMSET_TO_CURVE.get(paramset)
    if curve_name is None:
        raise ValueError("%s, параметры %s" % (algorithm_name(oid), paramset))
    curve = named_curve(curve_name)
    if curve.size * 8 != bits:
        raise ValueError("%s, параметры %s" % (algorithm_name(oid), paramset))
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


def _cert_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if ``cert`` carries a valid GOST signature made with ``issuer``'s key."""
    try:
        sig_oid = cert["signature_algorithm"]["algorithm"].dotted
        bits = SIGNATURE_ALGORITHMS.get(sig_oid)
        if bits is None:
            return False
        issuer_bits, curve, point = gost_public_key(issuer)
        if issuer_bits != bits:
            return False
        digest = streebog_digest(cert["tbs_certificate"].dump(), bits)
        return gost_verify(curve, point, digest, cert["signature_value"].native)
    except (ValueError, TypeError, KeyError):
        return False


def _is_ca(cert: x509.Certificate) -> bool:
    """True if the certificate's basicConstraints say it is a CA."""
    try:
        constraints = cert.basic_constraints_value
    except (ValueError, TypeError):
        return False
    return bool(constraints is not None and constraints["ca"].native)


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    """True if ``when`` falls within the certificate's validity."""
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= when <= validity["not_after"].native


def chains_to(signer: x509.Certificate, pool: list, roots: list, when: datetime) -> bool:
    """Build a path signer -> ... -> trusted root, verifying every signature.

    ``pool`` holds the other certificates of the signature (possible intermediates);
    intermediates must be CAs valid at ``when``; longer paths than _MAX_CHAIN_DEPTH
    are not followed."""
    root_ders = {root.dump() for root in roots}
    if signer.dump() in root_ders:
        return True

    def walk(cert: x509.Certificate, depth: int, seen: frozenset) -> bool:
        """True if some issuer of ``cert`` not in ``seen`` is a root or chains to one."""
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
            for der in split_pem_certificates(path.read_bytes()):
                x509.Certificate.load(der)["tbs_certificate"]["subject"].native  # fail early
                result.append(der)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise ValueError("%s is not a certificate: %s" % (path, exc)) from exc
    return result
