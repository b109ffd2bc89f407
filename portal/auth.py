"""Registration, login, logout and password recovery."""
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from domain import links
from domain.accounts.credentials import (
    hash_password,
    make_reset_token,
    record_consents,
    set_password,
    user_for_reset_token,
)
from domain.accounts.forms import ForgotForm, LoginForm, RegistrationForm, ResetForm
from domain.accounts.limits import FORGOT_PER_ADDRESS, FORGOT_PER_MAILBOX, LOGIN_PER_ADDRESS, limiter, mailbox_key
from domain.accounts.sessions import attempt_login, end_session, start_session
from domain.client_info import client_ip
from domain.links import safe_next
from domain.outbox import notify, secrets
from models import LegalDocument, User, audit, db
from portal import bp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
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
    """«Выйти»: the session ends on the server too."""
    end_session(current_user)
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
@limiter.limit(FORGOT_PER_ADDRESS, methods=["POST"])
@limiter.limit(FORGOT_PER_MAILBOX, methods=["POST"], key_func=mailbox_key)
def forgot():
    """«Забыли пароль?»: mails a one-time link; never says whether the e-mail is known."""
    form = ForgotForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user and user.is_active:
            token = make_reset_token(user, current_app.config["SECRET_KEY"])
            with db.atomic():
                # The link opens the account: staff see it only as «[скрыто]».
                notify.email(user.email, "password_reset", user=user,
                             link=secrets.placeholder("link"),
                             secret_values={"link": links.absolute("portal.reset", token=token)})
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


