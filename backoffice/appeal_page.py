"""The back office's appeal page and its actions: «Присвоить регистрационный номер»,
«Добавить статус», the reply, «Разместить документ», «В архив/Из архива», downloads.

Every action is scoped through backoffice.scoping (an appeal the clerk cannot see is a 404,
an action they may not take a 403) and runs one domain operation; a Refusal re-renders
the page with the message next to its field and the clerk's input kept.
"""
from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from peewee import JOIN

from backoffice.appeal_list import AppealListView, ArchiveView, InboxView
from backoffice.scoping import appeal_or_404, document_or_404
from backoffice.signing import page_signing
from domain.appeals import access, casework, read_marks
from domain.errors import Refusal
from domain.files import storage
from domain.signing import state
from domain.text import clean_html
from models import (
    Appeal,
    Document,
    Organization,
    Post,
    StatusCatalog,
    StatusEvent,
    User,
    utcnow,
)


class AppealView(AppealListView):
    """«Все обращения» and every appeal's page with its actions."""
    preset = "all"
    title = "Все обращения"

    def _page(self, appeal: Appeal, errors=None, values=None, status=200):
        """Render the appeal's page; errors/values keep a refused form's input."""
        applicant = User.get_by_id(appeal.applicant_id)
        appeal.applicant = applicant
        documents = list(Document.select(Document, Organization)
                         .join(Organization, JOIN.LEFT_OUTER,
                               on=(Document.organization == Organization.id),
                               attr="organization")
                         .where(Document.appeal == appeal.id)
                         .order_by(Document.created_at, Document.id))
        signatures = state.signatures_by_document(d.id for d in documents)
        groups = {}
        for doc in documents:
            title = ("Документы заявителя" if doc.party == Post.APPLICANT
                     else f"Документы {doc.organization.name if doc.organization else ''}".strip())
            groups.setdefault(title, []).append(doc)
        posts = list(Post.select(Post, Organization)
                     .join(Organization, JOIN.LEFT_OUTER, on=(Post.organization == Organization.id),
                           attr="organization")
                     .where(Post.appeal == appeal.id).order_by(Post.created_at, Post.id))
        for post in posts:
            post.safe_html = clean_html(post.body_html)
        events = list(StatusEvent.select(StatusEvent, Organization)
                      .join(Organization, JOIN.LEFT_OUTER,
                            on=(StatusEvent.organization == Organization.id), attr="organization")
                      .where(StatusEvent.appeal == appeal.id)
                      .order_by(StatusEvent.created_at, StatusEvent.id))
        statuses = [s.name for s in StatusCatalog.select().where(StatusCatalog.active == True)  # noqa: E712
                    .order_by(StatusCatalog.sort_order, StatusCatalog.name)]
        html = self.render(
            "backoffice/appeal_page.html", appeal=appeal, applicant=applicant, groups=groups,
            signatures=signatures, posts=posts, events=events, statuses=statuses,
            doc_types=[t.name for t in casework.organization_document_types()],
            comment_html=clean_html(appeal.comment_html), errors=errors or {},
            values=values or {}, can=lambda action: access.may(current_user, appeal, action),
            unread=read_marks.unread_for_staff(appeal, current_user),
            **page_signing(appeal, documents, signatures, events, current_user))
        return html, status

    @expose("/<int:appeal_id>")
    def details(self, appeal_id):
        """The appeal's page; opening it marks the applicant's data read by staff."""
        opened = utcnow()  # what the page shows was written before this moment
        appeal = appeal_or_404(appeal_id)
        result = self._page(appeal)
        read_marks.mark_seen_by_staff(appeal, current_user, opened)
        return result

    def _act(self, appeal_id, action, run, success, values=None):
        """Run one casework operation; a refusal re-renders the page with the message."""
        appeal = appeal_or_404(appeal_id, action=action)
        try:
            result = run(appeal)
        except Refusal as exc:
            return self._page(appeal, errors={exc.field or action: str(exc)},
                              values=values or {}, status=400)
        flash(success(result) if callable(success) else success, "success")
        return redirect(url_for(".details", appeal_id=appeal.id))

    @expose("/<int:appeal_id>/number", methods=("POST",))
    def number(self, appeal_id):
        """«Присвоить регистрационный номер»: blank means the next number."""
        typed = request.form.get("number", "")
        return self._act(appeal_id, access.NUMBER,
                         lambda a: casework.assign_number(a, current_user, typed),
                         lambda number: f"Присвоен регистрационный номер: {number}",
                         {"number": typed})

    @expose("/<int:appeal_id>/status", methods=("POST",))
    def status(self, appeal_id):
        """«Добавить статус»: the free text wins over the catalogue choice."""
        text = (request.form.get("custom_status") or "").strip() or request.form.get("status", "")
        return self._act(appeal_id, access.STATUS,
                         lambda a: casework.add_status(a, current_user, text),
                         f"Добавлен статус: {' '.join(text.split())}",
                         {"status": request.form.get("status", ""),
                          "custom_status": request.form.get("custom_status", "")})

    @expose("/<int:appeal_id>/post", methods=("POST",))
    def post(self, appeal_id):
        """The reply box: rich text (sanitised) and attachments."""
        body = request.form.get("body", "")
        files = request.files.getlist("files")
        return self._act(appeal_id, access.POST,
                         lambda a: casework.add_staff_post(a, current_user, body, files),
                         "Ответ отправлен заявителю", {"body": body})

    @expose("/<int:appeal_id>/document", methods=("POST",))
    def document(self, appeal_id):
        """«Разместить документ»: file, type, whether the applicant must sign."""
        file = request.files.get("file")
        doc_type = request.form.get("doc_type", "")
        sign = bool(request.form.get("needs_signature"))
        return self._act(appeal_id, access.DOCUMENT,
                         lambda a: casework.place_document(a, current_user, file, doc_type, sign),
                         "Документ размещен", {"doc_type": doc_type, "needs_signature": sign})

    @expose("/<int:appeal_id>/archive", methods=("POST",))
    def to_archive(self, appeal_id):
        """«В архив»."""
        return self._act(appeal_id, access.ARCHIVE,
                         lambda a: casework.archive(a, current_user),
                         "Обращение перемещено в архив")

    @expose("/<int:appeal_id>/unarchive", methods=("POST",))
    def from_archive(self, appeal_id):
        """«Из архива»."""
        return self._act(appeal_id, access.ARCHIVE,
                         lambda a: casework.unarchive(a, current_user),
                         "Обращение возвращено из архива")

    @expose("/<int:appeal_id>/documents/<int:document_id>")
    def download(self, appeal_id, document_id):
        """A document's file, for staff who may see the appeal."""
        appeal = appeal_or_404(appeal_id)
        document = document_or_404(appeal, document_id)
        try:
            handle = storage.open_file(document.storage_key)
        except (OSError, ValueError):
            abort(404)
        return send_file(handle, mimetype=document.content_type or "application/octet-stream",
                         as_attachment=True, download_name=document.file_name,
                         max_age=0, etag=document.sha256)


def add_views(admin):
    """Register the «Обращения» menu: Входящие, Все обращения, Архив."""
    category = "Обращения"
    admin.add_view(InboxView(name="Входящие", endpoint="appeals_inbox",
                             url="inbox", category=category))
    admin.add_view(AppealView(name="Все обращения", endpoint="appeals",
                              url="appeals", category=category))
    admin.add_view(ArchiveView(name="Архив", endpoint="appeals_archive",
                               url="archive", category=category))
