"""«Информация» and «Данные и настройки»."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from domain.accounts.credentials import check_password, set_password
from domain.accounts.forms import PasswordForm, ProfileForm
from domain.accounts.profile import save_profile
from domain.client_info import client_ip
from models import Setting, User, audit, db
from portal import bp
from portal.web import applicant_required


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index") if current_user.is_staff else url_for("portal.info"))
    return redirect(url_for("portal.login"))


@bp.route("/info")
@applicant_required
def info():
    """«Информация»: what the cabinet offers and the account's confirmation state."""
    office = Setting.values("office_address", "office_hours", "contact_phone", "contact_email",
                            "require_confirmed")
    return render_template("portal/info.html", office=office,
                           require_confirmed=office["require_confirmed"] in Setting.TRUE_VALUES)


def _profile_form():
    form = ProfileForm(obj=current_user) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        form.notify_email.data = current_user.notify_email
    return form


@bp.route("/settings", methods=["GET", "POST"])
@applicant_required
def settings():
    """«Данные и настройки»: the registration-data form and the password form."""
    user = current_user._get_current_object()
    profile = _profile_form()
    password = PasswordForm(prefix="pw")
    # Identifiers checked in the office are frozen once the account is confirmed.
    ids_editable = not user.confirmed
    if request.method == "POST" and request.form.get("form") == "profile":
        ok = profile.validate()
        cleaned = profile.check_identity(user.legal_form, with_ids=ids_editable, with_phone=False)
        snils = cleaned.get("snils")
        if snils and User.get_or_none((User.snils == snils) & (User.id != user.id)):
            profile.snils.errors.append("Пользователь с таким СНИЛС уже зарегистрирован")
        if ok and not any(f.errors for f in profile):
            save_profile(user, profile.notify_email.data, cleaned, client_ip())
            flash("Данные сохранены", "success")
            return redirect(url_for("portal.settings"))
    elif request.method == "POST" and request.form.get("form") == "password":
        if password.validate() and password.check_new_password(user.email):
            if not check_password(user, password.old_password.data):
                password.old_password.errors.append("Неверный старый пароль")
            else:
                with db.atomic():
                    set_password(user, password.new_password.data)
                    audit("password_changed", actor=user, obj=user, ip=client_ip())
                login_user(user)  # the session token changed; keep this session
                flash("Пароль изменён", "success")
                return redirect(url_for("portal.settings"))
    return render_template("portal/settings.html", profile=profile, password=password,
                           ids_editable=ids_editable)
