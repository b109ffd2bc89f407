"""Schema creation and in-place upgrades with peewee's playhouse.migrations.

A fresh database gets every table from the current models and is stamped with the
latest version; an existing one runs, in order, the steps it has not seen yet.
To change the schema: edit the model, then append a step to STEPS that brings an
existing database to the same shape (migrator.add_column, add_index, ...).
"""
from peewee import CharField, IntegerField, Model
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate  # noqa: F401

from models import ALL_MODELS, db, is_postgres, utcnow  # noqa: F401


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


# Each step takes the migrator and upgrades an existing database by one version.
STEPS: list = [
    # version 1 is the initial schema, created from the models.
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
