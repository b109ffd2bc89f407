"""The «Список обращений» query: filters, text search, sorting and keyset paging.

One bounded statement per page, whatever the number of appeals: the rows come with
their recipient organisation in the same SELECT, paging is by keyset (LIMIT n+1 tells
whether a next page exists, no COUNT(*)), and the text search matches the casefolded
`Appeal.search_text` column word by word as a substring (LIKE '%word%'), so Russian text
is found case-insensitively on SQLite and PostgreSQL alike; a trigram index
(search_index.py) answers words of three characters or more.

The back office reuses `text_search` and `keyset_page` for its own lists.
"""
import datetime as dt
from dataclasses import dataclass, replace

from peewee import SQL, NodeList, Tuple, Value

from domain.appeals import read_marks, search_index
from domain.request_input import record_id
from models import Appeal, Organization, db, fold, is_postgres

PAGE_SIZE = 20
MAX_QUERY_WORDS = 8
MAX_QUERY_LENGTH = 200

STATES = {"active": Appeal.ACTIVE, "draft": Appeal.DRAFT, "archive": Appeal.ARCHIVE}
KINDS = ("all", "tp", "message")
READS = ("all", "unread", "read")
# The manual: «По дате создания: ↓ по возрастанию, ↑ по убыванию» (and the same for updates).
SORTS = {
    "created_asc": ("created_at", False, "↓ Дата создания"),
    "created_desc": ("created_at", True, "↑ Дата создания"),
    "updated_asc": ("updated_at", False, "↓ Дата обновления"),
    "updated_desc": ("updated_at", True, "↑ Дата обновления"),
}
DEFAULT_SORT = "updated_desc"

# Only the columns a row needs: the comment and the search column can be large.
LIST_COLUMNS = (Appeal.id, Appeal.applicant, Appeal.kind, Appeal.state, Appeal.organization,
                Appeal.reg_number, Appeal.subject, Appeal.power, Appeal.scheme,
                Appeal.complies, Appeal.supplier, Appeal.last_status, Appeal.created_at,
                Appeal.updated_at, Appeal.staff_activity_at, Appeal.applicant_seen_at,
                Appeal.new_status_for_applicant, Appeal.new_post_for_applicant)

_TS_FORMAT = "%Y%m%d%H%M%S%f"


@dataclass(frozen=True)
class ListParams:
    """The list's view as it lives in the URL query string."""
    state: str = "active"
    kind: str = "all"
    read: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    after: str = ""   # keyset cursor: rows after this one
    before: str = ""  # keyset cursor: rows before this one (the previous page)

    @classmethod
    def from_args(cls, args) -> "ListParams":
        """Parse request.args (or any mapping); unknown values fall back to defaults."""
        def pick(name, allowed, default):
            value = (args.get(name) or "").strip()
            return value if value in allowed else default
        return cls(state=pick("state", STATES, "active"), kind=pick("kind", KINDS, "all"),
                   read=pick("read", READS, "all"),
                   q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
                   sort=pick("sort", SORTS, DEFAULT_SORT),
                   after=(args.get("after") or "")[:64], before=(args.get("before") or "")[:64])

    def to_args(self, **changes) -> dict:
        """Query-string arguments for url_for: only non-default values, cursors dropped
        unless given in `changes` (changing a filter or the sort starts from page one)."""
        view = replace(self, **{"after": "", "before": "", **changes})
        defaults = ListParams()
        return {name: getattr(view, name)
                for name in ("state", "kind", "read", "q", "sort", "after", "before")
                if getattr(view, name) != getattr(defaults, name)}


@dataclass
class Page:
    """One page of rows and the cursors of its neighbours (empty when none)."""
    rows: list
    next_cursor: str = ""
    prev_cursor: str = ""


def words_of(text: str) -> list[str]:
    """The folded search words of a query, at most MAX_QUERY_WORDS of them."""
    return fold(text).split()[:MAX_QUERY_WORDS]


def _like(column, word: str):
    """`column LIKE '%word%'` with the user's wildcards escaped."""
    pattern = column._escape_like_expr(word, "%%%s%%")
    # Plain LIKE on both databases (peewee turns OP.LIKE into GLOB on SQLite); the
    # column is already casefolded, so case never matters.
    return NodeList((column, SQL("LIKE"), Value(pattern) if isinstance(pattern, str) else pattern))


def _all_of(conditions):
    """AND of the conditions; None when there are none."""
    result = None
    for condition in conditions:
        result = condition if result is None else result & condition
    return result


def _uses_fts(column, words) -> bool:
    """True when the SQLite trigram table can answer some of `words` on `column`."""
    return (not is_postgres() and column.model is Appeal and column.name == "search_text"
            and any(search_index.indexed(w) for w in words))


def _split(words):
    """(words the trigram index can find, shorter words)."""
    return ([w for w in words if search_index.indexed(w)],
            [w for w in words if not search_index.indexed(w)])


def text_condition(column, text: str):
    """Every word of `text` must occur in the casefolded `column`, as with LIKE '%word%'.

    Returns None for an empty query. Wildcards typed by the user are literal. On PostgreSQL
    this is LIKE, which the pg_trgm index answers; on SQLite, for Appeal.search_text,
    words of three characters or more are looked up in the FTS5 trigram table when they
    are selective (fewer than search_index.PROBE_LIMIT matches), else LIKE, which a scan
    in the list's order stops early on (see text_search for lists that also count)."""
    words = words_of(text)
    if not words:
        return None
    if not _uses_fts(column, words):
        return _all_of(_like(column, w) for w in words)
    long, short = _split(words)
    matches, _last, _top = search_index.probe(long)
    if matches >= search_index.PROBE_LIMIT:
        return _all_of(_like(column, w) for w in words)
    return _all_of([Appeal.id.in_(search_index.matching_ids(long)),
                    *(_like(column, w) for w in words)])


# Cost of one row, in microseconds, measured on SQLite at 100,000 appeals: a row read
# while walking a date index and testing LIKE, and an index match (phrase check, rowid
# lookup, sort).
_SCAN_ROW_US, _MATCH_US = 4.5, 3.0


def text_search(query, text: str, rows: int = PAGE_SIZE, counting: bool = False):
    """`query` (a SELECT on Appeal, already filtered) narrowed to the appeals containing
    every word of `text` in Appeal.search_text, planned for how it is read next.

    PostgreSQL: LIKE, answered by the pg_trgm index. SQLite, words of three characters
    or more: `counting` (a capped count) joins the FTS5 table, which streams its matches
    so the count stops at its cap. A page of `rows` in date order either takes the ids
    from the FTS5 table (few matches) or walks the date index testing LIKE (many
    matches), whichever reads fewer rows: the probe tells the words' density, a sample of
    PROBE_LIMIT matches tells how many also pass the query's filters."""
    words = words_of(text)
    if not words:
        return query
    column = Appeal.search_text
    if not _uses_fts(column, words):
        return query.where(text_condition(column, text))
    long, _short = _split(words)
    likes = [_like(column, w) for w in words]  # the index finds candidates, LIKE decides
    if counting:
        fts = search_index.AppealFTS
        return query.join(fts, on=(fts.rowid == Appeal.id)).where(
            _all_of([search_index.match(long), *likes]))
    matches, last, top = search_index.probe(long)
    by_index = _all_of([Appeal.id.in_(search_index.matching_ids(long)), *likes])
    if matches < search_index.PROBE_LIMIT:
        return query.where(by_index)

    def sampled_hits():
        sample = query.where(_all_of([Appeal.id.in_(search_index.matching_ids(
            long, search_index.PROBE_LIMIT)), *likes]))
        return sample.order_by().count()
    sql, params = query.sql()
    hits = search_index.cached(("sample", db.database, sql, tuple(map(str, params)),
                                tuple(words)), sampled_hits)
    estimated_matches = matches * max(top, 1) / max(last, 1)
    scan_cost = _SCAN_ROW_US * (rows + 1) * last / hits if hits else float("inf")
    index_cost = _MATCH_US * estimated_matches
    return query.where(_all_of(likes) if scan_cost < index_cost else by_index)




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


def keyset_page(query, column, descending: bool, params: ListParams, size: int = PAGE_SIZE,
                id_column=Appeal.id) -> Page:
    """Run `query` ordered by (column, id) one page at a time, fetching size+1 rows.

    `params.after` pages forward, `params.before` backward; neither means page one."""
    backward = bool(params.before) and decode_cursor(params.before) is not None
    cursor = decode_cursor(params.before if backward else params.after)
    # Walking backward means reading the opposite order and reversing the rows.
    reverse = descending != backward
    if cursor:
        # A row-value comparison: both databases walk the (…, column, id) index from it.
        position, value = Tuple(column, id_column), Tuple(*cursor)
        query = query.where(position < value if reverse else position > value)
    order = (column.desc(), id_column.desc()) if reverse else (column.asc(), id_column.asc())
    rows = list(query.order_by(*order).limit(size + 1))
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


def applicant_query(applicant_id: int, params: ListParams):
    """The applicant's appeals matching the filters and the text, with their recipient."""
    query = (Appeal.select(*LIST_COLUMNS, Organization.id, Organization.name)
             .join(Organization, on=(Appeal.organization == Organization.id))
             .where((Appeal.applicant == applicant_id) & (Appeal.state == STATES[params.state])))
    if params.kind != "all":
        query = query.where(Appeal.kind == (Appeal.TP if params.kind == "tp" else Appeal.MESSAGE))
    if params.read == "unread":
        query = query.where(read_marks.unread_condition())
    elif params.read == "read":
        query = query.where(~read_marks.unread_condition())
    condition = text_condition(Appeal.search_text, params.q)
    if condition is not None:
        query = query.where(condition)
    return query


def applicant_page(applicant, params: ListParams, size: int = PAGE_SIZE) -> Page:
    """One page of the applicant's «Список обращений» in a single SELECT.

    Every row gets `applicant` attached, so Appeal.summary needs no further query."""
    field, descending, _label = SORTS[params.sort]
    page = keyset_page(applicant_query(applicant.id, params), getattr(Appeal, field),
                       descending, params, size)
    for row in page.rows:
        row.applicant = applicant
    return page
