"""The back office: Flask-Admin at /backoffice, for grid-company and supplier staff.

Every view here derives from StaffMixin, so nothing is public by accident (Flask-Admin
views are open until is_accessible says otherwise); row scoping guards get_one too.
"""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from backoffice.access import StaffIndexView
from backoffice.applicants import ApplicantView
from backoffice.auth import bp as auth_bp


def init_admin(app):
    """Build the Admin and its views inside the factory (module-level instances collide)."""
    app.register_blueprint(auth_bp)
    admin = Admin(app, name="Бэк-офис", url="/backoffice", endpoint="admin",
                  index_view=StaffIndexView(name="Главная", url="/backoffice"),
                  theme=Bootstrap4Theme(base_template="backoffice/master.html", fluid=True))
    admin.add_view(ApplicantView(name="Заявители", endpoint="applicants"))
    return admin
