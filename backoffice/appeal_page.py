"""The back office's appeal page and its actions: «Присвоить регистрационный номер»,
«Добавить статус», the reply, «Разместить документ», «В архив/Из архива», «Заявка
неполная», «Аннулировать заявку», downloads.

Every action is scoped through backoffice.scoping (an appeal the clerk cannot see is a 404,
an action they may not take a 403), reads its form (backoffice/forms.py) and runs one
domain operation; a refusal re-renders the page with the message next to its field and
the clerk's input kept.
"""
from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from peewee import JOIN

from backoffice.appeal_list import AppealListView, ArchiveView, InboxView
from backoffice.forms import (
    AnnulForm,
    ArchiveForm,
    DocumentForm,
    IncompleteForm,
    NumberForm,
    ReplyForm,
    StatusForm,
    action_forms,
)
from backoffice.scoping import appeal_or_404, document_or_404
from backoffice.signing import page_signing
from backoffice.term_board import TermBoardView
from domain.appeals import access, casework, incomplete, read_marks, rules
from domain.deadlines import clocks, timeline
from domain.errors import Refusal
from domain.files import serving
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

    def _page(self, appeal: Appeal, refused: dict | None = None, status=200):
        """Render the appeal's page; refused: {action: form} re-shown with input and errors."""
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
        doc_types = list(casework.organization_document_types())
        terms = timeline.staff_timeline(appeal, current_user)
        rounds = incomplete.rounds(appeal) if terms.asked_to_complete else []
        html = self.render(
            "backoffice/appeal_page.html", appeal=appeal, applicant=applicant, groups=groups,
            posts=posts, events=events,
            forms=action_forms(_statuses(), [t.name for t in doc_types], refused),
            comment_html=clean_html(appeal.comment_html),
            can=lambda action: access.may(current_user, appeal, action),
            unread=read_marks.unread_for_staff(appeal, current_user),
            terms=terms, rounds=rounds, open_request=incomplete.open_request(rounds),
            missed=_missed_applicant_term(appeal, terms),
            **_unsigned_contract(appeal, applicant, doc_types),
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

    def _act(self, appeal_id, action, make_form, run, success):
        """Read the action's form and run one casework operation with it; a refusal
        re-renders the page with the form's input and the message beside its field."""
        appeal = appeal_or_404(appeal_id, action=action)
        form = make_form()
        if form.validate():
            try:
                result = run(appeal, form)
            except Refusal as exc:
                exc.show_on(form)
            else:
                flash(success(result) if callable(success) else success, "success")
                return redirect(url_for(".details", appeal_id=appeal.id))
        return self._page(appeal, {action: form}, status=400)

    @expose("/<int:appeal_id>/number", methods=("POST",))
    def number(self, appeal_id):
        """«Присвоить регистрационный номер»: blank means the next number."""
        return self._act(appeal_id, access.NUMBER, NumberForm,
                         lambda a, f: casework.assign_number(a, current_user, f.number.data),
                         lambda number: f"Присвоен регистрационный номер: {number}")

    @expose("/<int:appeal_id>/status", methods=("POST",))
    def status(self, appeal_id):
        """«Добавить статус»: the free text wins over the catalogue choice."""
        return self._act(appeal_id, access.STATUS, lambda: StatusForm(_statuses()),
                         lambda a, f: casework.add_status(a, current_user, f.text()),
                         lambda event: f"Добавлен статус: {event.text}")

    @expose("/<int:appeal_id>/post", methods=("POST",))
    def post(self, appeal_id):
        """The reply box: rich text (sanitised) and attachments."""
        return self._act(appeal_id, access.POST, ReplyForm,
                         lambda a, f: casework.add_staff_post(a, current_user, f.body.data,
                                                              f.files.data or ()),
                         "Ответ отправлен заявителю")

    @expose("/<int:appeal_id>/document", methods=("POST",))
    def document(self, appeal_id):
        """«Разместить документ»: file, type, whether the applicant must sign."""
        return self._act(appeal_id, access.DOCUMENT, lambda: DocumentForm(_document_types()),
                         lambda a, f: casework.place_document(a, current_user, f.file.data,
                                                              f.doc_type.data,
                                                              f.needs_signature.data),
                         "Документ размещен")

    @expose("/<int:appeal_id>/archive", methods=("POST",))
    def to_archive(self, appeal_id):
        """«В архив»."""
        return self._act(appeal_id, access.ARCHIVE, ArchiveForm,
                         lambda a, f: casework.archive(a, current_user),
                         "Обращение перемещено в архив")

    @expose("/<int:appeal_id>/unarchive", methods=("POST",))
    def from_archive(self, appeal_id):
        """«Из архива»."""
        return self._act(appeal_id, access.ARCHIVE, ArchiveForm,
                         lambda a, f: casework.unarchive(a, current_user),
                         "Обращение возвращено из архива")

    @expose("/<int:appeal_id>/incomplete", methods=("POST",))
    def mark_incomplete(self, appeal_id):
        """«Заявка неполная»: the ticked items of the Rules' checklist, with comments."""
        return self._act(appeal_id, access.INCOMPLETE, IncompleteForm,
                         lambda a, f: incomplete.mark_incomplete(a, current_user, f.items.data,
                                                                 f.comments()),
                         "Заявителю направлено уведомление «Заявка неполная»")

    @expose("/<int:appeal_id>/annul", methods=("POST",))
    def annul_appeal(self, appeal_id):
        """«Аннулировать заявку», confirmed: only after the applicant's term has passed."""
        return self._act(appeal_id, access.ANNUL, AnnulForm,
                         lambda a, f: incomplete.annul(a, current_user, f.confirm.data),
                         "Заявка аннулирована")

    @expose("/<int:appeal_id>/documents/<int:document_id>")
    def download(self, appeal_id, document_id):
        """A document's file, for staff who may see the appeal."""
        appeal = appeal_or_404(appeal_id)
        return serving.document_response(document_or_404(appeal, document_id))


def _missed_applicant_term(appeal: Appeal, terms) -> timeline.Step | None:
    """The applicant's current step past its term whose miss allows «Аннулировать заявку»
    (from the timeline the page shows: no query)."""
    if appeal.state != Appeal.ACTIVE:
        return None
    return next((s for s in terms.current if s.code in clocks.ANNULLABLE and s.overdue), None)


def _statuses() -> list[str]:
    """The active statuses of the catalogue, in its order."""
    return [s.name for s in StatusCatalog.select().where(StatusCatalog.active == True)  # noqa: E712
            .order_by(StatusCatalog.sort_order, StatusCatalog.name)]


def _unsigned_contract(appeal: Appeal, applicant: User, doc_types: list) -> dict:
    """For «Разместить документ»: the contract's type whose «требуется подпись заявителя» is
    not offered on this appeal (п.14 / п.12(1)) and why; the type is None elsewhere."""
    name = casework.unsigned_contract_type(appeal, doc_types)
    return {"unsigned_type": name,
            "unsigned_text": rules.contract_unsigned_text(applicant) if name else ""}


def _document_types() -> list[str]:
    """The organisations' document types a clerk can place."""
    return [t.name for t in casework.organization_document_types()]


def add_views(admin):
    """Register the «Обращения» menu: Входящие, Все обращения, Архив, Сроки."""
    category = "Обращения"
    admin.add_view(InboxView(name="Входящие", endpoint="appeals_inbox",
                             url="inbox", category=category))
    admin.add_view(AppealView(name="Все обращения", endpoint="appeals",
                              url="appeals", category=category))
    admin.add_view(ArchiveView(name="Архив", endpoint="appeals_archive",
                               url="archive", category=category))
    admin.add_view(TermBoardView(name="Сроки", endpoint="term_board", url="terms-board",
                                 category=category))
