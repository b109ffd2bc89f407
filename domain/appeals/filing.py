"""Applicant-side operations on appeals: drafts, documents, sending, the thread.

Both kinds of appeal (a ТП application and a message) share the Appeal model. Views, the
appeal page and the back office call these functions; every refusal is a Refusal
whose Russian message the view shows next to the field it names. Writes run inside
`db.atomic()`; e-mails to the organisations are outbox rows written in the same
transaction (the app's after-request hook queues them once committed).
"""
from domain.appeals import search_index
from domain.appeals.rules import (
    BODY_MISSING,
    SENT_MESSAGE,
    SENT_TP,
    check_message,
    check_tp,
    confirmation_help,
    message_subject,
)
from domain.deadlines import clocks
from domain.errors import Refusal
from domain.files import storage, uploads
from domain.links import backoffice_link
from domain.outbox import notify
from domain.request_input import record_id
from domain.text import clean_html, html_to_text, is_blank
from models import (
    Appeal,
    Document,
    DocumentType,
    Organization,
    Post,
    Setting,
    StatusEvent,
    db,
    utcnow,
)

DEFAULT_DOC_TYPE = "Иное"

FALLBACK_DOC_TYPES = ["Заявка", "Схема", "План расположения", "Правоустанавливающий документ",
                      "Доверенность", "Иное"]


def applicant_document_types() -> list[str]:
    """Types the applicant picks for an upload: the catalogue kept by the administrator."""
    names = [t.name for t in DocumentType.select(DocumentType.name)
             .where((DocumentType.party == DocumentType.APPLICANT) & (DocumentType.active == True))  # noqa: E712
             .order_by(DocumentType.sort_order, DocumentType.name)]
    return names or list(FALLBACK_DOC_TYPES)


def message_recipients(applicant) -> list[Organization]:
    """Who the applicant may write to: the grid company, then the suppliers named in any of
    their sent applications."""
    grid = Organization.grid()
    suppliers = (Organization.select().where(Organization.id.in_(
        Appeal.select(Appeal.supplier).where(
            (Appeal.applicant == applicant.id) & (Appeal.kind == Appeal.TP)
            & (Appeal.state != Appeal.DRAFT) & Appeal.supplier.is_null(False))))
        .order_by(Organization.name))
    return ([grid] if grid else []) + [s for s in suppliers if not grid or s.id != grid.id]


def _apply_fields(appeal: Appeal, applicant, fields: dict):
    """Set the draft's fields from keyword values and check them by the Rules; raises
    Refusal. ТП: the fields of Appeal.TP_FIELDS (supplier: an Organization or None);
    message: subject, organization (an Organization or its id); both: comment_html (or
    body_html)."""
    if appeal.kind == Appeal.TP:
        for name in Appeal.TP_FIELDS:
            if name in fields:
                setattr(appeal, name, fields[name])
        errors = check_tp(appeal, complete=False)
        appeal.organization = appeal.organization if appeal.organization_id else Organization.grid()
    else:
        if "subject" in fields:
            appeal.subject = message_subject(fields["subject"])
        recipient = fields.get("organization")
        recipient_id = getattr(recipient, "id", recipient) if recipient not in (None, "") else None
        allowed = {o.id: o for o in message_recipients(applicant)}
        errors = check_message(appeal.subject, recipient_id, "", allowed, complete=False)
        if recipient_id is not None and "organization" not in errors:
            appeal.organization = allowed[recipient_id]
        if not appeal.organization_id and "organization" not in errors:
            appeal.organization = Organization.grid()
    for name in ("comment_html", "body_html"):
        if name in fields:
            appeal.comment_html = clean_html(fields[name])
    if errors:
        raise Refusal.of(errors)


def create_draft(applicant, kind: str, **fields) -> Appeal:
    """A new draft of kind 'tp' or 'message' with the fields _apply_fields() takes."""
    if kind not in (Appeal.TP, Appeal.MESSAGE):
        raise Refusal("Неизвестный вид обращения")
    now = utcnow()
    appeal = Appeal(applicant=applicant, kind=kind, state=Appeal.DRAFT, created_at=now,
                    updated_at=now)
    _apply_fields(appeal, applicant, fields)
    with db.atomic():
        search_index.refresh_search_text(appeal)
        appeal.save()
    return appeal


def update_draft(appeal: Appeal, **fields) -> Appeal:
    """Change a draft; a sent appeal is refused."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Отправленное обращение изменить нельзя")
    _apply_fields(appeal, appeal.applicant, fields)
    with db.atomic():
        appeal.updated_at = utcnow()
        search_index.refresh_search_text(appeal)
        appeal.save()
    return appeal


def save_draft(applicant, kind: str, appeal, fields: dict, stored) -> Appeal:
    """Create the draft (appeal None) or update it, and attach the uploads the form carried."""
    draft = (create_draft(applicant, kind, **fields) if appeal is None
             else update_draft(appeal, **fields))
    attach_stored(draft, applicant, stored)
    return draft


def delete_draft(appeal: Appeal):
    """Delete a draft with its documents and their files in storage."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Удалить можно только черновик")
    keys = [d.storage_key for d in Document.select(Document.storage_key)
            .where(Document.appeal == appeal)]
    with db.atomic():
        appeal.delete_instance(recursive=True)
    for key in keys:
        storage.delete(key)


def attach_stored(appeal: Appeal, applicant, items, post=None) -> list[Document]:
    """Document rows for the applicant's files already in storage (items of
    domain/files/uploads); a type the catalogue does not know becomes «Иное»."""
    if not items:
        return []
    known = set(applicant_document_types())
    with db.atomic():
        return [uploads.create_document(appeal, item, party=uploads.APPLICANT,
                                        uploaded_by=applicant, post=post,
                                        doc_type=_known_type(item.get("doc_type"), known))
                for item in items]


def _known_type(doc_type: str | None, known: set) -> str:
    """The type if the applicant's catalogue has it, else «Иное»."""
    doc_type = (doc_type or "").strip()
    return doc_type if doc_type in known else DEFAULT_DOC_TYPE


def delete_documents(appeal: Appeal, document_ids) -> list[str]:
    """Remove applicant's documents from a draft; returns their storage keys, to be passed
    to discard_files() once the transaction has committed."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Документ отправленного обращения удалить нельзя", "files")
    ids = {record_id(i) for i in document_ids} - {None}
    if not ids:
        return []
    query = Document.select().where((Document.appeal == appeal) & (Document.id.in_(ids))
                                    & (Document.party == "applicant"))
    documents = list(query)
    with db.atomic():
        for document in documents:
            document.delete_instance()
    return [d.storage_key for d in documents]


def discard_files(keys):
    """Delete stored files (after the transaction that dropped their rows committed)."""
    for key in keys:
        storage.delete(key)


def set_document_types(appeal: Appeal, types: dict):
    """Change the types of a draft's documents: {document id: type}."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Отправленное обращение изменить нельзя")
    known = applicant_document_types()
    with db.atomic():
        for document in Document.select().where((Document.appeal == appeal)
                                                & (Document.party == "applicant")):
            new = types.get(document.id)
            if new and new in known and new != document.doc_type:
                document.doc_type = new
                document.type_code = DocumentType.code_for(document.party, new)
                document.save()


def _recipients(appeal: Appeal) -> list[Organization]:
    """Organisations told about the appeal: its addressee and, for ТП, the chosen supplier."""
    orgs = [appeal.organization]
    if appeal.kind == Appeal.TP and appeal.supplier_id and appeal.supplier_id != appeal.organization_id:
        orgs.append(appeal.supplier)
    return orgs


def _notify_organizations(appeal: Appeal, template: str, **context):
    """One e-mail per involved organisation's inbox (none without an inbox address)."""
    link = backoffice_link()
    documents = context.pop("documents", None) or []
    for org in _recipients(appeal):
        notify.email(org.inbox_email, template, appeal=appeal, org=org, a=appeal,
                     applicant=appeal.applicant, link=link, documents=documents,
                     grid_name=(Organization.grid() or org).name, **context)


def send_appeal(appeal: Appeal) -> Appeal:
    """Send a draft to its organisation: state active, the status «… отправлена в сетевую»,
    the comment (ТП) or the text (message) as the applicant's first post, an e-mail to the
    organisation's inbox. Raises Refusal when something is missing."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Обращение уже отправлено")
    applicant = appeal.applicant
    documents = list(Document.select().where((Document.appeal == appeal)
                                             & (Document.party == "applicant")))
    if appeal.kind == Appeal.TP:
        errors = check_tp(appeal, complete=True)
        if not any(d.type_code == DocumentType.APPLICATION for d in documents):
            application = DocumentType.by_code(DocumentType.APPLICANT, DocumentType.APPLICATION)
            errors["files"] = ("Приложите заполненную заявку: хотя бы один документ с типом "
                               f"«{application.name}»")
        if errors:
            raise Refusal.of(errors)
        if Setting.flag("require_confirmed") and not applicant.confirmed:
            raise Refusal(confirmation_help(applicant), "confirmation")
        status, body = SENT_TP, appeal.comment_html
    else:
        errors = check_message(appeal.subject, appeal.organization_id, appeal.comment_html,
                               [o.id for o in message_recipients(applicant)], complete=True)
        if errors:
            raise Refusal.of(errors)
        status, body = SENT_MESSAGE, appeal.comment_html
    now = utcnow()
    with db.atomic():
        post = None
        if not is_blank(body):
            post = Post.create(appeal=appeal, author=applicant, side=Post.APPLICANT,
                               body_html=clean_html(body), created_at=now)
            if appeal.kind == Appeal.MESSAGE:
                Document.update(post=post).where(Document.appeal == appeal).execute()
        StatusEvent.create(appeal=appeal, kind=StatusEvent.SENT, text=status, author=applicant,
                           created_at=now)
        appeal.state = Appeal.ACTIVE
        appeal.sent_at = appeal.updated_at = appeal.applicant_activity_at = now
        appeal.last_status, appeal.last_status_kind = status, StatusEvent.SENT
        search_index.refresh_search_text(appeal)
        appeal.save()
        if appeal.kind == Appeal.TP:
            clocks.application_sent(appeal, now)
        else:
            clocks.message_received(appeal, appeal.organization, now)
        _notify_organizations(appeal, "org_new_appeal", post=post,
                              text=html_to_text(body), documents=documents)
    return appeal


def _touch(appeal: Appeal, now):
    appeal.applicant_activity_at = appeal.updated_at = now
    search_index.refresh_search_text(appeal)
    appeal.save()


def add_applicant_post(appeal: Appeal, applicant, body_html: str, files=()) -> Post:
    """The applicant writes to a sent appeal's thread, optionally with files: (FileStorage,
    type) pairs. A refused file refuses the whole post; the organisations' inboxes are told."""
    if appeal.applicant_id != applicant.id:
        raise Refusal("Обращение не найдено")
    if appeal.state == Appeal.ARCHIVE:
        raise Refusal("Обращение находится в архиве: добавление сообщений недоступно", "body")
    if appeal.state == Appeal.DRAFT:
        raise Refusal("Черновик ещё не отправлен", "body")
    body = clean_html(body_html)
    items, refused = uploads.store_files(files, room=uploads.room_on(appeal))
    with uploads.discarded_on_failure(items):
        if refused:
            raise refused
        if is_blank(body) and not items:
            raise Refusal(BODY_MISSING, "body")
        now = utcnow()
        with db.atomic():
            post = Post.create(appeal=appeal, author=applicant, side=Post.APPLICANT,
                               body_html=body, created_at=now)
            documents = attach_stored(appeal, applicant, items, post=post)
            _touch(appeal, now)
            clocks.message_received(appeal, appeal.organization, now)
            _notify_organizations(appeal, "org_applicant_activity", post=post,
                                  text=html_to_text(body), documents=documents)
    return post


def add_applicant_documents(appeal: Appeal, applicant, files=(), stored=()) -> list[Document]:
    """The applicant adds documents to a sent appeal (not an archived one); the
    organisations' inboxes are told. files: (FileStorage, type) pairs; stored: items already
    in storage (uploads.store_upload), removed again when they are refused. A file over the
    limit or empty is refused by its name and the others are kept: Refusal (field 'files')
    is raised after, with .documents."""
    items = list(stored)
    with uploads.discarded_on_failure(items):
        if appeal.applicant_id != applicant.id:
            raise Refusal("Обращение не найдено")
        if appeal.state == Appeal.ARCHIVE:
            raise Refusal("Обращение находится в архиве: добавление документов недоступно",
                          "files")
        new, refused = uploads.store_files(files, room=uploads.room_on(appeal, carried=len(items)))
        items += new
        with db.atomic():
            documents = attach_stored(appeal, applicant, items)
            if documents and appeal.state != Appeal.DRAFT:
                _touch(appeal, utcnow())
                _notify_organizations(appeal, "org_applicant_activity", post=None, text="",
                                      documents=documents)
    if refused:
        refused.documents = documents
        raise refused
    return documents
