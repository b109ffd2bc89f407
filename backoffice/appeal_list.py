"""«Обращения» in the back office: the lists Входящие, Все обращения and Архив.

The lists are our own (not Flask-Admin's stock ModelView): one SELECT per page with the
applicant and the organisation's unread mark (appeal_unread, see domain/appeals/unread_index.py) joined
in, the organisations attached from one small query, keyset paging by (date, id) so page
2,000 costs what page 1 does, and a capped count instead of COUNT(*) over everything
(remembered for a minute when over the cap). Each filter has an index in page order
(Appeal.Meta.indexes, appeal_unread's) or is common enough for the date index to find a
page quickly. The text search is the portal's (domain.appeals.listing.text_search on the
casefolded search column). Every row, page, download and action is scoped through
domain.appeals.access. Measured with `python -m bench backoffice` at 100,000 appeals.
"""
import datetime as dt
import time
from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo

from flask import current_app, g, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup
from peewee import JOIN, fn

from backoffice.access import StaffMixin
from domain.appeals import access
from domain.appeals.access import visible_condition
from domain.appeals.listing import decode_cursor, keyset_page, text_search, words_of
from domain.request_input import record_id
from domain.response_headers import csp_nonce
from models import (
    Appeal,
    AppealUnread,
    Organization,
    StatusCatalog,
    StatusEvent,
    User,
    db,
    is_postgres,
)

MOSCOW = ZoneInfo("Europe/Moscow")
PAGE_SIZE = 25
COUNT_CAP = 200  # «Найдено: более 200»: eight pages; counting further reads more rows
COUNT_TTL = 60  # seconds a count over the cap is reused: «более 200» hardly goes stale
DATE_RANGE_PROBE = 1000  # a creation-date range wider than this is walked in page order

SORTS = {
    "updated_desc": ("updated_at", True, "Обновлено ↓ (сначала новые)"),
    "updated_asc": ("updated_at", False, "Обновлено ↑ (сначала старые)"),
    "created_desc": ("created_at", True, "Создано ↓ (сначала новые)"),
    "created_asc": ("created_at", False, "Создано ↑ (сначала старые)"),
}
KINDS = {"": "Все", "tp": "Заявки ТП", "message": "Сообщения"}
STATES = {"active": "Активные", "archive": "Архив", "all": "Все"}
NUMBERED = {"": "Все", "yes": "С номером", "no": "Без номера"}
COMPLIES = {"": "Все", "yes": "Соответствует п.14 / п.12(1)", "no": "Не соответствует"}
NUMBER_STATUS = "Присвоен регистрационный номер"

Unread = AppealUnread.alias()  # the organisation's row, distinct from any other use


@dataclass(frozen=True)
class Filters:
    """The list's filters, sort and cursor as they live in the query string."""
    q: str = ""
    kind: str = ""
    state: str = "active"
    numbered: str = ""
    status: str = ""
    supplier: str = ""
    power: str = ""
    complies: str = ""
    date_from: str = ""
    date_to: str = ""
    unread: str = ""
    sort: str = "updated_desc"
    after: str = ""
    before: str = ""

    @classmethod
    def from_args(cls, args, preset: str) -> "Filters":
        """Parse request.args; values outside the allowed sets fall back to defaults."""
        def pick(name, allowed, default=""):
            value = (args.get(name) or "").strip()
            return value if value in allowed else default
        state = {"inbox": "active", "archive": "archive"}.get(preset) or pick("state", STATES, "active")
        supplier = (args.get("supplier") or "").strip()
        if supplier != "none" and record_id(supplier) is None:
            supplier = ""
        return cls(
            q=" ".join((args.get("q") or "").split())[:200], kind=pick("kind", KINDS),
            state=state, numbered="no" if preset == "inbox" else pick("numbered", NUMBERED),
            status=(args.get("status") or "").strip()[:500], supplier=supplier,
            power=pick("power", Appeal.POWER_CHOICES), complies=pick("complies", COMPLIES),
            date_from=_date_arg(args.get("date_from")), date_to=_date_arg(args.get("date_to")),
            unread="1" if args.get("unread") else "", sort=pick("sort", SORTS, "updated_desc"),
            after=(args.get("after") or "")[:64], before=(args.get("before") or "")[:64])

    def args(self, **changes) -> dict:
        """Query-string arguments: non-default values only; cursors dropped unless given."""
        view = replace(self, **{"after": "", "before": "", **changes})
        defaults = Filters()
        return {f.name: getattr(view, f.name) for f in fields(self)
                if getattr(view, f.name) != getattr(defaults, f.name)}

    @property
    def any_set(self) -> bool:
        """True when a filter beyond the view's preset narrows the list."""
        return any((self.q, self.kind, self.status, self.supplier, self.power, self.complies,
                    self.date_from, self.date_to, self.unread))


def _date_arg(value) -> str:
    """An ISO date of «Создано с … по», or "" (no bound) for anything else: a malformed
    date, or one at the calendar's ends (0001-01-01, 9999-12-31), whose Moscow midnight or
    next day has no datetime — and which bounds nothing anyway."""
    value = (value or "").strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return ""
    return day.isoformat() if dt.date.min < day < dt.date.max else ""


def _utc_start_of(day: str) -> dt.datetime:
    """Midnight of a Moscow date as naive UTC."""
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=MOSCOW)
    return start.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _narrowed(query, user: User, f: Filters, counting: bool = False):
    """Apply the visibility scope and every filter of `f` to a SELECT on Appeal
    (`counting`: for a capped count, which plans the text search differently)."""
    query = query.where(visible_condition(user))
    if f.state != "all":
        query = query.where(Appeal.state == f.state)
    if f.kind:
        query = query.where(Appeal.kind == f.kind)
    if f.numbered:
        query = query.where(_numbered(f.numbered == "yes"))
    if f.status == NUMBER_STATUS:
        query = query.where(Appeal.last_status_kind == StatusEvent.NUMBER)
    elif f.status:
        query = query.where(Appeal.last_status == f.status)
    if f.supplier == "none":
        query = query.where((Appeal.kind == Appeal.TP) & Appeal.supplier.is_null(True))
    elif f.supplier:
        query = query.where(Appeal.supplier == int(f.supplier))
    if f.power:
        query = query.where(Appeal.power == f.power)
    if f.complies:
        query = query.where(Appeal.complies == (f.complies == "yes"))
    if f.date_from or f.date_to:
        query = _created_between(query, f, counting)
    # f.unread: see _with_unread, joined by list_query and count_query.
    return text_search(query, f.q, PAGE_SIZE, counting=counting)


def _with_unread(query, user: User, f: Filters):
    """Join the user's organisation's appeal_unread row (at most one per appeal, by the
    unique index): a plain join for the «Непрочитанные» filter — the page walks the rows'
    (organisation, date, appeal) index in page order (sort_keys), the count just reads
    them — and a left join otherwise, for the row's mark. A join rather than EXISTS in
    the select list: PostgreSQL would read every row of the organisation into a hash to
    answer EXISTS for 26 rows."""
    condition = ((Unread.appeal == Appeal.id)
                 & (Unread.organization == access.staff_organization_id(user)))
    return query.join_from(Appeal, Unread, JOIN.INNER if f.unread else JOIN.LEFT_OUTER,
                           on=condition, attr="unread_row")


def _numbered(yes: bool):
    """Condition «has a registration number» (a number is never stored empty).

    SQLite: COALESCE keeps its planner off the (organization, reg_number) index, which it
    would skip-scan for every unnumbered row and then sort them; the date index stops
    after one page. PostgreSQL: plain IS NULL, whose share its statistics know (it takes
    COALESCE(…) = '' for 0.5 % of the rows and then sorts thousands to count a few)."""
    if is_postgres():
        return Appeal.reg_number.is_null(not yes)
    return (fn.COALESCE(Appeal.reg_number, "") != "") if yes \
        else (fn.COALESCE(Appeal.reg_number, "") == "")


def sort_keys(f: Filters):
    """(date column, id column, descending) the page is ordered and paged by: the appeal's,
    or for «Непрочитанные» their copies in appeal_unread, whose index is in that order."""
    field, descending, _label = SORTS[f.sort]
    if f.unread:
        return getattr(Unread, field), Unread.appeal, descending
    return getattr(Appeal, field), Appeal.id, descending


def _created_between(query, f: Filters, counting: bool):
    """The «Создано с … по» filter.

    Sorted by creation, the created_at index gives the range in page order. Sorted by
    update, SQLite would still take the range from the created_at index and sort all of
    it; a wide range is cheaper found by walking the updated_at index (updated_at is never
    before created_at, so `updated_at >= from` bounds that walk), a narrow one by the
    range: a capped count of the range's index entries tells which. PostgreSQL's planner
    knows the range's size from its statistics and gets the plain range."""
    start = _utc_start_of(f.date_from) if f.date_from else None
    end = _utc_start_of((dt.date.fromisoformat(f.date_to) + dt.timedelta(days=1)).isoformat()) \
        if f.date_to else None
    column = Appeal.created_at
    if is_postgres():  # its planner judges the range; a second date bound only misleads it
        return query.where(*[c for c in ((column >= start) if start else None,
                                         (column < end) if end else None) if c is not None])
    query = query.where(Appeal.updated_at >= start) if start else query
    if not counting and SORTS[f.sort][0] != "created_at":
        in_range = Appeal.select(Appeal.id)
        for bound in ((column >= start) if start else None, (column < end) if end else None):
            if bound is not None:
                in_range = in_range.where(bound)
        if in_range.limit(DATE_RANGE_PROBE + 1).count() > DATE_RANGE_PROBE:
            column = fn.COALESCE(Appeal.created_at, Appeal.created_at)  # not the index
    if start:
        query = query.where(column >= start)
    if end:
        query = query.where(column < end)
    return query


def list_query(user: User, f: Filters):
    """The appeals the user may see that match the filters, with related rows joined.

    Each row carries `staff_unread`: unread for the user's organisation (its appeal_unread
    row, joined in the same SELECT by a unique-index lookup)."""
    query = (Appeal.select(
        Appeal.id, Appeal.kind, Appeal.state, Appeal.reg_number, Appeal.subject, Appeal.power,
        Appeal.scheme, Appeal.complies, Appeal.last_status, Appeal.created_at,
        Appeal.updated_at, Unread.appeal.is_null(False).alias("staff_unread"),
        Appeal.organization, Appeal.supplier, Appeal.applicant,
        User.id, User.legal_form, User.last_name, User.first_name, User.middle_name,
        User.company_name, User.email)
        .join(User, on=(Appeal.applicant == User.id), attr="applicant"))
    # The recipient and the supplier come from the page's organisations (_organizations):
    # a handful of rows, where two more joins cost PostgreSQL more planning than running.
    return _narrowed(_with_unread(query, user, f), user, f)


def count_query(user: User, f: Filters):
    """The same rows as list_query without the joins, for counting."""
    query = Appeal.select(Appeal.id)
    if f.unread:
        query = _with_unread(query, user, f)
    return _narrowed(query, user, f, counting=True)


def _bounded(query, column, descending: bool, f: Filters):
    """Add `column <= cursor` (or >=) so the keyset range starts in the index, not at its
    first entry: keyset_page's (date < x OR date = x AND id < y) alone is not a range."""
    backward = bool(f.before) and decode_cursor(f.before) is not None
    cursor = decode_cursor(f.before if backward else f.after)
    if not cursor:
        return query
    moment = cursor[0]
    return query.where(column <= moment if descending != backward else column >= moment)


_over_cap: dict = {}


def estimated_total(make_query, key, order=()) -> tuple[int, bool]:
    """How many rows of `make_query()` match, counted up to COUNT_CAP; (count, capped).

    Counting up to the cap reads at least that many rows; a result over the cap is
    remembered for COUNT_TTL seconds (per process) under `key` (what decides the rows:
    the filters and who looks), so paging through a long list and returning to it do not
    count again. Exact (small) counts are always fresh.
    `order` (PostgreSQL, no text search): the list's order, so the planner walks the
    index the page walks and stops at the cap, rather than AND-ing bitmaps of every
    matching row (a filter's capped count: 6-8 ms that way, under 1.5 ms this way)."""
    key = (db.database, COUNT_CAP, key)
    now = time.monotonic()
    if now - _over_cap.get(key, -COUNT_TTL) < COUNT_TTL:
        return COUNT_CAP, True
    # peewee's count() drops ORDER BY: wrap the capped SELECT by hand.
    sql, params = make_query().order_by(*order).limit(COUNT_CAP + 1).sql()
    capped = db.execute_sql(f"SELECT COUNT(1) FROM ({sql}) AS _capped", params).fetchone()[0]
    if capped > COUNT_CAP:
        if len(_over_cap) > 1000:
            _over_cap.clear()
        _over_cap[key] = now
    return min(capped, COUNT_CAP), capped > COUNT_CAP


def _organizations(rows) -> list:
    """Every organisation (the grid company and the suppliers: a handful) in one query:
    attached to the page's rows as recipient and supplier, the suppliers for the filter,
    and the grid company and the clerk's organisation the layout shows (its context
    processor and header would otherwise each ask for theirs)."""
    everyone = list(Organization.select(Organization.id, Organization.name, Organization.kind)
                    .order_by(Organization.name))
    by_id = {o.id: o for o in everyone}
    for row in rows:
        row.organization = by_id.get(row.organization_id)
        row.supplier = by_id.get(row.supplier_id) if row.supplier_id else None
    grids = [o for o in everyone if o.kind == Organization.GRID]
    if grids and "grid_org" not in g:
        g.grid_org = min(grids, key=lambda o: o.id)  # Organization.grid(): the first one
    if current_user.organization_id in by_id:
        current_user.organization = by_id[current_user.organization_id]
    return [o for o in everyone if o.kind == Organization.SUPPLIER]


class AppealListView(StaffMixin, BaseView):
    """One list of appeals; `preset` fixes what the menu item means."""
    preset = "all"
    title = "Все обращения"

    @expose("/")
    def index(self):
        """The list page: filters, search, sort, keyset pages, an estimated total."""
        f = Filters.from_args(request.args, self.preset)
        column, id_column, descending = sort_keys(f)
        query = _bounded(list_query(current_user, f), column, descending, f)
        page = keyset_page(query, column, descending, f, PAGE_SIZE, id_column=id_column)
        if not (f.after or f.before) and not page.next_cursor:
            total, capped = len(page.rows), False  # everything is on this one page
        else:
            # PostgreSQL counts a search through its trigram bitmap (which the order
            # would make it sort); anything else along the page's index.
            order = ((column.desc(), id_column.desc()) if descending
                     else (column.asc(), id_column.asc())) \
                if is_postgres() and not words_of(f.q) else ()
            who = (current_user.role, current_user.organization_id)  # decide visibility
            total, capped = estimated_total(lambda: count_query(current_user, f),
                                            (who, replace(f, after="", before="")), order)
        statuses = [s.name for s in StatusCatalog.select(StatusCatalog.name)
                    .order_by(StatusCatalog.sort_order, StatusCatalog.name)]
        suppliers = _organizations(page.rows)
        return self.render("backoffice/appeal_list.html", f=f, page=page, total=total,
                           details_url=url_for("appeals.details", appeal_id=0)[:-1],
                           capped=capped, preset=self.preset, title=self.title,
                           sorts=SORTS, kinds=KINDS, states=STATES, numbered=NUMBERED,
                           complies=COMPLIES, powers=Appeal.POWER_CHOICES,
                           statuses=[NUMBER_STATUS, *statuses], suppliers=suppliers,
                           is_supplier=current_user.role == User.SUPPLIER_CLERK)


class InboxView(AppealListView):
    """«Входящие»: sent and not yet numbered."""
    preset = "inbox"
    title = "Входящие"


class ArchiveView(AppealListView):
    """«Архив»: archived appeals."""
    preset = "archive"
    title = "Архив"


LAYOUT_CACHE = "backoffice_layout_blocks"  # app.extensions key of the cache below
NONCE_SLOT = "{csp-nonce}"  # where a cached block had its request's nonce


def layout_part(name: str, render) -> Markup:
    """A block of Flask-Admin's layout rendered once per app (so per worker process) and
    reused: the menu and the style and script links depend only on the clerk's role and
    the page (the views' access rules are by role), and rebuilding them — a url_for per
    menu item and link — was a fifth of the list page's time. `render` is the block's
    `super`. A render cache only (it runs no query), for the lists' template
    (backoffice/appeal_list.html). The request's CSP nonce in Flask-Admin's tags is kept
    as a placeholder and each request's own put back."""
    cache = current_app.extensions[LAYOUT_CACHE]
    key = (name, current_user.role, request.endpoint, request.script_root)
    nonce = csp_nonce()
    html = cache.get(key)
    if html is None:
        html = cache[key] = str(render()).replace(nonce, NONCE_SLOT)
    return Markup(html.replace(NONCE_SLOT, nonce))


def register_layout_cache(app):
    """Give the app its (empty) cache of layout blocks and the templates `layout_part`."""
    app.extensions[LAYOUT_CACHE] = {}
    app.jinja_env.globals["layout_part"] = layout_part
