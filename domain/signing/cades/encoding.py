"""Signature and certificate files as bytes: DER, PEM or bare base64 to DER, DER headers.

CryptoPro, «Контур.Крипто» and OpenSSL save signatures and certificates in any of these
forms; everything past this layer works on DER.
"""
from __future__ import annotations

import base64
import re

from asn1crypto import pem

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def to_der(data: bytes) -> bytes:
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


def der_header(tag: int, length: int) -> bytes:
    """Return a DER tag and length header."""
    if length < 0x80:
        return bytes([tag, length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded


def split_pem_certificates(data: bytes) -> list:
    """DER of every certificate in a file: each CERTIFICATE block of a PEM, else the one."""
    if pem.detect(data):
        return [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [to_der(data)]
