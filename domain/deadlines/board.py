"""The «Сроки» board of the back office: the open terms (AppealTerm) the clerk may see, by due
date, a page at a time, grouped on the page by organisation and step; and its counts for
the home page tiles.

One SELECT per page walks appeal_term's (state, due_at) index in page order with the appeal
and its applicant joined by primary key; a supplier's clerk sees only its supplier's terms
of the appeals it may see (domain.appeals.access). The filters are the lists' own
(listing.filters.term_condition).
"""
import datetime as dt
from dataclasses import dataclass, field

from domain.appeals.access import visible_condition
from domain.appeals.listing.counting import estimated_total
from domain.appeals.listing.filters import term_condition
from domain.appeals.listing.keyset import Page, keyset_page
from domain.appeals.listing.params import BOARD, ListParams
from domain.deadlines import due
from models import Appeal, AppealTerm, Organization, TermRule, User

PAGE_SIZE = 50  # a page renders in a few ms; the rest is a click on «Следующая»


def board_params(args) -> ListParams:
    """The board's filter («Срок») and cursors from the query string."""
    return ListParams.from_args(args, BOARD)


def _supplier_of(user: User):
    """The supplier whose terms a supplier's clerk sees (None: any organisation's)."""
    return user.organization_id if user.role == User.SUPPLIER_CLERK else None


def board_query(user: User, term: str, moment: dt.datetime, *columns):
    """The open terms the user may see, narrowed by the «Срок» filter `term`."""
    query = (AppealTerm.select(*columns)
             .join(Appeal, on=(AppealTerm.appeal == Appeal.id))
             .where((AppealTerm.state == AppealTerm.OPEN) & visible_condition(user)))
    supplier_id = _supplier_of(user)
    if supplier_id is not None:
        query = query.where(AppealTerm.organization == supplier_id)
    condition = term_condition(term, AppealTerm.due_at,
                               None if supplier_id is not None else AppealTerm.who, moment)
    return query if condition is None else query.where(condition)


ORDER = (AppealTerm.state, AppealTerm.due_at, AppealTerm.id)  # the index's order


def board_count(user: User, term: str, moment: dt.datetime | None = None) -> tuple[int, bool]:
    """(count, capped) of the board under the filter, as its «Найдено» and the tiles say."""
    moment = moment or due.now()
    return estimated_total(lambda: board_query(user, term, moment, AppealTerm.id),
                           ("board", term, user.role, user.organization_id),
                           tuple(c.asc() for c in ORDER))


@dataclass
class Group:
    """One organisation's step on the page, its terms in due order."""
    organization: str
    step: str
    who_label: str
    rows: list = field(default_factory=list)


def _grouped(rows, organizations: dict, rules: dict, grid_name: str) -> list[Group]:
    """The page's terms in groups by (organisation, step), the groups in the order of their
    earliest term (the rows come sorted by due date)."""
    groups: dict = {}
    for row in rows:
        org = organizations.get(row.organization_id, grid_name) if row.organization_id \
            else grid_name
        rule = rules.get(row.rule_code)
        key = (org, row.rule_code)
        if key not in groups:
            groups[key] = Group(org, rule.name if rule else row.rule_code, row.due.who_label)
        groups[key].rows.append(row)
    return list(groups.values())


def board_page(user: User, params: ListParams, size: int = PAGE_SIZE,
               moment: dt.datetime | None = None) -> tuple[Page, list[Group]]:
    """One page of the board (keyset by due date and id) and its groups. Each row carries
    the appeal (number, kind, id), its applicant and `due` (the date, who acts, days)."""
    moment = moment or due.now()
    query = board_query(user, params.term, moment, AppealTerm.id, AppealTerm.rule_code,
                        AppealTerm.who, AppealTerm.organization, AppealTerm.due_at,
                        Appeal.id, Appeal.kind, Appeal.reg_number, Appeal.applicant,
                        User.id, User.legal_form, User.last_name, User.first_name,
                        User.middle_name, User.company_name, User.email)
    query = query.join_from(Appeal, User, on=(Appeal.applicant == User.id), attr="person")
    query = query.switch(AppealTerm)
    # AppealTerm.state is fixed, so (due_at, id) is the (state, due_at) index's order
    page = keyset_page(query, AppealTerm.due_at, False, params, size, id_column=AppealTerm.id)
    due.attach(page.rows, "due_at", lambda row: row.who, moment)
    if not page.rows:
        return page, []
    everyone = list(Organization.select(Organization.id, Organization.name, Organization.kind)
                    .order_by(Organization.id))
    grid = next((o.name for o in everyone if o.kind == Organization.GRID), "")
    rules = {r.code: r for r in TermRule.select(TermRule.code, TermRule.name)}
    return page, _grouped(page.rows, {o.id: o.name for o in everyone}, rules, grid)
