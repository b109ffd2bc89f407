"""What the current request says about its caller, for the journal and signature evidence."""
from flask import has_request_context, request


def client_ip() -> str:
    """The caller's address ('' outside a request; behind a proxy, set ProxyFix)."""
    return (request.remote_addr or "") if has_request_context() else ""


def user_agent() -> str:
    """The caller's browser as it names itself ('' outside a request)."""
    return request.headers.get("User-Agent", "") if has_request_context() else ""
