"""Access rules shared by every back-office view."""
from flask import abort, redirect, request, url_for
from flask_login import current_user

from models import User


def is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_active
                and current_user.role in User.STAFF_ROLES)


def is_admin() -> bool:
    return is_staff() and current_user.role == User.ADMIN


def refuse():
    """Anonymous visitors go to the staff login; logged-in non-staff get 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("backoffice_auth.login", next=request.full_path))
    abort(403)


class StaffMixin:
    """Open to active staff only; `roles` narrows it further."""
    roles = User.STAFF_ROLES

    def is_accessible(self):
        return is_staff() and current_user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        return refuse()


class GridStaffMixin(StaffMixin):
    """Grid-company clerks and administrators; supplier clerks are refused."""
    roles = (User.GRID_CLERK, User.ADMIN)


class AdminOnlyMixin(StaffMixin):
    """Administrators only (the «Администрирование» group)."""
    roles = (User.ADMIN,)


class AdminEditsMixin(GridStaffMixin):
    """Grid clerks read, administrators also create and edit; nobody deletes."""
    can_delete = False

    @property
    def can_create(self):
        return is_admin()

    @property
    def can_edit(self):
        return is_admin()
