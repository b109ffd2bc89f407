"""Applicant-side operations on appeals: drafts, documents, sending, the thread.

Both kinds of appeal (a ТП application and a message) share the Appeal model. Views, the
appeal page and the back office call these functions; every refusal is a Refusal
whose Russian message the view shows next to the field it names. Writes run inside
`db.atomic()`; e-mails to the organisations are outbox rows written in the same
transaction (the app's after-request hook queues them once committed).
"""
from domain.appeals import search_index
from domain.appeals.rules import (
    SENT_MESSAGE,
    SENT_TP,
    SUBJECT_MAX,
    check_tp,
    confirmation_help,
)
from domain.errors import Refusal
from domain.files import storage
from domain.files.uploads import (
    clean_file_name,
    content_type_of,
    store_upload,
    too_large_message,
)
from domain.links import backoffice_link
from domain.outbox import notify
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


def _parse_complies(value):
    """True / False / None from a form value ('yes'/'no'/'') or a bool."""
    if value is None or isinstance(value, bool):
        return value
    value = str(value).strip().lower()
    if value in ("yes", "1", "true", "on", "соответствует"):
        return True
    if value in ("no", "0", "false", "не соответствует"):
        return False
    return None


def _parse_supplier(value):
    """An active supplier from an Organization, an id or ''; raises for anything else."""
    if value in (None, "", "0", 0, "none"):
        return None
    supplier_id = value.id if isinstance(value, Organization) else value
    try:
        supplier_id = int(supplier_id)
    except (TypeError, ValueError):
        supplier_id = -1
    supplier = Organization.get_or_none((Organization.id == supplier_id)
                                        & (Organization.kind == Organization.SUPPLIER)
                                        & (Organization.active == True))  # noqa: E712
    if supplier is None:
        raise Refusal("Выберите гарантирующего поставщика из списка", "supplier")
    return supplier


def _apply_fields(appeal: Appeal, applicant, fields: dict):
    """Set the draft's fields from keyword values, checking each; raises Refusal."""
    errors = {}
    if appeal.kind == Appeal.TP:
        if "power" in fields:
            appeal.power = fields["power"] or None
        if "scheme" in fields:
            appeal.scheme = fields["scheme"] or None
        if "complies" in fields:
            appeal.complies = _parse_complies(fields["complies"])
        if "supplier" in fields:
            try:
                appeal.supplier = _parse_supplier(fields["supplier"])
            except Refusal as exc:
                errors.update(exc.errors)
        errors.update(check_tp(applicant, appeal.power, appeal.scheme, appeal.complies,
                               complete=False))
        appeal.organization = appeal.organization if appeal.organization_id else Organization.grid()
    else:
        if "subject" in fields:
            appeal.subject = " ".join((fields["subject"] or "").split())
            if len(appeal.subject) > SUBJECT_MAX:
                errors["subject"] = f"Тема не длиннее {SUBJECT_MAX} символов"
        recipient = fields.get("organization", fields.get("recipient"))
        if recipient not in (None, ""):
            recipient_id = recipient.id if isinstance(recipient, Organization) else recipient
            allowed = {o.id: o for o in message_recipients(applicant)}
            try:
                appeal.organization = allowed[int(recipient_id)]
            except (KeyError, TypeError, ValueError):
                errors["organization"] = "Выберите получателя сообщения из списка"
        if not appeal.organization_id and "organization" not in errors:
            appeal.organization = Organization.grid()
    for name in ("comment_html", "body_html"):
        if name in fields:
            appeal.comment_html = clean_html(fields[name])
    if errors:
        raise Refusal.of(errors)


def create_draft(applicant, kind: str, **fields) -> Appeal:
    """A new draft of kind 'tp' or 'message'. Fields: power, scheme, complies, supplier,
    comment_html (ТП); subject, organization, comment_html or body_html (message)."""
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


def _doc_type(doc_type: str | None, party: str) -> str:
    """The given type if it is known for the party, else «Иное»."""
    doc_type = (doc_type or "").strip()
    if not doc_type:
        return DEFAULT_DOC_TYPE
    if party == "applicant" and doc_type not in applicant_document_types():
        return DEFAULT_DOC_TYPE
    return doc_type[:255]


def _party_organization(party: str, uploaded_by):
    if party == "applicant":
        return None
    return getattr(uploaded_by, "organization", None)


def attach_stored(appeal: Appeal, uploaded_by, items, party: str = "applicant", post=None,
                  needs_applicant_signature: bool = False) -> list[Document]:
    """Document rows for files already in storage.

    items: dicts with key, size, sha256, name, doc_type (see portal/uploads.py)."""
    documents = []
    with db.atomic():
        for item in items:
            name = clean_file_name(item["name"])
            doc_type = _doc_type(item.get("doc_type"), party)
            documents.append(Document.create(
                appeal=appeal, post=post, party=party,
                organization=_party_organization(party, uploaded_by),
                doc_type=doc_type, type_code=DocumentType.code_for(party, doc_type),
                file_name=name,
                content_type=content_type_of(name), size=item["size"], sha256=item["sha256"],
                streebog256=item.get("streebog256", ""), streebog512=item.get("streebog512", ""),
                storage_key=item["key"], needs_applicant_signature=needs_applicant_signature,
                uploaded_by=uploaded_by, created_at=utcnow()))
    return documents


def _as_pairs(files) -> list:
    """[(FileStorage, doc_type)] from FileStorage objects or pairs; empty inputs skipped."""
    pairs = []
    for item in files or ():
        storage_file, doc_type = item if isinstance(item, (tuple, list)) else (item, None)
        if storage_file is not None and getattr(storage_file, "filename", None):
            pairs.append((storage_file, doc_type))
    return pairs


def add_documents(appeal: Appeal, uploaded_by, files, party: str = "applicant", post=None,
                  needs_applicant_signature: bool = False) -> list[Document]:
    """Stream files to storage and record them on the appeal.

    files: (FileStorage, doc_type) pairs (bare FileStorage objects get «Иное»).
    A file over the size limit (or empty) is refused by its name, the others are kept:
    their rows are created, then Refusal (field 'files') is raised with .documents
    holding the kept rows — catch it inside your transaction to keep them."""
    items, refused, empty = [], [], []
    try:
        for storage_file, doc_type in _as_pairs(files):
            try:
                # An organisation's file may be signed: hash it for the КЭП check now.
                item = store_upload(storage_file.stream, storage_file.filename,
                                    () if party == "applicant" else tuple(storage.EXTRA_DIGESTS))
            except Refusal as exc:
                (empty if "пуст" in exc.message else refused).append(
                    clean_file_name(storage_file.filename))
                continue
            item["doc_type"] = doc_type
            items.append(item)
        documents = attach_stored(appeal, uploaded_by, items, party, post,
                                  needs_applicant_signature)
    except BaseException:
        for item in items:
            storage.delete(item["key"])
        raise
    if refused or empty:
        parts = [too_large_message(refused)] if refused else []
        parts += [f"Файл «{n}» пуст и не загружен" for n in empty]
        error = Refusal("; ".join(parts), "files")
        error.documents = documents
        raise error
    return documents


def delete_documents(appeal: Appeal, document_ids) -> list[str]:
    """Remove applicant's documents from a draft; returns their storage keys, to be passed
    to discard_files() once the transaction has committed."""
    if appeal.state != Appeal.DRAFT:
        raise Refusal("Документ отправленного обращения удалить нельзя", "files")
    ids = {int(i) for i in document_ids if str(i).isdigit()}
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
        errors = check_tp(applicant, appeal.power, appeal.scheme, appeal.complies, complete=True)
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
        errors = {}
        if not appeal.subject.strip():
            errors["subject"] = "Введите тему сообщения"
        if not appeal.organization_id or appeal.organization_id not in {
                o.id for o in message_recipients(applicant)}:
            errors["organization"] = "Выберите получателя сообщения"
        if is_blank(appeal.comment_html):
            errors["body"] = "Введите текст сообщения"
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
        _notify_organizations(appeal, "org_new_appeal", post=post,
                              text=html_to_text(body), documents=documents)
    return appeal


def send_message(applicant, organization, subject: str, body_html: str, files=()) -> Appeal:
    """«Сообщение в сетевую организацию»: create and send a message in one go.

    Raises Refusal with every wrong field at once; nothing is kept on a refusal."""
    errors = {}
    if not " ".join((subject or "").split()):
        errors["subject"] = "Введите тему сообщения"
    if organization in (None, ""):
        errors["organization"] = "Выберите получателя сообщения"
    if is_blank(clean_html(body_html)):
        errors["body"] = "Введите текст сообщения"
    if errors:
        raise Refusal.of(errors)
    stored = []
    try:
        with db.atomic():
            appeal = create_draft(applicant, Appeal.MESSAGE, subject=subject,
                                  organization=organization, comment_html=body_html)
            stored = add_documents(appeal, applicant, files)
            send_appeal(appeal)
    except BaseException:
        for document in stored:
            storage.delete(document.storage_key)
        raise
    return appeal


def _touch(appeal: Appeal, now):
    appeal.applicant_activity_at = appeal.updated_at = now
    search_index.refresh_search_text(appeal)
    appeal.save()


def add_applicant_post(appeal: Appeal, applicant, body_html: str, files=()) -> Post:
    """The applicant writes to a sent appeal's thread (optionally with files, «Иное» unless
    given as (FileStorage, type) pairs); the organisations' inboxes are told."""
    if appeal.applicant_id != applicant.id:
        raise Refusal("Обращение не найдено")
    if appeal.state == Appeal.ARCHIVE:
        raise Refusal("Обращение находится в архиве: добавление сообщений недоступно", "body")
    if appeal.state == Appeal.DRAFT:
        raise Refusal("Черновик ещё не отправлен", "body")
    body = clean_html(body_html)
    pairs = _as_pairs(files)
    if is_blank(body) and not pairs:
        raise Refusal("Введите текст сообщения", "body")
    now = utcnow()
    documents = []
    try:
        with db.atomic():
            post = Post.create(appeal=appeal, author=applicant, side=Post.APPLICANT,
                               body_html=body, created_at=now)
            if pairs:
                documents = add_documents(appeal, applicant, pairs, post=post)
            _touch(appeal, now)
            _notify_organizations(appeal, "org_applicant_activity", post=post,
                                  text=html_to_text(body), documents=documents)
    except BaseException:
        for document in documents:
            storage.delete(document.storage_key)
        raise
    return post


def add_applicant_documents(appeal: Appeal, applicant, files=None, stored=None) -> list[Document]:
    """The applicant adds documents to a sent appeal (not an archived one); the
    organisations' inboxes are told. files: (FileStorage, type) pairs; stored: items
    already in storage (dicts with key, size, sha256, name, doc_type)."""
    if appeal.applicant_id != applicant.id:
        raise Refusal("Обращение не найдено")
    if appeal.state == Appeal.ARCHIVE:
        raise Refusal("Обращение находится в архиве: добавление документов недоступно",
                          "files")
    now = utcnow()
    documents, kept_error = [], None
    with db.atomic():
        if stored:
            documents += attach_stored(appeal, applicant, stored)
        if files:
            try:
                documents += add_documents(appeal, applicant, files)
            except Refusal as exc:
                documents += exc.documents
                kept_error = exc
        if documents and appeal.state != Appeal.DRAFT:
            _touch(appeal, now)
            _notify_organizations(appeal, "org_applicant_activity", post=None, text="",
                                  documents=documents)
    if kept_error:
        kept_error.documents = documents
        raise kept_error
    return documents
