"""Tests for identifiers.py: real-world valid ids, broken check digits, formats.

All real-world examples below were verified with the module's own checksum
code before use. The only replacement: the KPP example "77AB01001" does not
fit the KPP format (letters are allowed in positions 5-6 only, here they are
in 3-4), so "7736AB001" is used as the letter example instead, and
"77AB01001" is kept as a rejected case.
"""


import pytest

from domain.identifiers import (
    IdentifierError,
    format_phone,
    make_inn_legal,
    make_inn_person,
    make_ogrn,
    make_ogrnip,
    make_snils,
    normalize_inn,
    normalize_kpp,
    normalize_mobile_phone,
    normalize_ogrn,
    normalize_ogrnip,
    normalize_snils,
)

MSG_EMPTY = "Заполните поле"


def bump_last_digit(value: str) -> str:
    """Same identifier with its last (check) digit changed."""
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def inn_legal(value):
    return normalize_inn(value, "legal")


def inn_person(value):
    return normalize_inn(value, "person")


# --- empty input, shared by every normaliser --------------------------------

ALL_NORMALIZERS = [
    normalize_snils,
    inn_legal,
    inn_person,
    normalize_ogrn,
    normalize_ogrnip,
    normalize_kpp,
    normalize_mobile_phone,
]


@pytest.mark.parametrize("func", ALL_NORMALIZERS)
@pytest.mark.parametrize("value", ["", "   ", "\t\n", None])
def test_empty_input_asks_to_fill_field(func, value):
    with pytest.raises(IdentifierError) as exc:
        func(value)
    assert str(exc.value) == MSG_EMPTY


def test_identifier_error_is_value_error():
    # Form code may catch plain ValueError.
    assert issubclass(IdentifierError, ValueError)
    assert IdentifierError("текст").message == "текст"


# --- SNILS ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "112-233-445 95",
        "11223344595",
        "112 233 445 95",
        "  112-233-445 95  ",
        "112-233-445-95",
        "112-233-44595",
    ],
)
def test_snils_accepted_and_canonical(raw):
    assert normalize_snils(raw) == "112-233-445 95"


@pytest.mark.parametrize("raw", ["112-233-445 96", "112-233-445 00", "11223344559"])
def test_snils_wrong_checksum(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_snils(raw)
    assert str(exc.value) == "Неверное контрольное число СНИЛС"


@pytest.mark.parametrize(
    "raw",
    ["112-233-445 9", "112-233-445 955", "1122334459", "112-233-445 9O", "СНИЛС 11223344595"],
)
def test_snils_wrong_length_or_letters(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_snils(raw)
    assert str(exc.value) == "СНИЛС должен содержать 11 цифр"


@pytest.mark.parametrize("raw", ["001-001-998 00", "000-000-001 99", "001-001-998 64"])
def test_snils_small_numbers_not_checked(raw):
    # Pension Fund rule: numbers up to 001-001-998 have no verifiable control number.
    assert normalize_snils(raw) == raw


def test_snils_checked_just_above_threshold():
    good = make_snils("001001999")
    assert normalize_snils(good) == good
    with pytest.raises(IdentifierError, match="контрольное число СНИЛС"):
        normalize_snils(bump_last_digit(good))


def snils_weighted_sum(nine: str) -> int:
    """Independent re-computation of the SNILS weighted sum for test data."""
    return sum(int(d) * (9 - i) for i, d in enumerate(nine))


@pytest.mark.parametrize(
    "nine, total, canonical",
    [
        ("100000000", 9, "100-000-000 09"),  # sum < 100: the sum, zero-padded
        ("112233445", 95, "112-233-445 95"),  # sum < 100
        ("900000091", 100, "900-000-091 00"),  # sum 100 -> 00
        ("900000092", 101, "900-000-092 00"),  # sum 101 -> 00
        ("123456789", 165, "123-456-789 64"),  # sum > 101 -> 165 % 101
        ("999999000", 351, "999-999-000 48"),  # 351 % 101
        ("996100000", 201, "996-100-000 00"),  # 201 % 101 == 100 -> 00
    ],
)
def test_snils_control_number_rule(nine, total, canonical):
    assert snils_weighted_sum(nine) == total
    assert make_snils(nine) == canonical
    assert normalize_snils(canonical.replace("-", "").replace(" ", "")) == canonical


# --- INN -----------------------------------------------------------------

INN_LEGAL_VALID = ["7707083893", "7728168971"]  # Sberbank; second verified too
INN_PERSON_VALID = ["500100732259"]


@pytest.mark.parametrize("inn", INN_LEGAL_VALID)
def test_inn_legal_valid(inn):
    assert inn_legal(inn) == inn
    assert inn_legal(f"  {inn[:4]} {inn[4:]} ") == inn
    assert inn_legal(f"{inn[:4]}-{inn[4:]}") == inn


@pytest.mark.parametrize("inn", INN_PERSON_VALID)
def test_inn_person_valid(inn):
    assert inn_person(inn) == inn
    assert inn_person(f" {inn[:4]} {inn[4:6]} {inn[6:]} ") == inn
    assert inn_person(f"{inn[:4]}-{inn[4:]}") == inn


@pytest.mark.parametrize(
    "func, inn",
    [(inn_legal, bump_last_digit(i)) for i in INN_LEGAL_VALID]
    + [(inn_person, bump_last_digit(i)) for i in INN_PERSON_VALID]
    # Breaking the 11th digit must also be caught, not only the 12th.
    + [(inn_person, "500100732269")],
)
def test_inn_wrong_checksum(func, inn):
    with pytest.raises(IdentifierError) as exc:
        func(inn)
    assert str(exc.value) == "Неверное контрольное число ИНН"


@pytest.mark.parametrize(
    "raw",
    ["770708389", "77070838930", "500100732259", "77O7083893", "7707083893а"],
)
def test_inn_legal_wrong_length_or_letters(raw):
    with pytest.raises(IdentifierError) as exc:
        inn_legal(raw)
    assert str(exc.value) == "ИНН организации должен содержать 10 цифр"


@pytest.mark.parametrize(
    "raw",
    ["7707083893", "50010073225", "5001007322590", "5001OO732259"],
)
def test_inn_person_wrong_length_or_letters(raw):
    with pytest.raises(IdentifierError) as exc:
        inn_person(raw)
    assert str(exc.value) == "ИНН физического лица / ИП должен содержать 12 цифр"


def test_inn_unknown_kind_is_programming_error():
    with pytest.raises(ValueError) as exc:
        normalize_inn("7707083893", "company")
    assert not isinstance(exc.value, IdentifierError)


# --- OGRN / OGRNIP ----------------------------------------------------------

OGRN_VALID = ["1027700132195", "1027739609391"]  # Sberbank; second verified too
OGRNIP_VALID = ["304500116000157"]


@pytest.mark.parametrize("ogrn", OGRN_VALID)
def test_ogrn_valid(ogrn):
    assert normalize_ogrn(ogrn) == ogrn
    assert normalize_ogrn(f" {ogrn[:1]} {ogrn[1:3]} {ogrn[3:5]} {ogrn[5:]} ") == ogrn
    assert normalize_ogrn(f"{ogrn[:7]}-{ogrn[7:]}") == ogrn


@pytest.mark.parametrize("ogrn", [bump_last_digit(o) for o in OGRN_VALID])
def test_ogrn_wrong_checksum(ogrn):
    with pytest.raises(IdentifierError) as exc:
        normalize_ogrn(ogrn)
    assert str(exc.value) == "Неверное контрольное число ОГРН"


@pytest.mark.parametrize("raw", ["102770013219", "10277001321950", "304500116000157", "1O27700132195"])
def test_ogrn_wrong_length_or_letters(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_ogrn(raw)
    assert str(exc.value) == "ОГРН должен содержать 13 цифр"


@pytest.mark.parametrize("ogrnip", OGRNIP_VALID)
def test_ogrnip_valid(ogrnip):
    assert normalize_ogrnip(ogrnip) == ogrnip
    assert normalize_ogrnip(f"  {ogrnip[:3]} {ogrnip[3:9]} {ogrnip[9:]} ") == ogrnip
    assert normalize_ogrnip(f"{ogrnip[:3]}-{ogrnip[3:]}") == ogrnip


@pytest.mark.parametrize("ogrnip", [bump_last_digit(o) for o in OGRNIP_VALID])
def test_ogrnip_wrong_checksum(ogrnip):
    with pytest.raises(IdentifierError) as exc:
        normalize_ogrnip(ogrnip)
    assert str(exc.value) == "Неверное контрольное число ОГРНИП"


@pytest.mark.parametrize("raw", ["30450011600015", "3045001160001570", "1027700132195", "3045OO116000157"])
def test_ogrnip_wrong_length_or_letters(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_ogrnip(raw)
    assert str(exc.value) == "ОГРНИП должен содержать 15 цифр"


# --- KPP -----------------------------------------------------------------

MSG_KPP = "КПП должен состоять из 9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("773601001", "773601001"),
        (" 773601001 ", "773601001"),
        ("7736 01 001", "773601001"),
        ("7736AB001", "7736AB001"),
        ("7736ab001", "7736AB001"),  # lower case is upper-cased
        ("77360A001", "77360A001"),
    ],
)
def test_kpp_valid(raw, expected):
    assert normalize_kpp(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "77AB01001",  # letters in the tax-office part (the example from the brief)
        "77360100",  # 8 characters
        "7736010011",  # 10 characters
        "7736АВ001",  # Cyrillic А and В look Latin but are not allowed
        "7736_1001",
        "77360100A",
        "٧٧٣٦01001",  # non-ASCII digits
    ],
)
def test_kpp_invalid(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_kpp(raw)
    assert str(exc.value) == MSG_KPP


# --- mobile phone ----------------------------------------------------------

MSG_PHONE = "Введите номер телефона, например +7 912 345-67-89"


@pytest.mark.parametrize(
    "raw",
    [
        "8 (912) 345-67-89",
        "+7 912 345 67 89",
        "89123456789",
        "9123456789",
        "+79123456789",
        "  +7 (912) 345-67-89  ",
    ],
)
def test_mobile_phone_formats(raw):
    assert normalize_mobile_phone(raw) == "+79123456789"


@pytest.mark.parametrize("raw", ["+7 495 123-45-67", "8 (495) 123-45-67", "4951234567"])
def test_landline_refused(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_mobile_phone(raw)
    assert str(exc.value) == "Укажите номер сотового телефона"
    assert "сотового" in str(exc.value)


@pytest.mark.parametrize(
    "raw",
    ["abc", "телефон", "123", "+7 912 345", "+7 912 345 67 89 00 11", "++--", "+999 123"],
)
def test_garbage_phone_refused(raw):
    with pytest.raises(IdentifierError) as exc:
        normalize_mobile_phone(raw)
    assert str(exc.value) == MSG_PHONE


def test_phone_region_used_for_local_numbers():
    # A Kazakh mobile written without country code, read in the KZ region.
    assert normalize_mobile_phone("8 701 123 4567", region="KZ") == "+77011234567"


def test_format_phone():
    assert format_phone("+79123456789") == "+7 912 345-67-89"
    assert format_phone(normalize_mobile_phone("8 (912) 345-67-89")) == "+7 912 345-67-89"


# --- generators round-trip --------------------------------------------------


@pytest.mark.parametrize(
    "make, normalize, body",
    [
        (make_snils, normalize_snils, "112233445"),
        (make_snils, normalize_snils, "987654321"),
        (make_inn_legal, inn_legal, "770708389"),
        (make_inn_legal, inn_legal, "123456789"),
        (make_inn_person, inn_person, "5001007322"),
        (make_inn_person, inn_person, "7701234567"),
        (make_ogrn, normalize_ogrn, "102770013219"),
        (make_ogrn, normalize_ogrn, "123456789012"),
        (make_ogrnip, normalize_ogrnip, "30450011600015"),
        (make_ogrnip, normalize_ogrnip, "31277460000001"),
    ],
)
def test_generated_ids_round_trip(make, normalize, body):
    generated = make(body)
    assert normalize(generated) == generated
    digits = generated.replace("-", "").replace(" ", "")
    assert digits.startswith(body)
    # And the generated check digit really is the only one that passes.
    with pytest.raises(IdentifierError, match="Неверное контрольное число"):
        normalize(bump_last_digit(digits))


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: make_snils("112233445"), "112-233-445 95"),
        (lambda: make_inn_legal("770708389"), "7707083893"),
        (lambda: make_inn_person("5001007322"), "500100732259"),
        (lambda: make_ogrn("102770013219"), "1027700132195"),
        (lambda: make_ogrnip("30450011600015"), "304500116000157"),
    ],
)
def test_generators_reproduce_real_ids(make, expected):
    assert make() == expected


@pytest.mark.parametrize(
    "make, bad",
    [
        (make_snils, "12345678"),
        (make_inn_legal, "1234567890"),
        (make_inn_person, "12345678a0"),
        (make_ogrn, ""),
        (make_ogrnip, 12345678901234),
    ],
)
def test_generators_reject_bad_input(make, bad):
    with pytest.raises(ValueError):
        make(bad)
