"""Error pages of the back office: a staff member's 400 or 404 under /backoffice is shown
in the back office's layout, with its menu, rather than the portal's.

The app's error handlers (run.py) ask here first and fall back to the portal's pages.
"""
from flask import current_app, request

from backoffice.access import is_staff

PREFIX = "/backoffice"


def _view_for_request():
    """The Flask-Admin view the request was for (its menu item is marked), else «Главная»."""
    admin = current_app.extensions["admin"][0]
    for view in admin._views:
        if view.blueprint is not None and view.blueprint.name == request.blueprint:
            return view
    return admin.index_view


def staff_error_page(status: int, title: str, message: str = ""):
    """(page, status) in the back office's layout, or None when the request is not a staff
    member's under /backoffice (visitors and applicants get the portal's page)."""
    if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")) or not is_staff():
        return None
    view = _view_for_request()
    return view.render("backoffice/error.html", title=title, message=message), status
