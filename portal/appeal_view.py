"""The appeal page: header, marks of what is new, the thread, statuses and documents.

Opening the page marks the appeal read for the applicant. The reply box (ReplyForm) posts to
the thread through filing.add_applicant_post. A bounded number of queries per page: the
appeal, the organisations (a small table, read once), posts, statuses, documents, the
documents' signatures (portal/signing.page_signing); the templates only read the context.
"""
from urllib.parse import parse_qsl, urlencode

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from domain.appeals import filing as appeal_domain
from domain.appeals import incomplete, read_marks
from domain.appeals.listing.params import ListParams
from domain.deadlines import timeline
from domain.errors import Refusal
from domain.text import clean_html
from models import Appeal, Document, Organization, Post, StatusEvent
from portal import bp
from portal.forms import MissingItemsForm, ReplyForm
from portal.signing import page_signing
from portal.web import applicant_required, own_appeal_or_404


def list_query_string(raw: str | None) -> str:
    """The list's query string carried by ?back=, reduced to the list's known parameters."""
    params = ListParams.from_args(dict(parse_qsl(raw or "")))
    return urlencode(params.to_args(after=params.after, before=params.before))


def back_url(back: str) -> str:
    """«← Вернуться к списку обращений»: the list as the applicant left it."""
    return url_for("portal.appeals") + (f"?{back}" if back else "")


def _organizations() -> dict:
    """Every organisation by id (the grid company and a handful of suppliers), whole rows:
    the grid company among them also serves the page's layout (g.grid_org, no second query)."""
    orgs = {o.id: o for o in Organization.select().order_by(Organization.id)}
    if "grid_org" not in g:
        g.grid_org = next((o for o in orgs.values() if o.kind == Organization.GRID), None)
    return orgs


def page_context(appeal: Appeal) -> dict:
    """Thread, statuses, documents and their signatures, each read with one query; the
    documents awaiting the applicant's signature in the order the page lists them."""
    orgs = _organizations()
    appeal.organization = orgs.get(appeal.organization_id)
    if appeal.supplier_id:
        appeal.supplier = orgs.get(appeal.supplier_id)
    posts = list(Post.select().where(Post.appeal == appeal).order_by(Post.created_at, Post.id))
    for post in posts:
        post.organization = orgs.get(post.organization_id) if post.organization_id else None
        post.body_html = clean_html(post.body_html)  # stored sanitised; cleaned again to be sure
    events = list(StatusEvent.select().where(StatusEvent.appeal == appeal)
                  .order_by(StatusEvent.created_at, StatusEvent.id))
    for event in events:
        event.organization = orgs.get(event.organization_id) if event.organization_id else None
    documents = list(Document.select().where(Document.appeal == appeal)
                     .order_by(Document.created_at, Document.id))
    attachments = {}
    for doc in documents:
        if doc.post_id:
            attachments.setdefault(doc.post_id, []).append(doc)
    groups = document_groups(appeal, documents, orgs)
    signing = page_signing(appeal, documents, events)
    awaiting = [d for _title, docs in groups for d in docs if signing["signing"][d.id].offered]
    terms = timeline.timeline(appeal)
    rounds = incomplete.rounds(appeal) if terms.asked_to_complete else []
    return {"posts": posts, "events": events, "attachments": attachments,
            "comment_html": clean_html(appeal.comment_html), "document_groups": groups,
            "awaiting_signature": awaiting, "terms": terms, "rounds": rounds,
            "open_request": incomplete.open_request(rounds), **signing}


def document_groups(appeal: Appeal, documents: list, orgs: dict) -> list:
    """[(«Документы заявителя», docs), («Документы <grid company>», docs), («Документы <supplier>», docs)…]."""
    grid = next((o for o in orgs.values() if o.kind == Organization.GRID), None)
    groups = {"applicant": ("Документы заявителя", [])}
    if grid:
        groups[f"org{grid.id}"] = (f"Документы {grid.name}", [])
    for doc in documents:
        if doc.party == "applicant":
            key = "applicant"
        else:
            org_id = doc.organization_id or (grid.id if doc.party == "grid" and grid else
                                             appeal.supplier_id)
            key = f"org{org_id}"
            if key not in groups:
                org = orgs.get(org_id)
                groups[key] = (f"Документы {org.name if org else ''}".strip(), [])
        groups[key][1].append(doc)
    return list(groups.values())




def render_appeal(appeal: Appeal, back: str, reply: ReplyForm | None = None,
                  status: int = 200, missing: MissingItemsForm | None = None):
    """The appeal page (also re-shown with the reply's or the missing items' errors and
    text kept)."""
    context = page_context(appeal)
    request_open = context["open_request"]
    if missing is None and request_open is not None and appeal.state == Appeal.ACTIVE:
        missing = MissingItemsForm.of(request_open.asked)(formdata=None)
    marks = {"status": appeal.new_status_for_applicant, "post": appeal.new_post_for_applicant}
    doc_types = appeal_domain.applicant_document_types() if appeal.state == Appeal.ACTIVE else []
    if reply is None and appeal.state == Appeal.ACTIVE:
        reply = ReplyForm(doc_types, formdata=None)
    return render_template("portal/appeal.html", appeal=appeal, back=back, doc_types=doc_types,
                           back_url=back_url(back), marks=marks, reply=reply,
                           missing=missing, **context), status


@bp.route("/appeals/<int:appeal_id>")
@applicant_required
def appeal(appeal_id):
    """«Обращение»: everything about one appeal; opening it marks it read."""
    item = own_appeal_or_404(appeal_id)
    back = list_query_string(request.args.get("back"))
    response = render_appeal(item, back)
    read_marks.mark_read_by_applicant(item)
    return response


@bp.route("/appeals/<int:appeal_id>/reply", methods=["POST"])
@applicant_required
def appeal_reply(appeal_id):
    """The applicant writes to the thread, optionally with files (not in a draft or archive)."""
    item = own_appeal_or_404(appeal_id)
    form = ReplyForm(appeal_domain.applicant_document_types())
    back = list_query_string(form.back.data)
    try:
        appeal_domain.add_applicant_post(item, current_user._get_current_object(),
                                         form.body.data, form.file_pairs())
    except Refusal as exc:
        if item.state != Appeal.ACTIVE:
            flash(exc.message, "error")
            return redirect(url_for("portal.appeal", appeal_id=item.id, back=back or None))
        exc.show_on(form)
        return render_appeal(item, back, form, 400)
    flash("Сообщение отправлено", "success")
    return redirect(url_for("portal.appeal", appeal_id=item.id, back=back or None) + "#thread")


@bp.route("/appeals/<int:appeal_id>/missing", methods=["POST"])
@applicant_required
def appeal_missing(appeal_id):
    """«Направить недостающие сведения»: a text or a file for every item asked."""
    item = own_appeal_or_404(appeal_id)
    request_open = incomplete.open_request(incomplete.rounds(item))
    form = MissingItemsForm.of(request_open.asked if request_open else ())()
    back = list_query_string(form.back.data)
    try:
        incomplete.send_missing(item, current_user._get_current_object(), form.texts(),
                                form.files())
    except Refusal as exc:
        if request_open is None or item.state != Appeal.ACTIVE:
            flash(exc.message, "error")
            return redirect(url_for("portal.appeal", appeal_id=item.id, back=back or None))
        exc.show_on(form)
        return render_appeal(item, back, status=exc.status, missing=form)
    flash("Недостающие сведения направлены в сетевую организацию", "success")
    return redirect(url_for("portal.appeal", appeal_id=item.id, back=back or None))
