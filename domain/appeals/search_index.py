"""The index behind the text search of appeals (`Appeal.search_text`, already casefolded).

A search word must occur as a substring of the column (`LIKE '%word%'`). Without an index
that reads every row; with one, words of MIN_INDEXED_WORD characters or more are found
through trigrams:

- PostgreSQL: a pg_trgm GIN index on appeal.search_text, which the planner uses for the
  very same `search_text LIKE '%word%'` condition (nothing changes in the query).
- SQLite: an FTS5 table with the trigram tokenizer, external content (the text lives only
  in `appeal`), kept in sync by triggers; the query asks it for the matching rowids
  (`appeal.id IN (SELECT rowid FROM appeal_fts WHERE appeal_fts MATCH '"изм" "ене" "ние"')`,
  the trigrams covering each word), and the row is confirmed by the same LIKE as without
  the index, so the results are exactly LIKE's. `case_sensitive 1`: the text and the
  words are folded already (models.fold); the tokenizer must not fold them differently.

The column opens with the applicant's searchable identity (User.search_text: name, company
name, СНИЛС, ИНН, e-mail, …) and IDENTITY_END, then the appeal's own texts. That split
lets refresh_applicant_appeals() replace the identity of every appeal of one applicant in
a single set-based UPDATE when the applicant's data change, without rebuilding the rest
(which needs the thread's posts, read in Python).

Words shorter than three characters have no trigram and keep the plain LIKE.
create_search_index() is idempotent; migrations.py calls it for a fresh database and as
an upgrade step for an existing one.
"""
import threading
import time

from peewee import SQL, Model, NodeList, TextField, Value, fn
from playhouse.sqlite_ext import RowIDField

from domain.text import html_to_text
from models import Appeal, Post, User, db, fold, is_postgres

MIN_INDEXED_WORD = 3
FTS_TABLE = "appeal_fts"
PG_INDEX = "appeal_search_text_trgm"
# Ends the applicant's part of appeal.search_text. A control character: fold() turns it
# into a space like any whitespace, so no folded text and no search word ever holds it.
IDENTITY_END = "\x1f"
# SQLite plan choice (see plan_hint): how many index matches the probe reads at most.
PROBE_LIMIT = 1000
HINT_TTL = 300  # seconds a plan hint is reused; a stale hint costs speed, never correctness

_SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_text, content='appeal', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
    # External content: the index must be told the old text before it changes.
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON appeal BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON appeal BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    # peewee's save() writes every column: re-index only when the text really changed.
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_text ON appeal
        WHEN old.search_text IS NOT new.search_text BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)


def has_search_index() -> bool:
    """True when the current database has the search index."""
    if is_postgres():
        cursor = db.execute_sql("SELECT 1 FROM pg_indexes WHERE indexname = %s", (PG_INDEX,))
    else:
        cursor = db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,))
    return cursor.fetchone() is not None


def create_search_index():
    """Create (if missing) the trigram index of appeal.search_text for the current backend,
    filled from the rows already there."""
    if is_postgres():
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON appeal "
                       "USING gin (search_text gin_trgm_ops)")
        return
    existed = has_search_index()
    for statement in _SQLITE_DDL:
        db.execute_sql(statement)
    if not existed:
        db.execute_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def indexed(word: str) -> bool:
    """True when the index can find `word` (it has at least one trigram)."""
    return len(word) >= MIN_INDEXED_WORD


def covering_trigrams(word: str) -> list[str]:
    """Trigrams of `word` that together cover every character: at 0, 3, 6, … and the
    last one. Every text containing the word contains them; LIKE then confirms."""
    starts = list(range(0, len(word) - 2, 3))
    if starts and starts[-1] != len(word) - 3:
        starts.append(len(word) - 3)
    return list(dict.fromkeys(word[i:i + 3] for i in starts))


def fts_query(words) -> str:
    """An FTS5 MATCH expression for the rows holding the covering trigrams of every word
    (implicit AND of quoted tokens, a double quote inside doubled).

    Measured at 100,000 appeals, this AND of a few trigrams is 2-5 times cheaper than a
    phrase per word (which checks every trigram's position); it finds a superset of the
    rows containing the words, so callers always add the exact LIKE test."""
    trigrams = dict.fromkeys(t for word in words for t in covering_trigrams(word))
    return " ".join('"' + t.replace('"', '""') + '"' for t in trigrams)


class AppealFTS(Model):
    """The SQLite FTS5 table (never created by create_tables: see create_search_index)."""
    rowid = RowIDField()
    search_text = TextField()

    class Meta:
        database = db
        table_name = FTS_TABLE


def match(words):
    """SQL condition on AppealFTS: the row may contain every word (it has their trigrams)."""
    return NodeList((AppealFTS.search_text, SQL("MATCH"), Value(fts_query(words))))


def matching_ids(words, limit: int | None = None):
    """SELECT of the rowids (appeal ids) whose text may contain every word."""
    query = AppealFTS.select(AppealFTS.rowid).where(match(words))
    return query.limit(limit) if limit else query


_hints: dict = {}
_hints_lock = threading.Lock()


def cached(key, compute):
    """compute() remembered for HINT_TTL seconds under `key` (per process, bounded)."""
    now = time.monotonic()
    with _hints_lock:
        hit = _hints.get(key)
        if hit and now - hit[0] < HINT_TTL:
            return hit[1]
    value = compute()
    with _hints_lock:
        if len(_hints) > 2000:
            _hints.clear()
        _hints[key] = (now, value)
    return value


def probe(words) -> tuple[int, int, int]:
    """(matches, last rowid, largest appeal id) over the first PROBE_LIMIT index matches.

    matches < PROBE_LIMIT means that is every match; otherwise the matches found so far
    span rowids 1..last rowid, which tells the density of the words in the table."""
    def compute():
        inner = matching_ids(words, PROBE_LIMIT)
        row = db.execute_sql(
            "SELECT count(*), coalesce(max(rowid), 0), (SELECT coalesce(max(id), 0) FROM appeal) "
            f"FROM ({inner.sql()[0]})", inner.sql()[1]).fetchone()
        return int(row[0]), int(row[1]), int(row[2])
    return cached(("probe", db.database, tuple(words)), compute)


def applicant_identity(applicant_id) -> str:
    """The applicant's folded searchable identity, as User.save() keeps it."""
    return (User.select(User.search_text).where(User.id == applicant_id).scalar() or "") \
        if applicant_id else ""


def refresh_search_text(appeal: Appeal, extra_texts=()):
    """Rebuild the appeal's casefolded search column from its applicant, main data and
    thread.

    extra_texts: plain texts of thread posts not yet saved."""
    posts = [html_to_text(p.body_html) for p in
             Post.select(Post.body_html).where(Post.appeal == appeal)] if appeal.id else []
    supplier = appeal.supplier.name if appeal.supplier_id else ""
    organization = appeal.organization.name if appeal.organization_id else ""
    appeal.search_text = applicant_identity(appeal.applicant_id) + IDENTITY_END + fold(
        " ".join(filter(None, [
            appeal.reg_number or "", appeal.subject, html_to_text(appeal.comment_html),
            appeal.last_status, supplier, organization, *posts, *extra_texts])))


def _own_part():
    """SQL: the appeal's own texts, after IDENTITY_END (the whole text when it has none,
    as before the identity was indexed: position 0 + 1 is the first character)."""
    position = fn.strpos if is_postgres() else fn.instr
    return fn.substr(Appeal.search_text, position(Appeal.search_text, IDENTITY_END) + 1)


def with_identity(identity):
    """SQL: the search text with `identity` (a value or a column) in front of the own part."""
    return identity.concat(IDENTITY_END).concat(_own_part())


def refresh_applicant_appeals(applicant: User) -> int:
    """Put the applicant's current identity into every one of their appeals' search text:
    one UPDATE, whatever their number (the SQLite triggers re-index the changed rows).
    Call it in the transaction that saved the applicant; returns the rows updated."""
    identity = Value(applicant.search_text, converter=False)
    return (Appeal.update(search_text=with_identity(identity))
            .where(Appeal.applicant == applicant.id).execute())


def refresh_all_identities() -> int:
    """Every appeal's search text with its applicant's identity (the upgrade step)."""
    identity = fn.coalesce(User.select(User.search_text).where(User.id == Appeal.applicant), "")
    return Appeal.update(search_text=with_identity(identity)).execute()
