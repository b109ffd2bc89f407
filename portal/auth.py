"""Registration, login, logout and password recovery."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from domain.outbox import notify
from domain.accounts.credentials import (authenticate, hash_password, make_reset_token, record_consents,
                      set_password, user_for_reset_token)
from models import LegalDocument, User, audit, db
from portal import bp
from portal.forms import ForgotForm, LoginForm, RegistrationForm, ResetForm
from portal.web import client_ip, safe_next
from domain.formatting import msk


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """«Вход в личный кабинет»."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.info"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, error = attempt_login(form)
        if user:
            default = url_for("admin.index") if user.is_staff else url_for("portal.info")
            return redirect(safe_next(request.args.get("next"), default))
    return render_template("portal/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("portal.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """«Регистрация» for the three legal forms."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.info"))
    form = RegistrationForm()
    if request.method == "POST":
        cleaned = form.validate_all()
        if cleaned:
            with db.atomic():
                user = User.create(
                    email=cleaned["email"], role=User.APPLICANT, legal_form=cleaned["legal_form"],
                    last_name=cleaned["last_name"], first_name=cleaned["first_name"],
                    middle_name=cleaned["middle_name"],
                    company_name=cleaned.get("company_name", ""), snils=cleaned.get("snils"),
                    inn=cleaned.get("inn"), ogrn=cleaned.get("ogrn"),
                    ogrnip=cleaned.get("ogrnip"), kpp=cleaned.get("kpp"),
                    phone=cleaned["phone"], notify_email=cleaned["email"],
                    password_hash=hash_password(form.password.data))
                record_consents(user, client_ip(), request.headers.get("User-Agent", ""))
                audit("register", actor=user, obj=user, ip=client_ip())
            start_session(user)
            flash("Регистрация завершена. Добро пожаловать в личный кабинет!", "success")
            return redirect(url_for("portal.info"))
    documents = {key: LegalDocument.current(key)
                 for key in (LegalDocument.PERSONAL_DATA, LegalDocument.E_INTERACTION)}
    return render_template("portal/register.html", form=form, documents=documents)


@bp.route("/legal/<key>")
def legal_document(key):
    """The text of a consent document (current version, or ?version=N)."""
    query = LegalDocument.select().where(LegalDocument.key == key)
    version = request.args.get("version", type=int)
    if version:
        query = query.where(LegalDocument.version == version)
    doc = query.order_by(LegalDocument.version.desc()).first()
    if not doc:
        return render_template("portal/not_found.html"), 404
    return render_template("portal/legal.html", doc=doc)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """«Забыли пароль?»: mails a one-time link; never says whether the e-mail is known."""
    form = ForgotForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user and user.is_active:
            token = make_reset_token(user, current_app.config["SECRET_KEY"])
            with db.atomic():
                notify.email(user.email, "password_reset", user=user,
                             link=external_url("portal.reset", token=token))
                audit("password_reset_requested", obj=user, ip=client_ip())
        flash("Если этот адрес зарегистрирован, на него отправлено письмо со ссылкой для "
              "восстановления пароля. Ссылка действует 1 час.", "success")
        return redirect(url_for("portal.login"))
    return render_template("portal/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """Set a new password from a recovery link."""
    user = user_for_reset_token(token, current_app.config["SECRET_KEY"])
    if not user:
        return render_template("portal/reset_invalid.html"), 410
    form = ResetForm()
    if form.validate_on_submit() and form.check_new_password(user.email):
        with db.atomic():
            set_password(user, form.new_password.data)
            audit("password_reset", actor=user, obj=user, ip=client_ip())
        start_session(user)
        flash("Пароль изменён", "success")
        return redirect(url_for("portal.info"))
    return render_template("portal/reset.html", form=form)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails; BASE_URL wins over the request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
