"""Staff-side work on appeals: registration numbers, statuses, replies, documents, archive.

Each operation runs in one transaction that updates the appeal (last status, times,
the applicant's «new» marks, the search column), writes the journal of actions and the
applicant's e-mail into the outbox. Callers outside a request call notify.flush() after.

Who may act: the clerk's organisation acts (the grid company for grid clerks and
administrators, the supplier for supplier clerks). A supplier clerk works only with the
ТП applications naming its supplier and the messages addressed to it; registration
numbers and the archive belong to the appeal's receiving organisation.
"""
from flask import current_app, has_request_context, request
from peewee import EXCLUDED, SQL, fn

from domain.outbox import notify
from domain.files import storage
from models import (Appeal, AppealSeen, AppealUnread, Document, DocumentType, Organization,
                    Post, Setting, StatusEvent, User, audit, db, is_postgres, utcnow)
from domain.text import clean_rich_text, html_to_text, is_blank

VIEW, NUMBER, STATUS, POST, DOCUMENT, ARCHIVE = (
    "view", "number", "status", "post", "document", "archive")
MAX_NUMBER_LENGTH = 64
MAX_STATUS_LENGTH = 500
ARCHIVED_TEXT = "Обращение перемещено в архив"
UNARCHIVED_TEXT = "Обращение возвращено из архива"


class CaseworkError(ValueError):
    """A refused action; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


# Who may do what -------------------------------------------------------------------

def acting_organization(clerk: User) -> Organization | None:
    """The organisation a clerk acts for: its own, or the grid company for grid staff."""
    if clerk.role == User.SUPPLIER_CLERK:
        return clerk.organization if clerk.organization_id else None
    if clerk.role in (User.GRID_CLERK, User.ADMIN):
        if clerk.organization_id:
            return clerk.organization
        return Organization.grid()
    return None


def visible_to(clerk: User, appeal: Appeal) -> bool:
    """True when the clerk may see the appeal (drafts are never shown to staff).

    Mirrors backoffice.scoping.visible_condition, which does the same in SQL."""
    if not clerk or not clerk.is_active or appeal.state == Appeal.DRAFT:
        return False
    if clerk.role in (User.GRID_CLERK, User.ADMIN):
        return True
    if clerk.role != User.SUPPLIER_CLERK or not clerk.organization_id:
        return False
    if appeal.kind == Appeal.TP:
        return appeal.supplier_id == clerk.organization_id
    return appeal.organization_id == clerk.organization_id


def may(clerk: User, appeal: Appeal, action: str) -> bool:
    """Whether the clerk may perform `action` on the appeal.

    Numbering and archiving belong to the receiving organisation; replies, statuses
    and documents to anyone who sees the appeal."""
    if not visible_to(clerk, appeal):
        return False
    if action in (NUMBER, ARCHIVE):
        org = acting_organization(clerk)
        return bool(org and org.id == appeal.organization_id)
    return action in (VIEW, STATUS, POST, DOCUMENT)


def _require(clerk: User, appeal: Appeal, action: str):
    if not may(clerk, appeal, action):
        raise PermissionError(f"{clerk.email} may not {action} appeal {appeal.id}")


def side_of(org: Organization) -> str:
    """Post/Document party of an organisation: 'grid' or 'supplier'."""
    return Post.SUPPLIER if org.kind == Organization.SUPPLIER else Post.GRID


# Shared steps ----------------------------------------------------------------------

def _write_transaction():
    """A transaction that takes the write lock at once on SQLite.

    In WAL mode a transaction that read first and writes later fails with SQLITE_BUSY
    when another writer committed in between; BEGIN IMMEDIATE waits its turn instead."""
    if not is_postgres():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def _locked(appeal: Appeal) -> Appeal:
    """The appeal re-read inside the transaction (row-locked on PostgreSQL)."""
    query = Appeal.select().where(Appeal.id == appeal.id)
    if db.obj.for_update:
        query = query.for_update()
    return query.get()


def _ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def portal_link(appeal: Appeal) -> str:
    """Absolute link to the appeal's page in the portal, for e-mails."""
    base = current_app.config.get("BASE_URL")
    if not base and has_request_context():
        base = request.host_url
    return f"{(base or 'http://localhost').rstrip('/')}/appeals/{appeal.id}"


def _touch(appeal: Appeal, now, *, status: str | None = None, extra_texts=()):
    """Mark staff activity on the appeal and rebuild its search column."""
    appeal.updated_at = now
    appeal.staff_activity_at = now
    if status is not None:
        appeal.last_status = status[:MAX_STATUS_LENGTH]
    appeal.refresh_search(extra_texts=extra_texts)


def _notify(appeal: Appeal, template: str, **context):
    """The applicant's e-mail (none when their notification address is empty)."""
    applicant = User.get_by_id(appeal.applicant_id)
    appeal.applicant = applicant
    # notify.email keeps `appeal` for the outbox row; templates see it as `case`.
    return notify.email(applicant.notify_email, template, appeal=appeal, case=appeal,
                        link=portal_link(appeal), **context)


def _max_upload_bytes() -> int:
    try:
        return int(float(Setting.value_of("max_upload_mb")) * 1024 * 1024)
    except ValueError:
        return 30 * 1024 * 1024


def _store(file) -> storage.Stored:
    """Stream an uploaded file to storage; Russian error when too large.

    An organisation's file may be signed with КЭП, so its Streebog-256/512 are computed
    in the same pass (stored on the Document; signing checks against them)."""
    try:
        return storage.save_stream(file.stream, _max_upload_bytes(),
                                   extra_digests=tuple(storage.EXTRA_DIGESTS))
    except storage.TooLarge:
        raise CaseworkError(
            f"Файл «{file.filename}» больше {Setting.value_of('max_upload_mb')} МБ", "file") from None


def _file_name(file) -> str:
    name = (getattr(file, "filename", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "файл"


# Operations ------------------------------------------------------------------------

def assign_number(appeal: Appeal, clerk: User, number: str | None = None) -> str:
    """«Присвоить регистрационный номер»: the next number of the receiving organisation's
    counter, or the number the clerk typed (refused when taken in that organisation)."""
    typed = " ".join((number or "").split())
    if len(typed) > MAX_NUMBER_LENGTH:
        raise CaseworkError("Номер слишком длинный", "number")
    with _write_transaction():
        appeal = _locked(appeal)
        _require(clerk, appeal, NUMBER)
        if appeal.reg_number:
            raise CaseworkError(f"Регистрационный номер уже присвоен: {appeal.reg_number}",
                                "number")
        taken = Appeal.select(Appeal.id).where(
            (Appeal.organization == appeal.organization_id) & (Appeal.id != appeal.id))
        if typed:
            if taken.where(Appeal.reg_number == typed).exists():
                raise CaseworkError(f"Номер {typed} уже присвоен другому обращению", "number")
            value = typed
        else:
            value = _next_free_number(appeal.organization_id, taken)
        now = utcnow()
        appeal.reg_number = value
        text = f"Присвоен регистрационный номер: {value}"
        org = acting_organization(clerk)
        StatusEvent.create(appeal=appeal, kind=StatusEvent.NUMBER, text=text, author=clerk,
                           organization=org, created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=text)
        appeal.save()
        audit("appeal_number", actor=clerk, obj=appeal, details=f"№ {value}", ip=_ip())
        _notify(appeal, "appeal_number", number=value)
    return value


def _next_free_number(organization_id: int, taken) -> str:
    """Take numbers from the organisation's counter until one is not used yet.

    The UPDATE increments the counter in place, so concurrent transactions queue on the
    row lock (PostgreSQL) or the write lock (SQLite) and never read the same value."""
    while True:
        Organization.update(next_number=Organization.next_number + 1).where(
            Organization.id == organization_id).execute()
        counter = (Organization.select(Organization.next_number)
                   .where(Organization.id == organization_id).scalar())
        value = str(counter - 1)
        if not taken.where(Appeal.reg_number == value).exists():
            return value


def add_status(appeal: Appeal, clerk: User, text: str) -> StatusEvent:
    """«Добавить статус»: a catalogue status or a free text."""
    text = " ".join((text or "").split())
    if not text:
        raise CaseworkError("Выберите статус из списка или введите свой", "status")
    if len(text) > MAX_STATUS_LENGTH:
        raise CaseworkError("Текст статуса слишком длинный", "status")
    with _write_transaction():
        appeal = _locked(appeal)
        _require(clerk, appeal, STATUS)
        now = utcnow()
        event = StatusEvent.create(appeal=appeal, kind=StatusEvent.STATUS, text=text,
                                   author=clerk, organization=acting_organization(clerk),
                                   created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=text)
        appeal.save()
        audit("appeal_status", actor=clerk, obj=appeal, details=text, ip=_ip())
        _notify(appeal, "appeal_status", status=text)
    return event


def add_staff_post(appeal: Appeal, clerk: User, body_html: str, files=()) -> Post:
    """A reply in the appeal's thread, with optional attachments."""
    body = clean_rich_text(body_html)
    files = [f for f in files or () if f and getattr(f, "filename", "")]
    if is_blank(body) and not files:
        raise CaseworkError("Введите текст сообщения", "body")
    stored = []
    try:
        for file in files:
            saved = _store(file)
            stored.append((file, *saved, saved.digests))
        with _write_transaction():
            appeal = _locked(appeal)
            _require(clerk, appeal, POST)
            org = acting_organization(clerk)
            now = utcnow()
            post = Post.create(appeal=appeal, author=clerk, side=side_of(org), organization=org,
                               body_html=body, created_at=now)
            names = []
            for file, key, size, sha, digests in stored:
                Document.create(appeal=appeal, post=post, party=side_of(org), organization=org,
                                doc_type="Иное", file_name=_file_name(file),
                                content_type=_content_type(file), size=size, sha256=sha,
                                **digests, storage_key=key, uploaded_by=clerk, created_at=now)
                names.append(_file_name(file))
            appeal.new_post_for_applicant = True
            _touch(appeal, now)  # the post is saved: refresh_search reads it
            appeal.save()
            audit("appeal_post", actor=clerk, obj=appeal,
                  details=f"ответ{'; файлы: ' + ', '.join(names) if names else ''}", ip=_ip())
            _notify(appeal, "appeal_post", text=html_to_text(body), files=names,
                    from_supplier=org.kind == Organization.SUPPLIER, organization=org)
    except BaseException:
        for _file, key, _size, _sha, _digests in stored:
            storage.delete(key)
        raise
    return post


def _content_type(file) -> str:
    return (getattr(file, "mimetype", "") or "application/octet-stream")[:255]


def organization_document_types():
    """Types a clerk can pick for «Разместить документ»."""
    return (DocumentType.select()
            .where((DocumentType.party == DocumentType.ORGANIZATION) & (DocumentType.active == True))  # noqa: E712
            .order_by(DocumentType.sort_order, DocumentType.name))


def place_document(appeal: Appeal, clerk: User, file, doc_type: str,
                   needs_applicant_signature: bool = False) -> Document:
    """«Разместить документ»: a file of an organisation's type, maybe to be signed."""
    doc_type = " ".join((doc_type or "").split())
    if not file or not getattr(file, "filename", ""):
        raise CaseworkError("Выберите файл", "file")
    if not organization_document_types().where(DocumentType.name == doc_type).exists():
        raise CaseworkError("Выберите тип документа", "doc_type")
    key, size, sha = saved = _store(file)
    try:
        with _write_transaction():
            appeal = _locked(appeal)
            _require(clerk, appeal, DOCUMENT)
            org = acting_organization(clerk)
            now = utcnow()
            document = Document.create(
                appeal=appeal, party=side_of(org), organization=org, doc_type=doc_type,
                file_name=_file_name(file), content_type=_content_type(file), size=size,
                sha256=sha, **saved.digests, storage_key=key, uploaded_by=clerk, created_at=now,
                needs_applicant_signature=bool(needs_applicant_signature))
            _touch(appeal, now)
            appeal.save()
            audit("appeal_document", actor=clerk, obj=appeal,
                  details=f"{doc_type}: {document.file_name}"
                          f"{' (требуется подпись заявителя)' if needs_applicant_signature else ''}",
                  ip=_ip())
            _notify(appeal, "appeal_document", document=document, organization=org)
    except BaseException:
        storage.delete(key)
        raise
    return document


def archive(appeal: Appeal, clerk: User) -> Appeal:
    """«В архив»: the appeal becomes read-only for the applicant."""
    return _move(appeal, clerk, Appeal.ARCHIVE)


def unarchive(appeal: Appeal, clerk: User) -> Appeal:
    """«Из архива»: the appeal is active again."""
    return _move(appeal, clerk, Appeal.ACTIVE)


def _move(appeal: Appeal, clerk: User, state: str) -> Appeal:
    with _write_transaction():
        appeal = _locked(appeal)
        _require(clerk, appeal, ARCHIVE)
        if appeal.state == state:
            raise CaseworkError("Обращение уже в архиве" if state == Appeal.ARCHIVE
                                else "Обращение не в архиве", "state")
        now = utcnow()
        text = ARCHIVED_TEXT if state == Appeal.ARCHIVE else UNARCHIVED_TEXT
        appeal.state = state
        StatusEvent.create(appeal=appeal, kind=StatusEvent.ARCHIVE, text=text, author=clerk,
                           organization=acting_organization(clerk), created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=text)
        appeal.save()
        audit("appeal_archive" if state == Appeal.ARCHIVE else "appeal_unarchive",
              actor=clerk, obj=appeal, ip=_ip())
        _notify(appeal, "appeal_status", status=text)
    return appeal


# Read marks ------------------------------------------------------------------------
# Each organisation has its own: a supplier clerk opening an application does not make it
# read for the grid company, and the other way round.

def staff_organization_id(clerk: User) -> int | None:
    """Id of the organisation the clerk acts for (no query when the account names it)."""
    if clerk.role in (User.GRID_CLERK, User.ADMIN, User.SUPPLIER_CLERK) and clerk.organization_id:
        return clerk.organization_id
    org = acting_organization(clerk)
    return org.id if org else None


def unread_for_staff_condition(organization_id: int | None):
    """SQL condition on Appeal: data from the applicant that nobody of the organisation
    has opened since — its appeal_unread row exists (one unique-index lookup per row)."""
    return fn.EXISTS(AppealUnread.select(SQL("1")).where(
        (AppealUnread.appeal == Appeal.id) & (AppealUnread.organization == organization_id)))


def unread_for_staff(appeal: Appeal, clerk: User) -> bool:
    """Whether the appeal has applicant data the clerk's organisation has not opened."""
    return (AppealUnread.select().where((AppealUnread.appeal == appeal.id)
                                        & (AppealUnread.organization
                                           == staff_organization_id(clerk)))
            .exists())


def mark_seen_by_staff(appeal: Appeal, clerk: User, seen_at=None):
    """Opening the appeal's page: the applicant's data up to `seen_at` (by default now;
    the page passes the moment it started reading) is read by the clerk's organisation.

    One upsert per (appeal, organisation); a later mark never moves back in time. The
    organisation's unread row goes only if the page read the applicant's latest data."""
    organization_id = staff_organization_id(clerk)
    if organization_id is None:
        return
    seen_at = seen_at or utcnow()
    with db.atomic():
        (AppealSeen.insert(appeal=appeal.id, organization=organization_id, seen_at=seen_at)
         .on_conflict(conflict_target=[AppealSeen.appeal, AppealSeen.organization],
                      preserve=[AppealSeen.seen_at],
                      where=(AppealSeen.seen_at < EXCLUDED.seen_at))
         .execute())
        (AppealUnread.delete()
         .where((AppealUnread.appeal == appeal.id)
                & (AppealUnread.organization == organization_id)
                & (AppealUnread.activity_at <= seen_at))
         .execute())
