"""The two sides' list SELECTs: one bounded statement per page, whatever the number of appeals.

The applicant's «Список обращений»: the applicant's own appeals with their recipient
organisation in the same SELECT. The back office's lists: the appeals the clerk may see
(domain.appeals.access) with the applicant and the organisation's unread mark
(appeal_unread, see domain/appeals/unread_index.py) joined in. Both are filtered by
filters.narrowed, searched by search.py and paged by keyset.py; the back office counts
by counting.py. Measured with `python -m bench appeals` and `python -m bench backoffice`
at 100,000 appeals.
"""
from dataclasses import replace

from peewee import JOIN

from domain.appeals import access
from domain.appeals.access import visible_condition
from domain.appeals.listing.counting import estimated_total, page_total
from domain.appeals.listing.filters import narrowed, term_condition
from domain.appeals.listing.keyset import PAGE_SIZE, Page, bounded, keyset_page, ordering
from domain.appeals.listing.params import ListParams
from domain.appeals.listing.search import text_condition, text_search, words_of
from domain.deadlines import due
from models import Appeal, AppealUnread, Organization, TermRule, User, is_postgres

# Only the columns a row needs: the comment and the search column can be large.
LIST_COLUMNS = (Appeal.id, Appeal.applicant, Appeal.kind, Appeal.state, Appeal.organization,
                Appeal.reg_number, Appeal.subject, Appeal.power, Appeal.scheme,
                Appeal.complies, Appeal.supplier, Appeal.last_status, Appeal.created_at,
                Appeal.updated_at, Appeal.staff_activity_at, Appeal.applicant_seen_at,
                Appeal.new_status_for_applicant, Appeal.new_post_for_applicant)

Unread = AppealUnread.alias()  # the organisation's row, distinct from any other use


def applicant_query(applicant_id: int, params: ListParams):
    """The applicant's appeals matching the filters and the text, with their recipient."""
    query = (Appeal.select(*LIST_COLUMNS, Organization.id, Organization.name)
             .join(Organization, on=(Appeal.organization == Organization.id))
             .where(Appeal.applicant == applicant_id))
    query = narrowed(query, params)
    condition = text_condition(Appeal.search_text, params.q)
    return query if condition is None else query.where(condition)


def applicant_page(applicant, params: ListParams, size: int = PAGE_SIZE) -> Page:
    """One page of the applicant's «Список обращений» in a single SELECT.

    Every row gets `applicant` attached, so Appeal.summary needs no further query."""
    sort = params.sort_order
    page = keyset_page(applicant_query(applicant.id, params), getattr(Appeal, sort.field),
                       sort.descending, params, size)
    for row in page.rows:
        row.applicant = applicant
    return page


def _staff_narrowed(query, user: User, params: ListParams, size: int = PAGE_SIZE,
                    counting: bool = False, moment=None):
    """Apply the clerk's visibility scope, every filter and the text search of `params`
    (`counting`: for a capped count, which plans the text search differently)."""
    query = narrowed(query.where(visible_condition(user)), params, counting)
    condition = term_condition(params.term, *term_columns(user), moment or due.now())
    if condition is not None:
        query = query.where(condition)
    # params.unread: see _with_unread, joined by staff_query and staff_count_query.
    return text_search(query, params.q, size, counting=counting)


def term_columns(user: User) -> tuple:
    """(due column, who column) of the «Срок» the user sees on an appeal: its earliest open
    term, a supplier's clerk its supplier's (who acts is then always the supplier: None)."""
    if user.role == User.SUPPLIER_CLERK:
        return Appeal.supplier_term_due_at, None
    return Appeal.term_due_at, Appeal.term_who


def _with_unread(query, user: User, params: ListParams):
    """Join the user's organisation's appeal_unread row (at most one per appeal, by the
    unique index): a plain join for the «Непрочитанные» filter — the page walks the rows'
    (organisation, date, appeal) index in page order (sort_keys), the count just reads
    them — and a left join otherwise, for the row's mark. A join rather than EXISTS in
    the select list: PostgreSQL would read every row of the organisation into a hash to
    answer EXISTS for 26 rows."""
    condition = ((Unread.appeal == Appeal.id)
                 & (Unread.organization == access.staff_organization_id(user)))
    return query.join_from(Appeal, Unread, JOIN.INNER if params.unread else JOIN.LEFT_OUTER,
                           on=condition, attr="unread_row")


def sort_keys(params: ListParams):
    """(date column, id column, descending) the page is ordered and paged by: the appeal's,
    or for «Непрочитанные» their copies in appeal_unread, whose index is in that order."""
    sort = params.sort_order
    if params.unread:
        return getattr(Unread, sort.field), Unread.appeal, sort.descending
    return getattr(Appeal, sort.field), Appeal.id, sort.descending


def staff_query(user: User, params: ListParams, size: int, moment=None):
    """The appeals the user may see that match the filters, with related rows joined.

    Each row carries `staff_unread`: unread for the user's organisation (its appeal_unread
    row, joined in the same SELECT by a unique-index lookup)."""
    query = (Appeal.select(
        Appeal.id, Appeal.kind, Appeal.state, Appeal.reg_number, Appeal.subject, Appeal.power,
        Appeal.scheme, Appeal.complies, Appeal.last_status, Appeal.created_at,
        Appeal.updated_at, Unread.appeal.is_null(False).alias("staff_unread"),
        Appeal.term_due_at, Appeal.term_who, Appeal.supplier_term_due_at,
        Appeal.organization, Appeal.supplier, Appeal.applicant,
        User.id, User.legal_form, User.last_name, User.first_name, User.middle_name,
        User.company_name, User.email)
        .join(User, on=(Appeal.applicant == User.id), attr="applicant"))
    # The recipient and the supplier come from the page's organisations (the view's): a
    # handful of rows, where two more joins cost PostgreSQL more planning than running.
    return _staff_narrowed(_with_unread(query, user, params), user, params, size,
                           moment=moment)


def staff_count_query(user: User, params: ListParams, moment=None):
    """The same rows as staff_query without the joins, for counting."""
    query = Appeal.select(Appeal.id)
    if params.unread:
        query = _with_unread(query, user, params)
    return _staff_narrowed(query, user, params, counting=True, moment=moment)


def _counted(user: User, params: ListParams, moment=None) -> tuple:
    """estimated_total's arguments for a back-office list: its count query, a cache key
    of the filters and who looks (their role and organisation decide visibility), and
    the order. PostgreSQL counts a search through its trigram bitmap (which the order
    would make it sort), anything else along the page's index."""
    column, id_column, descending = sort_keys(params)
    order = ordering(column, id_column, descending) \
        if is_postgres() and not words_of(params.q) else ()
    key = ((user.role, user.organization_id), replace(params, after="", before=""))
    return (lambda: staff_count_query(user, params, moment)), key, order


def staff_count(user: User, params: ListParams) -> tuple[int, bool]:
    """(total, capped) of a back-office list, as the list itself shows it."""
    return estimated_total(*_counted(user, params))


def staff_page(user: User, params: ListParams, size: int) -> tuple[Page, int, bool]:
    """One page of a back-office list, each row with its «Срок» (row.due), and its total:
    (page, total, capped); the filter, the count and the rows' days seen at one moment."""
    moment = due.now()
    column, id_column, descending = sort_keys(params)
    query = bounded(staff_query(user, params, size, moment), column, descending, params)
    page = keyset_page(query, column, descending, params, size, id_column=id_column)
    attach_due(page.rows, user, moment)
    paged = bool(params.after or params.before)
    return (page, *page_total(page, paged, *_counted(user, params, moment)))


def attach_due(rows, user: User, moment) -> None:
    """Each row's «Срок» (row.due) from the column term_columns() gives the user (a
    supplier's clerk: its supplier's term, which the supplier always acts on)."""
    due_column, who_column = term_columns(user)
    who_of = ((lambda row: getattr(row, who_column.name)) if who_column is not None
              else (lambda row: TermRule.SUPPLIER))
    due.attach(rows, due_column.name, who_of, moment)
