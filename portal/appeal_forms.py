"""«Создание заявки на технологическое присоединение» and «Создание обращения».

The ТП form saves drafts, reopens them, deletes them and sends them; the message form
sends at once (both WTForms of portal/forms.py). Files come either as tokens of JavaScript
uploads (portal/uploads.py) or with the form itself; on any refusal the form is shown again
with every value and every uploaded file kept, the messages beside their fields. Documents
of the applicant's appeals download from /documents/<id>.
"""
import io

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from domain.appeals import application_form, filing, rules
from domain.errors import Refusal
from domain.files import serving, uploads
from domain.links import safe_next
from models import Appeal, Document, Organization, Setting, db
from portal import bp
from portal.forms import DocumentsForm, MessageForm, TpForm
from portal.uploads import store_raw_body
from portal.web import applicant_required, own_appeal_or_404, own_document_or_404

SENT_TP_NOTICE = ("Заявка на технологическое присоединение успешно создана и отправлена в "
                  "сетевую организацию")
SENT_MESSAGE_NOTICE = "Сообщение успешно создано и отправлено"
WARNING = ("Обращаем Ваше внимание, что Заявитель несет ответственность за достоверность и "
           "полноту прилагаемых в электронном виде к заявке документов в соответствии с "
           "законодательством Российской Федерации.")
# The manual's list of attachments; "when" tells for which form the item applies.
REQUIRED_DOCUMENTS = [
    ("always", "план расположения энергопринимающих устройств, которые необходимо "
               "присоединить к электрическим сетям сетевой организации;"),
    ("large", "однолинейная схема электрических сетей заявителя, присоединяемых к "
              "электрическим сетям сетевой организации, номинальный класс напряжения которых "
              "составляет 35 кВ и выше, с указанием возможности резервирования от собственных "
              "источников энергоснабжения (включая резервирование для собственных нужд) и "
              "возможности переключения нагрузок (генерации) по внутренним сетям заявителя;"),
    ("general", "перечень и мощность энергопринимающих устройств, которые могут быть "
                "присоединены к устройствам противоаварийной и режимной автоматики;"),
    ("always", "копия документа, подтверждающего право собственности или иное предусмотренное "
               "законом основание на объект капитального строительства (нежилое помещение в "
               "таком объекте капитального строительства) и (или) земельный участок, на котором "
               "расположены (будут располагаться) объекты заявителя, либо право собственности "
               "или иное предусмотренное законом основание на энергопринимающие устройства (для "
               "заявителей, планирующих осуществить технологическое присоединение "
               "энергопринимающих устройств потребителей, расположенных в нежилых помещениях "
               "многоквартирных домов или иных объектах капитального строительства)."),
]
REPRESENTATIVE_NOTE = ("Если заявку подает представитель заявителя, приложите также "
                       "доверенность или иные документы, подтверждающие его полномочия.")


def _list_url(**args) -> str:
    """«Список обращений», with the list's query-string arguments."""
    return url_for("portal.appeals", **args)


def _appeal_url(appeal: Appeal) -> str:
    """The appeal's page."""
    return url_for("portal.appeal", appeal_id=appeal.id)




def document_applies(when: str, kind: str, power: str | None) -> bool:
    """Whether an item of the attachments list applies to the chosen form."""
    if when == "always":
        return True
    if when == "general":
        return kind == application_form.P9
    return kind == application_form.P9 and power == "gt150"


# ---- both forms ----------------------------------------------------------------------------

def _carried_uploads(user, form, appeal: Appeal | None) -> tuple[list[dict], Refusal | None]:
    """The uploads the form carries and the files posted with it (stored and tokenised now,
    so that a re-shown form keeps them), within the appeal's files and the applicant's
    pending bytes; the refusal of the files that were not kept. An upload dropped with
    «Удалить» is deleted."""
    uploads.drop_pending(user, form.drop_upload.data)
    pending = uploads.read_pending(user, form.upload.data, form.upload_type.data,
                                   filing.DEFAULT_DOC_TYPE, drop=form.drop_upload.data)
    return uploads.store_pending(user, form.files.data or (), form.files_type.data,
                                 appeal=appeal, carried=pending)


def _validated(form, refusal: Refusal | None) -> bool:
    """The form's own checks, and the refusal of its posted files beside «files»."""
    valid = form.validate()
    if refusal:
        refusal.show_on(form)
    return valid and refusal is None


# ---- the ТП form ---------------------------------------------------------------------------

def _draft_documents(appeal: Appeal | None) -> list:
    """The applicant's documents saved with the draft."""
    if appeal is None or not appeal.id:
        return []
    return list(Document.select().where((Document.appeal == appeal.id)
                                        & (Document.party == "applicant"))
                .order_by(Document.created_at, Document.id))


def _tp_form(appeal: Appeal | None, documents) -> TpForm:
    """The ТП form: the posted one, else the draft's values, else empty."""
    form_class = TpForm.of(documents)
    choices = (list(Organization.suppliers()), filing.applicant_document_types())
    if request.method == "POST" or appeal is None:
        return form_class(*choices)
    return form_class(*choices, obj=appeal, comment=appeal.comment_html)


def _render_tp(appeal, form: TpForm, documents, pending, status=200):
    user = current_user._get_current_object()
    kind = application_form.category(user.legal_form, form.power.data, form.complies.data)
    required = [(when, text, document_applies(when, kind, form.power.data))
                for when, text in REQUIRED_DOCUMENTS]
    return render_template(
        "portal/appeal_form.tp.html", appeal=appeal, form=form, pending=pending,
        documents=documents, point=user.application_point, point_text=rules.point_text(user),
        required=required, representative_note=REPRESENTATIVE_NOTE, warning=WARNING,
        max_mb=uploads.max_upload_mb(),
        needs_confirmation=Setting.flag("require_confirmed") and not user.confirmed), status


def _docx_response(user, form: TpForm):
    """The application form for the chosen category as a download; a choice the form
    refuses counts as not made."""
    form.validate()
    chosen = {name: None if form[name].errors else value
              for name, value in form.tp_fields().items()}
    name, data = application_form.build(
        user, Organization.grid(), power=chosen["power"], scheme=chosen["scheme"],
        complies=chosen["complies"], supplier=chosen["supplier"])
    return serving.file_response(io.BytesIO(data), name, uploads.content_type_of(name))


def _handle_tp_post(appeal: Appeal | None):
    """Save, send, delete or download from the ТП form."""
    user = current_user._get_current_object()
    documents = _draft_documents(appeal)
    form = _tp_form(appeal, documents)
    action = "delete_doc" if form.delete_doc.data else form.action.data
    if action == "download":
        return _docx_response(user, form)
    if action == "delete":
        if appeal is None:
            return redirect(_list_url())
        filing.delete_draft(appeal)
        flash("Черновик удален", "success")
        return redirect(_list_url(state="draft"))
    pending, refusal = _carried_uploads(user, form, appeal)
    if form.drop_upload.data:
        return _render_tp(appeal, form, documents, pending)
    if not _validated(form, refusal):
        return _render_tp(appeal, form, documents, pending, 400)
    keys = []
    try:
        with db.atomic():
            saved = filing.save_draft(user, Appeal.TP, appeal, form.draft_fields(), pending)
            filing.set_document_types(saved, form.document_types())
            keys = filing.delete_documents(saved, form.removed_documents())
            if action == "send":
                filing.send_appeal(saved)
    except Refusal as exc:
        form.add_refusal(exc)
        return _render_tp(appeal, form, documents, pending, 400)
    filing.discard_files(keys)
    if action == "send":
        flash(SENT_TP_NOTICE, "success")
        return redirect(_list_url())
    if action == "delete_doc":
        flash("Документ удален", "success")
        return redirect(url_for("portal.edit_draft", appeal_id=saved.id) + "#files")
    flash("Черновик сохранен", "success")
    return redirect(_list_url(state="draft"))


@bp.route("/appeals/new/tp", methods=["GET", "POST"])
@applicant_required
def new_application():
    """«Заявка на технологическое присоединение (в том числе временное)»: a new one."""
    if request.method == "POST":
        return _handle_tp_post(None)
    return _render_tp(None, _tp_form(None, []), [], [])


@bp.route("/appeals/<int:appeal_id>/edit", methods=["GET", "POST"])
@applicant_required
def edit_draft(appeal_id):
    """A draft reopened: changed, saved, deleted or sent. A sent appeal is not editable."""
    appeal = own_appeal_or_404(appeal_id)
    if appeal.state != Appeal.DRAFT:
        flash("Отправленное обращение изменить нельзя: можно добавить документы и написать "
              "сообщение", "error")
        return redirect(_appeal_url(appeal))
    if appeal.kind == Appeal.MESSAGE:
        return _message_view(appeal)
    if request.method == "POST":
        return _handle_tp_post(appeal)
    documents = _draft_documents(appeal)
    return _render_tp(appeal, _tp_form(appeal, documents), documents, [])


# ---- the message form ----------------------------------------------------------------------

def _message_form(appeal: Appeal | None) -> MessageForm:
    """The message form: the posted one, else the draft's values, else empty."""
    choices = (filing.message_recipients(current_user), filing.applicant_document_types())
    if request.method == "POST" or appeal is None:
        return MessageForm(*choices)
    return MessageForm(*choices, subject=appeal.subject, organization=appeal.organization_id,
                       body=appeal.comment_html)


def _render_message(appeal, form: MessageForm, pending, status=200):
    return render_template("portal/appeal_form.message.html", appeal=appeal, form=form,
                           pending=pending, max_mb=uploads.max_upload_mb()), status


def _message_view(appeal: Appeal | None):
    """Show or send the message form (a draft of a message sends the same way)."""
    user = current_user._get_current_object()
    form = _message_form(appeal)
    if request.method != "POST":
        return _render_message(appeal, form, [])
    pending, refusal = _carried_uploads(user, form, appeal)
    if form.drop_upload.data:
        return _render_message(appeal, form, pending)
    if not _validated(form, refusal):
        return _render_message(appeal, form, pending, 400)
    try:
        with db.atomic():
            saved = filing.save_draft(user, Appeal.MESSAGE, appeal, form.draft_fields(), pending)
            filing.send_appeal(saved)
    except Refusal as exc:
        exc.show_on(form)
        return _render_message(appeal, form, pending, 400)
    flash(SENT_MESSAGE_NOTICE, "success")
    return redirect(_list_url())


@bp.route("/appeals/new/message", methods=["GET", "POST"])
@applicant_required
def new_message():
    """«Сообщение в сетевую организацию»: Тема, получатель, Сообщение, файлы, «Отправить»."""
    return _message_view(None)


# ---- documents -----------------------------------------------------------------------------

@bp.route("/documents/<int:document_id>")
@applicant_required
def document_download(document_id):
    """A document of one of the applicant's appeals, under its original (Cyrillic) name."""
    return serving.document_response(own_document_or_404(document_id))


@bp.route("/appeals/<int:appeal_id>/documents", methods=["POST"])
@applicant_required
def appeal_add_documents(appeal_id):
    """Add documents to a sent (not archived) appeal.

    A form post: «files» (several) with «doc_type» (one type for all, or one per file in
    order); redirects to ?next= or the appeal page with a notice. A JavaScript post: the raw
    file as the body, X-File-Name (percent-encoded) and X-Doc-Type headers; answers JSON."""
    appeal = own_appeal_or_404(appeal_id)
    user = current_user._get_current_object()
    raw = "X-File-Name" in request.headers
    if appeal.state == Appeal.DRAFT:
        message = "Документы черновика добавляются в форме заявки"
        if raw:
            return jsonify(error=message), 409
        flash(message, "error")
        return redirect(url_for("portal.edit_draft", appeal_id=appeal.id))
    back = safe_next(request.values.get("next"), _appeal_url(appeal))
    try:
        if raw:
            item = store_raw_body(room=uploads.room_on(appeal))
            item["doc_type"] = request.headers.get("X-Doc-Type") or filing.DEFAULT_DOC_TYPE
            documents = filing.add_applicant_documents(appeal, user, stored=[item])
            return jsonify(documents=[{"id": d.id, "name": d.file_name, "type": d.doc_type,
                                       "size_label": f"{d.size / 1048576:.1f}мб",
                                       "url": url_for("portal.document_download",
                                                      document_id=d.id)}
                                      for d in documents]), 201
        pairs = DocumentsForm().file_pairs()
        if not pairs:
            raise Refusal("Выберите файлы", "files")
        documents = filing.add_applicant_documents(appeal, user, files=pairs)
    except Refusal as exc:
        if raw:
            return jsonify(error=exc.message), exc.status
        if exc.documents:
            flash(f"Добавлено документов: {len(exc.documents)}", "success")
        flash(exc.message, "error")
        return redirect(back)
    flash(f"Добавлено документов: {len(documents)}", "success")
    return redirect(back)

