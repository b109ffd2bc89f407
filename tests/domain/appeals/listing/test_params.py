"""The one query-string class of both sides' lists: the same input parses the same way."""
import pytest

from domain.appeals.listing.params import APPLICANT, STAFF, ListParams, date_arg
from models import Appeal

# What both sides read, malformed or noisy, and what each must make of it.
MALFORMED = {
    "kind": ("all", "x", "²", "TP", " "),
    "sort": ("w", "created", "UPDATED_DESC", ""),
    "state": ("x", "Active", "²"),
}
SHARED = ("q", "kind", "state", "sort", "after", "before")


@pytest.mark.parametrize("side", (APPLICANT, STAFF), ids=("applicant", "staff"))
@pytest.mark.parametrize("name,values", MALFORMED.items())
def test_each_side_drops_values_outside_the_allowed_set(side, name, values):
    for value in values:
        assert ListParams.from_args({name: value}, side) == ListParams(side=side), value


@pytest.mark.parametrize("args", (
    {"q": "  Договор   на\tподключение  ", "kind": " tp ", "sort": "created_asc "},
    {"q": "x" * 300, "kind": "all", "state": "archive", "after": "1" * 100},
    {"kind": "message", "sort": "bogus", "before": "garbage", "state": "nowhere"},
))
def test_both_sides_normalise_the_shared_parameters_alike(args):
    applicant = ListParams.from_args(args, APPLICANT)
    staff = ListParams.from_args(args, STAFF)
    assert [getattr(applicant, n) for n in SHARED] == [getattr(staff, n) for n in SHARED]


def test_text_is_collapsed_and_bounded():
    params = ListParams.from_args({"q": "  a \n b  " + "y" * 300}, STAFF)
    assert params.q.startswith("a b y") and len(params.q) == 200


def test_each_side_offers_its_own_states():
    assert ListParams.from_args({"state": "draft"}, APPLICANT).state == Appeal.DRAFT
    assert ListParams.from_args({"state": "draft"}, STAFF).state == Appeal.ACTIVE
    assert ListParams.from_args({"state": "all"}, STAFF).state == "all"
    assert ListParams.from_args({"state": "all"}, APPLICANT).state == Appeal.ACTIVE


def test_a_side_ignores_the_other_sides_parameters():
    staff_only = {"numbered": "yes", "power": "le15", "unread": "1", "date_from": "2024-01-01",
                  "supplier": "3", "status": "Принято", "complies": "no"}
    assert ListParams.from_args(staff_only, APPLICANT) == ListParams()
    assert ListParams.from_args({"read": "unread"}, STAFF) == ListParams(side=STAFF)


@pytest.mark.parametrize("value", ("abc", "", "9999-12-31", "0001-01-01", str(2 ** 63),
                                   "2024-02-30", None))
def test_dates_that_bound_no_day_are_no_bound(value):
    assert date_arg(value) == ""
    assert ListParams.from_args({"date_from": value, "date_to": value}, STAFF) \
        == ListParams(side=STAFF)


def test_a_real_date_is_kept():
    assert ListParams.from_args({"date_from": " 2024-03-01 "}, STAFF).date_from == "2024-03-01"


@pytest.mark.parametrize("value,kept", (("none", "none"), ("12", "12"), ("-1", ""),
                                        (str(2 ** 64), ""), ("²", ""), ("abc", "")))
def test_supplier_is_none_or_an_id(value, kept):
    assert ListParams.from_args({"supplier": value}, STAFF).supplier == kept


def test_a_preset_wins_over_the_url():
    inbox = ListParams.from_args({"state": "archive", "numbered": "yes"}, STAFF,
                                 {"state": Appeal.ACTIVE, "numbered": "no"})
    assert (inbox.state, inbox.numbered) == (Appeal.ACTIVE, "no")
    assert inbox.to_args() == {"numbered": "no"}


def test_links_carry_only_what_differs_from_the_defaults_in_the_sides_order():
    args = {"sort": "created_asc", "q": "тема", "kind": "message", "read": "unread",
            "after": "20240101000000000000-1"}
    params = ListParams.from_args(args, APPLICANT)
    assert list(params.to_args()) == ["kind", "read", "q", "sort"]
    assert params.to_args(kind="")["read"] == "unread" and "kind" not in params.to_args(kind="")
    assert params.to_args(after=params.after)["after"] == args["after"]
    staff = ListParams.from_args({**args, "unread": "1"}, STAFF)
    assert list(staff.to_args()) == ["q", "kind", "unread", "sort"]


def test_parsed_params_are_a_cache_key():
    one = ListParams.from_args({"q": "договор"}, STAFF)
    assert hash(one) == hash(ListParams.from_args({"q": " договор "}, STAFF))


def test_sort_menus_list_every_sort_once_in_each_sides_words():
    assert list(APPLICANT.sort_labels().values()) == [
        "↓ Дата создания", "↑ Дата создания", "↓ Дата обновления", "↑ Дата обновления"]
    assert list(STAFF.sort_labels())[0] == "updated_desc"
    assert sorted(APPLICANT.sort_labels()) == sorted(STAFF.sort_labels())
