"""Small request helpers shared by the portal's views."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from domain.appeals import access
from models import Appeal, Document


def applicant_required(view):
    """Only a logged-in applicant passes; staff are sent to the back office."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("portal.login", next=request.full_path))
        if not current_user.is_applicant:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def own_appeal_or_404(appeal_id) -> Appeal:
    """The current applicant's appeal with that id; anybody else's (or none) is a 404."""
    appeal = access.own_appeal(current_user, appeal_id)
    if appeal is None:
        abort(404)
    appeal.applicant = current_user._get_current_object()
    return appeal


def own_document_or_404(document_id) -> Document:
    """A document of one of the current applicant's appeals; anybody else's is a 404."""
    document = access.own_document(current_user, document_id)
    if document is None:
        abort(404)
    return document
