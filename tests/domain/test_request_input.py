"""Record ids from paths, query strings and forms, and NUL-free parameters
(domain/request_input.py)."""
import pytest

from domain.request_input import MAX_ID, record_id, record_ids
from models import User
from tests.casework_helpers import applicant_user, sent_appeal
from tests.data import PERSON

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("value,expected", [
    ("1", 1), (7, 7), ("007", 7), (str(MAX_ID), MAX_ID), (MAX_ID, MAX_ID),
    (str(MAX_ID + 1), None), (2 ** 64, None), ("0", None), ("-1", None), (-1, None),
    ("٣", None), ("²", None), ("1e3", None), (" 1", None), ("", None), (None, None),
    ("abc", None), (["1", "2"], None), (("1",), None), (True, None), (1.0, None),
])
def test_record_id_takes_only_what_an_id_column_holds(value, expected):
    assert record_id(value) == expected


def test_record_ids_refuse_a_list_with_any_malformed_id():
    assert record_ids(["3", "1"]) == [3, 1]
    assert record_ids([]) == []
    assert record_ids(["3", "abc"]) is None
    assert record_ids(["3", str(2 ** 63)]) is None


def test_path_ids_outside_the_range_or_in_other_digits_match_no_route(client, auth):
    auth.register()
    own = sent_appeal(User.by_email(PERSON["email"]))
    foreign = sent_appeal(applicant_user("other@example.ru"))
    assert client.get(f"/appeals/{own.id}").status_code == 200
    for value in (str(own.id).translate(ARABIC_INDIC), str(2 ** 63), str(2 ** 64), "0",
                  str(MAX_ID), str(foreign.id)):
        response = client.get(f"/appeals/{value}")
        assert response.status_code == 404, value
        assert "Страница не найдена" in response.get_data(as_text=True)


def test_nul_characters_are_dropped_from_query_strings_and_forms(client, auth):
    auth.register()
    auth.logout()
    response = client.post("/login", data={"email": "ivanov@exa\x00mple.ru",
                                           "password": PERSON["password"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/info")
    page = client.get("/appeals", query_string={"q": "за\x00явка"})
    assert page.status_code == 200
    assert 'id="appeal-q" name="q" value="заявка"' in page.get_data(as_text=True)
