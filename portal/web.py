"""Small request helpers shared by the portal's views."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user


def client_ip() -> str:
    """The caller's address (behind a proxy, set ProxyFix in deployment)."""
    return request.remote_addr or ""


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


def safe_next(target: str | None, default: str) -> str:
    """A same-site relative path from ?next=, else the default."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
