"""Certificate names and the applicant's identifiers in them.

A subject or issuer name as the report shows it (short field names: CN, O, INN, INNLE,
OGRN, OGRNIP, SNILS, …), and whether an identifier the applicant gave (ИНН, ОГРН, ОГРНИП,
СНИЛС) is the one in the certificate, with the value to show when it is not.
"""
from __future__ import annotations

import re

from asn1crypto import core, x509

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
IDENTIFIERS = {
    "inn": ("ИНН", ("INNLE", "INN")),
    "ogrn": ("ОГРН", ("OGRN",)),
    "ogrnip": ("ОГРНИП", ("OGRNIP",)),
    "snils": ("СНИЛС", ("SNILS",)),
}


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


def name_dict(name: x509.Name) -> dict:
    """{short name: text} of a name; a field met twice keeps both values, comma-joined."""
    result: dict = {}
    for key, value in _name_fields(name):
        result[key] = "%s, %s" % (result[key], value) if key in result else value
    return result


def name_str(name: x509.Name) -> str:
    """A name as one line, most significant field last: ``CN=…, O=…, C=RU``."""
    return ", ".join("%s=%s" % pair for pair in reversed(_name_fields(name)))


def digits(value) -> str:
    """An identifier without spaces and dashes ("123-456-789 01" -> "12345678901")."""
    return re.sub(r"[\s\-]", "", str(value or ""))


def identifier_matches(key: str, expected: str, subject: dict) -> tuple:
    """Return (matches, value shown to the user) for one ``expected`` key."""
    fields = IDENTIFIERS[key][1]
    actual = {name: digits(subject.get(name)) for name in fields if subject.get(name)}
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
