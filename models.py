"""The domain model: users, organisations, appeals and everything hanging off them.

One DatabaseProxy serves SQLite and PostgreSQL alike; the URL decides which.
All times are stored as naive UTC and shown in Moscow time by the templates.
"""
import datetime as dt
import secrets

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
    fn,
)
from playhouse.db_url import connect

db = DatabaseProxy()


def utcnow() -> dt.datetime:
    """Current UTC time without tzinfo, the form every DateTimeField stores."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def connect_database(url: str):
    """Open the database named by URL and bind it to the proxy."""
    if url.startswith("sqlite"):
        # BEGIN IMMEDIATE: a transaction that reads before it writes would otherwise fail at
        # once with "database is locked" (WAL snapshot upgrade) when another connection —
        # the huey consumer threads, another request — wrote in between, instead of waiting
        # busy_timeout for the lock.
        database = connect(url, pragmas={"foreign_keys": 1, "journal_mode": "wal",
                                         "busy_timeout": 10000, "synchronous": "normal"},
                           lock_type="IMMEDIATE")
        _register_unicode_functions(database)
    else:
        # A pooled connection: opening a PostgreSQL connection per request costs ~8 ms.
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+pool://" + url.split("://", 1)[1]
        # No parallel workers: for a web request's short, LIMITed queries starting them
        # costs more than it saves (measured: a capped count 7 ms with one, 0.2 ms without).
        database = connect(url, max_connections=32, stale_timeout=300,
                           options="-c max_parallel_workers_per_gather=0")
    db.initialize(database)
    return database


def is_postgres() -> bool:
    """True when the proxy is bound to PostgreSQL (pooled or not)."""
    return isinstance(db.obj, PostgresqlDatabase)


def _register_unicode_functions(database):
    """SQLite's lower() folds only ASCII; give it a Unicode casefold for Russian search."""
    @database.func("casefold")
    def casefold(value):  # noqa: ANN001 - SQLite scalar function
        return value.casefold() if isinstance(value, str) else value


def fold(text: str | None) -> str:
    """Text as stored in search columns: casefolded, ё as е, single spaces."""
    return " ".join((text or "").casefold().replace("ё", "е").split())


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Organization(BaseModel):
    """The grid company (kind 'grid') or a guaranteeing supplier (kind 'supplier')."""
    GRID, SUPPLIER = "grid", "supplier"
    kind = CharField(max_length=16, index=True)
    name = CharField(max_length=255)
    short_name = CharField(max_length=255, default="")
    inn = CharField(max_length=12, default="")
    ogrn = CharField(max_length=15, default="")
    inbox_email = CharField(max_length=255, default="")
    phone = CharField(max_length=64, default="")
    address = CharField(max_length=500, default="")
    active = BooleanField(default=True)
    next_number = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name

    @classmethod
    def grid(cls):
        """The grid company running this portal (the first one created)."""
        return cls.select().where(cls.kind == cls.GRID).order_by(cls.id).first()

    @classmethod
    def suppliers(cls):
        return (cls.select().where((cls.kind == cls.SUPPLIER) & (cls.active == True))  # noqa: E712
                .order_by(cls.name))


class User(BaseModel):
    """Applicants and staff in one table; `role` tells them apart."""
    APPLICANT, GRID_CLERK, SUPPLIER_CLERK, ADMIN = "applicant", "grid", "supplier", "admin"
    STAFF_ROLES = (GRID_CLERK, SUPPLIER_CLERK, ADMIN)
    PERSON, SOLE_TRADER, COMPANY = "fl", "ip", "ul"
    LEGAL_FORMS = {PERSON: "Физическое лицо", SOLE_TRADER: "Индивидуальный предприниматель",
                   COMPANY: "Юридическое лицо"}

    email = CharField(max_length=255, unique=True)  # the login, stored lower-cased
    role = CharField(max_length=16, default=APPLICANT, index=True)
    organization = ForeignKeyField(Organization, null=True, backref="staff", on_delete="RESTRICT")
    legal_form = CharField(max_length=2, null=True)
    last_name = CharField(max_length=100, default="")
    first_name = CharField(max_length=100, default="")
    middle_name = CharField(max_length=100, default="")
    company_name = CharField(max_length=500, default="")
    snils = CharField(max_length=14, null=True, unique=True)
    inn = CharField(max_length=12, null=True, index=True)
    ogrn = CharField(max_length=13, null=True, index=True)
    ogrnip = CharField(max_length=15, null=True, index=True)
    kpp = CharField(max_length=9, null=True)
    phone = CharField(max_length=20, default="")
    notify_email = CharField(max_length=255, default="")
    password_hash = CharField(max_length=255)
    session_token = CharField(max_length=64, unique=True, default=lambda: secrets.token_urlsafe(32))
    is_active = BooleanField(default=True)
    confirmed = BooleanField(default=False)
    confirmed_by = ForeignKeyField("self", null=True, on_delete="SET NULL")
    confirmed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    search_text = TextField(default="")

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        # A token, not the row id: rotating it signs out every session of the user.
        return self.session_token

    # Domain helpers --------------------------------------------------------
    @property
    def is_staff(self):
        return self.role in self.STAFF_ROLES

    @property
    def is_applicant(self):
        return self.role == self.APPLICANT

    @property
    def full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self):
        """"Сергеев П. С." as the manual's menu shows the user."""
        initials = "".join(f"{p[0]}. " for p in (self.first_name, self.middle_name) if p).strip()
        return f"{self.last_name} {initials}".strip()

    @property
    def display_name(self):
        if self.legal_form == self.COMPANY and self.company_name:
            return f"{self.company_name} {self.short_name}"
        if self.legal_form == self.SOLE_TRADER:
            return f"ИП {self.short_name}"
        return self.short_name or self.email

    @property
    def legal_form_label(self):
        return self.LEGAL_FORMS.get(self.legal_form, "")

    @property
    def under_point_14(self) -> bool:
        """Whether this applicant's ТП application falls under п.14 of the Rules (Decree 861):
        a person does; a sole trader or a company falls under п.12(1)."""
        return self.legal_form == self.PERSON

    @property
    def application_point(self) -> str:
        """'п.14' for a person, 'п.12(1)' for a sole trader or a company."""
        return "п.14" if self.under_point_14 else "п.12(1)"

    def refresh_search_text(self):
        self.search_text = fold(" ".join(filter(None, (
            self.email, self.full_name, self.company_name, self.snils,
            (self.snils or "").replace("-", "").replace(" ", ""),
            self.inn, self.ogrn, self.ogrnip, self.phone, self.notify_email))))

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        return super().save(*args, **kwargs)

    @classmethod
    def by_email(cls, email: str):
        return cls.get_or_none(cls.email == (email or "").strip().lower())


class LegalDocument(BaseModel):
    """A text the applicant accepts at registration; each edit is a new version."""
    PERSONAL_DATA, E_INTERACTION = "personal-data", "e-interaction"
    key = CharField(max_length=32, index=True)
    version = IntegerField(default=1)
    title = CharField(max_length=255)
    body_html = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("key", "version"), True),)

    @classmethod
    def current(cls, key):
        return cls.select().where(cls.key == key).order_by(cls.version.desc()).first()


class Consent(BaseModel):
    """What an applicant accepted, which version, when and from where."""
    user = ForeignKeyField(User, backref="consents", on_delete="CASCADE")
    document = ForeignKeyField(LegalDocument, on_delete="RESTRICT")
    accepted_at = DateTimeField(default=utcnow)
    ip = CharField(max_length=64, default="")
    user_agent = CharField(max_length=500, default="")


class Setting(BaseModel):
    """Key/value settings edited by the administrator, with defaults in code."""
    DEFAULTS = {
        "require_confirmed": "1",
        "max_upload_mb": "30",
        "max_files_per_appeal": "50",
        "max_pending_mb": "300",
        "office_address": "г. Калиновск, ул. Энергетиков, д. 1, каб. 101",
        "office_hours": "пн–чт 8:30–17:30, пт 8:30–16:15",
        "contact_phone": "8 (800) 000-00-00",
        "contact_email": "info@so-online.ru",
    }
    TRUE_VALUES = ("1", "true", "yes", "on")
    key = CharField(max_length=64, unique=True)
    value = TextField(default="")

    @classmethod
    def values(cls, *keys: str) -> dict:
        """Several settings in one query, defaults filled in."""
        stored = {row.key: row.value for row in cls.select().where(cls.key.in_(keys))}
        return {key: stored.get(key, cls.DEFAULTS.get(key, "")) for key in keys}

    @classmethod
    def value_of(cls, key: str) -> str:
        row = cls.get_or_none(cls.key == key)
        return row.value if row else cls.DEFAULTS.get(key, "")

    @classmethod
    def flag(cls, key: str) -> bool:
        return cls.value_of(key) in cls.TRUE_VALUES

    @classmethod
    def put(cls, key: str, value: str):
        cls.insert(key=key, value=value).on_conflict(
            conflict_target=[cls.key], update={cls.value: value}).execute()


class LoginAttempt(BaseModel):
    """Every login attempt, for throttling brute force and for the audit."""
    email = CharField(max_length=255, index=True)
    ip = CharField(max_length=64, default="")
    success = BooleanField(default=False)
    at = DateTimeField(default=utcnow, index=True)


class AuditLog(BaseModel):
    """Append-only journal of staff actions and security events."""
    at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_email = CharField(max_length=255, default="")
    action = CharField(max_length=64, index=True)
    object_type = CharField(max_length=32, default="")
    object_id = CharField(max_length=64, default="")
    details = TextField(default="")
    ip = CharField(max_length=64, default="")


class StatusCatalog(BaseModel):
    """Statuses a clerk picks from; kept by the administrator.

    The seeded statuses carry a stable `code` (the administrator edits only the name):
    behaviour that depends on a status keys on its code, never on its text."""
    ACCEPTED, INCOMPLETE, CONTRACT_SENT, INVOICE_ISSUED = (
        "accepted", "incomplete", "contract_sent", "invoice_issued")
    CONTRACT_CONCLUDED, WORKS_IN_PROGRESS, CONNECTED, ANNULLED = (
        "contract_concluded", "works_in_progress", "connected", "annulled")
    name = CharField(max_length=255, unique=True)
    code = CharField(max_length=32, null=True, unique=True)  # NULL: added by the administrator
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)

    def __str__(self):
        return self.name

    @classmethod
    def code_for(cls, name: str) -> str | None:
        """The code of the catalogue status with this name (None for a free text)."""
        return cls.select(cls.code).where(cls.name == name).scalar()

    @classmethod
    def by_code(cls, code: str) -> "StatusCatalog":
        """The catalogue status with this code (seeded, so always there)."""
        return cls.get(cls.code == code)


class DocumentType(BaseModel):
    """Document types: for the applicant's uploads and for the organisations' documents.

    The seeded types carry a stable `code`, unique per party (the administrator edits only
    the name); a Document keeps its type's code, and behaviour keys on it."""
    APPLICANT, ORGANIZATION = "applicant", "organization"
    # The applicant's types.
    APPLICATION, DIAGRAM, SITE_PLAN, TITLE_DOCUMENT = (
        "application", "diagram", "site_plan", "title_document")
    POWER_OF_ATTORNEY, PAYMENT, OTHER = "power_of_attorney", "payment", "other"
    # The organisations' types (and OTHER).
    CONTRACT, TECHNICAL_CONDITIONS, INVOICE = "contract", "technical_conditions", "invoice"
    ACT_OF_CONNECTION, SUPPLY_CONTRACT = "act_of_connection", "supply_contract"
    name = CharField(max_length=255)
    code = CharField(max_length=32, null=True)  # NULL: added by the administrator
    party = CharField(max_length=16, default=APPLICANT)
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("party", "name"), True), (("party", "code"), True))

    def __str__(self):
        return self.name

    @classmethod
    def party_of(cls, document_party: str) -> str:
        """The catalogue's party of a Document's party (applicant / grid / supplier)."""
        return cls.APPLICANT if document_party == cls.APPLICANT else cls.ORGANIZATION

    @classmethod
    def code_for(cls, document_party: str, name: str) -> str | None:
        """The code of the type named `name` for a document of that party, if it has one."""
        return (cls.select(cls.code)
                .where((cls.party == cls.party_of(document_party)) & (cls.name == name))
                .scalar())

    @classmethod
    def by_code(cls, party: str, code: str) -> "DocumentType":
        """The catalogue's type of that party and code (seeded, so always there)."""
        return cls.get((cls.party == party) & (cls.code == code))


class Appeal(BaseModel):
    """An обращение: a ТП application (kind 'tp') or a message (kind 'message')."""
    TP, MESSAGE = "tp", "message"
    DRAFT, ACTIVE, ARCHIVE = "draft", "active", "archive"
    POWER_CHOICES = {"le15": "≤15 кВт", "15_150": ">15 и ≤150 кВт", "gt150": ">150 кВт"}
    SCHEME_CHOICES = {"permanent": "постоянная", "temporary": "временная"}
    #: п.16 «б»: the distance condition of the 4-month term, as the applicant answers it.
    DISTANCE_CHOICES = {"yes": "да", "no": "нет", "unknown": "не знаю"}
    #: The ТП application's own fields: what a draft takes from its form.
    TP_FIELDS = ("power", "scheme", "complies", "supplier", "public_buyer", "distance_near")

    applicant = ForeignKeyField(User, backref="appeals", on_delete="CASCADE")
    kind = CharField(max_length=16, index=True)
    state = CharField(max_length=16, default=DRAFT, index=True)
    organization = ForeignKeyField(Organization, backref="appeals", on_delete="RESTRICT")
    reg_number = CharField(max_length=64, null=True)
    subject = CharField(max_length=500, default="")
    power = CharField(max_length=8, null=True)
    scheme = CharField(max_length=16, null=True)
    complies = BooleanField(null=True)
    supplier = ForeignKeyField(Organization, null=True, backref="supplied_appeals",
                               on_delete="RESTRICT")
    # A buyer under 44-ФЗ / 275-ФЗ: 15 working days to pay the invoice (п.105–106), ИП/ЮЛ only.
    public_buyer = BooleanField(default=False)
    # The п.16 «б» distance condition (DISTANCE_CHOICES; None: not answered).
    distance_near = CharField(max_length=8, null=True)
    comment_html = TextField(default="")
    last_status = CharField(max_length=500, default="")
    # The kind of the last StatusEvent (StatusEvent.SENT, NUMBER, …); NULL for a draft.
    last_status_kind = CharField(max_length=16, null=True)
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow, index=True)
    sent_at = DateTimeField(null=True)
    # Read state: unread for a side when the other side added data after it last looked.
    applicant_activity_at = DateTimeField(null=True)
    staff_activity_at = DateTimeField(null=True)
    applicant_seen_at = DateTimeField(null=True)
    # Staff read state is per organisation: see AppealSeen.
    new_status_for_applicant = BooleanField(default=False)
    new_post_for_applicant = BooleanField(default=False)
    search_text = TextField(default="")
    # The appeal's earliest open term (AppealTerm), kept by domain/deadlines/clocks.py so
    # the lists filter and show «Срок» without reading appeal_term per row: its due_at,
    # who acts and its code; and the earliest open term of a supplier (what a supplier's
    # clerk sees).
    term_due_at = DateTimeField(null=True)
    term_who = CharField(max_length=16, null=True)
    term_code = CharField(max_length=64, null=True)
    supplier_term_due_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("organization", "reg_number"), True),
            # «Срок» filters of the lists (a due-date range) and their counts.
            (("term_due_at", "id"), False),
            (("supplier_term_due_at", "id"), False),
            # «Список обращений» reads these in order, by keyset (created/updated, id).
            (("applicant", "state", "created_at", "id"), False),
            (("applicant", "state", "updated_at", "id"), False),
            # The back office's «Статус» filter, in the list's default order.
            (("last_status", "updated_at", "id"), False),
            # Its «Присвоен регистрационный номер» entry (a number's text varies).
            (("last_status_kind", "updated_at", "id"), False),
            # The «Поставщик» filter and a supplier clerk's applications.
            (("supplier", "updated_at", "id"), False),
        )

    @property
    def power_label(self):
        return self.POWER_CHOICES.get(self.power, "")

    @property
    def scheme_label(self):
        return self.SCHEME_CHOICES.get(self.scheme, "")

    @property
    def distance_label(self):
        return self.DISTANCE_CHOICES.get(self.distance_near, "")

    @property
    def summary(self):
        """'≤15 кВт постоянная схема соответствует п.14 Правил' or 'Тема: …'."""
        if self.kind == self.MESSAGE:
            return f"Тема: {self.subject}"
        point = self.applicant.application_point
        parts = [self.power_label, f"{self.scheme_label} схема" if self.scheme else "",
                 (("соответствует" if self.complies else "не соответствует") + f" {point} Правил")
                 if self.complies is not None else ""]
        return " ".join(p for p in parts if p)

    @property
    def unread_for_applicant(self):
        return bool(self.staff_activity_at and (
            not self.applicant_seen_at or self.staff_activity_at > self.applicant_seen_at))


class AppealSeen(BaseModel):
    """When someone of an organisation last opened an appeal's page in the back office.

    The appeal is unread for that organisation while the applicant's latest data
    (Appeal.applicant_activity_at) is newer than seen_at, or no row exists."""
    # The unique (appeal, organization) index below serves lookups by appeal too.
    appeal = ForeignKeyField(Appeal, backref="seen_marks", on_delete="CASCADE", index=False)
    organization = ForeignKeyField(Organization, on_delete="CASCADE")
    seen_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("appeal", "organization"), True),)


class AppealUnread(BaseModel):
    """Staff unread marks as an index: one row per (appeal, organisation) while the
    applicant's latest data (activity_at) is newer than the organisation's AppealSeen.

    Kept by database triggers on appeal.applicant_activity_at (domain/appeals/unread_index.py) and
    cleared by read_marks.mark_seen_by_staff, so «Непрочитанные» reads a few index entries
    instead of testing every appeal against appeal_seen."""
    appeal = ForeignKeyField(Appeal, on_delete="CASCADE", index=False)
    organization = ForeignKeyField(Organization, on_delete="CASCADE", index=False)
    activity_at = DateTimeField()
    # Copies of the appeal's sort keys, so the filter pages by (organisation, date, id).
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("appeal", "organization"), True),
                   (("organization", "updated_at", "appeal"), False),
                   (("organization", "created_at", "appeal"), False))


class Post(BaseModel):
    """One message in an appeal's thread."""
    APPLICANT, GRID, SUPPLIER = "applicant", "grid", "supplier"
    appeal = ForeignKeyField(Appeal, backref="posts", on_delete="CASCADE")
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    side = CharField(max_length=16)
    organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
    body_html = TextField()
    created_at = DateTimeField(default=utcnow)


class StatusEvent(BaseModel):
    """One line of an appeal's status history."""
    SENT, NUMBER, STATUS, ARCHIVE = "sent", "number", "status", "archive"
    appeal = ForeignKeyField(Appeal, backref="status_events", on_delete="CASCADE")
    kind = CharField(max_length=16, default=STATUS)
    text = CharField(max_length=500)
    code = CharField(max_length=32, null=True)  # the catalogue status's code, if it has one
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)


class Document(BaseModel):
    """A file attached to an appeal by the applicant, the grid company or a supplier."""
    appeal = ForeignKeyField(Appeal, backref="documents", on_delete="CASCADE")
    post = ForeignKeyField(Post, null=True, backref="documents", on_delete="SET NULL")
    party = CharField(max_length=16)  # applicant / grid / supplier
    organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
    doc_type = CharField(max_length=255)  # the type's name when the document was added
    type_code = CharField(max_length=32, null=True)  # the type's code (DocumentType.code)
    file_name = CharField(max_length=255)
    content_type = CharField(max_length=255, default="application/octet-stream")
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    # Streebog-256/512 (hex) computed while an organisation's document was stored, so a
    # КЭП is checked against them without hashing the file again; "" = not recorded.
    streebog256 = CharField(max_length=64, default="")
    streebog512 = CharField(max_length=128, default="")
    storage_key = CharField(max_length=128, unique=True)
    needs_applicant_signature = BooleanField(default=False)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # Whose signature it waits for: 'organization', 'applicant' or NULL. Kept by database
    # triggers (domain/signing/awaiting.py), never written by the application.
    awaiting = CharField(max_length=16, null=True)

    class Meta:
        # The back office's home page counts (backoffice/home.py), newest first.
        indexes = ((("organization", "awaiting", "created_at"), False),)


class Signature(BaseModel):
    """A signature on a document: ПЭП by SMS code or КЭП (detached CAdES)."""
    PEP, KEP = "pep", "kep"
    document = ForeignKeyField(Document, backref="signatures", on_delete="CASCADE")
    signer = ForeignKeyField(User, null=True, on_delete="SET NULL")
    side = CharField(max_length=16)
    kind = CharField(max_length=8)
    signed_at = DateTimeField(default=utcnow)
    evidence = TextField(default="")  # JSON: hash, phone, ip, user agent, code id / report
    sig_storage_key = CharField(max_length=128, null=True)


class SmsCode(BaseModel):
    """A one-time ПЭП code, kept only as a hash."""
    user = ForeignKeyField(User, on_delete="CASCADE")
    document = ForeignKeyField(Document, null=True, on_delete="CASCADE")
    phone = CharField(max_length=20)
    code_hash = CharField(max_length=128)
    document_ids = CharField(max_length=500, default="")  # the documents the code signs: "3,7"
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    attempts = IntegerField(default=0)
    used_at = DateTimeField(null=True)


class Notification(BaseModel):
    """Outbox row for one e-mail or SMS; written in the same transaction as its event."""
    EMAIL, SMS = "email", "sms"
    channel = CharField(max_length=8, default=EMAIL)
    recipient = CharField(max_length=255)
    subject = CharField(max_length=500, default="")
    body_text = TextField(default="")
    body_html = TextField(default="")
    appeal = ForeignKeyField(Appeal, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)
    claimed_until = DateTimeField(null=True)  # a sender holds the row until then
    last_error = TextField(default="")
    sent_at = DateTimeField(null=True, index=True)
    # One-time codes and link tokens the message carries, as JSON {name: value}: the bodies
    # hold only ⟦name⟧ placeholders, the transport gets the values at delivery, and they
    # are wiped once the row is sent (domain/outbox/secrets.py).
    secrets = TextField(default="")


class CalendarCorrection(BaseModel):
    """One date of the production calendar the administrator made working or non-working,
    overriding the `holidays` library (domain/deadlines/calendar.py)."""
    date = DateField(unique=True)
    is_working = BooleanField()
    reason = TextField()
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # What the calendar's per-process cache checks to see a change (with the row count).
    updated_at = DateTimeField(default=utcnow, index=True)


class TermRule(BaseModel):
    """«Сроки»: one term of the Rules — the step, who must act, the events that start and
    end it (codes of domain/deadlines/terms.py), the event that pauses it, its length, its
    legal basis.

    Seeded (domain/setup/seed.py) and keyed on the stable `code`; the administrator edits
    the name, the length and the basis, never the code or the events."""
    GRID, APPLICANT, SUPPLIER, RECIPIENT = "grid", "applicant", "supplier", "recipient"
    WORKING_DAYS, CALENDAR_MONTHS = "working_days", "calendar_months"
    code = CharField(max_length=64, unique=True)
    name = CharField(max_length=255)
    who = CharField(max_length=16)
    starts_on = CharField(max_length=64)
    ends_on = CharField(max_length=64)
    length = IntegerField()
    unit = CharField(max_length=16, default=WORKING_DAYS)
    applies_to = CharField(max_length=255, default="")  # the case the row is for, if not all
    paused_by = CharField(max_length=64, default="")  # the event that stops the term, if any
    legal_basis = TextField(default="")
    sort_order = IntegerField(default=0)

    def __str__(self):
        return self.name


class AppealTerm(BaseModel):
    """One running or past term of an appeal: a TermRule (by code) started by an event of
    the appeal and ended by another (domain/deadlines/clocks.py). Stored, so lists and
    boards read due dates instead of counting working days per request."""
    # cancelled: annulled or archived, or the grid company's step stopped by «Заявка неполная»
    # (it starts again, as a new row, when the missing items arrive)
    OPEN, DONE, CANCELLED = "open", "done", "cancelled"
    appeal = ForeignKeyField(Appeal, backref="terms", on_delete="CASCADE")
    rule_code = CharField(max_length=64)  # TermRule.code: the texts may change, codes do not
    who = CharField(max_length=16)  # TermRule.GRID / APPLICANT / SUPPLIER
    # The supplier that must act when `who` is a supplier (or a message went to one).
    organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
    started_at = DateTimeField()  # the event's moment (UTC)
    due_at = DateTimeField()  # the exclusive end (calendar.term_ends_at), stored as UTC
    ended_at = DateTimeField(null=True)
    state = CharField(max_length=16, default=OPEN)
    # The reminders written for the term (domain/deadlines/reminders.py), each once: to the
    # acting organisation a working day before and once overdue; to the applicant when
    # the step starts and two working days before. A recompute clears those no longer true.
    reminded_before_at = DateTimeField(null=True)
    reminded_overdue_at = DateTimeField(null=True)
    applicant_started_sent_at = DateTimeField(null=True)
    applicant_before_at = DateTimeField(null=True)

    class Meta:
        # The open terms by due date (boards, reminders, «просрочено»); an appeal's open
        # terms by due date (clocks.summarise: without it SQLite walks the first index
        # for its ORDER BY, reading every open term per appeal).
        indexes = ((("state", "due_at"), False), (("appeal", "state", "due_at"), False))


class IncompleteRequest(BaseModel):
    """One round of «Заявка неполная» (п.15): what a clerk asked the applicant to complete;
    open until the applicant sends the missing items (answered_at)."""
    appeal = ForeignKeyField(Appeal, backref="incomplete_requests", on_delete="CASCADE")
    round = IntegerField()  # 1, 2, … per appeal
    clerk = ForeignKeyField(User, null=True, on_delete="SET NULL")
    organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("appeal", "round"), True),)


class IncompleteItem(BaseModel):
    """One missing item of a request: a code of the Rules' checklist
    (domain/appeals/incomplete.py), the clerk's comment, the applicant's answer (a text
    and/or a document)."""
    request = ForeignKeyField(IncompleteRequest, backref="items", on_delete="CASCADE")
    code = CharField(max_length=64)
    comment = TextField(default="")
    answer_text = TextField(default="")
    document = ForeignKeyField(Document, null=True, on_delete="SET NULL")
    answered = BooleanField(default=False)


ALL_MODELS = [Organization, User, LegalDocument, Consent, Setting, LoginAttempt, AuditLog,
              StatusCatalog, DocumentType, Appeal, Post, StatusEvent, Document, Signature,
              SmsCode, Notification, AppealSeen, AppealUnread, CalendarCorrection,
              TermRule, AppealTerm, IncompleteRequest, IncompleteItem]


def audit(action: str, *, actor=None, obj=None, details: str = "", ip: str = ""):
    """Append one row to the journal of actions."""
    AuditLog.create(actor=actor, actor_email=getattr(actor, "email", "") or "",
                    action=action, object_type=type(obj).__name__ if obj is not None else "",
                    object_id=str(getattr(obj, "id", "") or ""), details=details, ip=ip)


__all__ = [name for name in dir() if not name.startswith("_")] + ["fn"]
