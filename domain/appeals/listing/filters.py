"""The lists' filters as conditions on Appeal, the same for both sides.

Each filter has an index in page order (Appeal.Meta.indexes, appeal_unread's) or is common
enough for the date index to find a page quickly. Who may see which rows (the applicant's
own, the staff's scope) is the caller's condition; the text search is search.py's.
"""
import datetime as dt

from peewee import fn

from domain.appeals import read_marks
from domain.appeals.listing.params import SORTS, ListParams
from domain.formatting import MOSCOW
from domain.deadlines import due
from models import Appeal, StatusEvent, TermRule, is_postgres

NUMBER_STATUS = "Присвоен регистрационный номер"  # «Статус»: any numbering, by its kind
DATE_RANGE_PROBE = 1000  # a creation-date range wider than this is walked in page order


def narrowed(query, params: ListParams, counting: bool = False):
    """`query` (a SELECT on Appeal) narrowed by every filter of `params` but the text and
    the staff's «Непрочитанные» (a join: see queries.py); `counting`: for a capped count,
    which needs no probe of the date range."""
    if params.state != "all":
        query = query.where(Appeal.state == params.state)
    if params.kind:
        query = query.where(Appeal.kind == params.kind)
    if params.read != "all":
        unread = read_marks.unread_condition()
        query = query.where(unread if params.read == "unread" else ~unread)
    if params.numbered:
        query = query.where(_numbered(params.numbered == "yes"))
    if params.status == NUMBER_STATUS:
        query = query.where(Appeal.last_status_kind == StatusEvent.NUMBER)
    elif params.status:
        query = query.where(Appeal.last_status == params.status)
    if params.supplier == "none":
        query = query.where((Appeal.kind == Appeal.TP) & Appeal.supplier.is_null(True))
    elif params.supplier:
        query = query.where(Appeal.supplier == int(params.supplier))
    if params.power:
        query = query.where(Appeal.power == params.power)
    if params.complies:
        query = query.where(Appeal.complies == (params.complies == "yes"))
    if params.date_from or params.date_to:
        query = _created_between(query, params, counting)
    return query


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


def _utc_start_of(day: str) -> dt.datetime:
    """Midnight of a Moscow date as naive UTC."""
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=MOSCOW)
    return start.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _created_between(query, params: ListParams, counting: bool):
    """The «Создано с … по» filter.

    Sorted by creation, the created_at index gives the range in page order. Sorted by
    update, SQLite would still take the range from the created_at index and sort all of
    it; a wide range is cheaper found by walking the updated_at index (updated_at is never
    before created_at, so `updated_at >= from` bounds that walk), a narrow one by the
    range: a capped count of the range's index entries tells which. PostgreSQL's planner
    knows the range's size from its statistics and gets the plain range."""
    start = _utc_start_of(params.date_from) if params.date_from else None
    end = _utc_start_of((dt.date.fromisoformat(params.date_to)
                         + dt.timedelta(days=1)).isoformat()) if params.date_to else None
    column = Appeal.created_at
    if is_postgres():  # its planner judges the range; a second date bound only misleads it
        return query.where(*[c for c in ((column >= start) if start else None,
                                         (column < end) if end else None) if c is not None])
    query = query.where(Appeal.updated_at >= start) if start else query
    if not counting and SORTS[params.sort].field != "created_at":
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


def term_condition(term: str, due_column, who_column, moment: dt.datetime):
    """The «Срок» filter on a term's stored due moment (`due_column`: an appeal's copy of
    its earliest open term or AppealTerm.due_at) and who acts (`who_column`; None: only
    the supplier acts, so never the applicant): a range of the (due, id) index, or the
    applicant's move. None for no filter."""
    if not term:
        return None
    if term == due.APPLICANT_MOVE:
        return (due_column.is_null(False) & False) if who_column is None \
            else (who_column == TermRule.APPLICANT)
    after, up_to = due.window(term, moment)
    condition = due_column <= up_to
    return condition if after is None else condition & (due_column > after)
