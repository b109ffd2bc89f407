"""The applicant's signing endpoints on the appeal page.

«Подписать!» (a person): the SMS code is requested, then «Подтвердить и отправить» signs
with ПЭП. A company or ИП uploads a detached .sig or the CryptoPro plug-in posts the
CAdES made in the browser (static/cades-sign.js). «Скачать с подписями» gives a zip.
Fetch requests (X-Requested-With: fetch) get JSON {ok, message}; plain form posts are
answered with a flash message on the appeal page. Another applicant's ids are 404.
"""
import os
from types import SimpleNamespace

from flask import current_app, flash, g, jsonify, redirect, request, send_file, url_for
from flask_login import current_user
from peewee import JOIN

from domain.appeals import payments
from domain.client_info import client_ip
from domain.errors import Refusal as AppealError
from domain.files import storage
from domain.identifiers import format_phone
from domain.signing import export, kep, pep, state
from models import Appeal, Document, Signature
from portal import bp
from portal.web import applicant_required, own_appeal_or_404, own_document_or_404


def _wants_json() -> bool:
    return (request.headers.get("X-Requested-With") == "fetch"
            or request.accept_mimetypes.best == "application/json")


def _answer(document: Document, ok: bool, message: str, status: int = 200, **extra):
    """JSON for the page's scripts, else a flash message and back to the appeal."""
    if _wants_json():
        return jsonify(ok=ok, message=message, **extra), status
    flash(message, "success" if ok else "error")
    return redirect(url_for("portal.appeal", appeal_id=document.appeal_id) + f"#doc-{document.id}")


def _user():
    return current_user._get_current_object()


def masked_phone(phone: str) -> str:
    """'+7 912 ***-**-89': enough for the applicant to recognise the number."""
    shown = format_phone(phone) if phone else ""
    digits = [i for i, ch in enumerate(shown) if ch.isdigit()]
    hidden = set(digits[4:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(shown))


@bp.route("/documents/<int:document_id>/sign/code", methods=["POST"])
@applicant_required
def sign_code(document_id):
    """Send (or send again) the SMS code for signing the document with ПЭП."""
    document = own_document_or_404(document_id)
    user = _user()
    try:
        pep.issue_code(user, [document])
    except state.SigningError as exc:
        return _answer(document, False, str(exc), 400,
                       resend_after=pep.resend_wait(user))
    return _answer(document, True,
                   f"Код подтверждения отправлен на номер {masked_phone(user.phone)}",
                   resend_after=int(pep.RESEND_AFTER.total_seconds()))


@bp.route("/documents/<int:document_id>/sign/pep", methods=["POST"])
@applicant_required
def sign_pep(document_id):
    """«Подтвердить и отправить»: the code from the SMS signs the document (ПЭП)."""
    document = own_document_or_404(document_id)
    try:
        pep.sign_pep([document], _user(), request.form.get("code", ""), client_ip(),
                         request.headers.get("User-Agent", ""))
    except state.SigningError as exc:
        return _answer(document, False, str(exc), 400)
    return _answer(document, True, f"Документ «{document.doc_type}» подписан")


def _posted_signature() -> bytes:
    return kep.posted_signature(request.files.get("signature"),
                                    request.form.get("signature_b64"))


@bp.route("/documents/<int:document_id>/sign/kep", methods=["POST"])
@applicant_required
def sign_kep(document_id):
    """КЭП of a company or ИП: an uploaded .sig or the plug-in's signature, verified."""
    document = own_document_or_404(document_id)
    try:
        kep.sign_kep(document, _user(), _posted_signature(), ip=client_ip(),
                         user_agent=request.headers.get("User-Agent", ""))
    except state.SigningError as exc:
        return _answer(document, False, f"Подпись не принята: {exc}", 400)
    return _answer(document, True, f"Документ «{document.doc_type}» подписан")


@bp.route("/documents/<int:document_id>/content")
@applicant_required
def sign_content(document_id):
    """The exact bytes of the document, for the plug-in to sign."""
    document = own_document_or_404(document_id)
    return send_file(storage.path_of(document.storage_key), mimetype="application/octet-stream",
                     as_attachment=True, download_name=document.file_name, max_age=0)


@bp.route("/documents/<int:document_id>/signed.zip")
@applicant_required
def signed_zip(document_id):
    """«Скачать с подписями»: the document, its signatures and the verification report."""
    document = own_document_or_404(document_id)
    stream, name = export.signed_zip(document)
    return send_file(stream, mimetype="application/zip", as_attachment=True,
                     download_name=name, max_age=0)


@bp.route("/appeals/<int:appeal_id>/payment", methods=["POST"])
@applicant_required
def attach_payment(appeal_id):
    """п.14 / п.12(1): the applicant attaches the document of payment of the invoice."""
    appeal = own_appeal_or_404(appeal_id)
    try:
        payments.attach_payment(appeal, _user(), request.files.get("payment"))
    except AppealError as exc:
        flash(str(exc), "error")
    else:
        flash("Платежный документ добавлен. Сетевая организация отметит оплату, "
              "после чего договор будет считаться заключенным.", "success")
    return redirect(url_for("portal.appeal", appeal_id=appeal.id) + "#payment")


def _appeal_signatures(appeal_id: int):
    """(the appeal's state and applicant, {document id: [Signature]}) in one query."""
    rows = (Appeal.select(Appeal.state, Appeal.applicant, Signature.id, Signature.document,
                          Signature.side, Signature.kind, Signature.signed_at)
            .join(Document, JOIN.LEFT_OUTER, on=(Document.appeal == Appeal.id))
            .join(Signature, JOIN.LEFT_OUTER, on=(Signature.document == Document.id))
            .where(Appeal.id == appeal_id)
            .order_by(Signature.signed_at, Signature.id).tuples())
    appeal, by_doc = None, {}
    for appeal_state, applicant_id, sig_id, doc_id, side, kind, signed_at in rows:
        appeal = appeal or SimpleNamespace(id=appeal_id, state=appeal_state, applicant_id=applicant_id)
        if sig_id:
            by_doc.setdefault(doc_id, []).append(Signature(
                id=sig_id, document=doc_id, side=side, kind=kind, signed_at=signed_at))
    return appeal, by_doc


def doc_signing(document: Document) -> SimpleNamespace:
    """Everything a document row shows about signatures, for the current viewer.

    Signatures of all documents of the appeal are read once per request."""
    cache = g.setdefault("signing_cache", {})
    if document.appeal_id not in cache:
        cache[document.appeal_id] = _appeal_signatures(document.appeal_id)
    appeal, by_doc = cache[document.appeal_id]
    sigs = by_doc.get(document.id, [])
    rows = [(state.side_label(s), "подписан" if s.side == "applicant" else "добавлен",
             s.signed_at, s.kind) for s in sigs]
    viewer = current_user if current_user.is_authenticated else None
    is_owner = bool(viewer and viewer.is_applicant and appeal.applicant_id == viewer.id)
    offered = is_owner and state.offered_to_applicant(document, appeal, sigs)
    waiting_org = (document.needs_applicant_signature and document.party != "applicant"
                   and not state.organization_signature(document, sigs))
    return SimpleNamespace(
        rows=rows, offered=offered, waiting_org=waiting_org,
        method=state.applicant_method(viewer) if is_owner else None,
        org_label=state.SIDE_LABELS.get(document.party, ""),
        zip_url=url_for("portal.signed_zip", document_id=document.id) if sigs and is_owner else "",
        code_url=url_for("portal.sign_code", document_id=document.id),
        pep_url=url_for("portal.sign_pep", document_id=document.id),
        kep_url=url_for("portal.sign_kep", document_id=document.id),
        content_url=url_for("portal.sign_content", document_id=document.id))


def appeal_signing(appeal: Appeal) -> SimpleNamespace:
    """The п.14 / п.12(1) block and the supply start of an appeal's page."""
    return SimpleNamespace(
        offer_path=payments.offer_path(appeal), concluded_at=payments.concluded_at(appeal),
        payments=payments.payment_documents(appeal) if payments.offer_path(appeal) else [],
        supply_start=state.supply_start(appeal),
        payment_url=url_for("portal.attach_payment", appeal_id=appeal.id),
        point=current_user.application_point)


CADESPLUGIN_API = "vendor/cadesplugin_api.js"


def cadesplugin_api_url() -> str:
    """CryptoPro's cadesplugin_api.js when the deployment put it in static/vendor/ (it is
    CryptoPro's file, not shipped here); '' otherwise — then the page offers the upload."""
    static = current_app.static_folder
    if static and os.path.isfile(os.path.join(static, CADESPLUGIN_API)):
        return url_for("static", filename=CADESPLUGIN_API)
    return ""


@bp.record_once
def _register_globals(state):
    """Jinja globals, so the partials work inside imported macros too."""
    state.app.jinja_env.globals.update(doc_signing=doc_signing, appeal_signing=appeal_signing,
                                       cadesplugin_api_url=cadesplugin_api_url)
