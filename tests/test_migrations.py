"""An existing database is upgraded in place to exactly the schema a fresh one gets."""
from models import ALL_MODELS, db, is_postgres
from migrations import LATEST, SchemaVersion, upgrade


def _schema():
    """Tables with their columns and the appeal table's index names."""
    tables = {m._meta.table_name: sorted(c.name for c in db.get_columns(m._meta.table_name))
              for m in ALL_MODELS}
    return tables, sorted(i.name for i in db.get_indexes("appeal"))


def _make_it_look_like_version_2():
    """Undo what version 3 added, as a database made before it looks."""
    db.execute_sql('DROP TABLE appeal_seen')
    db.execute_sql('ALTER TABLE document DROP COLUMN streebog256')
    db.execute_sql('ALTER TABLE document DROP COLUMN streebog512')
    db.execute_sql('ALTER TABLE sms_code DROP COLUMN document_ids')
    db.execute_sql('ALTER TABLE appeal ADD COLUMN staff_seen_at TIMESTAMP NULL')
    for when in ("created_at", "updated_at"):
        db.execute_sql(f'DROP INDEX appeal_applicant_id_state_{when}_id')
        db.execute_sql(f'CREATE INDEX appeal_applicant_id_state_{when} '
                       f'ON appeal (applicant_id, state, {when})')
    SchemaVersion.update(version=2).execute()


def test_version_2_database_upgrades_to_the_fresh_schema(app):
    with db.connection_context():
        fresh = _schema()
        _make_it_look_like_version_2()
        assert _schema() != fresh
        assert upgrade() == (2, LATEST)
        assert _schema() == fresh
        assert upgrade() == (LATEST, LATEST)  # nothing left to do
        assert SchemaVersion.select().first().version == LATEST


def test_upgraded_database_still_works(app, client, auth):
    """After the upgrade the portal runs on it: register, and the search index answers."""
    with db.connection_context():
        _make_it_look_like_version_2()
        upgrade()
    assert auth.register().status_code == 302
    if not is_postgres():
        with db.connection_context():
            db.execute_sql("INSERT INTO appeal_fts(appeal_fts) VALUES('integrity-check')")
