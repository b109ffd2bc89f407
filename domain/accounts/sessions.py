"""Starting a session after a checked login, for the portal and the back office alike."""
from flask import session
from flask_login import login_user

from domain.accounts.credentials import authenticate
from domain.accounts.forms import LoginForm
from domain.client_info import client_ip
from domain.formatting import msk
from models import User


def start_session(user: User):
    """Log the user in with a fresh session (no fixation), permanent cookie."""
    session.clear()
    login_user(user)
    session.permanent = True


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
