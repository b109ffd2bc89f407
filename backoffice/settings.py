"""«Настройки» (administrators only): the grid company's card, the office and portal
settings and the consent texts, in one form saved atomically; each consent edit is a new
version of its document.
"""
from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from backoffice.access import AdminOnlyMixin
from backoffice.catalogs import REQUIRED, legal_inn, mailbox
from domain.client_info import client_ip
from domain.text import clean_html, is_blank
from models import LegalDocument, Organization, Setting, audit, db

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
    max_files_per_appeal = IntegerField("Максимальное число файлов в обращении", validators=[
        DataRequired("Укажите число от 1 до 1000"),
        NumberRange(min=1, max=1000, message="Укажите число от 1 до 1000")])
    max_pending_mb = IntegerField(
        "Объем загруженных, но не сохраненных файлов одного заявителя, МБ", validators=[
            DataRequired("Укажите число от 1 до 10000"),
            NumberRange(min=1, max=10000, message="Укажите число от 1 до 10000")])
    personal_data_html = TextAreaField("Согласие на обработку персональных данных (HTML)")
    e_interaction_html = TextAreaField(
        "Соглашение между участниками электронного взаимодействия (HTML)")

    def validate_personal_data_html(self, field):
        if is_blank(clean_html(field.data)):
            raise ValidationError("Текст документа не может быть пустым")

    validate_e_interaction_html = validate_personal_data_html


#: The settings that are whole numbers (the upload limits of domain/files/uploads.py).
NUMBER_SETTINGS = ("max_upload_mb", "max_files_per_appeal", "max_pending_mb")


def _whole_number(key: str) -> int:
    """A number setting as the form shows it: its default when the stored value is not one."""
    try:
        return int(Setting.value_of(key))
    except ValueError:
        return int(Setting.DEFAULTS[key])


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
        for key in NUMBER_SETTINGS:
            values[key] = str(getattr(form, key).data)
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
            for key in NUMBER_SETTINGS:
                getattr(form, key).data = _whole_number(key)
            for field_name, key in LEGAL_FIELDS:
                getattr(form, field_name).data = LegalDocument.current(key).body_html
        elif form.validate_on_submit():
            changed = save_settings(form, current_user._get_current_object(), client_ip())
            flash("Настройки сохранены" if changed else "Изменений нет", "success")
            return redirect(url_for(".index"))
        versions = {key: LegalDocument.current(key) for _f, key in LEGAL_FIELDS}
        return self.render("backoffice/settings.html", form=form, versions=versions)
