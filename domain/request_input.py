"""What a request may carry into a query: record ids a database id column can hold, and
text without NUL characters (PostgreSQL text cannot hold them).

Both sides read ids from paths (`<int:…>`, answered by RecordIdConverter), query strings
and forms (record_id); anything else names no record, so it is a 404 or a refusal before
any query runs, never a database overflow. Query strings and forms lose their NUL
characters as they are parsed (InputRequest): no field of the portal takes one.
"""
import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

MAX_ID = 2 ** 63 - 1  # BIGINT's and SQLite INTEGER's largest value
_ID_TEXT = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() takes '٣' and '²' too


def record_id(value) -> int | None:
    """The id `value` names — an int, or its ASCII digits — when an id column can hold it
    (1 … MAX_ID); None for anything else (words, signs, other scripts' digits, lists)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = int(value) if _ID_TEXT.fullmatch(value) else None
    if not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None


def record_ids(values) -> list[int] | None:
    """The ids of `values` (the rowid checkboxes of a list), or None when any of them is not
    an id."""
    ids = [record_id(value) for value in values]
    return None if None in ids else ids


class RecordIdConverter(IntegerConverter):
    """`<int:…>` in this app, where every such argument is a record id: 1 … MAX_ID in ASCII
    digits; any other value matches no route (404)."""
    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class NulFreeParameters(ImmutableMultiDict):
    """request.args and request.form with NUL characters dropped from names and values
    (uploaded files are left as they are)."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True)
        super().__init__([(_without_nul(name), _without_nul(value)) for name, value in pairs])


class InputRequest(Request):
    """The app's request: its query string and forms parse into NulFreeParameters."""
    parameter_storage_class = NulFreeParameters


def init_app(app):
    """Ids in every `<int:…>` route (set before any route is added), NUL-free parameters."""
    app.url_map.converters["int"] = RecordIdConverter
    app.request_class = InputRequest
