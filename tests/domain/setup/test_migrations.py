"""An existing database is upgraded in place to exactly the schema a fresh one gets."""
import datetime as dt

from domain.appeals import read_marks, unread_index
from domain.setup.migrations import LATEST, SchemaVersion, upgrade
from domain.signing import awaiting
from models import (
    ALL_MODELS,
    AppealSeen,
    AppealUnread,
    Organization,
    db,
    is_postgres,
    utcnow,
)
from tests.casework_helpers import applicant_user, sent_appeal, staff, supplier


def _schema():
    """Tables with their columns, the appeal table's index names, the unread triggers."""
    tables = {m._meta.table_name: sorted(c.name for c in db.get_columns(m._meta.table_name))
              for m in ALL_MODELS}
    indexes = {table: sorted(i.name for i in db.get_indexes(table))
               for table in ("appeal", "appeal_unread", "document")}
    return tables, indexes, unread_index.installed()


def _make_it_look_like_version_4():
    """Undo what version 5 added: document.awaiting, its triggers and index."""
    awaiting.uninstall()
    db.execute_sql('DROP INDEX document_organization_id_awaiting_created_at')
    db.execute_sql('ALTER TABLE document DROP COLUMN awaiting')
    SchemaVersion.update(version=4).execute()


def _make_it_look_like_version_3():
    """Undo what version 4 added: appeal_unread, its triggers, the filters' indexes."""
    _make_it_look_like_version_4()
    unread_index.uninstall()
    db.execute_sql('DROP TABLE appeal_unread')
    db.execute_sql('DROP INDEX appeal_last_status_updated_at_id')
    db.execute_sql('DROP INDEX appeal_supplier_id_updated_at_id')
    SchemaVersion.update(version=3).execute()


def _make_it_look_like_version_2():
    """Undo what versions 4 and 3 added, as a database made before them looks."""
    _make_it_look_like_version_3()
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


def test_version_3_database_gets_its_unread_marks_filled(app):
    """Upgrading fills appeal_unread from the appeals and read marks already there."""
    with db.connection_context():
        gp = supplier(0)
        grid = Organization.grid()
        person = applicant_user()
        seen_by_grid = sent_appeal(person, supplier_org=gp)
        read_before_new_data = sent_appeal(person)
        untouched = sent_appeal(person, supplier_org=gp)
        fresh = _schema()
        _make_it_look_like_version_3()
        now = utcnow()
        AppealSeen.insert_many([
            {"appeal": seen_by_grid.id, "organization": grid.id, "seen_at": now},
            {"appeal": read_before_new_data.id, "organization": grid.id,
             "seen_at": now - dt.timedelta(days=1)}]).execute()
        assert upgrade() == (3, LATEST)
        assert _schema() == fresh
        rows = {(u.appeal_id, u.organization_id) for u in AppealUnread.select()}
        assert rows == {(seen_by_grid.id, gp.id), (read_before_new_data.id, grid.id),
                        (untouched.id, grid.id), (untouched.id, gp.id)}
        # the triggers are back: new data from the applicant is unread again
        clerk = staff("grid")
        assert not read_marks.unread_for_staff(seen_by_grid, clerk)
        seen_by_grid.applicant_activity_at = now + dt.timedelta(seconds=1)
        seen_by_grid.save()
        assert read_marks.unread_for_staff(seen_by_grid, clerk)


def test_upgraded_database_still_works(app, client, auth):
    """After the upgrade the portal runs on it: register, and the search index answers."""
    with db.connection_context():
        _make_it_look_like_version_2()
        upgrade()
    assert auth.register().status_code == 302
    if not is_postgres():
        with db.connection_context():
            db.execute_sql("INSERT INTO appeal_fts(appeal_fts) VALUES('integrity-check')")
