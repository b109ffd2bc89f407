"""Staff-side work on appeals: registration numbers, statuses, replies, documents, archive.

Each operation runs in one transaction that updates the appeal (last status, times,
the applicant's «new» marks, the search column), writes the journal of actions and the
applicant's e-mail into the outbox. Callers outside a request call notify.flush() after.

Who may act: the clerk's organisation acts (the grid company for grid clerks and
administrators, the supplier for supplier clerks). A supplier clerk works only with the
ТП applications naming its supplier and the messages addressed to it; registration
numbers and the archive belong to the appeal's receiving organisation.
"""
from peewee import IntegrityError

from domain.appeals import search_index
from domain.appeals.access import (
    ARCHIVE,
    DOCUMENT,
    NUMBER,
    POST,
    STATUS,
    acting_organization,
    require,
    side_of,
)
from domain.appeals.filing import DEFAULT_DOC_TYPE
from domain.appeals.rules import BODY_MISSING, contract_unsigned_text, offer_path
from domain.client_info import client_ip
from domain.deadlines import clocks
from domain.errors import Refusal
from domain.files import uploads
from domain.links import portal_link
from domain.outbox import notify
from domain.text import clean_rich_text, html_to_text, is_blank
from domain.transactions import locked_appeal, write_transaction
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    Post,
    StatusCatalog,
    StatusEvent,
    User,
    audit,
    db,
    utcnow,
)

MAX_NUMBER_LENGTH = 64
MAX_STATUS_LENGTH = 500
STATUS_MISSING = "Выберите статус из списка или введите свой"
FILE_MISSING = "Выберите файл"
DOC_TYPE_MISSING = "Выберите тип документа"
ARCHIVED_TEXT = "Обращение перемещено в архив"
UNARCHIVED_TEXT = "Обращение возвращено из архива"


# Shared steps ----------------------------------------------------------------------

def _touch(appeal: Appeal, now, *, status: StatusEvent | None = None, extra_texts=()):
    """Mark staff activity on the appeal (and its new last status) and rebuild its search
    column."""
    appeal.updated_at = now
    appeal.staff_activity_at = now
    if status is not None:
        appeal.last_status = status.text[:MAX_STATUS_LENGTH]
        appeal.last_status_kind = status.kind
    search_index.refresh_search_text(appeal, extra_texts=extra_texts)


def _room(appeal: Appeal, clerk: User) -> int | None:
    """How many more files the clerk's organisation may attach to the appeal (None: the
    clerk acts for none, and require() refuses them)."""
    org = acting_organization(clerk)
    return uploads.room_on(appeal, side_of(org)) if org else None


def notify_applicant(appeal: Appeal, template: str, **context):
    """The applicant's e-mail (none when their notification address is empty)."""
    applicant = User.get_by_id(appeal.applicant_id)
    appeal.applicant = applicant
    # notify.email keeps `appeal` for the outbox row; templates see it as `case`.
    return notify.email(applicant.notify_email, template, appeal=appeal, case=appeal,
                        link=portal_link(appeal), **context)


# Operations ------------------------------------------------------------------------

def assign_number(appeal: Appeal, clerk: User, number: str | None = None) -> str:
    """«Присвоить регистрационный номер»: the next number of the receiving organisation's
    counter, or the number the clerk typed (refused when taken in that organisation)."""
    typed = " ".join((number or "").split())
    if len(typed) > MAX_NUMBER_LENGTH:
        raise Refusal("Номер слишком длинный", "number")
    with write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, NUMBER)
        if appeal.reg_number:
            raise Refusal(f"Регистрационный номер уже присвоен: {appeal.reg_number}",
                                "number")
        taken = Appeal.select(Appeal.id).where(
            (Appeal.organization == appeal.organization_id) & (Appeal.id != appeal.id))
        if typed:
            if taken.where(Appeal.reg_number == typed).exists():
                raise Refusal(f"Номер {typed} уже присвоен другому обращению", "number")
            value = typed
        else:
            value = _next_free_number(appeal.organization_id, taken)
        _claim_number(appeal, value)
        now = utcnow()
        appeal.reg_number = value
        text = f"Присвоен регистрационный номер: {value}"
        org = acting_organization(clerk)
        event = StatusEvent.create(appeal=appeal, kind=StatusEvent.NUMBER, text=text,
                                   author=clerk, organization=org, created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=event)
        appeal.save()
        audit("appeal_number", actor=clerk, obj=appeal, details=f"№ {value}", ip=client_ip())
        notify_applicant(appeal, "appeal_number", number=value)
    return value


def _claim_number(appeal: Appeal, value: str):
    """Write the number first: the unique (organisation, number) index is the real guard.

    Two clerks typing the same number on two appeals at once both pass the check above on
    PostgreSQL (each reads before the other commits); the second write then violates the
    index, which is the clerk's refusal, not a server error."""
    try:
        with db.atomic():  # a savepoint: the violation is confined to this write
            Appeal.update(reg_number=value).where(Appeal.id == appeal.id).execute()
    except IntegrityError:
        raise Refusal(f"Номер {value} уже присвоен другому обращению", "number") from None


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
        raise Refusal(STATUS_MISSING, "status")
    if len(text) > MAX_STATUS_LENGTH:
        raise Refusal("Текст статуса слишком длинный", "status")
    with write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, STATUS)
        now = utcnow()
        event = StatusEvent.create(appeal=appeal, kind=StatusEvent.STATUS, text=text,
                                   code=StatusCatalog.code_for(text), author=clerk,
                                   organization=acting_organization(clerk), created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=event)
        appeal.save()
        _status_clocks(appeal, event)
        audit("appeal_status", actor=clerk, obj=appeal, details=text, ip=client_ip())
        notify_applicant(appeal, "appeal_status", status=text)
    return event


def _status_clocks(appeal: Appeal, event: StatusEvent):
    """What a catalogue status does to the terms: «Договор заключен» starts the connection's,
    «Заявка аннулирована» stops them all."""
    if event.code == StatusCatalog.CONTRACT_CONCLUDED:
        clocks.contract_concluded(appeal, event.created_at)
    elif event.code == StatusCatalog.ANNULLED:
        clocks.appeal_closed(appeal, event.created_at)


def add_staff_post(appeal: Appeal, clerk: User, body_html: str, files=()) -> Post:
    """A reply in the appeal's thread, with optional attachments («Иное»); a refused file
    refuses the whole reply."""
    body = clean_rich_text(body_html)
    items, refused = uploads.store_files([(file, DEFAULT_DOC_TYPE) for file in files or ()],
                                         for_organization=True, room=_room(appeal, clerk))
    with uploads.discarded_on_failure(items):
        if refused:
            raise refused
        if is_blank(body) and not items:
            raise Refusal(BODY_MISSING, "body")
        with write_transaction():
            appeal = locked_appeal(appeal)
            require(clerk, appeal, POST)
            org = acting_organization(clerk)
            now = utcnow()
            post = Post.create(appeal=appeal, author=clerk, side=side_of(org), organization=org,
                               body_html=body, created_at=now)
            names = [uploads.create_document(appeal, item, party=side_of(org), organization=org,
                                             uploaded_by=clerk, doc_type=item["doc_type"],
                                             post=post).file_name
                     for item in items]
            appeal.new_post_for_applicant = True
            _touch(appeal, now)  # the post is saved: refresh_search reads it
            appeal.save()
            clocks.organization_replied(appeal, org, now)
            audit("appeal_post", actor=clerk, obj=appeal,
                  details=f"ответ{'; файлы: ' + ', '.join(names) if names else ''}", ip=client_ip())
            notify_applicant(appeal, "appeal_post", text=html_to_text(body), files=names,
                    from_supplier=org.kind == Organization.SUPPLIER, organization=org)
    return post


def organization_document_types():
    """Types a clerk can pick for «Разместить документ»."""
    return (DocumentType.select()
            .where((DocumentType.party == DocumentType.ORGANIZATION) & (DocumentType.active == True))  # noqa: E712
            .order_by(DocumentType.sort_order, DocumentType.name))


def unsigned_contract_type(appeal: Appeal, types) -> str | None:
    """Among `types` (DocumentType rows), the name of the contract's when the applicant
    does not sign this appeal's contract (п.14 / п.12(1): paying the invoice concludes it)."""
    if not offer_path(appeal):
        return None
    return next((t.name for t in types if t.code == DocumentType.CONTRACT), None)


def place_document(appeal: Appeal, clerk: User, file, doc_type: str,
                   needs_applicant_signature: bool = False) -> Document:
    """«Разместить документ»: a file of an organisation's type, maybe to be signed (never
    the contract of an application on the п.14 / п.12(1) path)."""
    doc_type = " ".join((doc_type or "").split())
    if not file or not file.filename:
        raise Refusal(FILE_MISSING, "file")
    chosen = organization_document_types().where(DocumentType.name == doc_type).first()
    if chosen is None:
        raise Refusal(DOC_TYPE_MISSING, "doc_type")
    if needs_applicant_signature and unsigned_contract_type(appeal, [chosen]):
        raise Refusal(contract_unsigned_text(User.get_by_id(appeal.applicant_id)),
                      "needs_signature")
    item = uploads.store_upload(file.stream, file.filename, for_organization=True, field="file",
                                room=_room(appeal, clerk))
    with uploads.discarded_on_failure([item]), write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, DOCUMENT)
        org = acting_organization(clerk)
        document = uploads.create_document(
            appeal, item, party=side_of(org), organization=org, uploaded_by=clerk,
            doc_type=doc_type, needs_applicant_signature=needs_applicant_signature)
        _touch(appeal, document.created_at)
        appeal.save()
        clocks.document_placed(appeal, document, org, document.created_at)
        audit("appeal_document", actor=clerk, obj=appeal,
              details=f"{doc_type}: {document.file_name}"
                      f"{' (требуется подпись заявителя)' if needs_applicant_signature else ''}",
              ip=client_ip())
        notify_applicant(appeal, "appeal_document", document=document, organization=org)
    return document


def archive(appeal: Appeal, clerk: User) -> Appeal:
    """«В архив»: the appeal becomes read-only for the applicant."""
    return _move(appeal, clerk, Appeal.ARCHIVE)


def unarchive(appeal: Appeal, clerk: User) -> Appeal:
    """«Из архива»: the appeal is active again."""
    return _move(appeal, clerk, Appeal.ACTIVE)


def _move(appeal: Appeal, clerk: User, state: str) -> Appeal:
    with write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, ARCHIVE)
        if appeal.state == state:
            raise Refusal("Обращение уже в архиве" if state == Appeal.ARCHIVE
                                else "Обращение не в архиве", "state")
        now = utcnow()
        text = ARCHIVED_TEXT if state == Appeal.ARCHIVE else UNARCHIVED_TEXT
        appeal.state = state
        event = StatusEvent.create(appeal=appeal, kind=StatusEvent.ARCHIVE, text=text,
                                   author=clerk, organization=acting_organization(clerk),
                                   created_at=now)
        appeal.new_status_for_applicant = True
        _touch(appeal, now, status=event)
        appeal.save()
        if state == Appeal.ARCHIVE:
            clocks.appeal_closed(appeal, now)
        audit("appeal_archive" if state == Appeal.ARCHIVE else "appeal_unarchive",
              actor=clerk, obj=appeal, ip=client_ip())
        notify_applicant(appeal, "appeal_status", status=text)
    return appeal
