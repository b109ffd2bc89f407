"""The back office's look-ups by id: an appeal or document the clerk may not see is a 404.

The rule itself is domain.appeals.access (visible_to and its SQL twin visible_condition).
"""
from flask import abort
from flask_login import current_user

from domain.appeals import access
from domain.request_input import record_id
from models import Appeal, Document, User


def appeal_or_404(appeal_id, user: User | None = None, action: str = access.VIEW) -> Appeal:
    """The appeal by id if the user may perform `action` on it; 404 otherwise.

    Unseen appeals answer 404 (not 403) so that ids do not reveal what exists; a visible
    appeal with a forbidden action answers 403."""
    user = user or current_user
    appeal_id = record_id(appeal_id)
    if appeal_id is None:
        abort(404)
    appeal = access.visible_appeals(user).where(Appeal.id == appeal_id).first()
    if appeal is None or not access.visible_to(user, appeal):
        abort(404)
    if not access.may(user, appeal, action):
        abort(403)
    return appeal


def document_or_404(appeal: Appeal, document_id) -> Document:
    """A document of an appeal the caller already reached through appeal_or_404."""
    document_id = record_id(document_id)
    if document_id is None:
        abort(404)
    document = Document.get_or_none((Document.id == document_id) & (Document.appeal == appeal.id))
    if document is None:
        abort(404)
    return document
