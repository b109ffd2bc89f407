"""Keyset pages by (date, id): cursors in URLs, pages forward and back, nothing lost."""
import datetime as dt

import pytest

from domain.appeals.listing.keyset import (
    bounded,
    decode_cursor,
    encode_cursor,
    keyset_page,
)
from domain.appeals.listing.params import ListParams
from models import Appeal
from tests.appeal_factory import make_appeal, other_applicant

MOMENT = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(MOMENT, 42)) == (MOMENT, 42)


@pytest.mark.parametrize("cursor", ("", "abc", "1-x", f"20240101000000000000-{2 ** 64}",
                                    "20240101000000000000--1", "20241301000000000000-1", None))
def test_malformed_cursors_are_no_cursor(cursor):
    assert decode_cursor(cursor) is None


@pytest.fixture
def appeals(database):
    person = other_applicant("keyset@example.ru")
    same = dt.datetime(2024, 1, 1, 12)
    return [make_appeal(person, Appeal.MESSAGE, subject=f"п{n}", created_at=same,
                        updated_at=same) for n in range(7)]


def _walk(query, size):
    """Every page forward, then back from the last: the ids in page order each way."""
    forward, pages, params = [], [], ListParams()
    while True:
        page = keyset_page(query, Appeal.updated_at, True, params, size)
        pages.append(page)
        forward += [a.id for a in page.rows]
        if not page.next_cursor:
            break
        params = ListParams(after=page.next_cursor)
    backward, page = [], pages[-1]
    while page.prev_cursor:
        page = keyset_page(query, Appeal.updated_at, True, ListParams(before=page.prev_cursor),
                           size)
        backward = [a.id for a in page.rows] + backward
    return forward, backward, len(pages)


def test_equal_dates_page_by_id_forward_and_back(appeals):
    query = Appeal.select(Appeal.id, Appeal.updated_at)
    forward, backward, pages = _walk(query, 3)
    assert forward == sorted((a.id for a in appeals), reverse=True) and pages == 3
    assert backward == forward[:-1]  # back to page one from the last page's start


def test_bounded_keeps_the_same_rows(appeals):
    query = Appeal.select(Appeal.id, Appeal.updated_at)
    first = keyset_page(query, Appeal.updated_at, True, ListParams(), 3)
    after = ListParams(after=first.next_cursor)
    plain = keyset_page(query, Appeal.updated_at, True, after, 3)
    ranged = keyset_page(bounded(query, Appeal.updated_at, True, after), Appeal.updated_at,
                         True, after, 3)
    assert [a.id for a in ranged.rows] == [a.id for a in plain.rows]
    assert bounded(query, Appeal.updated_at, True, ListParams(after="garbage")) is query
