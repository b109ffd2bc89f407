"""«Справочники»: guaranteeing suppliers, the status catalogue, document types.

Grid clerks read them, administrators create and edit. Nothing is deleted: rows are
referenced by appeals, documents and staff, so an administrator deactivates instead.
A seeded status or document type carries a code the portal's behaviour keys on: the list
shows it, the form leaves it out, so renaming such a row changes only what users read.
"""
from flask_admin.contrib.peewee import ModelView
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from backoffice.access import AdminEditsMixin
from backoffice.record_args import RecordArgsMixin
from backoffice.saving import AtomicSaveMixin
from domain.identifiers import IdentifierError, normalize_inn
from domain.outbox.mailer import address_ok
from models import DocumentType, Organization, StatusCatalog

REQUIRED = "Заполните поле"
ORDER_RANGE = "Укажите число от 0 до 100000"
# «Порядок»: required (wtf-peewee makes a field with a default optional, and an empty one
# would reach the NOT NULL column), a whole number in range.
ORDER_VALIDATORS = [InputRequired(ORDER_RANGE),
                    NumberRange(min=0, max=100000, message=ORDER_RANGE)]
YES_NO = {True: "Да", False: "Нет"}


def legal_inn(form, field):
    """INN of an organisation: 10 digits with a valid check digit; stored as digits."""
    try:
        field.data = normalize_inn(field.data, "legal")
    except IdentifierError as exc:
        raise ValidationError(exc.message) from None


def mailbox(form, field):
    """One e-mail address."""
    field.data = (field.data or "").strip().lower()
    if not address_ok(field.data) or "@" not in field.data:
        raise ValidationError("Введите корректный адрес электронной почты")


def _active_cell(view, context, model, name):
    return "Да" if model.active else "Нет (не используется)"


def _code_cell(view, context, model, name):
    return model.code or ""


class CatalogView(AdminEditsMixin, RecordArgsMixin, AtomicSaveMixin, ModelView):
    """Common settings of the catalogue views."""
    can_view_details = False
    page_size = 100
    column_formatters = {"active": _active_cell, "code": _code_cell}
    column_filters = ()


class SupplierView(CatalogView):
    """«Гарантирующие поставщики» (Organization of kind supplier)."""
    audit_name = "supplier"
    column_list = ("name", "inn", "inbox_email", "phone", "active")
    form_columns = ("name", "short_name", "inn", "inbox_email", "phone", "address", "active")
    column_labels = {"name": "Наименование", "short_name": "Краткое наименование", "inn": "ИНН",
                     "inbox_email": "E-mail для уведомлений", "phone": "Телефон",
                     "address": "Адрес", "active": "Действует"}
    column_searchable_list = ()
    column_default_sort = ("name", False)
    form_args = {
        "name": {"label": "Наименование", "validators": [DataRequired(REQUIRED), Length(max=255)]},
        "inn": {"label": "ИНН", "validators": [legal_inn]},
        "inbox_email": {"label": "E-mail для уведомлений", "validators": [mailbox]},
    }

    def __init__(self, **kwargs):
        super().__init__(Organization, **kwargs)

    def get_query(self):
        return Organization.select().where(Organization.kind == Organization.SUPPLIER)

    def get_count_query(self):
        return self.get_query()

    def on_model_change(self, form, model, is_created):
        model.kind = Organization.SUPPLIER
        model.name = model.name.strip()
        taken = self.get_query().where((Organization.name == model.name)
                                       & (Organization.id != (model.id or 0))).exists()
        if taken:
            raise ValidationError(f"Гарантирующий поставщик «{model.name}» уже есть в справочнике")


class StatusView(CatalogView):
    """«Статусы»: what a clerk picks in «Добавить статус»."""
    audit_name = "status_catalog"
    column_list = ("name", "code", "sort_order", "active")
    form_columns = ("name", "sort_order", "active")
    column_labels = {"name": "Статус", "code": "Код", "sort_order": "Порядок",
                     "active": "Используется"}
    column_default_sort = ("sort_order", False)
    form_args = {
        "name": {"label": "Статус", "validators": [DataRequired(REQUIRED), Length(max=255)]},
        "sort_order": {"label": "Порядок", "validators": ORDER_VALIDATORS},
    }

    def __init__(self, **kwargs):
        super().__init__(StatusCatalog, **kwargs)

    def on_model_change(self, form, model, is_created):
        model.name = model.name.strip()
        taken = (StatusCatalog.select().where((StatusCatalog.name == model.name)
                                              & (StatusCatalog.id != (model.id or 0))).exists())
        if taken:
            raise ValidationError(f"Статус «{model.name}» уже есть в справочнике")


PARTY_LABELS = {DocumentType.APPLICANT: "Заявитель", DocumentType.ORGANIZATION: "Сетевая организация / ГП"}


class DocumentTypeView(CatalogView):
    """«Типы документов»: for the applicant's uploads and the organisations' documents."""
    audit_name = "document_type"
    column_list = ("name", "code", "party", "sort_order", "active")
    form_columns = ("name", "party", "sort_order", "active")
    column_labels = {"name": "Тип документа", "code": "Код", "party": "Чьи документы",
                     "sort_order": "Порядок", "active": "Используется"}
    column_default_sort = ("party", False)
    column_formatters = {"active": _active_cell, "code": _code_cell,
                         "party": lambda v, c, m, n: PARTY_LABELS.get(m.party, m.party)}
    form_choices = {"party": list(PARTY_LABELS.items())}
    form_args = {
        "name": {"label": "Тип документа", "validators": [DataRequired(REQUIRED), Length(max=255)]},
        "party": {"label": "Чьи документы"},
        "sort_order": {"label": "Порядок", "validators": ORDER_VALIDATORS},
    }

    def __init__(self, **kwargs):
        super().__init__(DocumentType, **kwargs)

    def on_model_change(self, form, model, is_created):
        model.name = model.name.strip()
        taken = (DocumentType.select().where((DocumentType.name == model.name)
                                             & (DocumentType.party == model.party)
                                             & (DocumentType.id != (model.id or 0))).exists())
        if taken:
            raise ValidationError(f"Тип документа «{model.name}» уже есть в справочнике")
        if model.code and model.party != DocumentType.get_by_id(model.id).party:
            # The portal finds its own types by party and code.
            raise ValidationError(f"Тип документа «{model.name}» используется порталом: "
                                  "можно изменить название, но не то, чьи это документы")
