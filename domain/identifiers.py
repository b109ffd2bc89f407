"""Validators and normalisers for Russian identifiers used by registration forms.

Every ``normalize_*`` function takes raw user input, returns the canonical form
that should be stored, and raises :class:`IdentifierError` whose ``str()`` is a
Russian message that can be shown next to the form field as is.

The ``make_*`` helpers build valid identifiers (computing the control digits)
for tests and demo data. They share the checksum functions with the validators,
so the two can never disagree.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "IdentifierError",
    "normalize_snils",
    "normalize_inn",
    "normalize_ogrn",
    "normalize_ogrnip",
    "normalize_kpp",
    "normalize_mobile_phone",
    "format_phone",
    "make_snils",
    "make_inn_legal",
    "make_inn_person",
    "make_ogrn",
    "make_ogrnip",
]

MSG_EMPTY = "Заполните поле"
MSG_SNILS_LENGTH = "СНИЛС должен содержать 11 цифр"
MSG_SNILS_CHECKSUM = "Неверное контрольное число СНИЛС"
MSG_INN_LEGAL_LENGTH = "ИНН организации должен содержать 10 цифр"
MSG_INN_PERSON_LENGTH = "ИНН физического лица / ИП должен содержать 12 цифр"
MSG_INN_CHECKSUM = "Неверное контрольное число ИНН"
MSG_OGRN_LENGTH = "ОГРН должен содержать 13 цифр"
MSG_OGRN_CHECKSUM = "Неверное контрольное число ОГРН"
MSG_OGRNIP_LENGTH = "ОГРНИП должен содержать 15 цифр"
MSG_OGRNIP_CHECKSUM = "Неверное контрольное число ОГРНИП"
MSG_KPP_FORMAT = (
    "КПП должен состоять из 9 символов: "
    "4 цифры, 2 цифры или латинские буквы, 3 цифры"
)
MSG_PHONE_INVALID = "Введите номер телефона, например +7 912 345-67-89"
MSG_PHONE_NOT_MOBILE = "Укажите номер сотового телефона"

# Pension Fund rule: control numbers are defined only for SNILS above 001-001-998.
_SNILS_CHECKED_FROM = 1001998

# FNS weights for INN control digits.
_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

# Latin letters only: the KPP reason code allows A-Z, not Cyrillic look-alikes.
# re.ASCII: without it \d would also accept non-ASCII digits such as "٧".
_KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$", re.ASCII)

# Users type separators freely; only these are dropped, anything else must fail.
_SEPARATORS_RE = re.compile(r"[\s-]+")

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class IdentifierError(ValueError):
    """Invalid identifier; ``str(e)`` is a Russian message for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- input cleaning -------------------------------------------------------


def _strip(value) -> str:
    """Strip surrounding whitespace; raise the "fill in" error for empty input."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise IdentifierError(MSG_EMPTY)
    return text


def _digits(value, length: int, length_message: str) -> str:
    """Drop spaces/dashes and require exactly ``length`` ASCII digits."""
    text = _SEPARATORS_RE.sub("", _strip(value))
    # str.isdigit() accepts e.g. Arabic-Indic digits; only ASCII ones are valid here.
    if len(text) != length or not text.isascii() or not text.isdigit():
        raise IdentifierError(length_message)
    return text


def _require_digits(value: str, length: int) -> str:
    """Argument check for the make_* helpers (programmer error, not user input)."""
    if not isinstance(value, str) or len(value) != length or not (value.isascii() and value.isdigit()):
        raise ValueError(f"expected a string of {length} digits, got {value!r}")
    return value


# --- checksums (shared by validators and generators) ------------------------


def _snils_control(nine: str) -> str:
    """Two-digit SNILS control number for the first nine digits."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(nine))
    if total < 100:
        control = total
    elif total in (100, 101):
        control = 0
    else:
        control = total % 101
        if control == 100:
            control = 0
    return f"{control:02d}"


def _weighted_control(digits: str, weights) -> str:
    """FNS INN control digit: weighted sum mod 11 mod 10."""
    total = sum(int(d) * w for d, w in zip(digits, weights))
    return str(total % 11 % 10)


def _inn_legal_control(nine: str) -> str:
    """Control digit of a 10-digit INN."""
    return _weighted_control(nine, _INN10_WEIGHTS)


def _inn_person_control(ten: str) -> str:
    """Both control digits of a 12-digit INN (the 12th depends on the 11th)."""
    n11 = _weighted_control(ten, _INN12_WEIGHTS_11)
    n12 = _weighted_control(ten + n11, _INN12_WEIGHTS_12)
    return n11 + n12


def _ogrn_control(twelve: str) -> str:
    """Control digit of a 13-digit OGRN."""
    return str(int(twelve) % 11 % 10)


def _ogrnip_control(fourteen: str) -> str:
    """Control digit of a 15-digit OGRNIP."""
    return str(int(fourteen) % 13 % 10)


def _format_snils(digits: str) -> str:
    """Canonical SNILS layout: XXX-XXX-XXX YY."""
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


# --- validators / normalisers ---------------------------------------------


def normalize_snils(value: str) -> str:
    """Validate a SNILS and return it as ``"112-233-445 95"``.

    Accepts digits with or without dashes/spaces. The control number is
    checked only for numbers above 001-001-998, as the Pension Fund rule says.
    """
    digits = _digits(value, 11, MSG_SNILS_LENGTH)
    body, control = digits[:9], digits[9:]
    if int(body) > _SNILS_CHECKED_FROM and _snils_control(body) != control:
        raise IdentifierError(MSG_SNILS_CHECKSUM)
    return _format_snils(digits)


def normalize_inn(value: str, kind: str) -> str:
    """Validate an INN and return its digits.

    ``kind`` is ``"legal"`` (organisation, 10 digits) or ``"person"``
    (individual or sole trader, 12 digits). The form knows which one it asks
    for, so a 12-digit INN in a company form is a user error, not a fallback.
    """
    if kind == "legal":
        digits = _digits(value, 10, MSG_INN_LEGAL_LENGTH)
        ok = digits[9:] == _inn_legal_control(digits[:9])
    elif kind == "person":
        digits = _digits(value, 12, MSG_INN_PERSON_LENGTH)
        ok = digits[10:] == _inn_person_control(digits[:10])
    else:
        # Programming error in the caller, so plain ValueError in English.
        raise ValueError(f"kind must be 'legal' or 'person', got {kind!r}")
    if not ok:
        raise IdentifierError(MSG_INN_CHECKSUM)
    return digits


def normalize_ogrn(value: str) -> str:
    """Validate an OGRN (13 digits) and return its digits."""
    digits = _digits(value, 13, MSG_OGRN_LENGTH)
    if digits[12] != _ogrn_control(digits[:12]):
        raise IdentifierError(MSG_OGRN_CHECKSUM)
    return digits


def normalize_ogrnip(value: str) -> str:
    """Validate an OGRNIP (15 digits) and return its digits."""
    digits = _digits(value, 15, MSG_OGRNIP_LENGTH)
    if digits[14] != _ogrnip_control(digits[:14]):
        raise IdentifierError(MSG_OGRNIP_CHECKSUM)
    return digits


def normalize_kpp(value: str) -> str:
    """Validate a KPP and return it upper-cased.

    Format: 4 digits (tax office), 2 digits or Latin letters (reason code),
    3 digits (sequence number). KPP has no control digit.
    """
    text = _SEPARATORS_RE.sub("", _strip(value)).upper()
    if not _KPP_RE.match(text):
        raise IdentifierError(MSG_KPP_FORMAT)
    return text


def normalize_mobile_phone(value: str, region: str = "RU") -> str:
    """Validate a mobile phone number and return it in E.164 (``"+79123456789"``).

    ``region`` is used for numbers written without a country code, so
    "8 (912) 345-67-89" and "9123456789" are read as Russian numbers.
    Landlines are refused: the portal sends SMS codes to this number.
    """
    text = _strip(value)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise IdentifierError(MSG_PHONE_INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(MSG_PHONE_INVALID)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise IdentifierError(MSG_PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Human-readable form of a stored E.164 number, e.g. ``"+7 912 345-67-89"``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- generators for tests and demo data -------------------------------------


def make_snils(nine_digits: str) -> str:
    """Canonical SNILS with the control number computed for ``nine_digits``."""
    body = _require_digits(nine_digits, 9)
    return _format_snils(body + _snils_control(body))


def make_inn_legal(nine: str) -> str:
    """10-digit organisation INN with its control digit."""
    body = _require_digits(nine, 9)
    return body + _inn_legal_control(body)


def make_inn_person(ten: str) -> str:
    """12-digit individual INN with both control digits."""
    body = _require_digits(ten, 10)
    return body + _inn_person_control(body)


def make_ogrn(twelve: str) -> str:
    """13-digit OGRN with its control digit."""
    body = _require_digits(twelve, 12)
    return body + _ogrn_control(body)


def make_ogrnip(fourteen: str) -> str:
    """15-digit OGRNIP with its control digit."""
    body = _require_digits(fourteen, 14)
    return body + _ogrnip_control(body)
