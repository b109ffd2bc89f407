"""Staff login and logout for the back office."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import logout_user

from domain.accounts.forms import LoginForm
from domain.accounts.sessions import attempt_login
from domain.links import safe_next

bp = Blueprint("backoffice_auth", __name__, url_prefix="/backoffice")


@bp.route("/login", methods=["GET", "POST"])
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
    logout_user()
    session.clear()
    return redirect(url_for("backoffice_auth.login"))
