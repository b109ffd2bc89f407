"""The applicant's signing endpoints on the appeal page.

«Подписать!» (a person): the SMS code is requested, then «Подтвердить и отправить» signs
with ПЭП. A company or ИП uploads a detached .sig or the CryptoPro plug-in posts the
CAdES made in the browser (static/cades-sign.js). «Скачать с подписями» gives a zip.
Fetch requests (X-Requested-With: fetch) get JSON {ok, message}; plain form posts are
answered with a flash message on the appeal page. Another applicant's ids are 404.
page_signing builds what the appeal page shows about signatures (its templates only read it).
"""
from types import SimpleNamespace

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user

from domain.appeals import payments
from domain.client_info import client_ip
from domain.errors import Refusal as AppealError
from domain.files import serving
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
    return serving.document_response(own_document_or_404(document_id))


@bp.route("/documents/<int:document_id>/signed.zip")
@applicant_required
def signed_zip(document_id):
    """«Скачать с подписями»: the document, its signatures and the verification report."""
    document = own_document_or_404(document_id)
    stream, name = export.signed_zip(document)
    return serving.file_response(stream, name, "application/zip")


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


def _document_row(document: Document, facts: state.DocumentSigning, method: str) -> SimpleNamespace:
    """What the applicant's document row shows and offers about signatures."""
    rows = state.signature_lines(facts.signatures)
    return SimpleNamespace(
        rows=rows, offered=facts.offered_to_applicant, waiting_org=facts.awaiting_organization,
        method=method,
        zip_url=url_for("portal.signed_zip", document_id=document.id) if rows else "",
        code_url=url_for("portal.sign_code", document_id=document.id),
        pep_url=url_for("portal.sign_pep", document_id=document.id),
        kep_url=url_for("portal.sign_kep", document_id=document.id),
        content_url=url_for("portal.sign_content", document_id=document.id))


def page_signing(appeal: Appeal, documents: list, events: list) -> dict:
    """The signing facts of the applicant's own appeal page, with one query (the
    signatures): `signing` by document id, `contract` (п.14 / п.12(1) and the supply
    start) and `cadesplugin_url` for the КЭП dialogs."""
    user = _user()
    method = state.applicant_method(user)
    signatures = state.signatures_by_document(d.id for d in documents)
    facts = payments.contract_facts(appeal, documents, signatures, events)
    contract = SimpleNamespace(**vars(facts), point=user.application_point,
                               payment_url=url_for("portal.attach_payment", appeal_id=appeal.id))
    signing = {d.id: _document_row(d, state.document_signing(d, appeal, signatures[d.id]), method)
               for d in documents}
    kep_dialogs = appeal.state == Appeal.ACTIVE and method == Signature.KEP
    return {"signing": signing, "contract": contract,
            "cadesplugin_url": kep.cadesplugin_api_url() if kep_dialogs else ""}
