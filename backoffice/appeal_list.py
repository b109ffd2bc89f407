"""«Обращения» in the back office: the lists Входящие, Все обращения and Архив.

The lists are our own (not Flask-Admin's stock ModelView), built by
domain.appeals.listing.queries (one SELECT per page, keyset paging, a capped count): this
module is the view — the presets, the organisations attached to the page's rows from one
small query, rendering, and the layout_part cache. Every row, page, download and action
is scoped through domain.appeals.access. Measured with `python -m bench backoffice` at
100,000 appeals.
"""
from flask import current_app, g, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup

from backoffice.access import StaffMixin
from domain.appeals.listing.filters import NUMBER_STATUS
from domain.appeals.listing.params import COMPLIES, KINDS, NUMBERED, STAFF, ListParams
from domain.appeals.listing.queries import staff_page
from domain.deadlines import due
from domain.response_headers import csp_nonce
from models import Appeal, Organization, StatusCatalog, User

PAGE_SIZE = 25
# What each list imposes whatever its URL says.
PRESETS = {"all": {}, "inbox": {"state": Appeal.ACTIVE, "numbered": "no"},
           "archive": {"state": Appeal.ARCHIVE}}


def staff_params(args, preset: str) -> ListParams:
    """The list's view from the query string (request.args or any mapping) under `preset`."""
    return ListParams.from_args(args, STAFF, PRESETS[preset])


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
        f = staff_params(request.args, self.preset)
        page, total, capped = staff_page(current_user, f, PAGE_SIZE)
        statuses = [s.name for s in StatusCatalog.select(StatusCatalog.name)
                    .order_by(StatusCatalog.sort_order, StatusCatalog.name)]
        suppliers = _organizations(page.rows)
        return self.render("backoffice/appeal_list.html", f=f, page=page, total=total,
                           details_url=url_for("appeals.details", appeal_id=0)[:-1],
                           capped=capped, preset=self.preset, title=self.title,
                           sorts=STAFF.sort_labels(), kinds=KINDS,
                           states=STAFF.state_labels(), numbered=NUMBERED,
                           complies=COMPLIES, powers=Appeal.POWER_CHOICES,
                           terms=due.TERM_FILTERS,
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
