"""The back office's home page: what needs doing, counted for the clerk's organisation.

Each count is the capped count the lists show («более 200»), made by the lists' own
helper (domain.appeals.listing.queries.staff_count) over the lists' own queries, so a
number and the list its link opens always agree:

- «Входящие»: sent and not yet numbered (a supplier clerk: messages to the supplier);
- «Непрочитанные»: the «Все обращения» list with its «Непрочитанные» filter;
- «Документы ждут подписи организации»: documents the organisation placed that the
  applicant must sign, without the organisation's signature yet (domain/signing/state.py offers a
  document to the applicant only once that signature is on it);
- «Ожидают подписи заявителя»: those the organisation signed, the applicant not yet
  (both read document.awaiting, kept by database triggers: domain/signing/awaiting.py);
- «Неподтвержденные учетные записи» (grid staff only): applicants with confirmed = False;
- «Просрочено», «Истекает сегодня», «Истекает завтра», «Ход заявителя»: the open terms of
  the «Сроки» board under that filter (a supplier's clerk: its supplier's), each linked to
  the filtered board.

The documents have no list of their own: the page shows the newest few, each linked to
its appeal. Everything is scoped by backoffice.scoping.visible_condition.
"""
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from backoffice.access import StaffMixin
from backoffice.appeal_list import staff_params
from domain.appeals import access
from domain.appeals.access import visible_condition
from domain.appeals.listing.counting import estimated_total
from domain.appeals.listing.params import ListParams
from domain.appeals.listing.queries import staff_count
from domain.deadlines import due
from domain.deadlines.board import board_count
from models import Appeal, Document, User

DOCUMENTS_SHOWN = 10  # the newest documents listed under each signing count


@dataclass
class Tile:
    """One count on the page: its label, number, whether capped, and where it leads."""
    label: str
    total: int
    capped: bool
    url: str
    hint: str = ""
    rows: list = field(default_factory=list)

    @property
    def shown(self) -> str:
        """«более 200» over the cap, the number otherwise (the lists' wording)."""
        return f"более {self.total}" if self.capped else str(self.total)


def inbox_filters(user: User) -> tuple[ListParams, dict]:
    """The «Входящие» list as the clerk needs it, and its URL arguments: a supplier clerk
    numbers only the messages addressed to the supplier (ТП applications are the grid's)."""
    args = {"kind": Appeal.MESSAGE} if user.role == User.SUPPLIER_CLERK else {}
    return staff_params(args, "inbox"), args


def _documents(user: User, org_id: int, awaiting: str, *columns):
    """The organisation's documents waiting for `awaiting`'s signature (document.awaiting,
    kept by the triggers of domain/signing/awaiting.py) in active appeals the clerk may see, by the
    (organisation, awaiting, created_at) index."""
    return (Document.select(*columns)
            .join(Appeal, on=(Document.appeal == Appeal.id))
            .where((Document.organization == org_id) & (Document.awaiting == awaiting)
                   & (Appeal.state == Appeal.ACTIVE) & visible_condition(user)))


def _document_tile(user: User, org_id: int, awaiting: str, label: str, hint: str,
                   anchor) -> Tile:
    """A signing count with the newest few documents linked to their appeals."""
    order = (Document.created_at.desc(), Document.id.desc())
    total, capped = estimated_total(
        lambda: _documents(user, org_id, awaiting, Document.id),
        ("home-documents", awaiting, user.role, org_id), order)
    rows = []
    if total:
        for doc in (_documents(user, org_id, awaiting, Document.id, Document.doc_type,
                               Document.file_name, Document.created_at,
                               Appeal.id.alias("appeal_id"), Appeal.reg_number, Appeal.kind)
                    .order_by(*order).limit(DOCUMENTS_SHOWN).dicts()):
            doc["url"] = url_for("appeals.details", appeal_id=doc["appeal_id"]) + anchor(doc)
            rows.append(doc)
    return Tile(label, total, capped, "", hint, rows)


def unconfirmed_applicants() -> tuple[int, bool]:
    """Capped count of applicant accounts not yet confirmed in the office."""
    return estimated_total(
        lambda: User.select(User.id).where((User.role == User.APPLICANT)
                                           & (User.confirmed == False)),  # noqa: E712
        ("unconfirmed-applicants",))


def applicants_url(confirmed: bool) -> str:
    """«Заявители» filtered by «Учетная запись подтверждена» (Flask-Admin's filter URL)."""
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == "applicants" and getattr(view, "_filter_args", None):
                for arg, (_index, flt) in view._filter_args.items():
                    if getattr(flt, "column", None) is User.confirmed:
                        return url_for("applicants.index_view",
                                       **{f"flt0_{arg}": "1" if confirmed else "0"})
    return url_for("applicants.index_view")


TERM_HINTS = {
    due.OVERDUE: "сроки по Правилам 861 истекли, шаг не сделан",
    due.TODAY: "последний день срока — сегодня",
    due.TOMORROW: "последний день срока — следующий рабочий день",
    due.APPLICANT_MOVE: "ожидается действие заявителя",
}


def term_tiles(user: User) -> list[Tile]:
    """The board's counts under each «Срок» filter (the moment taken once for all four)."""
    moment = due.now()
    result = []
    for term, hint in TERM_HINTS.items():
        if term == due.APPLICANT_MOVE and user.role == User.SUPPLIER_CLERK:
            continue  # a supplier's clerk sees only its supplier's terms: never the applicant's
        total, capped = board_count(user, term, moment)
        result.append(Tile(due.TERM_FILTERS[term], total, capped,
                           url_for("term_board.index", term=term), hint))
    return result


def tiles(user: User) -> list[Tile]:
    """Every count of the home page for the clerk, in the order shown."""
    result = []
    inbox, inbox_args = inbox_filters(user)
    total, capped = staff_count(user, inbox)
    result.append(Tile("Входящие", total, capped, url_for("appeals_inbox.index", **inbox_args),
                       "сообщения без регистрационного номера"
                       if user.role == User.SUPPLIER_CLERK
                       else "отправлены, регистрационный номер не присвоен"))
    total, capped = staff_count(user, staff_params({"unread": "1"}, "all"))
    result.append(Tile("Непрочитанные", total, capped, url_for("appeals.index", unread="1"),
                       "новые данные от заявителя"))
    result += term_tiles(user)
    org_id = access.staff_organization_id(user)
    if org_id:
        result.append(_document_tile(
            user, org_id, "organization", "Документы ждут подписи организации",
            "заявителю документ предлагается только после подписи организации",
            lambda d: f"#sign-{d['id']}"))
        result.append(_document_tile(
            user, org_id, "applicant", "Ожидают подписи заявителя",
            "подписаны организацией, заявитель еще не подписал",
            lambda d: "#h-docs"))
    if user.role in (User.GRID_CLERK, User.ADMIN):
        total, capped = unconfirmed_applicants()
        result.append(Tile("Неподтвержденные учетные записи", total, capped,
                           applicants_url(confirmed=False),
                           "личность заявителя проверяется в офисе"))
    return result


class StaffIndexView(StaffMixin, AdminIndexView):
    """«Главная»: what needs doing, counted for the clerk's organisation (tiles below)."""

    @expose("/")
    def index(self):
        """The counts, each linked to the list (or the appeals) it counts."""
        return self.render("backoffice/index.html", tiles=tiles(current_user))
