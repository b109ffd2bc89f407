"""An existing database is upgraded in place to exactly the schema a fresh one gets."""
import datetime as dt

import pytest
from playhouse.migrate import migrate

from domain.appeals import payments, read_marks, search_index, unread_index
from domain.appeals.listing import search as listing_search
from domain.deadlines import calendar, clocks
from domain.setup import migrations, seed
from domain.setup.migrations import LATEST, SchemaVersion, upgrade
from domain.signing import awaiting
from models import (
    ALL_MODELS,
    Appeal,
    AppealSeen,
    AppealTerm,
    AppealUnread,
    CalendarCorrection,
    Document,
    DocumentType,
    IncompleteItem,
    IncompleteRequest,
    Notification,
    Organization,
    Signature,
    StatusCatalog,
    StatusEvent,
    TermRule,
    User,
    db,
    is_postgres,
    utcnow,
)
from tests.casework_helpers import applicant_user, sent_appeal, staff, supplier

pytestmark = pytest.mark.usefixtures("database")


def _schema():
    """Tables with their columns, the index names of the tables the steps index, the unread
    triggers."""
    tables = {m._meta.table_name: sorted(c.name for c in db.get_columns(m._meta.table_name))
              for m in ALL_MODELS}
    indexes = {table: sorted(i.name for i in db.get_indexes(table))
               for table in ("appeal", "appeal_term", "appeal_unread", "document",
                             "document_type", "status_catalog")}
    return tables, indexes, unread_index.installed()


def _intact() -> bool:
    """True when SQLite finds every table and index consistent (PostgreSQL: always)."""
    return is_postgres() or db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]


def _make_it_look_like_version_14():
    """Undo what version 15 added: the ТП application's facts that choose a term, what
    pauses a term of «Сроки»."""
    for name in migrations.TP_FACTS:  # plain SQL: SQLite keeps the appeal's triggers
        db.execute_sql(f"ALTER TABLE appeal DROP COLUMN {name}")
    db.execute_sql("ALTER TABLE term_rule DROP COLUMN paused_by")
    SchemaVersion.update(version=14).execute()


def _make_it_look_like_version_13():
    """Undo what version 14 added (after 15): the appeal's term_* columns and their
    indexes, the appeal's open terms' index."""
    _make_it_look_like_version_14()
    migrator = migrations._migrator()
    migrate(migrator.drop_index("appeal_term", "appeal_term_appeal_id_state_due_at"))
    indexes = {index.name for index in db.get_indexes("appeal")}
    migrate(*[migrator.drop_index("appeal", name) for name in
              ("appeal_term_due_at_id", "appeal_supplier_term_due_at_id") if name in indexes])
    migrate(*[migrator.drop_column("appeal", name) for name in migrations.TERM_SUMMARY])
    SchemaVersion.update(version=13).execute()


def _make_it_look_like_version_12():
    """Undo what version 13 added (after 15 and 14): the reminder marks of appeal_term."""
    _make_it_look_like_version_13()
    migrator = migrations._migrator()
    for name in migrations.REMINDER_MARKS:
        migrations.migrate(migrator.drop_column("appeal_term", name))
    SchemaVersion.update(version=12).execute()


def _make_it_look_like_version_11():
    """Undo what version 12 added (after 13): incomplete_item, incomplete_request."""
    _make_it_look_like_version_12()
    db.execute_sql("DROP TABLE incomplete_item")
    db.execute_sql("DROP TABLE incomplete_request")
    SchemaVersion.update(version=11).execute()


def _make_it_look_like_version_10():
    """Undo what versions 12 and 11 added: appeal_term."""
    _make_it_look_like_version_11()
    db.execute_sql("DROP TABLE appeal_term")
    SchemaVersion.update(version=10).execute()


def _make_it_look_like_version_9():
    """Undo what version 11 added; version 10 only changes rows (the offer path's
    contracts): nothing more to undo."""
    _make_it_look_like_version_10()
    SchemaVersion.update(version=9).execute()


def _make_it_look_like_version_8():
    """Undo what versions 10 and 9 added: calendar_correction, term_rule."""
    _make_it_look_like_version_9()
    db.execute_sql("DROP TABLE calendar_correction")
    db.execute_sql("DROP TABLE term_rule")
    SchemaVersion.update(version=8).execute()


def _make_it_look_like_version_7():
    """Undo what version 8 added: the applicant's identity in each appeal's search text
    (the appeal's own texts alone, as version 7 wrote them), after what version 9 added."""
    _make_it_look_like_version_8()
    for appeal in Appeal.select(Appeal.id, Appeal.search_text):
        own = appeal.search_text.partition(search_index.IDENTITY_END)[2]
        Appeal.update(search_text=own).where(Appeal.id == appeal.id).execute()
    SchemaVersion.update(version=7).execute()


def _make_it_look_like_version_6():
    """Undo what versions 9, 8 and 7 added."""
    _make_it_look_like_version_7()
    db.execute_sql("ALTER TABLE notification DROP COLUMN secrets")
    SchemaVersion.update(version=6).execute()


def _make_it_look_like_version_5():
    """Undo what versions 7 and 6 added: the catalogues' codes, the codes kept on documents
    and status events, appeal.last_status_kind and its index."""
    _make_it_look_like_version_6()
    for index in ("appeal_last_status_kind_updated_at_id", "document_type_party_code",
                  "status_catalog_code"):
        db.execute_sql(f"DROP INDEX {index}")
    for table, column in (("document_type", "code"), ("status_catalog", "code"),
                          ("document", "type_code"), ("status_event", "code"),
                          ("appeal", "last_status_kind")):
        db.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    SchemaVersion.update(version=5).execute()


def _make_it_look_like_version_4():
    """Undo what versions 6 and 5 added: document.awaiting, its triggers and index."""
    _make_it_look_like_version_5()
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


def test_version_6_database_gets_the_secrets_column_and_keeps_its_rows(app):
    with app.app_context(), db.connection_context():
        fresh = _schema()
        _make_it_look_like_version_6()
        db.execute_sql("INSERT INTO notification (channel, recipient, subject, body_text, "
                       "body_html, created_at, attempts, next_attempt_at, last_error) VALUES "
                       "('email', 'a@example.ru', 'Тема', 'Текст', '', '2026-01-01 10:00:00', 0, "
                       "'2026-01-01 10:00:00', '')")
        assert upgrade() == (6, LATEST)
        assert _schema() == fresh and _intact()
        [row] = Notification.select()
        assert (row.subject, row.secrets) == ("Тема", "")


def _found(query: str) -> set[int]:
    """Ids of the appeals whose search text holds every word of `query`, as the lists'
    search reads it (through the trigram index on SQLite)."""
    return {a.id for a in Appeal.select(Appeal.id).where(
        listing_search.text_condition(Appeal.search_text, query))}


def _fts_intact() -> bool:
    """SQLite: the trigram table agrees with appeal.search_text (PostgreSQL: always)."""
    if not is_postgres():
        db.execute_sql("INSERT INTO appeal_fts(appeal_fts, rank) VALUES('integrity-check', 1)")
    return True


def test_version_7_database_finds_appeals_by_their_applicant(app):
    """Upgrading puts each applicant's name, company name, СНИЛС, ИНН and e-mail into their
    appeals' search text, also for an applicant whose own search text was never written
    (an import that bypassed User.save()); the appeals' own texts stay found."""
    with db.connection_context():
        person = applicant_user("anna@example.ru")
        company = applicant_user("energy@example.ru", legal_form=User.COMPANY,
                                 company_name="ООО «Энергосбыт-Юг»", inn="4174873890")
        mine = [sent_appeal(person, Appeal.MESSAGE, subject="Перенос сроков"),
                sent_appeal(person)]
        theirs = sent_appeal(company)
        fresh = _schema()
        _make_it_look_like_version_7()
        User.update(search_text="").where(User.id == company.id).execute()
        assert _found("иванов") == _found("энергосбыт") == set()
        assert upgrade() == (7, LATEST)
        assert _schema() == fresh and _intact() and _fts_intact()
        ids = {a.id for a in mine}
        assert _found("ИВАНОВ") == ids | {theirs.id}  # the company's contact is an Иванов too
        assert _found("anna@example.ru") == _found(person.snils) == ids
        assert _found("энергосбыт-юг") == _found("4174873890") == {theirs.id}
        assert _found("перенос сроков") == {mine[0].id}
        texts = [a.search_text for a in Appeal.select().order_by(Appeal.id)]
        migrations.add_applicant_to_search_text(None)  # the step again: nothing changes
        assert [a.search_text for a in Appeal.select().order_by(Appeal.id)] == texts


def test_version_8_database_gets_the_calendar_corrections_and_the_seeded_terms(app):
    with app.app_context(), db.connection_context():
        fresh = _schema()
        _make_it_look_like_version_8()
        assert upgrade() == (8, LATEST)
        assert _schema() == fresh and _intact()
        CalendarCorrection.create(date=dt.date(2026, 3, 10), is_working=False, reason="Авария")
        assert not calendar.is_working_day(dt.date(2026, 3, 10))
        assert [t.code for t in TermRule.select().order_by(TermRule.sort_order)] == [
            row[0] for row in seed.TERMS]


def _contract(appeal: Appeal, name: str, *, type_code=DocumentType.CONTRACT) -> Document:
    """An organisation's document asking for the applicant's signature, placed as the back
    office could before version 10."""
    return Document.create(appeal=appeal, party="grid", organization=appeal.organization_id,
                           doc_type=name, type_code=type_code, file_name=f"{name}.pdf",
                           size=1, sha256="0" * 64, storage_key=f"key-{appeal.id}-{name}",
                           needs_applicant_signature=True)


def test_version_9_database_stops_asking_for_the_applicant_signature_on_offer_contracts(app):
    """On a п.14 / п.12(1) application the contract is concluded by paying the invoice:
    the upgrade stops asking for a signature nobody gave; a contract the applicant signed
    already, a contract of another path and other documents keep theirs."""
    with db.connection_context():
        person = applicant_user("offer@example.ru")
        offer = sent_appeal(person, complies=True)
        other = sent_appeal(person, complies=False)
        waiting = _contract(offer, "Договор")
        signed = _contract(offer, "Договор подписанный")
        Signature.create(document=signed, signer=person, side="applicant", kind=Signature.PEP)
        supply = _contract(offer, "Договор энергоснабжения",
                           type_code=DocumentType.SUPPLY_CONTRACT)
        regular = _contract(other, "Договор")
        _make_it_look_like_version_9()
        assert upgrade() == (9, LATEST)
        needs = {d.id: d.needs_applicant_signature for d in Document.select()}
        assert needs == {waiting.id: False, signed.id: True, supply.id: True, regular.id: True}
        assert Document.get_by_id(waiting.id).awaiting is None


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
        assert _schema() == fresh and _intact()
        rows = {(u.appeal_id, u.organization_id) for u in AppealUnread.select()}
        assert rows == {(seen_by_grid.id, gp.id), (read_before_new_data.id, grid.id),
                        (untouched.id, grid.id), (untouched.id, gp.id)}
        # the triggers are back: new data from the applicant is unread again
        clerk = staff("grid")
        assert not read_marks.unread_for_staff(seen_by_grid, clerk)
        seen_by_grid.applicant_activity_at = now + dt.timedelta(seconds=1)
        seen_by_grid.save()
        assert read_marks.unread_for_staff(seen_by_grid, clerk)


def test_version_5_database_gets_its_codes_from_the_seeded_names(app):
    """Upgrading codes the seeded catalogue rows by their names, the existing documents and
    catalogue statuses by their types' and statuses' names, and each appeal's last status
    kind by its history; a row renamed before the upgrade keeps no code, and the coded row
    is added anew."""
    with db.connection_context():
        person = applicant_user()
        paid, numbered = sent_appeal(person, complies=True), sent_appeal(person)
        when = utcnow()
        for appeal, kind, text, minute in (
                (paid, StatusEvent.NUMBER, "Присвоен регистрационный номер: 7", 1),
                (paid, StatusEvent.STATUS, "Договор заключен", 2),
                (numbered, StatusEvent.NUMBER, "Присвоен регистрационный номер: 8", 1)):
            StatusEvent.create(appeal=appeal, kind=kind, text=text,
                               created_at=when + dt.timedelta(minutes=minute))
        documents = {name: Document.create(appeal=paid, party=party, doc_type=name,
                                           file_name=f"{name}.pdf", size=1, sha256="0" * 64,
                                           storage_key=f"{party}-{len(name)}").id
                     for party, name in (("applicant", "Заявка"),
                                         ("grid", "Акт об осуществлении ТП"),
                                         ("supplier", "Иное"))}
        fresh = _schema()
        _make_it_look_like_version_5()
        db.execute_sql("UPDATE status_catalog SET name = 'Счёт выставлен' "
                       "WHERE name = 'Выставлен счет'")
        assert upgrade() == (5, LATEST)
        assert _schema() == fresh and _intact()
        codes = {(t.party, t.name): t.code for t in DocumentType.select()}
        assert codes == {(party, name): code for party, types in seed.DOC_TYPES.items()
                         for code, name in types}
        statuses = {s.name: s.code for s in StatusCatalog.select()}
        assert statuses == {**{name: code for code, name in seed.STATUSES},
                            "Счёт выставлен": None}
        assert {name: Document.get_by_id(i).type_code for name, i in documents.items()} == {
            "Заявка": DocumentType.APPLICATION,
            "Акт об осуществлении ТП": DocumentType.ACT_OF_CONNECTION,
            "Иное": DocumentType.OTHER}
        assert [e.code for e in StatusEvent.select().where(StatusEvent.code.is_null(False))] \
            == [StatusCatalog.CONTRACT_CONCLUDED]
        assert payments.concluded_at(StatusEvent.select().where(StatusEvent.appeal == paid.id))
        assert {a.id: a.last_status_kind for a in Appeal.select()} == {
            paid.id: StatusEvent.STATUS, numbered.id: StatusEvent.NUMBER}


def test_upgraded_database_still_works(app, client, auth):
    """After the upgrade the portal runs on it: register, and the search index answers."""
    with db.connection_context():
        _make_it_look_like_version_2()
        upgrade()
    assert auth.register().status_code == 302
    if not is_postgres():
        with db.connection_context():
            db.execute_sql("INSERT INTO appeal_fts(appeal_fts) VALUES('integrity-check')")


def test_version_10_database_starts_the_running_first_terms_from_the_history(app):
    """The step starts what the history tells: the grid company's first step where it has
    placed none of its documents, the answer of an unanswered message; nothing for an
    appeal whose step was taken, nor for an archived one."""
    sent = dt.datetime(2025, 12, 30, 9, 0)  # 12:00 in Moscow
    with app.app_context(), db.connection_context():
        person = applicant_user("history@example.ru")
        gp = supplier(0)
        offer = sent_appeal(person, complies=True, when=sent)
        temporary = sent_appeal(person, scheme="temporary", when=sent)
        answered = sent_appeal(person, when=sent)
        _contract(answered, "Договор")
        archived = sent_appeal(person, when=sent)
        Appeal.update(state=Appeal.ARCHIVE).where(Appeal.id == archived.id).execute()
        to_supplier = sent_appeal(person, Appeal.MESSAGE, organization=gp, subject="Вопрос",
                                  when=sent)
        fresh = _schema()
        _make_it_look_like_version_10()
        assert upgrade() == (10, LATEST)
        assert _schema() == fresh and _intact()
        terms = {(t.appeal_id, t.rule_code, t.who, t.organization_id, t.state): t.due_at
                 for t in AppealTerm.select()}
        # the new year's holidays run to 11.01.2026: the 10th working day after 30.12.2025
        # is 23.01.2026, the 15th 30.01.2026; each ends at the Moscow midnight (21:00 UTC)
        assert terms == {
            (offer.id, "post_offer_small", "grid", None, "open"): dt.datetime(2026, 1, 23, 21),
            (temporary.id, "send_contract_temporary", "grid", None, "open"):
                dt.datetime(2026, 1, 23, 21),
            (to_supplier.id, "answer_message", "supplier", gp.id, "open"):
                dt.datetime(2026, 1, 30, 21)}
        migrations.add_appeal_terms(None)  # the step again: nothing doubled
        assert AppealTerm.select().count() == 3


def test_version_11_database_gets_the_incomplete_requests(app):
    """Step 12 adds the tables of «Заявка неполная», and the appeals keep their terms."""
    with app.app_context(), db.connection_context():
        person = applicant_user("rounds@example.ru")
        appeal = sent_appeal(person)
        AppealTerm.create(appeal=appeal, rule_code="send_contract", who="grid",
                          started_at=utcnow(), due_at=utcnow())
        fresh = _schema()
        _make_it_look_like_version_11()
        assert upgrade() == (11, LATEST)
        assert _schema() == fresh and _intact()
        assert AppealTerm.select().count() == 1
        request = IncompleteRequest.create(appeal=appeal, round=1)
        IncompleteItem.create(request=request, code="site_plan")
        assert [i.code for i in request.items] == ["site_plan"]


def test_version_12_database_gets_the_reminder_marks_and_keeps_its_terms(app):
    """The running terms stay as they were, with no reminder marked: the reminders ahead of
    them are still to be written."""
    with app.app_context(), db.connection_context():
        person = applicant_user("marks@example.ru")
        appeal = sent_appeal(person, complies=True, when=dt.datetime(2025, 12, 30, 9, 0))
        AppealTerm.create(appeal=appeal, rule_code="post_offer_small", who="grid",
                          started_at=dt.datetime(2025, 12, 30, 9),
                          due_at=dt.datetime(2026, 1, 23, 21))
        fresh = _schema()
        _make_it_look_like_version_12()
        assert "reminded_before_at" not in {c.name for c in db.get_columns("appeal_term")}
        assert upgrade() == (12, LATEST)
        assert _schema() == fresh and _intact()
        [term] = AppealTerm.select()
        assert (term.due_at, term.reminded_before_at, term.reminded_overdue_at,
                term.applicant_started_sent_at, term.applicant_before_at) == (
            dt.datetime(2026, 1, 23, 21), None, None, None, None)


def test_version_14_database_gets_the_tp_term_facts_and_what_pauses_a_term(app):
    """The existing applications keep their choices and say nothing of the 44-ФЗ / 275-ФЗ
    buyer or the п.16 distance: their terms stay the ones they started with. The seeded
    «Сроки» learn which steps «Заявка неполная» stops."""
    with app.app_context(), db.connection_context():
        company = applicant_user("facts@example.ru", legal_form=User.COMPANY)
        appeal = sent_appeal(company, complies=True, power="15_150")
        fresh = _schema()
        _make_it_look_like_version_14()
        assert "public_buyer" not in {c.name for c in db.get_columns("appeal")}
        assert upgrade() == (14, LATEST)
        assert _schema() == fresh and _intact()
        kept = Appeal.get_by_id(appeal.id)
        assert (kept.power, kept.complies, kept.public_buyer, kept.distance_near) == (
            "15_150", True, False, None)
        paused = {r.code: r.paused_by for r in TermRule.select() if r.paused_by}
        assert paused == {code: "incomplete_notice" for code in (
            "post_offer_small", "send_contract", "send_contract_temporary")}


def test_version_13_database_copies_each_appeals_earliest_open_term_onto_it(app):
    """Step 14: the lists' «Срок» of an appeal is its earliest open term (who acts and its
    code), a supplier's clerk's its supplier's earliest; an appeal without an open term has
    none; the step again changes nothing."""
    sent = dt.datetime(2025, 12, 30, 9, 0)
    with app.app_context(), db.connection_context():
        person = applicant_user("summary@example.ru")
        gp = supplier(0)
        with_supplier = sent_appeal(person, supplier_org=gp, when=sent)
        clocks.application_sent(with_supplier, sent)
        message = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос", when=sent)
        clocks.message_received(message, message.organization, sent)
        clocks.organization_replied(message, message.organization, sent)
        expected = {a.id: (a.term_due_at, a.term_who, a.term_code, a.supplier_term_due_at)
                    for a in Appeal.select()}
        fresh = _schema()
        _make_it_look_like_version_13()
        assert upgrade() == (13, LATEST)
        assert _schema() == fresh and _intact()
        summary = {a.id: (a.term_due_at, a.term_who, a.term_code, a.supplier_term_due_at)
                   for a in Appeal.select()}
        # 30.12.2025 + 10 working days = 23.01.2026, the п.15 notice's 3 = 14.01.2026
        assert summary[with_supplier.id] == (dt.datetime(2026, 1, 14, 21), "grid",
                                             "notify_incomplete", dt.datetime(2026, 1, 23, 21))
        assert summary[message.id] == (None, None, None, None)
        assert summary == expected
        migrations.add_term_summary(migrations._migrator())
        assert {a.id: (a.term_due_at, a.term_who, a.term_code, a.supplier_term_due_at)
                for a in Appeal.select()} == summary
