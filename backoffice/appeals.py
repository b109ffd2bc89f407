"""«Обращения» in the back office: Входящие, Все обращения, Архив and the appeal's page.

The lists are our own (not Flask-Admin's stock ModelView): one SELECT per page with the
applicant and the organisation's unread mark (appeal_unread, see staff_unread.py) joined
in, the organisations attached from one small query, keyset paging by (date, id) so page
2,000 costs what page 1 does, and a capped count instead of COUNT(*) over everything
(remembered for a minute when over the cap). Each filter has an index in page order
(Appeal.Meta.indexes, appeal_unread's) or is common enough for the date index to find a
page quickly. The text search is the portal's (appeal_queries.text_search on the
casefolded search column). Every row, page, download and action is scoped through
backoffice.scoping. Measured with `python -m bench backoffice` at 100,000 appeals.
"""
import datetime as dt
import time
from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup
from peewee import JOIN, fn

from backoffice.access import StaffMixin
from backoffice.scoping import appeal_or_404, document_or_404
from domain.appeals import access, casework, read_marks
from domain.appeals.access import visible_condition
from domain.appeals.listing import decode_cursor, keyset_page, text_search, words_of
from domain.errors import Refusal
from domain.files import storage
from domain.text import clean_html
from models import (
    Appeal,
    AppealUnread,
    Document,
    Organization,
    Post,
    Signature,
    StatusCatalog,
    StatusEvent,
    User,
    db,
    is_postgres,
    utcnow,
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
        if supplier != "none" and not supplier.isdigit():
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
    value = (value or "").strip()
    try:
        dt.date.fromisoformat(value)
        return value
    except ValueError:
        return ""


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
        query = query.where(Appeal.last_status.startswith(NUMBER_STATUS))
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


class AppealView(AppealListView):
    """«Все обращения» and every appeal's page with its actions."""
    preset = "all"
    title = "Все обращения"

    def _page(self, appeal: Appeal, errors=None, values=None, status=200):
        """Render the appeal's page; errors/values keep a refused form's input."""
        applicant = User.get_by_id(appeal.applicant_id)
        appeal.applicant = applicant
        documents = list(Document.select(Document, Organization)
                         .join(Organization, JOIN.LEFT_OUTER,
                               on=(Document.organization == Organization.id),
                               attr="organization")
                         .where(Document.appeal == appeal.id)
                         .order_by(Document.created_at, Document.id))
        signatures = {}
        if documents:
            for sig in Signature.select().where(Signature.document.in_([d.id for d in documents])):
                signatures.setdefault(sig.document_id, []).append(sig)
        groups = {}
        for doc in documents:
            title = ("Документы заявителя" if doc.party == Post.APPLICANT
                     else f"Документы {doc.organization.name if doc.organization else ''}".strip())
            groups.setdefault(title, []).append(doc)
        posts = list(Post.select(Post, Organization)
                     .join(Organization, JOIN.LEFT_OUTER, on=(Post.organization == Organization.id),
                           attr="organization")
                     .where(Post.appeal == appeal.id).order_by(Post.created_at, Post.id))
        for post in posts:
            post.safe_html = clean_html(post.body_html)
        events = list(StatusEvent.select(StatusEvent, Organization)
                      .join(Organization, JOIN.LEFT_OUTER,
                            on=(StatusEvent.organization == Organization.id), attr="organization")
                      .where(StatusEvent.appeal == appeal.id)
                      .order_by(StatusEvent.created_at, StatusEvent.id))
        statuses = [s.name for s in StatusCatalog.select().where(StatusCatalog.active == True)  # noqa: E712
                    .order_by(StatusCatalog.sort_order, StatusCatalog.name)]
        html = self.render(
            "backoffice/appeal_page.html", appeal=appeal, applicant=applicant, groups=groups,
            signatures=signatures, posts=posts, events=events, statuses=statuses,
            doc_types=[t.name for t in casework.organization_document_types()],
            comment_html=clean_html(appeal.comment_html), errors=errors or {},
            values=values or {}, can=lambda action: access.may(current_user, appeal, action),
            unread=read_marks.unread_for_staff(appeal, current_user))
        return html, status

    @expose("/<int:appeal_id>")
    def details(self, appeal_id):
        """The appeal's page; opening it marks the applicant's data read by staff."""
        opened = utcnow()  # what the page shows was written before this moment
        appeal = appeal_or_404(appeal_id)
        result = self._page(appeal)
        read_marks.mark_seen_by_staff(appeal, current_user, opened)
        return result

    def _act(self, appeal_id, action, run, success, values=None):
        """Run one casework operation; a refusal re-renders the page with the message."""
        appeal = appeal_or_404(appeal_id, action=action)
        try:
            result = run(appeal)
        except Refusal as exc:
            return self._page(appeal, errors={exc.field or action: str(exc)},
                              values=values or {}, status=400)
        flash(success(result) if callable(success) else success, "success")
        return redirect(url_for(".details", appeal_id=appeal.id))

    @expose("/<int:appeal_id>/number", methods=("POST",))
    def number(self, appeal_id):
        """«Присвоить регистрационный номер»: blank means the next number."""
        typed = request.form.get("number", "")
        return self._act(appeal_id, access.NUMBER,
                         lambda a: casework.assign_number(a, current_user, typed),
                         lambda number: f"Присвоен регистрационный номер: {number}",
                         {"number": typed})

    @expose("/<int:appeal_id>/status", methods=("POST",))
    def status(self, appeal_id):
        """«Добавить статус»: the free text wins over the catalogue choice."""
        text = (request.form.get("custom_status") or "").strip() or request.form.get("status", "")
        return self._act(appeal_id, access.STATUS,
                         lambda a: casework.add_status(a, current_user, text),
                         f"Добавлен статус: {' '.join(text.split())}",
                         {"status": request.form.get("status", ""),
                          "custom_status": request.form.get("custom_status", "")})

    @expose("/<int:appeal_id>/post", methods=("POST",))
    def post(self, appeal_id):
        """The reply box: rich text (sanitised) and attachments."""
        body = request.form.get("body", "")
        files = request.files.getlist("files")
        return self._act(appeal_id, access.POST,
                         lambda a: casework.add_staff_post(a, current_user, body, files),
                         "Ответ отправлен заявителю", {"body": body})

    @expose("/<int:appeal_id>/document", methods=("POST",))
    def document(self, appeal_id):
        """«Разместить документ»: file, type, whether the applicant must sign."""
        file = request.files.get("file")
        doc_type = request.form.get("doc_type", "")
        sign = bool(request.form.get("needs_signature"))
        return self._act(appeal_id, access.DOCUMENT,
                         lambda a: casework.place_document(a, current_user, file, doc_type, sign),
                         "Документ размещен", {"doc_type": doc_type, "needs_signature": sign})

    @expose("/<int:appeal_id>/archive", methods=("POST",))
    def to_archive(self, appeal_id):
        """«В архив»."""
        return self._act(appeal_id, access.ARCHIVE,
                         lambda a: casework.archive(a, current_user),
                         "Обращение перемещено в архив")

    @expose("/<int:appeal_id>/unarchive", methods=("POST",))
    def from_archive(self, appeal_id):
        """«Из архива»."""
        return self._act(appeal_id, access.ARCHIVE,
                         lambda a: casework.unarchive(a, current_user),
                         "Обращение возвращено из архива")

    @expose("/<int:appeal_id>/documents/<int:document_id>")
    def download(self, appeal_id, document_id):
        """A document's file, for staff who may see the appeal."""
        appeal = appeal_or_404(appeal_id)
        document = document_or_404(appeal, document_id)
        try:
            handle = storage.open_file(document.storage_key)
        except (OSError, ValueError):
            abort(404)
        return send_file(handle, mimetype=document.content_type or "application/octet-stream",
                         as_attachment=True, download_name=document.file_name,
                         max_age=0, etag=document.sha256)


_layout_parts: dict = {}


def layout_part(name: str, render) -> Markup:
    """A block of Flask-Admin's layout rendered once per process and reused: the menu and
    the style and script links depend only on the clerk's role and the page (the views'
    access rules are by role), and rebuilding them — a url_for per menu item and link —
    was a fifth of the list page's time. `render` is the block's `super`."""
    key = (name, current_user.role, request.endpoint, request.script_root)
    html = _layout_parts.get(key)
    if html is None:
        html = _layout_parts[key] = Markup(render())
    return html


def add_views(admin):
    """Register the «Обращения» menu: Входящие, Все обращения, Архив."""
    admin.app.jinja_env.globals["layout_part"] = layout_part
    category = "Обращения"
    admin.add_view(InboxView(name="Входящие", endpoint="appeals_inbox",
                             url="inbox", category=category))
    admin.add_view(AppealView(name="Все обращения", endpoint="appeals",
                              url="appeals", category=category))
    admin.add_view(ArchiveView(name="Архив", endpoint="appeals_archive",
                               url="archive", category=category))
