"""Applicant-side operations on appeals: drafts, documents, sending, the thread.

Both kinds of appeal (a ТП application and a message) share the Appeal model. Views, the
appeal page and the back office call these functions; every refusal is an AppealError
whose Russian message the view shows next to the field it names. Writes run inside
`db.atomic()`; e-mails to the organisations are outbox rows written in the same
transaction (the app's after-request hook queues them once committed).
"""
import mimetypes
import unicodedata

from flask import current_app, has_request_context, url_for

from domain.outbox import notify
from domain.files import storage
from models import (Appeal, Document, DocumentType, Organization, Post, Setting, StatusEvent,
                    User, db, utcnow)
from domain.text import clean_html, html_to_text, is_blank

SENT_TP = "Заявка создана и отправлена в сетевую"
SENT_MESSAGE = "Сообщение создано и отправлено"
APPLICATION_DOC_TYPE = "Заявка"
DEFAULT_DOC_TYPE = "Иное"
FALLBACK_DOC_TYPES = ["Заявка", "Схема", "План расположения", "Правоустанавливающий документ",
                      "Доверенность", "Иное"]
MAX_NAME = 200
SUBJECT_MAX = 500

P14_TEXT = (
    "В пункте 14 Правил технологического присоединения указаны: Заявители - физические лица, "
    "подающие заявку в целях технологического присоединения энергопринимающих устройств, "
    "максимальная мощность которых составляет до 15 кВт включительно (с учетом ранее "
    "присоединенных в данной точке присоединения энергопринимающих устройств), которые "
    "используются для бытовых и иных нужд, не связанных с осуществлением предпринимательской "
    "деятельности, и электроснабжение которых предусматривается по одному источнику")
P12_1_TEXT = (
    "В пункте 12(1) Правил технологического присоединения указаны: Заявители - юридические "
    "лица или индивидуальные предприниматели, подающие заявку в целях технологического "
    "присоединения энергопринимающих устройств, максимальная мощность которых составляет свыше "
    "15 и до 150 кВт включительно (с учетом ранее присоединенных в данной точке присоединения "
    "энергопринимающих устройств), по второй или третьей категории надежности, а также "
    "заявители - юридические лица или индивидуальные предприниматели, подающие заявку в целях "
    "технологического присоединения энергопринимающих устройств, максимальная мощность которых "
    "составляет до 15 кВт включительно, по одному источнику электроснабжения")
REFUSED_P14 = ("Пункт 14 Правил распространяется только на физических лиц с максимальной "
               "мощностью до 15 кВт включительно: при мощности {power} заявка не соответствует "
               "п.14. Выберите «не соответствует» или мощность ≤15 кВт.")
REFUSED_P12_1 = ("Пункт 12(1) Правил распространяется только на юридических лиц и "
                 "индивидуальных предпринимателей с максимальной мощностью до 150 кВт "
                 "включительно: при мощности >150 кВт заявка не соответствует п.12(1). "
                 "Выберите «не соответствует» или мощность до 150 кВт.")


class AppealError(Exception):
    """A refusal with a Russian message for the user.

    field: the form field the message belongs beside (None: the whole form).
    errors: {field: message} when several fields are wrong at once.
    documents: for upload refusals, the documents that were kept (the others' rows).
    """

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = dict(errors) if errors else ({field: message} if field else {})
        self.documents: list = []

    def __str__(self):
        return self.message

    @classmethod
    def of(cls, errors: dict) -> "AppealError":
        """One error carrying several fields' messages (the first one is the message)."""
        field, message = next(iter(errors.items()))
        return cls(message, field, errors)


# ---- look-ups ------------------------------------------------------------------------------

def own_appeal(applicant, appeal_id) -> Appeal | None:
    """The applicant's appeal with that id, or None (anybody else's is None too)."""
    try:
        appeal_id = int(appeal_id)
    except (TypeError, ValueError):
        return None
    return Appeal.get_or_none((Appeal.id == appeal_id) & (Appeal.applicant == applicant.id))


def own_document(applicant, document_id) -> Document | None:
    """A document (of any party) of one of the applicant's appeals, or None."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        return None
    return (Document.select().join(Appeal)
            .where((Document.id == document_id) & (Appeal.applicant == applicant.id)).first())


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


def application_point(applicant) -> str:
    """'п.14' for a person, 'п.12(1)' for a sole trader or a company."""
    return "п.14" if applicant.legal_form == User.PERSON else "п.12(1)"


def point_text(applicant) -> str:
    """The explanatory text of п.14 (person) or п.12(1) (ИП, ЮЛ) shown under the question."""
    return P14_TEXT if applicant.legal_form == User.PERSON else P12_1_TEXT


def max_upload_mb() -> int:
    """The largest file in MB (setting "max_upload_mb", 30 by default)."""
    try:
        return max(1, int(Setting.value_of("max_upload_mb") or 30))
    except ValueError:
        return 30


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


def confirmation_help(applicant) -> str:
    """The manual's explanation of how to confirm an account, for this legal form."""
    text = ("Для отправления заявки необходимо подтверждение учетной записи. Чтобы подтвердить "
            "учетную запись, обратитесь лично в офис сетевой организации с документами, "
            "подтверждающими личность.")
    if applicant.legal_form == User.PERSON:
        text += " Для физических лиц также необходимо взять с собой телефон, указанный при регистрации."
    else:
        text += (" Для представителей индивидуальных предпринимателей и юридических лиц также "
                 "необходима доверенность на совершение юридически значимых действий, необходимых "
                 "для заключения и исполнения договора технологического присоединения и договора, "
                 "обеспечивающего продажу электрической энергии (мощности).")
    address, hours = Setting.value_of("office_address"), Setting.value_of("office_hours")
    if address:
        text += f" Адрес офиса: {address}."
    if hours:
        text += f" Часы приема: {hours}."
    return text




# ---- file names ----------------------------------------------------------------------------

def clean_file_name(name: str | None) -> str:
    """The original name kept as data: no path parts, no control characters, Cyrillic kept."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "файл"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot and stem else ""
        name = name[:MAX_NAME - len(ext) - 1].rstrip(" .") + ("." + ext if ext else "")
    return name


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# ---- validation of the ТП choices ------------------------------------------------------------

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
        raise AppealError("Выберите гарантирующего поставщика из списка", "supplier")
    return supplier


def excluded_choice(applicant, power, complies) -> str | None:
    """The Rules' refusal for a compliance claim they exclude, else None."""
    if complies is not True or not power:
        return None
    if applicant.legal_form == User.PERSON and power != "le15":
        return REFUSED_P14.format(power=Appeal.POWER_CHOICES.get(power, power))
    if applicant.legal_form != User.PERSON and power == "gt150":
        return REFUSED_P12_1
    return None


def check_tp(applicant, power, scheme, complies, *, complete: bool) -> dict:
    """Errors of the ТП choices by field; complete=True also requires every choice."""
    errors = {}
    if power and power not in Appeal.POWER_CHOICES:
        errors["power"] = "Выберите максимальную мощность"
    if scheme and scheme not in Appeal.SCHEME_CHOICES:
        errors["scheme"] = "Выберите схему электроснабжения"
    if complete:
        if not power:
            errors["power"] = "Выберите максимальную мощность"
        if not scheme:
            errors["scheme"] = "Выберите схему электроснабжения"
        if complies is None:
            errors["complies"] = (f"Укажите, соответствует ли заявка положениям "
                                  f"{application_point(applicant)} Правил")
    refusal = excluded_choice(applicant, power, complies)
    if refusal:
        errors["complies"] = refusal
    return errors


def _apply_fields(appeal: Appeal, applicant, fields: dict):
    """Set the draft's fields from keyword values, checking each; raises AppealError."""
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
            except AppealError as exc:
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
        raise AppealError.of(errors)


# ---- drafts --------------------------------------------------------------------------------

def create_draft(applicant, kind: str, **fields) -> Appeal:
    """A new draft of kind 'tp' or 'message'. Fields: power, scheme, complies, supplier,
    comment_html (ТП); subject, organization, comment_html or body_html (message)."""
    if kind not in (Appeal.TP, Appeal.MESSAGE):
        raise AppealError("Неизвестный вид обращения")
    now = utcnow()
    appeal = Appeal(applicant=applicant, kind=kind, state=Appeal.DRAFT, created_at=now,
                    updated_at=now)
    _apply_fields(appeal, applicant, fields)
    with db.atomic():
        appeal.refresh_search()
        appeal.save()
    return appeal


def update_draft(appeal: Appeal, **fields) -> Appeal:
    """Change a draft; a sent appeal is refused."""
    if appeal.state != Appeal.DRAFT:
        raise AppealError("Отправленное обращение изменить нельзя")
    _apply_fields(appeal, appeal.applicant, fields)
    with db.atomic():
        appeal.updated_at = utcnow()
        appeal.refresh_search()
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
        raise AppealError("Удалить можно только черновик")
    keys = [d.storage_key for d in Document.select(Document.storage_key)
            .where(Document.appeal == appeal)]
    with db.atomic():
        appeal.delete_instance(recursive=True)
    for key in keys:
        storage.delete(key)


# ---- documents -----------------------------------------------------------------------------

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
            documents.append(Document.create(
                appeal=appeal, post=post, party=party,
                organization=_party_organization(party, uploaded_by),
                doc_type=_doc_type(item.get("doc_type"), party), file_name=name,
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


def too_large_message(names: list[str]) -> str:
    """«Файл «X» больше 30 МБ и не загружен» for one or several names."""
    limit = max_upload_mb()
    if len(names) == 1:
        return f"Файл «{names[0]}» больше {limit} МБ и не загружен"
    return "Файлы " + ", ".join(f"«{n}»" for n in names) + f" больше {limit} МБ и не загружены"


def store_upload(stream, name: str, extra_digests=()) -> dict:
    """Stream one file to storage; returns the item attach_stored() takes.

    extra_digests: Streebog digests to compute in the same pass (storage.EXTRA_DIGESTS
    names), for files that may be signed; they go into the item by name.
    Raises AppealError (field 'files') when it is larger than the limit or empty."""
    name = clean_file_name(name)
    try:
        key, size, sha256 = saved = storage.save_stream(stream, max_upload_bytes(),
                                                        extra_digests)
    except storage.TooLarge:
        raise AppealError(too_large_message([name]), "files") from None
    if size == 0:
        storage.delete(key)
        raise AppealError(f"Файл «{name}» пуст и не загружен", "files")
    return {"key": key, "size": size, "sha256": sha256, "name": name, **saved.digests}


def add_documents(appeal: Appeal, uploaded_by, files, party: str = "applicant", post=None,
                  needs_applicant_signature: bool = False) -> list[Document]:
    """Stream files to storage and record them on the appeal.

    files: (FileStorage, doc_type) pairs (bare FileStorage objects get «Иное»).
    A file over the size limit (or empty) is refused by its name, the others are kept:
    their rows are created, then AppealError (field 'files') is raised with .documents
    holding the kept rows — catch it inside your transaction to keep them."""
    items, refused, empty = [], [], []
    try:
        for storage_file, doc_type in _as_pairs(files):
            try:
                # An organisation's file may be signed: hash it for the КЭП check now.
                item = store_upload(storage_file.stream, storage_file.filename,
                                    () if party == "applicant" else tuple(storage.EXTRA_DIGESTS))
            except AppealError as exc:
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
        error = AppealError("; ".join(parts), "files")
        error.documents = documents
        raise error
    return documents


def delete_documents(appeal: Appeal, document_ids) -> list[str]:
    """Remove applicant's documents from a draft; returns their storage keys, to be passed
    to discard_files() once the transaction has committed."""
    if appeal.state != Appeal.DRAFT:
        raise AppealError("Документ отправленного обращения удалить нельзя", "files")
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
        raise AppealError("Отправленное обращение изменить нельзя")
    known = applicant_document_types()
    with db.atomic():
        for document in Document.select().where((Document.appeal == appeal)
                                                & (Document.party == "applicant")):
            new = types.get(document.id)
            if new and new in known and new != document.doc_type:
                document.doc_type = new
                document.save()


# ---- sending -------------------------------------------------------------------------------

def _backoffice_link() -> str:
    """The back office's address for e-mails to the organisations ('' when unknown)."""
    try:
        base = current_app.config.get("BASE_URL")
        if base:
            return base.rstrip("/") + url_for("admin.index")
        if has_request_context():
            return url_for("admin.index", _external=True)
    except Exception:  # noqa: BLE001 - a missing link must not stop the event
        pass
    return ""


def _recipients(appeal: Appeal) -> list[Organization]:
    """Organisations told about the appeal: its addressee and, for ТП, the chosen supplier."""
    orgs = [appeal.organization]
    if appeal.kind == Appeal.TP and appeal.supplier_id and appeal.supplier_id != appeal.organization_id:
        orgs.append(appeal.supplier)
    return orgs


def _notify_organizations(appeal: Appeal, template: str, **context):
    """One e-mail per involved organisation's inbox (none without an inbox address)."""
    link = _backoffice_link()
    documents = context.pop("documents", None) or []
    for org in _recipients(appeal):
        notify.email(org.inbox_email, template, appeal=appeal, org=org, a=appeal,
                     applicant=appeal.applicant, link=link, documents=documents,
                     grid_name=(Organization.grid() or org).name, **context)


def send_appeal(appeal: Appeal) -> Appeal:
    """Send a draft to its organisation: state active, the status «… отправлена в сетевую»,
    the comment (ТП) or the text (message) as the applicant's first post, an e-mail to the
    organisation's inbox. Raises AppealError when something is missing."""
    if appeal.state != Appeal.DRAFT:
        raise AppealError("Обращение уже отправлено")
    applicant = appeal.applicant
    documents = list(Document.select().where((Document.appeal == appeal)
                                             & (Document.party == "applicant")))
    if appeal.kind == Appeal.TP:
        errors = check_tp(applicant, appeal.power, appeal.scheme, appeal.complies, complete=True)
        if not any(d.doc_type == APPLICATION_DOC_TYPE for d in documents):
            errors["files"] = ("Приложите заполненную заявку: хотя бы один документ с типом "
                               "«Заявка»")
        if errors:
            raise AppealError.of(errors)
        if Setting.flag("require_confirmed") and not applicant.confirmed:
            raise AppealError(confirmation_help(applicant), "confirmation")
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
            raise AppealError.of(errors)
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
        appeal.last_status = status
        appeal.refresh_search()
        appeal.save()
        _notify_organizations(appeal, "org_new_appeal", post=post,
                              text=html_to_text(body), documents=documents)
    return appeal


def send_message(applicant, organization, subject: str, body_html: str, files=()) -> Appeal:
    """«Сообщение в сетевую организацию»: create and send a message in one go.

    Raises AppealError with every wrong field at once; nothing is kept on a refusal."""
    errors = {}
    if not " ".join((subject or "").split()):
        errors["subject"] = "Введите тему сообщения"
    if organization in (None, ""):
        errors["organization"] = "Выберите получателя сообщения"
    if is_blank(clean_html(body_html)):
        errors["body"] = "Введите текст сообщения"
    if errors:
        raise AppealError.of(errors)
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


# ---- after sending: the thread and more documents ------------------------------------------

def _touch(appeal: Appeal, now):
    appeal.applicant_activity_at = appeal.updated_at = now
    appeal.refresh_search()
    appeal.save()


def add_applicant_post(appeal: Appeal, applicant, body_html: str, files=()) -> Post:
    """The applicant writes to a sent appeal's thread (optionally with files, «Иное» unless
    given as (FileStorage, type) pairs); the organisations' inboxes are told."""
    if appeal.applicant_id != applicant.id:
        raise AppealError("Обращение не найдено")
    if appeal.state == Appeal.ARCHIVE:
        raise AppealError("Обращение находится в архиве: добавление сообщений недоступно", "body")
    if appeal.state == Appeal.DRAFT:
        raise AppealError("Черновик ещё не отправлен", "body")
    body = clean_html(body_html)
    pairs = _as_pairs(files)
    if is_blank(body) and not pairs:
        raise AppealError("Введите текст сообщения", "body")
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
        raise AppealError("Обращение не найдено")
    if appeal.state == Appeal.ARCHIVE:
        raise AppealError("Обращение находится в архиве: добавление документов недоступно",
                          "files")
    now = utcnow()
    documents, kept_error = [], None
    with db.atomic():
        if stored:
            documents += attach_stored(appeal, applicant, stored)
        if files:
            try:
                documents += add_documents(appeal, applicant, files)
            except AppealError as exc:
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
