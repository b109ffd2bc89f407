"""Staff signing in the back office: a clerk signs a document their organisation placed
(upload of a detached .sig or the CryptoPro plug-in), downloads it with its signatures,
and a grid clerk records the payment of the invoice on the п.14 / п.12(1) path.

A plain blueprint under /backoffice/signing; every route is staff-only and scoped through
backoffice.scoping (an appeal the clerk cannot see is a 404). The appeal page includes
templates/backoffice/signing_document.html and signing_actions.html, which read what
page_signing built for the page.
"""
from types import SimpleNamespace

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from backoffice.access import is_staff, refuse
from backoffice.forms import PaymentForm
from backoffice.scoping import appeal_or_404, document_or_404
from domain.appeals import access, payments
from domain.errors import Refusal
from domain.files import serving
from domain.signing import export, kep, state
from models import Appeal, Document, Organization, User

bp = Blueprint("backoffice_signing", __name__, url_prefix="/backoffice/signing")


@bp.before_request
def staff_only():
    """Anonymous visitors go to the staff login; applicants get 403."""
    if not is_staff():
        return refuse()
    return None


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back(appeal_id: int, anchor: str = ""):
    return redirect(url_for("appeals.details", appeal_id=appeal_id) + anchor)


def _posted_signature() -> bytes:
    return kep.posted_signature(request.files.get("signature"),
                                    request.form.get("signature_b64"))


@bp.route("/<int:appeal_id>/documents/<int:document_id>/sign", methods=["POST"])
def sign(appeal_id, document_id):
    """The clerk's КЭП on a document of their organisation, verified before it is kept."""
    appeal = appeal_or_404(appeal_id, action=access.DOCUMENT)
    document = document_or_404(appeal, document_id)
    ok, status = True, 200
    try:
        kep.sign_kep(document, current_user._get_current_object(), _posted_signature(),
                         ip=request.remote_addr or "",
                         user_agent=request.headers.get("User-Agent", ""))
        message = f"Документ «{document.doc_type}» подписан"
    except PermissionError:
        ok, status = False, 403
        message = "Подписать документ может только организация, которая его разместила"
    except state.SigningError as exc:
        ok, status = False, 400
        message = f"Подпись не принята: {exc}"
    if _wants_json():
        return jsonify(ok=ok, message=message), status
    flash(message, "success" if ok else "error")
    return _back(appeal.id, f"#sign-{document.id}")


@bp.route("/<int:appeal_id>/documents/<int:document_id>/signed.zip")
def signed_zip(appeal_id, document_id):
    """«Скачать с подписями» for staff."""
    appeal = appeal_or_404(appeal_id)
    document = document_or_404(appeal, document_id)
    stream, name = export.signed_zip(document)
    return serving.file_response(stream, name, "application/zip")


@bp.route("/<int:appeal_id>/payment", methods=["POST"])
def record_payment(appeal_id):
    """«Отметить оплату»: the invoice is paid, the contract is concluded (п.14 / п.12(1))."""
    appeal = appeal_or_404(appeal_id, action=access.STATUS)
    form = PaymentForm()
    try:
        payments.record_payment(appeal, current_user._get_current_object(), form.note.data or "")
    except PermissionError:
        flash("Оплату отмечает сетевая организация", "error")
    except Refusal as exc:
        flash(str(exc), "error")
    else:
        flash("Оплата отмечена: договор заключен", "success")
    return _back(appeal.id)


def _document_actions(document: Document, appeal: Appeal, facts: state.DocumentSigning,
                      org: Organization | None) -> SimpleNamespace:
    """What the back-office document row offers the clerk acting for `org`."""
    own = bool(org and document.party != "applicant" and document.organization_id == org.id)
    return SimpleNamespace(
        can_sign=own and appeal.state == Appeal.ACTIVE and not facts.organization_signed,
        has_signatures=bool(facts.signatures),
        lines=state.signature_lines(facts.signatures),
        sign_url=url_for("backoffice_signing.sign", appeal_id=appeal.id, document_id=document.id),
        zip_url=url_for("backoffice_signing.signed_zip", appeal_id=appeal.id,
                        document_id=document.id),
        content_url=url_for("appeals.download", appeal_id=appeal.id, document_id=document.id))


def page_signing(appeal: Appeal, documents: list, signatures: dict, events: list,
                 clerk: User) -> dict:
    """The signing facts of the back-office appeal page from its rows already read (the
    documents, their signatures by document id, the status events): `staff_signing` by
    document id, `contract` (payment and supply start) and `cadesplugin_url`."""
    org = access.acting_organization(clerk)
    facts = payments.contract_facts(appeal, documents, signatures, events)
    contract = SimpleNamespace(
        **vars(facts),
        can_record=bool(facts.offer_path and not facts.concluded_at and org
                        and org.kind == Organization.GRID and appeal.state == Appeal.ACTIVE),
        record_url=url_for("backoffice_signing.record_payment", appeal_id=appeal.id))
    staff_signing = {
        d.id: _document_actions(d, appeal, state.document_signing(d, appeal, signatures[d.id]),
                                org) for d in documents}
    return {"staff_signing": staff_signing, "contract": contract,
            "cadesplugin_url": kep.cadesplugin_api_url()}


def init_app(app):
    """Register the routes."""
    app.register_blueprint(bp)
