"""The security headers on the portal's and the back office's answers: the
Content-Security-Policy (a back-office nonce of its own in every response), HSTS only behind
HTTPS, Permissions-Policy."""
import re

import pytest

from models import Document
from tests.casework_helpers import applicant_user, login_staff, sent_appeal, staff
from tests.portal.test_appeal_forms import post_tp

PORTAL_POLICY = ("default-src 'self'; "
                 "script-src 'self' chrome-extension://iifchhfnnmpdbibifmljnfjhpififfog "
                 "chrome-extension://epebfcehmdedogndhlcacafjaacknbcm moz-extension: "
                 "safari-extension:; "
                 "style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'self'")
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid")


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive -> sources."""
    policy = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def nonce_of(response) -> str:
    """The script nonce the response's policy names."""
    (nonce,) = [s[len("'nonce-"):-1] for s in directives(response)["script-src"]
                if s.startswith("'nonce-")]
    return nonce


@pytest.fixture
def clerk_client(app, database):
    client = app.test_client()
    login_staff(client, staff("grid"))
    return client


@pytest.mark.parametrize("path", ["/login", "/register", "/forgot", "/no-such-page",
                                  "/backoffice/login", "/static/portal.css"])
def test_every_portal_answer_has_the_policy_and_no_hsts_over_http(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == PORTAL_POLICY
    permissions = response.headers["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in permissions.split(", ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Strict-Transport-Security" not in response.headers


def test_a_logged_in_applicants_pages_have_the_policy(client, applicant):
    for path in ("/info", "/appeals", "/appeals/new/tp", "/settings"):
        assert client.get(path).headers["Content-Security-Policy"] == PORTAL_POLICY, path


def test_hsts_for_a_year_with_subdomains_only_when_cookies_are_secure(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    for path in ("/login", "/backoffice/login"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == \
            "max-age=31536000; includeSubDomains"
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", False)
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize("path", ["/backoffice/", "/backoffice/applicants/",
                                  "/backoffice/suppliers/", "/backoffice/inbox/",
                                  "/backoffice/appeals/"])
def test_back_office_pages_name_their_own_nonce_and_their_scripts_carry_it(clerk_client, path):
    first, second = clerk_client.get(path), clerk_client.get(path)
    for response in (first, second):
        assert response.status_code == 200
        policy = directives(response)
        assert policy["style-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        html = response.get_data(as_text=True)
        carried = set(re.findall(r'<script nonce="([^"]+)"', html))
        assert carried == {nonce_of(response)}  # the list pages' cached blocks too
    assert nonce_of(first) != nonce_of(second)


def test_the_appeal_page_and_the_applicant_card_allow_no_inline_script(clerk_client):
    appeal = sent_appeal(applicant_user())
    for path in (f"/backoffice/appeals/{appeal.id}",
                 f"/backoffice/applicants/details/?id={appeal.applicant_id}"):
        response = clerk_client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert directives(response)["script-src"][0] == "'self'" and nonce_of(response)


def test_a_download_keeps_its_own_sandbox_policy(client, applicant):
    post_tp(client, files=[("Схема.html", b"<script>alert(1)</script>")])
    response = client.get(f"/documents/{Document.get().id}")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"

