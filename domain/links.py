"""Absolute links for e-mails, and the safe target of a redirect after login.

Links are built from the app's URL map (never by hand), on BASE_URL when it is configured,
else on the current request's host (outside a request: http://localhost).
"""
from flask import current_app, has_request_context, request

from models import Appeal


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint, inside or outside a request."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def base_url() -> str:
    """Where the portal is reached: BASE_URL, else the request's host."""
    base = current_app.config.get("BASE_URL")
    if not base and has_request_context():
        base = request.url_root
    return (base or "http://localhost").rstrip("/")


def absolute(endpoint: str, **values) -> str:
    """An absolute link to an endpoint, for e-mails."""
    return base_url() + path_for(endpoint, **values)


def portal_link(appeal: Appeal) -> str:
    """The appeal's page in the portal."""
    return absolute("portal.appeal", appeal_id=appeal.id)


def backoffice_link() -> str:
    """The back office's home page, for e-mails to the organisations."""
    return absolute("admin.index")


def safe_next(target: str | None, default: str) -> str:
    """A same-site relative path from ?next=, else the default."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
