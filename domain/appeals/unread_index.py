"""The index behind the staff «Непрочитанные» filter and unread marks (table appeal_unread).

The rule (see casework): an appeal is unread for an organisation while the applicant's
latest data (appeal.applicant_activity_at) is newer than the last time somebody of the
organisation opened it (appeal_seen.seen_at), or nobody ever did. Tested row by row that
is an anti-join over every appeal; kept as rows it is an index lookup. appeal_unread
holds one row per (appeal, organisation) that is unread right now:

- database triggers on appeal (inserted, or applicant_activity_at, organization_id or
  supplier_id changed) recompute the appeal's rows in the writer's own transaction, for
  every organisation that may see it — the grid company, the message's recipient, the
  supplier named in a ТП application — minus those whose read mark is already newer.
  Whatever writes applicant_activity_at (sending, the applicant's posts, documents,
  signatures, payments) keeps the index right without knowing about it;
- the rows carry copies of the appeal's created_at and updated_at (kept by a trigger
  too), so the filtered list walks the (organisation, date, appeal) index in page order;
- read_marks.mark_seen_by_staff deletes the organisation's row when a clerk opens the
  appeal (only if the page read everything: activity_at <= seen_at).

install() creates the triggers (idempotent); rebuild() recomputes every row from the
appeals and read marks (the migration and the benchmark seed use it).
"""
from models import db, is_postgres

TABLE = "appeal_unread"
TRIGGER = "appeal_unread_sync"

# The rows an appeal `a` should have: organisations that may see it, not yet read since.
_ROWS = """
SELECT {a}.id, o.id, {a}.applicant_activity_at, {a}.created_at, {a}.updated_at
FROM organization o
WHERE {a}.applicant_activity_at IS NOT NULL
  AND (o.kind = 'grid' OR o.id = {a}.organization_id OR o.id = {a}.supplier_id)
  AND NOT EXISTS (SELECT 1 FROM appeal_seen s WHERE s.appeal_id = {a}.id
                  AND s.organization_id = o.id AND s.seen_at >= {a}.applicant_activity_at)
"""
_INSERT = f"INSERT INTO {TABLE} (appeal_id, organization_id, activity_at, created_at, updated_at) "
_CHANGED = ("old.applicant_activity_at IS NOT new.applicant_activity_at "
            "OR old.organization_id IS NOT new.organization_id "
            "OR old.supplier_id IS NOT new.supplier_id")
_MOVED = "old.created_at IS NOT new.created_at OR old.updated_at IS NOT new.updated_at"
_COPY_KEYS = (f"UPDATE {TABLE} SET created_at = new.created_at, updated_at = new.updated_at "
              "WHERE appeal_id = new.id")

_SQLITE_DDL = (
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_ai AFTER INSERT ON appeal
        WHEN new.applicant_activity_at IS NOT NULL BEGIN
        {_INSERT} {_ROWS.format(a="new")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_au
        AFTER UPDATE OF applicant_activity_at, organization_id, supplier_id ON appeal
        WHEN {_CHANGED} BEGIN
        DELETE FROM {TABLE} WHERE appeal_id = new.id;
        {_INSERT} {_ROWS.format(a="new")};
    END""",
    # The sort keys follow the appeal (every staff action moves updated_at).
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_keys
        AFTER UPDATE OF created_at, updated_at ON appeal WHEN {_MOVED} BEGIN
        {_COPY_KEYS};
    END""",
)
_SQLITE_TRIGGERS = ("ai", "au", "keys")

_PG_DDL = (
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NOT ({_CHANGED.replace(' IS NOT ', ' IS DISTINCT FROM ')}) THEN
                IF {_MOVED.replace(' IS NOT ', ' IS DISTINCT FROM ')} THEN
                    {_COPY_KEYS};
                END IF;
                RETURN NULL;
            END IF;
            DELETE FROM {TABLE} WHERE appeal_id = new.id;
        END IF;
        {_INSERT} {_ROWS.format(a="new")};
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON appeal",
    f"""CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OF applicant_activity_at,
        organization_id, supplier_id, created_at, updated_at ON appeal
        FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()""",
)


def install():
    """Create (or replace) the triggers that keep appeal_unread in step with appeal."""
    for statement in (_PG_DDL if is_postgres() else _SQLITE_DDL):
        db.execute_sql(statement)


def uninstall():
    """Drop the triggers (a database before the index; used by the migration test)."""
    if is_postgres():
        db.execute_sql(f"DROP TRIGGER IF EXISTS {TRIGGER} ON appeal")
        db.execute_sql(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    else:
        for suffix in _SQLITE_TRIGGERS:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {TRIGGER}_{suffix}")


def installed() -> bool:
    """True when the triggers exist in the current database."""
    if is_postgres():
        sql = "SELECT count(*) FROM pg_trigger WHERE tgname = %s"
        return db.execute_sql(sql, (TRIGGER,)).fetchone()[0] == 1
    sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?"
    return db.execute_sql(sql, (TRIGGER + "_%",)).fetchone()[0] == len(_SQLITE_TRIGGERS)


def rebuild():
    """Recompute every row from appeal and appeal_seen."""
    with db.atomic():
        db.execute_sql(f"DELETE FROM {TABLE}")
        db.execute_sql(f"{_INSERT} {_ROWS.format(a='a')}".replace(
            "FROM organization o", "FROM appeal a, organization o"))
