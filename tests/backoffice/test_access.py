"""Every back-office URL refuses anonymous visitors and applicants; staff get in.

The URLs are read from the app's url_map (Flask-Admin views and anything under
/backoffice), so views added later are covered without touching this file.
"""
from urllib.parse import urlparse

import pytest
from werkzeug.routing import IntegerConverter, PathConverter

from domain.accounts import limits
from models import User
from tests.data import COMPANY, PERSON

STAFF_LOGIN = "/backoffice/login"
PUBLIC_ENDPOINTS = {"backoffice_auth.login"}


def backoffice_rules(app):
    """(endpoint, rule) of every back-office URL except the staff login and static files."""
    prefixes = {"admin"}
    for admin in app.extensions.get("admin", []):
        prefixes.update(view.endpoint for view in admin._views)
    rules = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else ""
        if not (rule.rule.startswith("/backoffice") or blueprint in prefixes):
            continue
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def concrete_url(rule, object_id: int) -> str:
    """The rule with a real id in every argument, plus ?id= for Flask-Admin's object views."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = object_id
        elif isinstance(converter, PathConverter):
            values[name] = "file.txt"
        elif name == "export_type":
            values[name] = "csv"
        else:
            values[name] = str(object_id)
    path = rule.build(values, append_unknown=False)[1]
    return f"{path}?id={object_id}&url=/backoffice/"


def requests_for(app, object_id):
    """(method, url, label) for every back-office rule and each of its methods."""
    out = []
    for rule in backoffice_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, concrete_url(rule, object_id), f"{method} {rule.rule}"))
    return out


def call(client, method, url, object_id):
    """One request; POSTs carry a plausible form so views get past form parsing."""
    data = {"id": str(object_id), "rowid": str(object_id), "action": "delete",
            "list_form_pk": str(object_id), "url": "/backoffice/"} if method == "POST" else None
    return client.open(url, method=method, data=data)


def redirect_path(response) -> str:
    return urlparse(response.headers.get("Location", "")).path


@pytest.fixture
def other_applicant(auth, client):
    """A second applicant whose real id fills the URLs (then logged out)."""
    auth.register(**COMPANY)
    auth.logout()
    return User.by_email(COMPANY["email"])


def test_backoffice_urls_are_discovered(app):
    urls = [r.rule for r in backoffice_rules(app)]
    assert "/backoffice/" in urls and "/backoffice/applicants/" in urls
    assert STAFF_LOGIN not in urls
    assert any("/details/" in u for u in urls) and any("/edit/" in u for u in urls)


def test_every_backoffice_url_refuses_anonymous(app, other_applicant):
    client = app.test_client()
    for method, url, label in requests_for(app, other_applicant.id):
        response = call(client, method, url, other_applicant.id)
        refused = response.status_code == 403 or (
            response.status_code in (301, 302, 303, 307, 308)
            and redirect_path(response) == STAFF_LOGIN)
        assert refused, f"{label}: anonymous got {response.status_code} " \
                        f"{response.headers.get('Location', '')}"


def test_every_backoffice_url_refuses_applicant(app, other_applicant):
    auth_data = {"email": PERSON["email"], "password": PERSON["password"]}
    app.test_client().post("/register", data=PERSON)
    for method, url, label in requests_for(app, other_applicant.id):
        client = app.test_client()  # fresh login each time: /backoffice/logout ends the session
        limits.limiter.reset()  # dozens of logins from one address: not what this test is about
        assert client.post("/login", data=auth_data).status_code == 302
        response = call(client, method, url, other_applicant.id)
        refused = response.status_code == 403 or (
            response.status_code in (301, 302, 303, 307, 308)
            and redirect_path(response) == STAFF_LOGIN)
        assert refused, f"{label}: applicant got {response.status_code} " \
                        f"{response.headers.get('Location', '')}"
    # Nothing was changed by those requests.
    other = User.get_by_id(other_applicant.id)
    assert other.role == User.APPLICANT and not other.confirmed


def staff_client(app, staff_factory, role="grid"):
    """A test client logged in at /backoffice/login as a staff member."""
    staff_factory(role=role)
    client = app.test_client()
    response = client.post(STAFF_LOGIN, data={"email": "clerk@kalinovsk-es.ru",
                                              "password": "Staff-pass1"})
    assert response.status_code == 302 and redirect_path(response) == "/backoffice/"
    return client


def test_staff_sees_index_and_applicants(app, staff_factory, other_applicant):
    client = staff_client(app, staff_factory)
    assert client.get("/backoffice/").status_code == 200
    page = client.get("/backoffice/applicants/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert COMPANY["email"] in html and "clerk@kalinovsk-es.ru" not in html  # staff are not applicants


def test_applicant_cannot_log_in_to_backoffice(app, client, auth):
    auth.register()
    auth.logout()
    response = client.post(STAFF_LOGIN, data={"email": PERSON["email"],
                                              "password": PERSON["password"]})
    assert response.status_code == 200
    assert "Неверный e-mail или пароль" in response.get_data(as_text=True)
    after = client.get("/backoffice/")
    assert after.status_code == 302 and redirect_path(after) == STAFF_LOGIN


def test_applicant_search_is_case_insensitive_in_russian(app, staff_factory, auth):
    auth.register()
    auth.logout()
    auth.register(**COMPANY)
    auth.logout()
    client = staff_client(app, staff_factory)
    for query in ("иванов", "ИВАНОВ", "Иванов"):
        html = client.get("/backoffice/applicants/", query_string={"search": query}) \
            .get_data(as_text=True)
        assert PERSON["email"] in html and COMPANY["email"] not in html, query
    html = client.get("/backoffice/applicants/", query_string={"search": "сергеев"}) \
        .get_data(as_text=True)
    assert COMPANY["email"] in html and PERSON["email"] not in html
