"""Capped totals: exact under the cap, «более N» over it, remembered a while over it."""
import pytest

from domain.appeals.listing import counting
from domain.appeals.listing.keyset import Page
from models import Appeal
from tests.appeal_factory import make_appeal, other_applicant


@pytest.fixture
def five(database, monkeypatch):
    monkeypatch.setattr(counting, "COUNT_CAP", 3)
    monkeypatch.setattr(counting, "_over_cap", {})
    person = other_applicant("count@example.ru")
    return [make_appeal(person, Appeal.MESSAGE, subject=f"с{n}") for n in range(5)]


def test_under_the_cap_is_exact_and_fresh(five):
    query = lambda: Appeal.select(Appeal.id).where(Appeal.id <= five[1].id)  # noqa: E731
    assert counting.estimated_total(query, "two") == (2, False)
    five[0].delete_instance()
    assert counting.estimated_total(query, "two") == (1, False)


def test_over_the_cap_is_capped_and_remembered(five):
    query = lambda: Appeal.select(Appeal.id)  # noqa: E731
    assert counting.estimated_total(query, "all") == (3, True)
    Appeal.delete().execute()
    assert counting.estimated_total(query, "all") == (3, True)  # within COUNT_TTL
    assert counting.estimated_total(query, "other key") == (0, False)


def test_a_lone_first_page_counts_its_rows_without_a_query(five):
    def no_query():
        raise AssertionError("counted")
    assert counting.page_total(Page(five[:2]), False, no_query, "k") == (2, False)
    assert counting.page_total(Page(five[:2], next_cursor="x"), False,
                               lambda: Appeal.select(Appeal.id), "k") == (3, True)
