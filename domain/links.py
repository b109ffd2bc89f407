"""Absolute links for e-mails, and the safe target of a redirect after login.

Links are built from the app's URL map (never by hand) on the configured BASE_URL, never on
the request's Host header: a forged Host must not put its own address into a password-reset
link (config.base_url).
"""
import re
from urllib.parse import urlsplit

from flask import current_app

from models import Appeal


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint, inside or outside a request."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def base_url() -> str:
    """Where the portal is reached: the configured BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(endpoint: str, **values) -> str:
    """An absolute link to an endpoint, for e-mails."""
    return base_url() + path_for(endpoint, **values)


def portal_link(appeal: Appeal) -> str:
    """The appeal's page in the portal."""
    return absolute("portal.appeal", appeal_id=appeal.id)


def backoffice_link() -> str:
    """The back office's home page, for e-mails to the organisations."""
    return absolute("admin.index")


_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # control characters, whitespace, backslash


def safe_next(target: str | None, default: str) -> str:
    """A local path from ?next=, else the default.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil" and
    "/\\evil" lead off-site (and a newline would split the Location header): any such
    character refuses the target, as does anything with a scheme or a host. Percent-escapes
    stay escaped in the Location header, so "/%09/evil" is only a strange local path."""
    if not target or not target.startswith("/") or _UNSAFE.search(target):
        return default
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return default
    return target
