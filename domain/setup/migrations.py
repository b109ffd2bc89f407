"""Schema creation and in-place upgrades with peewee's playhouse.migrations.

A fresh database gets every table from the current models and is stamped with the
latest version; an existing one runs, in order, the steps it has not seen yet.
To change the schema: edit the model, then append a step to STEPS that brings an
existing database to the same shape (migrator.add_column, add_index, ...).
"""
from peewee import CharField, IntegerField, Model
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate  # noqa: F401

from domain.appeals import unread_index
from domain.appeals.search_index import create_search_index
from domain.signing import awaiting
from models import (
    ALL_MODELS,
    Appeal,
    AppealSeen,
    AppealUnread,
    Document,
    SmsCode,
    db,
    is_postgres,
)


class SchemaVersion(Model):
    """The single row saying which steps have been applied."""
    version = IntegerField()
    note = CharField(default="")

    class Meta:
        database = db
        table_name = "schema_version"


def _migrator():
    database = db.obj
    return SqliteMigrator(database) if not is_postgres() \
        else PostgresqlMigrator(database)


def add_search_index(migrator):
    """Version 2: the trigram index of appeal.search_text (pg_trgm GIN on PostgreSQL, an
    FTS5 trigram table kept by triggers on SQLite), filled from the existing appeals."""
    create_search_index()


def add_read_marks_and_signing_data(migrator):
    """Version 3: per-organisation read marks (appeal_seen) replace appeal.staff_seen_at;
    Streebog digests recorded at placement; the documents an SMS code signs; list indexes
    that end in the id for keyset paging."""
    db.create_tables([AppealSeen], safe=True)
    columns = {table: {c.name for c in db.get_columns(table)}
               for table in ("appeal", "document", "sms_code")}
    operations = []
    if "staff_seen_at" in columns["appeal"]:
        operations.append(migrator.drop_column("appeal", "staff_seen_at"))
    for name in ("streebog256", "streebog512"):
        if name not in columns["document"]:
            operations.append(migrator.add_column("document", name, getattr(Document, name)))
    if "document_ids" not in columns["sms_code"]:
        operations.append(migrator.add_column("sms_code", "document_ids", SmsCode.document_ids))
    existing = {index.name for index in db.get_indexes("appeal")}
    for old in ("appeal_applicant_id_state_created_at", "appeal_applicant_id_state_updated_at"):
        if old in existing:
            operations.append(migrator.drop_index("appeal", old))
    operations += _missing_appeal_indexes(migrator)
    migrate(*operations)


def _missing_appeal_indexes(migrator) -> list:
    """Operations adding the appeal indexes of the model the database lacks."""
    existing = {index.name for index in db.get_indexes("appeal")}
    operations = []
    for fields, unique in Appeal._meta.indexes:
        columns_of_index = [getattr(Appeal, f).column_name for f in fields]
        if "appeal_" + "_".join(columns_of_index) not in existing:
            operations.append(migrator.add_index("appeal", columns_of_index, unique))
    return operations


def add_staff_unread_index(migrator):
    """Version 4: appeal_unread, the staff unread marks as rows kept by triggers on appeal,
    filled from the existing appeals and read marks; the index of the «Статус» filter."""
    migrate(*_missing_appeal_indexes(migrator))
    db.create_tables([AppealUnread], safe=True)
    unread_index.install()
    unread_index.rebuild()


def add_document_awaiting(migrator):
    """Version 5: document.awaiting (whose signature it waits for), kept by triggers
    (awaiting.py) and filled from the signatures there, with the index of the back
    office's home page counts."""
    if "awaiting" not in {c.name for c in db.get_columns("document")}:
        migrate(migrator.add_column("document", "awaiting", Document.awaiting))
    existing = {index.name for index in db.get_indexes("document")}
    for fields, unique in Document._meta.indexes:
        columns = [getattr(Document, f).column_name for f in fields]
        if "document_" + "_".join(columns) not in existing:
            migrate(migrator.add_index("document", columns, unique))
    awaiting.install()
    awaiting.rebuild()


# Each step takes the migrator and upgrades an existing database by one version.
STEPS: list = [
    # version 1 is the initial schema, created from the models.
    add_search_index,  # 2
    add_read_marks_and_signing_data,  # 3
    add_staff_unread_index,  # 4
    add_document_awaiting,  # 5
]

LATEST = 1 + len(STEPS)


def upgrade() -> tuple[int, int]:
    """Create or upgrade the schema; returns (version before, version after)."""
    with db.atomic():
        if not SchemaVersion.table_exists():
            fresh = not any(m.table_exists() for m in ALL_MODELS)
            db.create_tables([SchemaVersion])
            if fresh:
                db.create_tables(ALL_MODELS)
                create_search_index()
                unread_index.install()
                awaiting.install()
                SchemaVersion.create(version=LATEST, note="created")
                return 0, LATEST
            SchemaVersion.create(version=1, note="adopted")
        row = SchemaVersion.select().first()
        before = row.version
        migrator = _migrator()
        for number, step in enumerate(STEPS, start=2):
            if number > row.version:
                step(migrator)
                row.version = number
                row.save()
        return before, row.version
