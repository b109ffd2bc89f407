"""«Заявители»: the list of applicant accounts."""
from flask_admin.contrib.peewee import ModelView

from backoffice.access import StaffMixin
from models import User, fold


class ApplicantView(StaffMixin, ModelView):
    """Applicants only; read-only in this view (confirmation comes as an action)."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    page_size = 50
    column_list = ("email", "legal_form", "last_name", "first_name", "company_name", "snils",
                   "inn", "phone", "confirmed", "created_at")
    column_labels = {
        "email": "E-mail", "legal_form": "Правовая форма", "last_name": "Фамилия",
        "first_name": "Имя", "middle_name": "Отчество", "company_name": "Наименование",
        "snils": "СНИЛС", "inn": "ИНН", "ogrn": "ОГРН", "ogrnip": "ОГРНИП", "kpp": "КПП",
        "phone": "Телефон", "notify_email": "E-mail для уведомлений",
        "confirmed": "Подтверждена", "confirmed_at": "Подтверждена (когда)",
        "created_at": "Зарегистрирован",
    }
    column_details_list = ("email", "legal_form", "last_name", "first_name", "middle_name",
                           "company_name", "snils", "inn", "ogrn", "ogrnip", "kpp", "phone",
                           "notify_email", "confirmed", "confirmed_at", "created_at")
    column_formatters = {"legal_form": lambda v, c, m, n: m.legal_form_label}
    column_default_sort = ("created_at", True)

    def __init__(self, **kwargs):
        super().__init__(User, **kwargs)

    def get_query(self):
        return User.select().where(User.role == User.APPLICANT)

    def get_count_query(self):
        return self.get_query()

    def get_one(self, id):
        # Flask-Admin's peewee get_one ignores get_query: scope it here as well.
        return self.get_query().where(User.id == id).first()

    # One casefolded column: SQLite's LIKE would miss lower-case Russian otherwise.
    column_searchable_list = ("search_text",)

    def get_list(self, page, sort_column, sort_desc, search, filters, *args, **kwargs):
        return super().get_list(page, sort_column, sort_desc, fold(search) if search else search,
                                filters, *args, **kwargs)
