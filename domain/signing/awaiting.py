"""document.awaiting: whose signature an organisation's document waits for, kept by triggers.

The back office's home page counts «Документы ждут подписи организации» and «Ожидают
подписи заявителя». Tested document by document that is two NOT EXISTS probes into
signature for every document the organisation ever placed (at 100,000 appeals, hundreds
of thousands, nearly all signed long ago); kept as a column it is a short index range:

- 'organization': the applicant must sign, the placing organisation has not signed yet
  (domain/signing/state.py offers the document to the applicant only once that signature is on it);
- 'applicant': the organisation signed, the applicant has not;
- NULL: nothing to sign (no applicant signature needed, an applicant's own document,
  or both signatures are there).

Database triggers recompute it when a document is inserted (or its party or
needs_applicant_signature change) and when a signature is added or removed, in the
writer's own transaction: whatever creates documents and signatures keeps it right
without knowing about it. install() creates the triggers (idempotent); rebuild()
recomputes every row (the migration uses it).
"""
from models import db, is_postgres

TRIGGER = "document_awaiting_sync"

# The value for the document row `d` (a table alias or NEW).
_VALUE = """CASE
    WHEN NOT {d}.needs_applicant_signature OR {d}.party = 'applicant' THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM signature s WHERE s.document_id = {d}.id
                     AND s.side = {d}.party) THEN 'organization'
    WHEN NOT EXISTS (SELECT 1 FROM signature s WHERE s.document_id = {d}.id
                     AND s.side = 'applicant') THEN 'applicant'
    END"""
_UPDATE = "UPDATE document SET awaiting = {value} WHERE id = {id}"
_FOR_ROW = _UPDATE.format(value=_VALUE.format(d="document"), id="{id}")

_SQLITE_DDL = (
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_doc_ai AFTER INSERT ON document BEGIN
        {_FOR_ROW.format(id="new.id")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_doc_au
        AFTER UPDATE OF needs_applicant_signature, party ON document BEGIN
        {_FOR_ROW.format(id="new.id")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_sig_ai AFTER INSERT ON signature BEGIN
        {_FOR_ROW.format(id="new.document_id")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_sig_ad AFTER DELETE ON signature BEGIN
        {_FOR_ROW.format(id="old.document_id")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TRIGGER}_sig_au AFTER UPDATE OF side, document_id
        ON signature BEGIN
        {_FOR_ROW.format(id="old.document_id")};
        {_FOR_ROW.format(id="new.document_id")};
    END""",
)
_SQLITE_TRIGGERS = ("doc_ai", "doc_au", "sig_ai", "sig_ad", "sig_au")

_PG_DDL = (
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'document' THEN
            {_FOR_ROW.format(id="new.id")};
        ELSE
            IF TG_OP <> 'INSERT' THEN
                {_FOR_ROW.format(id="old.document_id")};
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {_FOR_ROW.format(id="new.document_id")};
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON document",
    f"""CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OF needs_applicant_signature, party
        ON document FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON signature",
    f"""CREATE TRIGGER {TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF side, document_id
        ON signature FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()""",
)


def install():
    """Create (or replace) the triggers that keep document.awaiting in step."""
    for statement in (_PG_DDL if is_postgres() else _SQLITE_DDL):
        db.execute_sql(statement)


def uninstall():
    """Drop the triggers (a database before the column; used by the migration)."""
    if is_postgres():
        for table in ("document", "signature"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        db.execute_sql(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    else:
        for suffix in _SQLITE_TRIGGERS:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {TRIGGER}_{suffix}")


def rebuild():
    """Recompute every document's value (documents an organisation placed)."""
    with db.atomic():
        db.execute_sql(_UPDATE.format(value=_VALUE.format(d="document"), id="document.id")
                       + " AND party <> 'applicant'")
