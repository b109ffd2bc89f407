"""The incomplete-application loop of п.15 and the annulment of a missed applicant's term.

«Заявка неполная»: a clerk of the receiving grid company ticks what is missing from the
Rules' checklist (domain/appeals/checklist.py; nothing else may be asked, п.11), each with
an optional comment; the applicant answers every item with a text or a file and presses
«Направить недостающие сведения». Each round is an IncompleteRequest with its items and a
line of the status history; the terms follow (clocks.incomplete_notice / missing_items_sent).

«Аннулировать заявку»: once the applicant's term to complete the application or to pay the
invoice has passed unmet, the clerk may annul it, confirming; it is the catalogue's status
«Заявка аннулирована», which stops every term (clocks.appeal_closed), as when set by hand.

Each operation is one transaction with its e-mail in the outbox; callers outside a request
call notify.flush() after.
"""

from peewee import fn

from domain.appeals import casework, checklist, search_index
from domain.appeals.access import ANNUL, INCOMPLETE, acting_organization, require
from domain.client_info import client_ip
from domain.deadlines import calendar, clocks
from domain.errors import Refusal
from domain.files import uploads
from domain.links import backoffice_link
from domain.outbox import notify
from domain.transactions import locked_appeal, write_transaction
from models import (
    Appeal,
    AppealTerm,
    DocumentType,
    IncompleteItem,
    IncompleteRequest,
    StatusCatalog,
    StatusEvent,
    User,
    audit,
    utcnow,
)

MISSING_TEXT = "Направлены недостающие сведения"
NO_ITEMS = "Отметьте хотя бы один недостающий пункт"
UNKNOWN_ITEM = "Можно запросить только сведения и документы, предусмотренные пп. 9 и 10 Правил"
NOT_TP = "Отметить неполноту можно только у заявки на технологическое присоединение"
NOT_ACTIVE = "Заявка не находится в работе"
ALREADY_OPEN = "Заявителю уже направлено уведомление «Заявка неполная»: дождитесь ответа"
NOTHING_ASKED = "Недостающие сведения не запрашивались"
TERM_CLOSED = "Срок направления недостающих сведений прекращен"
ANSWER_MISSING = "Укажите сведения или приложите файл"
CONFIRM_MISSING = "Подтвердите аннулирование заявки"
NOT_ANNULLABLE = "Заявку можно аннулировать только после истечения срока заявителя"
MAX_COMMENT = 2000
MAX_ANSWER = 10000


# Reading -----------------------------------------------------------------------------

def rounds(appeal: Appeal) -> list[IncompleteRequest]:
    """The appeal's requests, oldest first, each with .asked (its items, in the checklist's
    order, each with .label): one query."""
    rows = (IncompleteItem.select(IncompleteItem, IncompleteRequest)
            .join(IncompleteRequest)
            .where(IncompleteRequest.appeal == appeal.id)
            .order_by(IncompleteRequest.round, IncompleteItem.id))
    requests = {}
    for item in rows:
        request = requests.get(item.request.id)
        if request is None:
            request = requests[item.request.id] = item.request
            request.asked = []
        item.label = checklist.label(item.code)
        request.asked.append(item)
    return list(requests.values())


def open_request(found: list[IncompleteRequest]) -> IncompleteRequest | None:
    """The request still waiting for the applicant's answer, among rounds()."""
    return next((r for r in found if r.answered_at is None), None)


# Shared steps ------------------------------------------------------------------------

def _status(appeal: Appeal, text: str, now, *, author, organization=None, code=None,
            for_applicant: bool):
    """A status line, the appeal's last status and its times."""
    event = StatusEvent.create(appeal=appeal, kind=StatusEvent.STATUS, text=text, code=code,
                               author=author, organization=organization, created_at=now)
    appeal.last_status, appeal.last_status_kind = text[:500], StatusEvent.STATUS
    appeal.updated_at = now
    if for_applicant:
        appeal.staff_activity_at = now
        appeal.new_status_for_applicant = True
    else:
        appeal.applicant_activity_at = now  # the staff's unread marks follow (triggers)
    search_index.refresh_search_text(appeal)
    appeal.save()
    return event


def _ready_for_notice(appeal: Appeal):
    if appeal.kind != Appeal.TP:
        raise Refusal(NOT_TP, "items")
    if appeal.state != Appeal.ACTIVE:
        raise Refusal(NOT_ACTIVE, "items")
    if IncompleteRequest.select().where((IncompleteRequest.appeal == appeal.id)
                                        & IncompleteRequest.answered_at.is_null()).exists():
        raise Refusal(ALREADY_OPEN, "items")


def _asked(codes, comments: dict) -> list[tuple[str, str]]:
    """(code, comment) of the ticked items in the checklist's order; refused when none is
    ticked or one is not in the checklist."""
    codes = [c for c in dict.fromkeys(codes or ()) if c]
    if not codes:
        raise Refusal(NO_ITEMS, "items")
    if any(c not in checklist.BY_CODE for c in codes):
        raise Refusal(UNKNOWN_ITEM, "items")
    ordered = [item.code for item in checklist.CHECKLIST if item.code in codes]
    return [(code, " ".join((comments.get(code) or "").split())[:MAX_COMMENT])
            for code in ordered]


# The clerk's side ----------------------------------------------------------------------

def mark_incomplete(appeal: Appeal, clerk: User, codes, comments: dict | None = None
                    ) -> IncompleteRequest:
    """«Заявка неполная»: a new round asking for the ticked checklist items."""
    asked = _asked(codes, comments or {})
    with write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, INCOMPLETE)
        _ready_for_notice(appeal)
        now = utcnow()
        org = acting_organization(clerk)
        number = (IncompleteRequest.select(fn.MAX(IncompleteRequest.round))
                  .where(IncompleteRequest.appeal == appeal.id).scalar() or 0) + 1
        request = IncompleteRequest.create(appeal=appeal, round=number, clerk=clerk,
                                           organization=org, created_at=now)
        items = [IncompleteItem.create(request=request, code=code, comment=comment)
                 for code, comment in asked]
        text = StatusCatalog.by_code(StatusCatalog.INCOMPLETE).name
        _status(appeal, text, now, author=clerk, organization=org,
                code=StatusCatalog.INCOMPLETE, for_applicant=True)
        clocks.incomplete_notice(appeal, now)
        audit("appeal_incomplete", actor=clerk, obj=appeal,
              details="; ".join(checklist.label(i.code) for i in items), ip=client_ip())
        due = _due_of(appeal, clocks.COMPLETE_APPLICATION)
        casework.notify_applicant(appeal, "appeal_incomplete", status=text, organization=org,
                          items=[(checklist.label(i.code), i.comment) for i in items],
                          due=due)
    return request


def _due_of(appeal: Appeal, code: str):
    """The last day (Moscow) of the appeal's open term of that code, or None."""
    term = (AppealTerm.select(AppealTerm.due_at)
            .where((AppealTerm.appeal == appeal.id) & (AppealTerm.rule_code == code)
                   & (AppealTerm.state == AppealTerm.OPEN)).first())
    if term is None:
        return None
    return calendar.last_day_of(term.due_at)


def annul(appeal: Appeal, clerk: User, confirmed: bool) -> StatusEvent:
    """«Аннулировать заявку»: only once an applicant's term of clocks.ANNULLABLE has passed
    unmet, and confirmed («Подтверждаю»)."""
    with write_transaction():
        appeal = locked_appeal(appeal)
        require(clerk, appeal, ANNUL)
        now = utcnow()
        if appeal.state != Appeal.ACTIVE or clocks.annullable_overdue(appeal, now) is None:
            raise Refusal(NOT_ANNULLABLE, "confirm")
        if not confirmed:
            raise Refusal(CONFIRM_MISSING, "confirm")
        text = StatusCatalog.by_code(StatusCatalog.ANNULLED).name
        event = _status(appeal, text, now, author=clerk, organization=acting_organization(clerk),
                        code=StatusCatalog.ANNULLED, for_applicant=True)
        clocks.appeal_closed(appeal, now)
        audit("appeal_annul", actor=clerk, obj=appeal, details=text, ip=client_ip())
        casework.notify_applicant(appeal, "appeal_status", status=text)
    return event


# The applicant's side ------------------------------------------------------------------

def _answers(request: IncompleteRequest, texts: dict, files: dict) -> dict:
    """{item id: (text, file or None)}; refused with a message beside each item left
    without an answer."""
    answers, errors = {}, {}
    for item in request.asked:
        text = (texts.get(item.id) or "").strip()[:MAX_ANSWER]
        upload = files.get(item.id)
        upload = upload if upload is not None and upload.filename else None
        if not text and upload is None:
            errors[f"answer_{item.id}"] = ANSWER_MISSING
        answers[item.id] = (text, upload)
    if errors:
        raise Refusal.of(errors)
    return answers


def _store(appeal: Appeal, answers: dict) -> tuple[dict, list]:
    """Stream the answers' files to storage: ({item id: stored item}, every stored item),
    counted against the appeal's file limit like every other applicant upload; a refused
    file refuses the whole sending (its message beside its item)."""
    stored, items = {}, []
    with uploads.discarded_on_failure(items):
        for item_id, (_text, upload) in answers.items():
            if upload is not None:
                stored[item_id] = uploads.store_upload(
                    upload.stream, upload.filename, field=f"answer_{item_id}",
                    room=uploads.room_on(appeal, carried=len(items)))
                items.append(stored[item_id])
    return stored, items


def _doc_type_names() -> dict:
    """{code: name} of the applicant's document types."""
    return {t.code: t.name for t in DocumentType.select(DocumentType.code, DocumentType.name)
            .where((DocumentType.party == DocumentType.APPLICANT) & DocumentType.code.is_null(False))}


def send_missing(appeal: Appeal, applicant: User, texts: dict, files: dict) -> IncompleteRequest:
    """«Направить недостающие сведения»: every item of the open request answered with a text
    ({item id: text}) or a file ({item id: FileStorage}); nothing is written otherwise."""
    if appeal.applicant_id != applicant.id:
        raise Refusal("Обращение не найдено")
    request = open_request(rounds(appeal))
    if request is None or appeal.state != Appeal.ACTIVE:
        raise Refusal(NOTHING_ASKED)
    answers = _answers(request, texts, files)
    stored, items = _store(appeal, answers)
    with uploads.discarded_on_failure(items), write_transaction():
        appeal = locked_appeal(appeal)
        if IncompleteRequest.get_by_id(request.id).answered_at is not None:
            raise Refusal(NOTHING_ASKED)
        if not AppealTerm.select().where(
                (AppealTerm.appeal == appeal.id) & (AppealTerm.state == AppealTerm.OPEN)
                & (AppealTerm.rule_code == clocks.COMPLETE_APPLICATION)).exists():
            raise Refusal(TERM_CLOSED)
        now = utcnow()
        names = _doc_type_names()
        documents = []
        for item in request.asked:
            text, _upload = answers[item.id]
            item.answer_text, item.answered = text, True
            if item.id in stored:
                doc_type = checklist.BY_CODE[item.code].doc_type \
                    if item.code in checklist.BY_CODE else DocumentType.OTHER
                item.document = uploads.create_document(
                    appeal, stored[item.id], party=uploads.APPLICANT, uploaded_by=applicant,
                    doc_type=names.get(doc_type) or names.get(DocumentType.OTHER, "Иное"))
                documents.append(item.document)
            item.save()
        request.answered_at = now
        request.save()
        _status(appeal, MISSING_TEXT, now, author=applicant, for_applicant=False)
        clocks.missing_items_sent(appeal, now)
        appeal.applicant = applicant
        notify.email(appeal.organization.inbox_email, "org_missing_items", appeal=appeal,
                     a=appeal, org=appeal.organization, applicant=applicant,
                     link=backoffice_link(), grid_name=appeal.organization.name,
                     answers=[(i.label, i.answer_text, i.document) for i in request.asked])
    return request
