"""«Администрирование»: staff accounts, settings, the journal of actions, the outbox.

Administrators only (AdminOnlyMixin): for everyone else these URLs answer 403 and the
menu group is hidden.
"""
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import (
    BasePeeweeFilter,
    BooleanEqualFilter,
    DateBetweenFilter,
    FilterEqual,
    FilterLike,
)
from flask_admin.form import BaseForm
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from peewee import JOIN
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

import tasks
from backoffice.access import AdminOnlyMixin
from backoffice.catalogs import legal_inn, mailbox
from backoffice.folded_search import FoldedSearchMixin, folded
from domain.accounts import staff
from domain.accounts.credentials import password_problem
from domain.client_info import client_ip
from domain.formatting import msk
from domain.text import clean_html, is_blank
from models import (
    AuditLog,
    LegalDocument,
    Notification,
    Organization,
    Setting,
    User,
    audit,
    db,
    fold,
    utcnow,
)

REQUIRED = "Заполните поле"


def _actor():
    return current_user._get_current_object()


# --- «Сотрудники» ---------------------------------------------------------------------


def _supplier_choices():
    return [("", "—")] + [(str(o.id), o.name) for o in Organization.suppliers()]


class StaffEditForm(BaseForm):
    """Name, role, organisation and whether the account is active."""
    last_name = StringField("Фамилия", validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField("Имя", validators=[Optional(), Length(max=100)])
    middle_name = StringField("Отчество", validators=[Optional(), Length(max=100)])
    role = SelectField("Роль", choices=list(staff.ROLE_LABELS.items()))
    supplier = SelectField("Гарантирующий поставщик (для специалиста ГП)", choices=[])
    is_active = BooleanField("Учетная запись активна")

    def validate_supplier(self, field):
        if self.role.data == User.SUPPLIER_CLERK and not staff.organization_for(
                self.role.data, field.data):
            raise ValidationError("Выберите гарантирующего поставщика")


class StaffCreateForm(StaffEditForm):
    """The edit fields plus the login and an optional first password."""
    email = StringField("E-mail (логин)", validators=[mailbox])
    password = PasswordField("Пароль (оставьте пустым, чтобы сгенерировать временный)")
    is_active = None

    def validate_email(self, field):
        if User.by_email(field.data):
            raise ValidationError("Учетная запись с таким e-mail уже существует")

    def validate_password(self, field):
        if field.data:
            problem = password_problem(field.data, self.email.data)
            if problem:
                raise ValidationError(problem)


class StaffView(AdminOnlyMixin, FoldedSearchMixin, ModelView):
    """Staff accounts: create, edit role and organisation, (de)activate, reset password."""
    can_delete = False  # the journal and the appeals reference staff: deactivate instead
    can_view_details = False
    page_size = 50
    column_list = ("email", "full_name", "role", "organization", "is_active", "created_at")
    column_labels = {"email": "E-mail (логин)", "full_name": "Ф.И.О.", "role": "Роль",
                     "organization": "Организация", "is_active": "Активна",
                     "created_at": "Создана"}
    column_sortable_list = ("email", "role", "is_active", "created_at")
    column_default_sort = ("email", False)
    column_searchable_list = ("search_text",)  # the casefolded e-mail and name
    column_filters = (
        FilterEqual(User.role, "Роль", options=list(staff.ROLE_LABELS.items())),
        BooleanEqualFilter(User.is_active, "Активна"),
    )
    column_formatters = {
        "role": lambda v, c, m, n: staff.ROLE_LABELS.get(m.role, m.role),
        "organization": lambda v, c, m, n: m.organization.name if m.organization_id else "",
        "is_active": lambda v, c, m, n: "Да" if m.is_active else "Нет",
        "created_at": lambda v, c, m, n: msk(m.created_at),
    }
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-key", ".password_view", title="Сбросить пароль"),
    ]

    def __init__(self, **kwargs):
        super().__init__(User, **kwargs)

    def get_query(self):
        return (User.select(User, Organization)
                .join(Organization, JOIN.LEFT_OUTER, on=(User.organization == Organization.id))
                .where(User.role.in_(User.STAFF_ROLES)))

    def get_count_query(self):
        return User.select().where(User.role.in_(User.STAFF_ROLES))

    @property
    def default_order(self):
        return [User.email.asc(), User.id.asc()]

    def search_placeholder(self):
        return "E-mail, Ф.И.О."

    def search_clause(self, text):
        clause = None
        for word in fold(text).split():
            part = User.search_text.contains(word)
            clause = part if clause is None else clause & part
        return clause

    def get_one(self, id):
        return User.select().where(User.role.in_(User.STAFF_ROLES) & (User.id == id)).first()

    def get_create_form(self):
        return StaffCreateForm

    def get_edit_form(self):
        return StaffEditForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.supplier.choices = _supplier_choices()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.supplier.choices = _supplier_choices()
        if obj is not None and request.method == "GET":
            form.supplier.data = str(obj.organization_id) if obj.role == User.SUPPLIER_CLERK else ""
        return form

    def create_model(self, form):
        """A new account; a blank password becomes a temporary one shown once."""
        password = form.password.data or staff.temporary_password()
        user = staff.create(
            email=form.email.data, last_name=form.last_name.data, first_name=form.first_name.data,
            middle_name=form.middle_name.data, role=form.role.data,
            organization=staff.organization_for(form.role.data, form.supplier.data),
            password=password, actor=_actor(), ip=client_ip())
        if not form.password.data:
            flash(f"Учетная запись {user.email} создана. Временный пароль: {password} — "
                  "сообщите его сотруднику; больше он показан не будет.", "success")
        return user

    def update_model(self, form, model):
        """Names, role, organisation and the active flag, in one transaction."""
        me = _actor()
        if model.id == me.id and (form.role.data != User.ADMIN or not form.is_active.data):
            flash("Нельзя снять с себя роль администратора или отключить свою учетную запись",
                  "error")
            return False
        org = staff.organization_for(form.role.data, form.supplier.data)
        with db.atomic():
            role_changed = (model.role, model.organization_id) != (form.role.data, org.id)
            model.last_name = form.last_name.data.strip()
            model.first_name = (form.first_name.data or "").strip()
            model.middle_name = (form.middle_name.data or "").strip()
            model.role, model.organization = form.role.data, org
            if role_changed:
                model.session_token = secrets.token_urlsafe(32)
            model.save()
            audit("staff_updated", actor=me, obj=model,
                  details=f"{model.email}: {staff.ROLE_LABELS[model.role]}, {org.name}",
                  ip=client_ip())
            staff.set_active(model, bool(form.is_active.data), actor=me, ip=client_ip())
        return True

    def _set_active(self, ids, active):
        me = _actor()
        done = 0
        for user in User.select().where(User.role.in_(User.STAFF_ROLES)
                                        & User.id.in_([int(i) for i in ids])):
            if user.id == me.id and not active:
                flash("Нельзя отключить свою учетную запись", "error")
                continue
            done += staff.set_active(user, active, actor=me, ip=client_ip())
        return done

    @action("deactivate", "Отключить", "Отключить выбранные учетные записи?")
    def action_deactivate(self, ids):
        flash(f"Отключено учетных записей: {self._set_active(ids, False)}", "success")

    @action("activate", "Включить", "Включить выбранные учетные записи?")
    def action_activate(self, ids):
        flash(f"Включено учетных записей: {self._set_active(ids, True)}", "success")

    @expose("/password/", methods=("GET", "POST"))
    def password_view(self):
        """«Сбросить пароль»: a typed password or a generated one, shown once on this page."""
        user = self.get_one(request.args.get("id", type=int) or 0)
        if user is None:
            abort(404)
        form = ResetPasswordForm()
        shown = None
        if form.validate_on_submit():
            password = form.password.data or staff.temporary_password()
            problem = password_problem(password, user.email)
            if problem:
                form.password.errors = [problem]
            else:
                staff.reset_password(user, password, actor=_actor(), ip=client_ip())
                shown = password if not form.password.data else None
                flash(f"Пароль учетной записи {user.email} изменен", "success")
                if not shown:
                    return redirect(url_for(".index_view"))
        return self.render("backoffice/staff_password.html", user=user, form=form, shown=shown)


class ResetPasswordForm(FlaskForm):
    password = PasswordField("Новый пароль (оставьте пустым, чтобы сгенерировать временный)")


# --- «Настройки» ---------------------------------------------------------------------

SETTING_LABELS = {
    "office_address": "Адрес офиса для подтверждения учетной записи",
    "office_hours": "Часы приема",
    "contact_phone": "Контактный телефон",
    "contact_email": "Контактный e-mail",
}


class SettingsForm(FlaskForm):
    """The grid company's card, the office and portal settings, the consent texts."""
    grid_name = StringField("Наименование сетевой организации",
                            validators=[DataRequired(REQUIRED), Length(max=255)])
    grid_inn = StringField("ИНН", validators=[legal_inn])
    grid_inbox_email = StringField("E-mail для уведомлений о новых заявках", validators=[mailbox])
    grid_phone = StringField("Телефон", validators=[Optional(), Length(max=64)])
    grid_address = StringField("Адрес", validators=[Optional(), Length(max=500)])
    office_address = StringField(SETTING_LABELS["office_address"],
                                 validators=[DataRequired(REQUIRED), Length(max=500)])
    office_hours = StringField(SETTING_LABELS["office_hours"],
                               validators=[DataRequired(REQUIRED), Length(max=255)])
    contact_phone = StringField(SETTING_LABELS["contact_phone"], validators=[Length(max=64)])
    contact_email = StringField(SETTING_LABELS["contact_email"], validators=[Optional(), mailbox])
    require_confirmed = BooleanField("Для отправления заявки необходимо подтверждение учетной записи")
    max_upload_mb = IntegerField("Максимальный размер файла, МБ", validators=[
        DataRequired("Укажите число от 1 до 200"),
        NumberRange(min=1, max=200, message="Укажите число от 1 до 200")])
    personal_data_html = TextAreaField("Согласие на обработку персональных данных (HTML)")
    e_interaction_html = TextAreaField(
        "Соглашение между участниками электронного взаимодействия (HTML)")

    def validate_personal_data_html(self, field):
        if is_blank(clean_html(field.data)):
            raise ValidationError("Текст документа не может быть пустым")

    validate_e_interaction_html = validate_personal_data_html


LEGAL_FIELDS = (("personal_data_html", LegalDocument.PERSONAL_DATA),
                ("e_interaction_html", LegalDocument.E_INTERACTION))


def save_settings(form: SettingsForm, actor, ip: str) -> list[str]:
    """Write the settings in one transaction; returns the labels of what changed."""
    changed = []
    with db.atomic():
        grid = Organization.grid()
        for attr in ("name", "inn", "inbox_email", "phone", "address"):
            value = (getattr(form, f"grid_{attr}").data or "").strip()
            if getattr(grid, attr) != value:
                setattr(grid, attr, value)
                changed.append(getattr(form, f"grid_{attr}").label.text)
        grid.save()
        values = {key: (getattr(form, key).data or "").strip() for key in SETTING_LABELS}
        values["require_confirmed"] = "1" if form.require_confirmed.data else "0"
        values["max_upload_mb"] = str(form.max_upload_mb.data)
        for key, value in values.items():
            if Setting.value_of(key) != value:
                Setting.put(key, value)
                changed.append(getattr(form, key).label.text)
        for field_name, key in LEGAL_FIELDS:
            body = clean_html(getattr(form, field_name).data)
            current = LegalDocument.current(key)
            if current.body_html != body:
                LegalDocument.create(key=key, version=current.version + 1, title=current.title,
                                     body_html=body)
                changed.append(f"{current.title} (редакция {current.version + 1})")
        if changed:
            audit("settings_updated", actor=actor, details="; ".join(changed), ip=ip)
    return changed


class SettingsView(AdminOnlyMixin, BaseView):
    """«Настройки»: one form, saved atomically; each consent edit is a new version."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = SettingsForm()
        if request.method == "GET":
            grid = Organization.grid()
            for attr in ("name", "inn", "inbox_email", "phone", "address"):
                getattr(form, f"grid_{attr}").data = getattr(grid, attr)
            for key in SETTING_LABELS:
                getattr(form, key).data = Setting.value_of(key)
            form.require_confirmed.data = Setting.flag("require_confirmed")
            try:
                form.max_upload_mb.data = int(Setting.value_of("max_upload_mb"))
            except ValueError:
                form.max_upload_mb.data = 30
            for field_name, key in LEGAL_FIELDS:
                getattr(form, field_name).data = LegalDocument.current(key).body_html
        elif form.validate_on_submit():
            changed = save_settings(form, _actor(), client_ip())
            flash("Настройки сохранены" if changed else "Изменений нет", "success")
            return redirect(url_for(".index"))
        versions = {key: LegalDocument.current(key) for _f, key in LEGAL_FIELDS}
        return self.render("backoffice/settings.html", form=form, versions=versions)


# --- «Журнал действий» ---------------------------------------------------------------

AUDIT_ACTIONS = {
    "login": "Вход", "login_failed": "Неудачный вход",
    "register": "Регистрация заявителя", "profile_changed": "Изменение данных заявителя",
    "password_changed": "Смена пароля", "password_reset_requested": "Запрос восстановления пароля",
    "password_reset": "Восстановление пароля",
    "appeal_number": "Присвоен регистрационный номер", "appeal_status": "Добавлен статус",
    "appeal_post": "Добавлено сообщение", "appeal_document": "Размещен документ",
    "appeal_archive": "Перемещено в архив", "appeal_unarchive": "Возвращено из архива",
    "payment_recorded": "Отмечена оплата", "sign_code_sent": "Отправлен код подписи",
    "document_signed": "Документ подписан", "signature_refused": "Отказ в подписи",
    "account_confirmed": "Подтверждение учетной записи",
    "account_unconfirmed": "Отмена подтверждения учетной записи",
    "staff_created": "Создан сотрудник", "staff_updated": "Изменен сотрудник",
    "staff_deactivated": "Отключен сотрудник", "staff_activated": "Включен сотрудник",
    "staff_password_reset": "Сброшен пароль сотрудника",
    "settings_updated": "Изменены настройки",
    "supplier_created": "Добавлен гарантирующий поставщик",
    "supplier_updated": "Изменен гарантирующий поставщик",
    "status_catalog_created": "Добавлен статус в справочник",
    "status_catalog_updated": "Изменен статус в справочнике",
    "document_type_created": "Добавлен тип документа",
    "document_type_updated": "Изменен тип документа",
    "notification_resent": "Повторная отправка уведомления",
}


class AuditLogView(AdminOnlyMixin, FoldedSearchMixin, ModelView):
    """Read-only: no create, edit or delete exists for the journal in the UI."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    action_disallowed_list = ["delete"]
    page_size = 50
    column_list = ("at", "actor_email", "action", "object_type", "object_id", "details", "ip")
    column_labels = {"at": "Когда (МСК)", "actor_email": "Кто", "action": "Действие",
                     "object_type": "Объект", "object_id": "№ объекта", "details": "Подробности",
                     "ip": "IP-адрес"}
    column_sortable_list = ("at", "actor_email", "action")
    column_formatters = {
        "at": lambda v, c, m, n: msk(m.at, "%d.%m.%Y %H:%M:%S"),
        "action": lambda v, c, m, n: AUDIT_ACTIONS.get(m.action, m.action),
        "actor_email": lambda v, c, m, n: m.actor_email or "—",
    }
    column_filters = (
        FilterEqual(AuditLog.action, "Действие", options=list(AUDIT_ACTIONS.items())),
        FilterLike(AuditLog.actor_email, "Кто (e-mail)"),
        DateBetweenFilter(AuditLog.at, "Дата"),
    )
    column_searchable_list = ("details",)

    def __init__(self, **kwargs):
        super().__init__(AuditLog, **kwargs)

    @property
    def default_order(self):
        return [AuditLog.at.desc(), AuditLog.id.desc()]

    def search_placeholder(self):
        return "Кто, действие, подробности, IP"

    def search_clause(self, text):
        clause = None
        for word in fold(text).split():
            part = (folded(AuditLog.details).contains(word)
                    | folded(AuditLog.actor_email).contains(word)
                    | AuditLog.action.contains(word) | AuditLog.ip.contains(word)
                    | (AuditLog.object_id == word))
            clause = part if clause is None else clause & part
        return clause

    def get_one(self, id):
        return None  # no details, no edits: nothing reads single rows through Flask-Admin


# --- «Исходящие уведомления» ----------------------------------------------------------

SENT, QUEUED, FAILED = "sent", "queued", "failed"
STATE_LABELS = {SENT: "отправлено", QUEUED: "в очереди", FAILED: "ошибка"}


def notification_state(row: Notification) -> str:
    """sent / queued / failed for one outbox row."""
    if row.sent_at:
        return SENT
    return FAILED if row.last_error else QUEUED


class StateFilter(BasePeeweeFilter):
    """«Состояние»: отправлено / в очереди / ошибка."""

    def apply(self, query, value):
        if value == SENT:
            return query.where(Notification.sent_at.is_null(False))
        if value == FAILED:
            return query.where(Notification.sent_at.is_null() & (Notification.last_error != ""))
        return query.where(Notification.sent_at.is_null() & (Notification.last_error == ""))

    def operation(self):
        return "равно"


def _state_cell(view, context, model, name):
    state = notification_state(model)
    text = STATE_LABELS[state]
    if state == FAILED:
        if model.attempts >= len(tasks.RETRY_DELAYS):
            text += f" (попыток: {model.attempts}; автоматических попыток больше не будет)"
        else:
            text += (f" (попыток: {model.attempts}; следующая попытка "
                     f"{msk(model.next_attempt_at, '%d.%m.%Y %H:%M:%S')})")
    return Markup(f'<span class="outbox-{state}">{escape(text)}</span>')


class OutboxView(AdminOnlyMixin, ModelView):
    """Outbox rows with their delivery state and «Отправить повторно»."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    action_disallowed_list = ["delete"]
    page_size = 50
    column_list = ("created_at", "channel", "recipient", "subject", "state", "attempts",
                   "last_error", "sent_at")
    column_details_list = ("created_at", "channel", "recipient", "subject", "state", "attempts",
                           "next_attempt_at", "last_error", "sent_at", "body_text")
    column_labels = {"created_at": "Создано (МСК)", "channel": "Канал", "recipient": "Получатель",
                     "subject": "Тема", "state": "Состояние", "attempts": "Попыток",
                     "last_error": "Последняя ошибка", "sent_at": "Отправлено (МСК)",
                     "next_attempt_at": "Следующая попытка (МСК)", "body_text": "Текст"}
    column_sortable_list = ("created_at", "recipient", "attempts", "sent_at")
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("recipient",)
    column_formatters = {
        "created_at": lambda v, c, m, n: msk(m.created_at, "%d.%m.%Y %H:%M:%S"),
        "sent_at": lambda v, c, m, n: msk(m.sent_at, "%d.%m.%Y %H:%M:%S"),
        "next_attempt_at": lambda v, c, m, n: "" if m.sent_at else msk(m.next_attempt_at,
                                                                         "%d.%m.%Y %H:%M:%S"),
        "channel": lambda v, c, m, n: "e-mail" if m.channel == Notification.EMAIL else "СМС",
        "state": _state_cell,
        "last_error": lambda v, c, m, n: (m.last_error or "")[:200],
    }
    column_filters = (StateFilter(Notification.sent_at, "Состояние",
                                  options=list(STATE_LABELS.items())),)

    def __init__(self, **kwargs):
        super().__init__(Notification, **kwargs)

    @action("resend", "Отправить повторно", "Отправить выбранные уведомления повторно?")
    def action_resend(self, ids):
        """Unsent rows get a fresh set of attempts; sent ones are sent again as a copy."""
        queued = []
        with db.atomic():
            for row in Notification.select().where(Notification.id.in_([int(i) for i in ids])):
                if row.sent_at:
                    copy = Notification.create(
                        channel=row.channel, recipient=row.recipient, subject=row.subject,
                        body_text=row.body_text, body_html=row.body_html, appeal=row.appeal_id)
                    queued.append(copy.id)
                else:
                    (Notification.update(attempts=0, claimed_until=None, next_attempt_at=utcnow(),
                                         last_error="")
                     .where(Notification.id == row.id).execute())
                    queued.append(row.id)
                audit("notification_resent", actor=_actor(), obj=row,
                      details=f"{row.recipient}: {row.subject}", ip=client_ip())
        for notification_id in queued:  # committed: the consumer may take them now
            tasks.enqueue(notification_id)  # a queue that is down leaves them to the sweep
        flash(f"Поставлено в очередь на отправку: {len(queued)}", "success")
