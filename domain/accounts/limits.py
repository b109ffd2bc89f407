"""Request limits per client address (Flask-Limiter), beside the per-account delays of
credentials.locked_until: many accounts tried from one address, or many recovery e-mails
asked for one mailbox, are slowed down here.

Counters live in Redis when REDIS_URL is set (shared by every worker), else in memory.
"""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Login attempts from one address, whichever accounts they name.
LOGIN_PER_ADDRESS = "20 per minute;200 per hour"
# Recovery requests from one address, and recovery e-mails to one mailbox.
FORGOT_PER_ADDRESS = "10 per hour"
FORGOT_PER_MAILBOX = "3 per hour"

limiter = Limiter(key_func=get_remote_address, headers_enabled=False)


def mailbox_key() -> str:
    """The e-mail a recovery form names, folded, as the key of its limit."""
    return "forgot:" + (request.form.get("email") or "").strip().lower()


def init_app(app):
    """Counters in Redis when the app has REDIS_URL, else in this process's memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
