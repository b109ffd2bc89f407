"""Staff login and logout for the back office."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from accounts import authenticate
from portal.forms import LoginForm
from portal.web import client_ip, safe_next
from templating import msk

bp = Blueprint("backoffice_auth", __name__, url_prefix="/backoffice")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """«Вход для сотрудников»: the same throttled check as the portal, staff only."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, until = authenticate(form.email.data, form.password.data, client_ip())
        if until:
            error = ("Слишком много неудачных попыток входа. Повторите попытку после "
                     f"{msk(until, '%H:%M')} (МСК).")
        elif not user or not user.is_staff:
            error = "Неверный e-mail или пароль"
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(safe_next(request.args.get("next"), url_for("admin.index")))
    return render_template("backoffice/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("backoffice_auth.login"))
