"""Schema creation and in-place upgrades with peewee's playhouse.migrations.

A fresh database gets every table from the current models and is stamped with the
latest version; an existing one runs, in order, the steps it has not seen yet.
To change the schema: edit the model, then append a step to STEPS that brings an
existing database to the same shape (migrator.add_column, add_index, ...).
"""
from peewee import CharField, IntegerField, Model, fn
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate  # noqa: F401

from domain.appeals import unread_index
from domain.appeals.search_index import create_search_index, refresh_all_identities
from domain.deadlines import calendar, clocks
from domain.setup.seed import seed_catalogues, seed_paused_by, seed_terms
from domain.signing import awaiting
from models import (
    ALL_MODELS,
    Appeal,
    AppealTerm,
    AppealSeen,
    AppealUnread,
    CalendarCorrection,
    Document,
    DocumentType,
    IncompleteItem,
    IncompleteRequest,
    Notification,
    Organization,
    Post,
    Signature,
    SmsCode,
    StatusCatalog,
    StatusEvent,
    TermRule,
    User,
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
    operations += _missing_indexes(migrator, Appeal)
    migrate(*operations)


def _missing_columns(migrator, model, names) -> list:
    """Operations adding the model's fields of these names the table lacks (nullable ones:
    a NOT NULL column takes plain ALTER TABLE, see add_tp_term_facts)."""
    table = model._meta.table_name
    columns = {column.name for column in db.get_columns(table)}
    return [migrator.add_column(table, name, getattr(model, name))
            for name in names if name not in columns]


def _missing_indexes(migrator, model) -> list:
    """Operations adding the indexes of the model's Meta the database lacks, on columns it
    has: an index on a column a later step adds is left to that step (SQLite would take the
    missing column's quoted name for a string and index a constant)."""
    table = model._meta.table_name
    existing = {index.name for index in db.get_indexes(table)}
    columns = {column.name for column in db.get_columns(table)}
    operations = []
    for fields, unique in model._meta.indexes:
        columns_of_index = [getattr(model, f).column_name for f in fields]
        if f"{table}_{'_'.join(columns_of_index)}" not in existing \
                and columns.issuperset(columns_of_index):
            operations.append(migrator.add_index(table, columns_of_index, unique))
    return operations


def add_staff_unread_index(migrator):
    """Version 4: appeal_unread, the staff unread marks as rows kept by triggers on appeal,
    filled from the existing appeals and read marks; the index of the «Статус» filter."""
    migrate(*_missing_indexes(migrator, Appeal))
    db.create_tables([AppealUnread], safe=True)
    unread_index.install()
    unread_index.rebuild()


def add_document_awaiting(migrator):
    """Version 5: document.awaiting (whose signature it waits for), kept by triggers
    (awaiting.py) and filled from the signatures there, with the index of the back
    office's home page counts."""
    if "awaiting" not in {c.name for c in db.get_columns("document")}:
        migrate(migrator.add_column("document", "awaiting", Document.awaiting))
    migrate(*_missing_indexes(migrator, Document))
    awaiting.install()
    awaiting.rebuild()


def add_catalogue_codes(migrator):
    """Version 6: stable codes of the catalogues' seeded rows (document_type.code,
    status_catalog.code), given by the names they were seeded with; the type's code on each
    document, the catalogue status's code on each status event, and appeal.last_status_kind
    with the index of the «Присвоен регистрационный номер» filter, filled from the history."""
    columns = [(DocumentType, "code"), (StatusCatalog, "code"), (Document, "type_code"),
               (StatusEvent, "code"), (Appeal, "last_status_kind")]
    for model, name in columns:
        migrate(*_missing_columns(migrator, model, [name]))
    migrate(*_missing_indexes(migrator, DocumentType), *_missing_indexes(migrator, Appeal))
    seed_catalogues()
    _fill_document_type_codes()
    _fill_status_codes()
    _fill_last_status_kinds()


def _fill_document_type_codes():
    """document.type_code of the existing documents: their type's, matched by the name the
    document kept, in the catalogue of its party."""
    for doc_type in DocumentType.select().where(DocumentType.code.is_null(False)):
        parties = ([DocumentType.APPLICANT] if doc_type.party == DocumentType.APPLICANT
                   else [Organization.GRID, Organization.SUPPLIER])
        (Document.update(type_code=doc_type.code)
         .where((Document.doc_type == doc_type.name) & Document.party.in_(parties)
                & Document.type_code.is_null())
         .execute())


def _fill_status_codes():
    """status_event.code of the statuses clerks picked from the catalogue."""
    for status in StatusCatalog.select().where(StatusCatalog.code.is_null(False)):
        (StatusEvent.update(code=status.code)
         .where((StatusEvent.text == status.name) & (StatusEvent.kind == StatusEvent.STATUS)
                & StatusEvent.code.is_null())
         .execute())


def _fill_last_status_kinds():
    """appeal.last_status_kind: the kind of each appeal's latest status event."""
    latest = StatusEvent.alias()
    kind = (latest.select(latest.kind).where(latest.appeal == Appeal.id)
            .order_by(latest.created_at.desc(), latest.id.desc()).limit(1))
    Appeal.update(last_status_kind=kind).where(Appeal.last_status_kind.is_null()).execute()


# Each step takes the migrator and upgrades an existing database by one version.
def add_notification_secrets(migrator):
    """Version 7: notification.secrets, where a code or a link waits for the transport
    instead of lying in the message staff can read (domain/outbox/secrets.py)."""
    if "secrets" not in {c.name for c in db.get_columns("notification")}:
        migrate(migrator.add_column("notification", "secrets", Notification.secrets))


def add_applicant_to_search_text(migrator):
    """Version 8: the applicant's name, company name, СНИЛС, ИНН and e-mail at the head of
    each appeal's search text (search_index.IDENTITY_END), so clerks find appeals by who
    filed them: the applicants' own search text first (in batches, only where it is
    stale), then one UPDATE of the appeals; on SQLite the triggers re-index them."""
    _refresh_applicant_texts()
    refresh_all_identities()


def _refresh_applicant_texts(batch: int = 500):
    """User.search_text of every applicant as User.save() would write it now."""
    last = 0
    while True:
        users = list(User.select().where((User.role == User.APPLICANT) & (User.id > last))
                     .order_by(User.id).limit(batch))
        if not users:
            return
        for user in users:
            stored = user.search_text
            user.refresh_search_text()
            if user.search_text != stored:
                User.update(search_text=user.search_text).where(User.id == user.id).execute()
        last = users[-1].id


def add_calendar_and_terms(migrator):
    """Version 9: calendar_correction (the administrator's corrections of the production
    calendar) and term_rule («Сроки»), seeded. It needs nothing of step 8, and creates and
    seeds only what is missing."""
    db.create_tables([CalendarCorrection, TermRule], safe=True)
    seed_terms()


def drop_contract_signatures_on_offer_path(migrator):
    """Version 10: a contract placed before the back office refused it with «требуется
    подпись заявителя» on a п.14 / п.12(1) application (paying the invoice concludes it)
    no longer asks the applicant to sign, unless they already signed it; the awaiting
    triggers follow."""
    signed = Signature.select(Signature.id).where((Signature.document == Document.id)
                                                  & (Signature.side == "applicant"))
    offer_path = Appeal.select(Appeal.id).where((Appeal.kind == Appeal.TP)
                                                & (Appeal.complies == True))  # noqa: E712
    (Document.update(needs_applicant_signature=False)
     .where((Document.type_code == DocumentType.CONTRACT)
            & (Document.party != "applicant")
            & Document.needs_applicant_signature
            & Document.appeal.in_(offer_path) & ~fn.EXISTS(signed))
     .execute())


def add_appeal_terms(migrator):
    """Version 11: appeal_term, the stored terms of the appeals (domain/deadlines/clocks.py).

    What the history tells cheaply is started: the grid company's first step of each active
    ТП application where it has placed none of that step's documents yet, and the answer
    of each active message nobody has replied to, both counted from the moment it was sent.
    Later steps of the appeals open now start with their next events."""
    db.create_tables([AppealTerm], safe=True)
    if AppealTerm.select().exists():
        return
    in_force = calendar.current()
    # The columns version 9 made (later steps add others to term_rule).
    rules = {r.code: r for r in TermRule.select(TermRule.id, TermRule.code, TermRule.who,
                                                TermRule.length, TermRule.unit)}
    orgs = {o.id: o for o in Organization.select()}
    rows = [_history_term(appeal, rules[code], in_force, orgs)
            for appeal, code in _history_steps()]
    for start in range(0, len(rows), 500):
        AppealTerm.insert_many(rows[start:start + 500]).execute()


def _history_steps():
    """(appeal, rule code) of the active appeals whose first term is still running."""
    grid_docs = Document.select(Document.id).where(
        (Document.appeal == Appeal.id) & (Document.party == "grid")
        & Document.type_code.in_([DocumentType.CONTRACT, DocumentType.TECHNICAL_CONDITIONS]))
    replies = Post.select(Post.id).where((Post.appeal == Appeal.id) & (Post.side != Post.APPLICANT))
    active = (Appeal.select(Appeal.id, Appeal.kind, Appeal.complies, Appeal.scheme,
                            Appeal.sent_at, Appeal.organization)
              .where((Appeal.state == Appeal.ACTIVE) & Appeal.sent_at.is_null(False)))
    for appeal in active.where((Appeal.kind == Appeal.TP) & ~fn.EXISTS(grid_docs)).iterator():
        yield appeal, clocks.contract_step(appeal)
    for appeal in active.where((Appeal.kind == Appeal.MESSAGE) & ~fn.EXISTS(replies)).iterator():
        yield appeal, clocks.ANSWER_MESSAGE


def _history_term(appeal: Appeal, rule: TermRule, in_force, orgs: dict) -> dict:
    """The row of a term started when the appeal was sent (a message's by its addressee)."""
    who, org_id = (clocks.acting(orgs[appeal.organization_id])
                   if appeal.kind == Appeal.MESSAGE else (rule.who, None))
    return {"appeal": appeal.id, "rule_code": rule.code, "who": who, "organization": org_id,
            "started_at": appeal.sent_at, "state": AppealTerm.OPEN,
            "due_at": clocks.due_at(rule, appeal.sent_at, in_force)}


def add_incomplete_requests(migrator):
    """Version 12: incomplete_request and incomplete_item, the rounds of «Заявка неполная»
    (п.15) with the items asked for; no history to fill (the loop is new)."""
    db.create_tables([IncompleteRequest, IncompleteItem], safe=True)


REMINDER_MARKS = ("reminded_before_at", "reminded_overdue_at", "applicant_started_sent_at",
                  "applicant_before_at")


def add_term_reminder_marks(migrator):
    """Version 13: the reminder marks of appeal_term (nullable: the terms running now get
    the reminders still ahead of them; their «step starts» e-mail is not sent late)."""
    migrate(*_missing_columns(migrator, AppealTerm, REMINDER_MARKS))


TERM_SUMMARY = ("term_due_at", "term_who", "term_code", "supplier_term_due_at")


def add_term_summary(migrator):
    """Version 14: the appeal's copy of its earliest open term (Appeal.term_*, kept by
    clocks.summarise) with its indexes and appeal_term's (appeal, state, due_at), filled
    from appeal_term for the appeals with an open term."""
    migrate(*_missing_columns(migrator, Appeal, TERM_SUMMARY))
    migrate(*_missing_indexes(migrator, Appeal), *_missing_indexes(migrator, AppealTerm))
    clocks.summarise_many()



TP_FACTS = ("public_buyer", "distance_near")


def add_tp_term_facts(migrator):
    """Version 15: the ТП application's facts that choose a term (the 44-ФЗ / 275-ФЗ
    buyer's tick, unticked on the existing appeals; the п.16 distance condition,
    unanswered), and term_rule.paused_by, seeded for the steps «Заявка неполная» stops."""
    columns = {c.name for c in db.get_columns("appeal")}
    # Plain ALTER TABLE: peewee's NOT NULL path rebuilds an SQLite table, losing its triggers.
    if "public_buyer" not in columns:
        db.execute_sql("ALTER TABLE appeal ADD COLUMN public_buyer BOOLEAN NOT NULL DEFAULT FALSE")
    if "distance_near" not in columns:
        migrate(migrator.add_column("appeal", "distance_near", Appeal.distance_near))
    if "paused_by" not in {c.name for c in db.get_columns("term_rule")}:
        db.execute_sql("ALTER TABLE term_rule ADD COLUMN paused_by VARCHAR(64) NOT NULL "
                       "DEFAULT ''")
    seed_paused_by()


STEPS: list = [
    # version 1 is the initial schema, created from the models.
    add_search_index,  # 2
    add_read_marks_and_signing_data,  # 3
    add_staff_unread_index,  # 4
    add_document_awaiting,  # 5
    add_catalogue_codes,  # 6
    add_notification_secrets,  # 7
    add_applicant_to_search_text,  # 8
    add_calendar_and_terms,  # 9
    drop_contract_signatures_on_offer_path,  # 10
    add_appeal_terms,  # 11
    add_incomplete_requests,  # 12
    add_term_reminder_marks,  # 13
    add_term_summary,  # 14
    add_tp_term_facts,  # 15
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
