"""Text search of the lists: every word of the query, as a substring, in Appeal.search_text.

The column is casefolded (models.fold), so Russian text is found case-insensitively on
SQLite and PostgreSQL alike by LIKE '%word%' on each word; a trigram index (search_index.py)
answers words of three characters or more.
"""
from peewee import SQL, NodeList, Value

from domain.appeals import search_index
from domain.appeals.listing.keyset import PAGE_SIZE
from models import Appeal, db, fold, is_postgres

MAX_QUERY_WORDS = 8


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
