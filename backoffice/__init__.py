"""The back office: Flask-Admin at /backoffice, for grid-company and supplier staff.

Every view here derives from StaffMixin, so nothing is public by accident (Flask-Admin
views are open until is_accessible says otherwise); row scoping guards get_one too.
Flask-Admin's inline scripts carry the request's Content-Security-Policy nonce.
"""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from backoffice import signing as staff_signing
from backoffice.appeal_list import register_layout_cache
from backoffice.appeal_page import add_views as add_appeal_views
from backoffice.applicants import ApplicantView
from backoffice.audit_log import AuditLogView
from backoffice.auth import bp as auth_bp
from backoffice.calendar import CalendarView
from backoffice.catalogs import DocumentTypeView, StatusView, SupplierView
from backoffice.home import StaffIndexView
from backoffice.outbox import OutboxView
from backoffice.settings import SettingsView
from backoffice.staff import StaffView
from backoffice.terms import TermRuleView
from domain.response_headers import csp_nonce


def init_admin(app):
    """Build the Admin and its views inside the factory (module-level instances collide)."""
    app.register_blueprint(auth_bp)
    staff_signing.init_app(app)  # КЭП of staff, payments (backoffice/signing.py)
    admin = Admin(app, name="Бэк-офис", url="/backoffice", endpoint="admin",
                  index_view=StaffIndexView(name="Главная", url="/backoffice"),
                  theme=Bootstrap4Theme(base_template="backoffice/master.html", fluid=True),
                  csp_nonce_generator=csp_nonce)
    add_appeal_views(admin)  # «Обращения»: Входящие, Все обращения, Архив
    register_layout_cache(app)  # the lists' render cache of Flask-Admin's menu blocks
    admin.add_view(ApplicantView(name="Заявители", endpoint="applicants"))
    add_account_views(admin)
    return admin


def add_account_views(admin):
    """«Справочники» (grid staff read, admins edit) and «Администрирование» (admins only)."""
    catalogs = "Справочники"
    admin.add_view(SupplierView(name="Гарантирующие поставщики", endpoint="suppliers",
                                category=catalogs))
    admin.add_view(StatusView(name="Статусы", endpoint="statuses", category=catalogs))
    admin.add_view(DocumentTypeView(name="Типы документов", endpoint="document_types",
                                    category=catalogs))
    admin.add_view(TermRuleView(name="Сроки", endpoint="terms", category=catalogs))
    administration = "Администрирование"
    admin.add_view(StaffView(name="Сотрудники", endpoint="staff", category=administration))
    admin.add_view(SettingsView(name="Настройки", endpoint="settings", category=administration))
    admin.add_view(CalendarView(name="Производственный календарь", endpoint="calendar",
                                category=administration))
    admin.add_view(AuditLogView(name="Журнал действий", endpoint="audit", category=administration))
    admin.add_view(OutboxView(name="Исходящие уведомления", endpoint="outbox",
                              category=administration))
