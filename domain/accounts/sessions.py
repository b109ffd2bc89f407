"""Sessions of applicants and staff: started after a checked login, ended on the server at
logout, and expired after an absolute lifetime (everyone) or idle time (staff).

A session is bound to the account's session token (User.get_id); logging out rotates the
token, so a copy of the cookie taken before logout opens nothing afterwards. The session
records when it started and when it was last used; run.py's before-request hook asks
expired() on every request.
"""
import time

from flask import current_app, session
from flask_login import login_user, logout_user

from domain.accounts.credentials import authenticate, rotate_session_token
from domain.accounts.forms import LoginForm
from domain.client_info import client_ip
from domain.formatting import msk
from models import User

STARTED, SEEN = "started_at", "seen_at"
SEEN_RESOLUTION = 30  # seconds: the idle clock is refreshed at most this often (cookie writes)


def start_session(user: User):
    """Log the user in with a fresh session (no fixation), permanent cookie."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session[STARTED] = session[SEEN] = now


def end_session(user: User | None):
    """Log out on the server: the account's session token changes, every copy of the
    session cookie stops opening anything."""
    if user is not None and getattr(user, "is_authenticated", False):
        rotate_session_token(user)
    logout_user()
    session.clear()


def expired(user: User, now: float | None = None) -> bool:
    """True when the current session outlived its absolute lifetime, or a staff session
    stayed idle longer than the staff idle timeout. Refreshes the idle clock otherwise."""
    now = int(now if now is not None else time.time())
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        return True  # a session from before the clocks were recorded
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if now - started > absolute:
        return True
    if user.is_staff and now - seen > current_app.config["STAFF_IDLE_MINUTES"] * 60:
        return True
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN] = now
    return False


def attempt_login(form: LoginForm, staff_only: bool = False) -> tuple[User | None, str | None]:
    """Check a submitted login form; on success start the session. Returns (user, error)."""
    user, until = authenticate(form.email.data, form.password.data, client_ip())
    if until:
        return None, ("Слишком много неудачных попыток входа. Повторите попытку после "
                      f"{msk(until, '%H:%M')} (МСК).")
    if not user or (staff_only and not user.is_staff):
        return None, "Неверный e-mail или пароль"
    start_session(user)
    return user, None
