"""Keyset paging by (date, id): page 2,000 costs what page 1 does.

A page fetches size+1 rows (the extra one tells whether a next page exists, no COUNT(*))
after or before a cursor, the (date, id) of the row the neighbouring page ends with.
"""
import datetime as dt
from dataclasses import dataclass

from peewee import Tuple

from domain.appeals.listing.params import ListParams
from domain.request_input import record_id
from models import Appeal

PAGE_SIZE = 20  # the applicant's list; the back office shows its own number of rows
_TS_FORMAT = "%Y%m%d%H%M%S%f"


@dataclass
class Page:
    """One page of rows and the cursors of its neighbours (empty when none)."""
    rows: list
    next_cursor: str = ""
    prev_cursor: str = ""


def encode_cursor(moment: dt.datetime, row_id: int) -> str:
    """A row's position in a date ordering, safe to put in a URL."""
    return f"{moment.strftime(_TS_FORMAT)}-{row_id}"


def decode_cursor(cursor: str):
    """(datetime, id) from encode_cursor's text, or None when it is malformed."""
    try:
        stamp, row_id = cursor.split("-", 1)
        moment = dt.datetime.strptime(stamp, _TS_FORMAT)
    except (ValueError, AttributeError):
        return None
    row_id = record_id(row_id)
    return None if row_id is None else (moment, row_id)


def _position(params: ListParams):
    """(cursor, backward): where the page starts and whether it is read backward (the
    previous page); cursor None means page one."""
    backward = bool(params.before) and decode_cursor(params.before) is not None
    return decode_cursor(params.before if backward else params.after), backward


def ordering(column, id_column, descending: bool) -> tuple:
    """ORDER BY (column, id), both in one direction: the order of the lists' indexes."""
    return (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())


def keyset_page(query, column, descending: bool, params: ListParams, size: int = PAGE_SIZE,
                id_column=Appeal.id) -> Page:
    """Run `query` ordered by (column, id) one page at a time, fetching size+1 rows.

    `params.after` pages forward, `params.before` backward; neither means page one."""
    cursor, backward = _position(params)
    # Walking backward means reading the opposite order and reversing the rows.
    reverse = descending != backward
    if cursor:
        # A row-value comparison: both databases walk the (…, column, id) index from it.
        position, value = Tuple(column, id_column), Tuple(*cursor)
        query = query.where(position < value if reverse else position > value)
    rows = list(query.order_by(*ordering(column, id_column, reverse)).limit(size + 1))
    more = len(rows) > size
    rows = rows[:size]
    name = column.name
    if backward:
        rows.reverse()
        page = Page(rows)
        if more and rows:
            page.prev_cursor = encode_cursor(getattr(rows[0], name), rows[0].id)
        if rows:
            page.next_cursor = encode_cursor(getattr(rows[-1], name), rows[-1].id)
        return page
    page = Page(rows)
    if more and rows:
        page.next_cursor = encode_cursor(getattr(rows[-1], name), rows[-1].id)
    if cursor and rows:
        page.prev_cursor = encode_cursor(getattr(rows[0], name), rows[0].id)
    return page


def bounded(query, column, descending: bool, params: ListParams):
    """Add `column <= cursor` (or >=) so the keyset range starts in the index, not at its
    first entry: keyset_page's (date < x OR date = x AND id < y) alone is not a range."""
    cursor, backward = _position(params)
    if not cursor:
        return query
    moment = cursor[0]
    return query.where(column <= moment if descending != backward else column >= moment)
