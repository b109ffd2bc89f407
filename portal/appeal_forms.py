"""«Создание заявки на технологическое присоединение» and «Создание обращения».

The ТП form saves drafts, reopens them, deletes them and sends them; the message form
sends at once. Files come either as tokens of JavaScript uploads (portal/uploads.py) or
with the form itself; on any refusal the form is shown again with every value and every
uploaded file kept. Documents of the applicant's appeals download from /documents/<id>.
"""
import io

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from domain.appeals import application_form, filing, rules
from domain.errors import Refusal as AppealError
from domain.files import storage
from domain.files.uploads import max_upload_mb
from domain.links import safe_next
from domain.text import clean_rich_text, is_blank
from models import Appeal, Document, Organization, Setting, db
from portal import bp, uploads
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


# ---- the ТП form ---------------------------------------------------------------------------

def _tp_values(appeal: Appeal | None = None) -> dict:
    """The form's values: from the posted form, else from the draft, else empty."""
    if request.method == "POST":
        form = request.form
        return {"power": form.get("power") or "", "scheme": form.get("scheme") or "",
                "complies": form.get("complies") or "", "supplier": form.get("supplier") or "",
                "comment_html": clean_rich_text(form.get("comment"))}
    if appeal is not None:
        return {"power": appeal.power or "", "scheme": appeal.scheme or "",
                "complies": {True: "yes", False: "no"}.get(appeal.complies, ""),
                "supplier": str(appeal.supplier_id or ""), "comment_html": appeal.comment_html}
    return {"power": "", "scheme": "", "complies": "", "supplier": "", "comment_html": ""}


def _render_tp(appeal, values, pending, errors=None, status=200):
    user = current_user._get_current_object()
    complies = filing._parse_complies(values["complies"])
    kind = application_form.category(user.legal_form, values["power"] or None, complies)
    documents = []
    if appeal is not None and appeal.id:
        documents = list(Document.select().where((Document.appeal == appeal.id)
                                                 & (Document.party == "applicant"))
                         .order_by(Document.created_at, Document.id))
    required = [(when, text, document_applies(when, kind, values["power"]))
                for when, text in REQUIRED_DOCUMENTS]
    return render_template(
        "portal/appeal_form.tp.html", appeal=appeal, values=values, pending=pending,
        errors=errors or {}, documents=documents, suppliers=list(Organization.suppliers()),
        doc_types=filing.applicant_document_types(), point=rules.application_point(user),
        point_text=rules.point_text(user), required=required,
        representative_note=REPRESENTATIVE_NOTE, warning=WARNING,
        max_mb=max_upload_mb(),
        needs_confirmation=Setting.flag("require_confirmed") and not user.confirmed,
        confirmation_help=rules.confirmation_help(user),
        power_choices=Appeal.POWER_CHOICES, scheme_choices=Appeal.SCHEME_CHOICES,
        form_kind=kind), status


def _docx_response(user, values):
    """The application form for the chosen category as a download."""
    supplier = None
    try:
        supplier = filing._parse_supplier(values.get("supplier"))
    except AppealError:
        supplier = None
    power = values.get("power") if values.get("power") in Appeal.POWER_CHOICES else None
    scheme = values.get("scheme") if values.get("scheme") in Appeal.SCHEME_CHOICES else None
    name, data = application_form.build(user, Organization.grid(), power, scheme,
                                        filing._parse_complies(values.get("complies")), supplier)
    response = send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "wordprocessingml.document", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _document_types_from_form() -> dict:
    types = {}
    for key, value in request.form.items():
        if key.startswith("doc_type_") and key[9:].isdigit():
            types[int(key[9:])] = value
    return types


def _handle_tp_post(appeal: Appeal | None):
    """Save, send, delete or download from the ТП form."""
    user = current_user._get_current_object()
    values = _tp_values(appeal)
    action = request.form.get("action", "save")
    if request.form.get("delete_doc"):
        action = "delete_doc"
    drop = request.form.get("drop_upload")
    pending = uploads.pending_from_form(user, drop=drop)
    if action == "download":
        return _docx_response(user, values)
    if action == "delete":
        if appeal is None:
            return redirect(_list_url())
        filing.delete_draft(appeal)
        flash("Черновик удален", "success")
        return redirect(_list_url(state="draft"))
    new_items, upload_error = uploads.store_form_files(user)
    pending += new_items
    if drop:
        return _render_tp(appeal, values, pending)
    if upload_error:
        return _render_tp(appeal, values, pending, {"files": upload_error}, 400)
    removed = set(request.form.getlist("remove_doc"))
    if action == "delete_doc":
        removed.add(request.form["delete_doc"])
    saved, keys = None, []
    try:
        with db.atomic():
            saved = filing.save_draft(user, Appeal.TP, appeal, values, pending)
            filing.set_document_types(saved, _document_types_from_form())
            keys = filing.delete_documents(saved, removed)
            if action == "send":
                filing.send_appeal(saved)
    except AppealError as exc:
        return _render_tp(appeal, values, pending,
                          exc.errors or {"form": exc.message}, 400)
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
    return _render_tp(None, _tp_values(), [])


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
    return _render_tp(appeal, _tp_values(appeal), [])


# ---- the message form ----------------------------------------------------------------------

def _message_values(appeal: Appeal | None = None) -> dict:
    if request.method == "POST":
        form = request.form
        return {"subject": (form.get("subject") or "").strip(),
                "organization": form.get("organization") or "",
                "body_html": clean_rich_text(form.get("body"))}
    if appeal is not None:
        return {"subject": appeal.subject, "organization": str(appeal.organization_id or ""),
                "body_html": appeal.comment_html}
    return {"subject": "", "organization": "", "body_html": ""}


def _render_message(appeal, values, pending, errors=None, status=200):
    user = current_user._get_current_object()
    recipients = filing.message_recipients(user)
    if not values["organization"] and len(recipients) == 1:
        values = dict(values, organization=str(recipients[0].id))
    return render_template(
        "portal/appeal_form.message.html", appeal=appeal, values=values, pending=pending,
        errors=errors or {}, recipients=recipients, doc_types=filing.applicant_document_types(),
        max_mb=max_upload_mb()), status


def _message_view(appeal: Appeal | None):
    """Show or send the message form (a draft of a message sends the same way)."""
    user = current_user._get_current_object()
    values = _message_values(appeal)
    if request.method != "POST":
        return _render_message(appeal, values, [])
    drop = request.form.get("drop_upload")
    pending = uploads.pending_from_form(user, drop=drop)
    new_items, upload_error = uploads.store_form_files(user)
    pending += new_items
    if drop:
        return _render_message(appeal, values, pending)
    errors = {}
    if not values["subject"]:
        errors["subject"] = "Введите тему сообщения"
    if not values["organization"]:
        errors["organization"] = "Выберите получателя сообщения"
    if is_blank(values["body_html"]):
        errors["body"] = "Введите текст сообщения"
    if upload_error:
        errors["files"] = upload_error
    if errors:
        return _render_message(appeal, values, pending, errors, 400)
    try:
        with db.atomic():
            saved = filing.save_draft(user, Appeal.MESSAGE, appeal, values, pending)
            filing.send_appeal(saved)
    except AppealError as exc:
        return _render_message(appeal, values, pending, exc.errors or {"form": exc.message}, 400)
    flash(SENT_MESSAGE_NOTICE, "success")
    return redirect(_list_url())


@bp.route("/appeals/new/message", methods=["GET", "POST"])
@applicant_required
def new_message():
    """«Сообщение в сетевую организацию»: Тема, получатель, Сообщение, файлы, «Отправить»."""
    return _message_view(None)


# ---- documents -----------------------------------------------------------------------------

INERT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
               "application/xml", "application/javascript", "text/javascript")


@bp.route("/documents/<int:document_id>")
@applicant_required
def document_download(document_id):
    """A document of one of the applicant's appeals, under its original (Cyrillic) name."""
    document = own_document_or_404(document_id)
    try:
        handle = storage.open_file(document.storage_key)
    except (OSError, ValueError):
        abort(404)
    mimetype = document.content_type or "application/octet-stream"
    if mimetype in INERT_TYPES:
        mimetype = "application/octet-stream"
    response = send_file(handle, mimetype=mimetype, as_attachment=True,
                         download_name=document.file_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
            item = uploads.store_raw_body()
            item["doc_type"] = request.headers.get("X-Doc-Type") or filing.DEFAULT_DOC_TYPE
            try:
                documents = filing.add_applicant_documents(appeal, user, stored=[item])
            except BaseException:
                storage.delete(item["key"])
                raise
            return jsonify(documents=[{"id": d.id, "name": d.file_name, "type": d.doc_type,
                                       "size_label": f"{d.size / 1048576:.1f}мб",
                                       "url": url_for("portal.document_download",
                                                      document_id=d.id)}
                                      for d in documents]), 201
        files = [f for f in request.files.getlist("files") if f and f.filename]
        types = request.form.getlist("doc_type")
        pairs = [(f, types[i] if i < len(types) else (types[0] if types else None))
                 for i, f in enumerate(files)]
        if not pairs:
            raise AppealError("Выберите файлы", "files")
        documents = filing.add_applicant_documents(appeal, user, files=pairs)
    except AppealError as exc:
        if raw:
            return jsonify(error=exc.message), 413 if "больше" in exc.message else 400
        if exc.documents:
            flash(f"Добавлено документов: {len(exc.documents)}", "success")
        flash(exc.message, "error")
        return redirect(back)
    flash(f"Добавлено документов: {len(documents)}", "success")
    return redirect(back)

