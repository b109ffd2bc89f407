"""«Обращения» in the back office: Входящие, Все обращения, Архив and the appeal's page.

The lists are our own (not Flask-Admin's stock ModelView): one SELECT per page with the
applicant and organisations joined in, keyset paging by (date, id) so page 2,000 costs
what page 1 does, and a capped count instead of COUNT(*) over everything. The text
search is the portal's (appeal_queries.text_search on the casefolded search column).
Every row, page, download and action is scoped through backoffice.scoping.
"""
import datetime as dt
from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from peewee import JOIN, fn

import casework
import storage
from appeal_queries import decode_cursor, keyset_page, text_search
from backoffice.access import StaffMixin
from backoffice.scoping import appeal_or_404, document_or_404, visible_condition
from models import (Appeal, Document, Organization, Post, Signature, StatusCatalog,
                    StatusEvent, User, utcnow)
from sanitize import clean_html

MOSCOW = ZoneInfo("Europe/Moscow")
PAGE_SIZE = 25
COUNT_CAP = 1000

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

Supplier = Organization.alias()


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
    # COALESCE keeps the planner off the (organization, reg_number) index, which would
    # fetch every unnumbered row and sort them; the date index stops after one page.
    if f.numbered == "yes":
        query = query.where(fn.COALESCE(Appeal.reg_number, "") != "")
    elif f.numbered == "no":
        query = query.where(fn.COALESCE(Appeal.reg_number, "") == "")
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
    if f.date_from:
        query = query.where(Appeal.created_at >= _utc_start_of(f.date_from))
    if f.date_to:
        next_day = (dt.date.fromisoformat(f.date_to) + dt.timedelta(days=1)).isoformat()
        query = query.where(Appeal.created_at < _utc_start_of(next_day))
    if f.unread:
        query = query.where(casework.unread_for_staff_condition(
            casework.staff_organization_id(user)))
    return text_search(query, f.q, PAGE_SIZE, counting=counting)


def list_query(user: User, f: Filters):
    """The appeals the user may see that match the filters, with related rows joined.

    Each row carries `staff_unread`: unread for the user's organisation (computed in the
    same SELECT by an indexed lookup of that organisation's AppealSeen row)."""
    unread = casework.unread_for_staff_condition(casework.staff_organization_id(user))
    query = (Appeal.select(
        Appeal.id, Appeal.kind, Appeal.state, Appeal.reg_number, Appeal.subject, Appeal.power,
        Appeal.scheme, Appeal.complies, Appeal.last_status, Appeal.created_at,
        Appeal.updated_at, Appeal.sent_at, Appeal.applicant_activity_at,
        unread.alias("staff_unread"),
        Appeal.organization, Appeal.supplier, Appeal.applicant,
        User.id, User.legal_form, User.last_name, User.first_name, User.middle_name,
        User.company_name, User.email,
        Organization.id, Organization.name, Organization.kind, Supplier.id, Supplier.name)
        .join(User, on=(Appeal.applicant == User.id), attr="applicant")
        .switch(Appeal).join(Organization, on=(Appeal.organization == Organization.id),
                             attr="organization")
        .switch(Appeal).join(Supplier, JOIN.LEFT_OUTER, on=(Appeal.supplier == Supplier.id),
                             attr="supplier"))
    return _narrowed(query, user, f)


def count_query(user: User, f: Filters):
    """The same rows as list_query without the joins, for counting."""
    return _narrowed(Appeal.select(Appeal.id), user, f, counting=True)


def _bounded(query, column, descending: bool, f: Filters):
    """Add `column <= cursor` (or >=) so the keyset range starts in the index, not at its
    first entry: keyset_page's (date < x OR date = x AND id < y) alone is not a range."""
    backward = bool(f.before) and decode_cursor(f.before) is not None
    cursor = decode_cursor(f.before if backward else f.after)
    if not cursor:
        return query
    moment = cursor[0]
    return query.where(column <= moment if descending != backward else column >= moment)


def estimated_total(query) -> tuple[int, bool]:
    """How many rows match, counted up to COUNT_CAP; (count, capped)."""
    capped = query.order_by().limit(COUNT_CAP + 1).count()
    return min(capped, COUNT_CAP), capped > COUNT_CAP


class AppealListView(StaffMixin, BaseView):
    """One list of appeals; `preset` fixes what the menu item means."""
    preset = "all"
    title = "Все обращения"

    @expose("/")
    def index(self):
        """The list page: filters, search, sort, keyset pages, an estimated total."""
        f = Filters.from_args(request.args, self.preset)
        field, descending, _label = SORTS[f.sort]
        column = getattr(Appeal, field)
        query = _bounded(list_query(current_user, f), column, descending, f)
        page = keyset_page(query, column, descending, f, PAGE_SIZE)
        if not (f.after or f.before) and not page.next_cursor:
            total, capped = len(page.rows), False  # everything is on this one page
        else:
            total, capped = estimated_total(count_query(current_user, f))
        statuses = [s.name for s in StatusCatalog.select(StatusCatalog.name)
                    .order_by(StatusCatalog.sort_order, StatusCatalog.name)]
        suppliers = list(Organization.select(Organization.id, Organization.name)
                         .where(Organization.kind == Organization.SUPPLIER)
                         .order_by(Organization.name))
        return self.render("backoffice/appeal_list.html", f=f, page=page, total=total,
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
            values=values or {}, can=lambda action: casework.may(current_user, appeal, action),
            unread=casework.unread_for_staff(appeal, current_user))
        return html, status

    @expose("/<int:appeal_id>")
    def details(self, appeal_id):
        """The appeal's page; opening it marks the applicant's data read by staff."""
        opened = utcnow()  # what the page shows was written before this moment
        appeal = appeal_or_404(appeal_id)
        result = self._page(appeal)
        casework.mark_seen_by_staff(appeal, current_user, opened)
        return result

    def _act(self, appeal_id, action, run, success, values=None):
        """Run one casework operation; a refusal re-renders the page with the message."""
        appeal = appeal_or_404(appeal_id, action=action)
        try:
            result = run(appeal)
        except casework.CaseworkError as exc:
            return self._page(appeal, errors={exc.field or action: str(exc)},
                              values=values or {}, status=400)
        flash(success(result) if callable(success) else success, "success")
        return redirect(url_for(".details", appeal_id=appeal.id))

    @expose("/<int:appeal_id>/number", methods=("POST",))
    def number(self, appeal_id):
        """«Присвоить регистрационный номер»: blank means the next number."""
        typed = request.form.get("number", "")
        return self._act(appeal_id, casework.NUMBER,
                         lambda a: casework.assign_number(a, current_user, typed),
                         lambda number: f"Присвоен регистрационный номер: {number}",
                         {"number": typed})

    @expose("/<int:appeal_id>/status", methods=("POST",))
    def status(self, appeal_id):
        """«Добавить статус»: the free text wins over the catalogue choice."""
        text = (request.form.get("custom_status") or "").strip() or request.form.get("status", "")
        return self._act(appeal_id, casework.STATUS,
                         lambda a: casework.add_status(a, current_user, text),
                         f"Добавлен статус: {' '.join(text.split())}",
                         {"status": request.form.get("status", ""),
                          "custom_status": request.form.get("custom_status", "")})

    @expose("/<int:appeal_id>/post", methods=("POST",))
    def post(self, appeal_id):
        """The reply box: rich text (sanitised) and attachments."""
        body = request.form.get("body", "")
        files = request.files.getlist("files")
        return self._act(appeal_id, casework.POST,
                         lambda a: casework.add_staff_post(a, current_user, body, files),
                         "Ответ отправлен заявителю", {"body": body})

    @expose("/<int:appeal_id>/document", methods=("POST",))
    def document(self, appeal_id):
        """«Разместить документ»: file, type, whether the applicant must sign."""
        file = request.files.get("file")
        doc_type = request.form.get("doc_type", "")
        sign = bool(request.form.get("needs_signature"))
        return self._act(appeal_id, casework.DOCUMENT,
                         lambda a: casework.place_document(a, current_user, file, doc_type, sign),
                         "Документ размещен", {"doc_type": doc_type, "needs_signature": sign})

    @expose("/<int:appeal_id>/archive", methods=("POST",))
    def to_archive(self, appeal_id):
        """«В архив»."""
        return self._act(appeal_id, casework.ARCHIVE,
                         lambda a: casework.archive(a, current_user),
                         "Обращение перемещено в архив")

    @expose("/<int:appeal_id>/unarchive", methods=("POST",))
    def from_archive(self, appeal_id):
        """«Из архива»."""
        return self._act(appeal_id, casework.ARCHIVE,
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


def add_views(admin):
    """Register the «Обращения» menu: Входящие, Все обращения, Архив."""
    category = "Обращения"
    admin.add_view(InboxView(name="Входящие", endpoint="appeals_inbox",
                             url="inbox", category=category))
    admin.add_view(AppealView(name="Все обращения", endpoint="appeals",
                              url="appeals", category=category))
    admin.add_view(ArchiveView(name="Архив", endpoint="appeals_archive",
                               url="archive", category=category))
