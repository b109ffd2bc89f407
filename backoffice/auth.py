"""Staff login and logout for the back office."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from domain.accounts.forms import LoginForm
from domain.accounts.limits import LOGIN_PER_ADDRESS, limiter
from domain.accounts.sessions import attempt_login, end_session
from domain.links import safe_next

bp = Blueprint("backoffice_auth", __name__, url_prefix="/backoffice")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
def login():
    """«Вход для сотрудников»: the same throttled check as the portal, staff only."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, error = attempt_login(form, staff_only=True)
        if user:
            return redirect(safe_next(request.args.get("next"), url_for("admin.index")))
    return render_template("backoffice/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    """The session ends on the server too."""
    end_session(current_user)
    return redirect(url_for("backoffice_auth.login"))
