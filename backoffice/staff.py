"""«Сотрудники» (administrators only): staff accounts, created, edited (role and
organisation), deactivated and activated, and their passwords reset.
"""
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import BooleanEqualFilter, FilterEqual
from flask_admin.form import BaseForm
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import JOIN
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backoffice.access import AdminOnlyMixin
from backoffice.catalogs import REQUIRED, mailbox
from backoffice.folded_search import FoldedSearchMixin
from backoffice.record_args import RecordArgsMixin
from domain.accounts import staff
from domain.accounts.credentials import password_problem
from domain.client_info import client_ip
from domain.formatting import msk
from models import Organization, User, audit, db, fold


def _actor():
    return current_user._get_current_object()


def _supplier_choices():
    return [("", "—")] + [(str(o.id), o.name) for o in Organization.suppliers()]


class StaffEditForm(BaseForm):
    """Name, role, organisation and whether the account is active."""
    last_name = StringField("Фамилия", validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField("Имя", validators=[Optional(), Length(max=100)])
    middle_name = StringField("Отчество", validators=[Optional(), Length(max=100)])
    role = SelectField("Роль", choices=list(staff.ROLE_LABELS.items()),
                       invalid_choice_message="Выберите роль из списка")
    supplier = SelectField("Гарантирующий поставщик (для специалиста ГП)", choices=[],
                           invalid_choice_message="Такого гарантирующего поставщика нет в списке")
    is_active = BooleanField("Учетная запись активна")

    def validate_supplier(self, field):
        if field.errors:  # not one of the list: said already
            return
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


class StaffView(AdminOnlyMixin, RecordArgsMixin, FoldedSearchMixin, ModelView):
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
                                        & User.id.in_(self.action_ids(ids))):
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
        user = self.get_one(request.args.get("id"))
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
