"""The «Список обращений» query: filters, text search, sorting and keyset paging.

One bounded statement per page, whatever the number of appeals: the rows come with
their recipient organisation in the same SELECT, paging is by keyset (LIMIT n+1 tells
whether a next page exists, no COUNT(*)), and the text search matches the casefolded
`Appeal.search_text` column word by word with LIKE, so Russian text is found
case-insensitively on SQLite and PostgreSQL alike.

The back office may reuse `text_condition` and `keyset_page` for its own lists.
"""
import datetime as dt
from dataclasses import dataclass, replace

from peewee import SQL, NodeList, Tuple, Value

from models import Appeal, Organization, fold

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


def text_condition(column, text: str):
    """Every word of `text` must occur in the casefolded `column` (LIKE '%word%').

    Returns None for an empty query. Wildcards typed by the user are escaped."""
    condition = None
    for word in words_of(text):
        pattern = column._escape_like_expr(word, "%%%s%%")
        # Plain LIKE on both databases (peewee turns OP.LIKE into GLOB on SQLite); the
        # column is already casefolded, so case never matters.
        term = NodeList((column, SQL("LIKE"),
                         Value(pattern) if isinstance(pattern, str) else pattern))
        condition = term if condition is None else condition & term
    return condition


def unread_condition():
    """The appeal has data from the organisation the applicant has not seen yet."""
    return (Appeal.staff_activity_at.is_null(False)
            & (Appeal.applicant_seen_at.is_null(True)
               | (Appeal.staff_activity_at > Appeal.applicant_seen_at)))


def encode_cursor(moment: dt.datetime, row_id: int) -> str:
    """A row's position in a date ordering, safe to put in a URL."""
    return f"{moment.strftime(_TS_FORMAT)}-{row_id}"


def decode_cursor(cursor: str):
    """(datetime, id) from encode_cursor's text, or None when it is malformed."""
    try:
        stamp, row_id = cursor.split("-", 1)
        return dt.datetime.strptime(stamp, _TS_FORMAT), int(row_id)
    except (ValueError, AttributeError):
        return None


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
        query = query.where(unread_condition())
    elif params.read == "read":
        query = query.where(~unread_condition())
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
