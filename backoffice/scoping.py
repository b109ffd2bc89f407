"""Who sees which appeals in the back office.

A grid clerk or administrator sees every appeal that was sent (drafts never); a supplier
clerk sees only the ТП applications naming its supplier and the messages addressed to it.
Every list, count, search, page, download and action goes through these functions, by id
as well as by list; casework.visible_to is the same rule for one loaded appeal.
"""
from flask import abort
from flask_login import current_user

from domain.appeals import casework
from models import Appeal, Document, User


def visible_condition(user: User):
    """SQL condition on Appeal for the appeals `user` may see; None-safe for non-staff."""
    base = Appeal.state != Appeal.DRAFT
    if user is None or not getattr(user, "is_active", False):
        return base & False
    if user.role in (User.GRID_CLERK, User.ADMIN):
        return base
    if user.role == User.SUPPLIER_CLERK and user.organization_id:
        org = user.organization_id
        return base & (((Appeal.kind == Appeal.TP) & (Appeal.supplier == org))
                       | ((Appeal.kind == Appeal.MESSAGE) & (Appeal.organization == org)))
    return base & False


def visible_appeals(user: User | None = None, *columns):
    """A SELECT of the appeals the user may see (current_user by default)."""
    user = user or current_user
    return Appeal.select(*columns).where(visible_condition(user))


def appeal_or_404(appeal_id, user: User | None = None, action: str = casework.VIEW) -> Appeal:
    """The appeal by id if the user may perform `action` on it; 404 otherwise.

    Unseen appeals answer 404 (not 403) so that ids do not reveal what exists; a visible
    appeal with a forbidden action answers 403."""
    user = user or current_user
    try:
        appeal_id = int(appeal_id)
    except (TypeError, ValueError):
        abort(404)
    appeal = visible_appeals(user).where(Appeal.id == appeal_id).first()
    if appeal is None or not casework.visible_to(user, appeal):
        abort(404)
    if not casework.may(user, appeal, action):
        abort(403)
    return appeal


def document_or_404(appeal: Appeal, document_id) -> Document:
    """A document of an appeal the caller already reached through appeal_or_404."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        abort(404)
    document = Document.get_or_none((Document.id == document_id) & (Document.appeal == appeal.id))
    if document is None:
        abort(404)
    return document
