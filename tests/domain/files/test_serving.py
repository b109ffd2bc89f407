"""Stored files served the same way on both sides: always a download under the original
name, a type a browser does not run (octet-stream unless allow-listed), nosniff, a sandbox
CSP and no shared caching, for the document, its bytes for signing and the signed zip."""
import io
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import filing
from domain.files import serving
from models import Document, User
from tests.casework_helpers import login_staff, sent_appeal, staff
from tests.data import PERSON

OCTET = "application/octet-stream"
#: (file name, content, the type it must be served with)
FILES = [
    ("Отчет.html", b"<script>alert(document.cookie)</script>", OCTET),
    ("Схема.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', OCTET),
    ("Данные.xml", b'<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
     OCTET),
    ("Сценарий.js", b"alert(1)", OCTET),
    ("Договор №5.pdf", b"%PDF-1.4 contract", "application/pdf"),
]


def assert_served_safely(response, name: str, content: bytes, content_type: str):
    """A download of `content` named `name`, of `content_type`, that the browser will not
    run, sniff or keep in a shared cache."""
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.fixture
def documents(client, applicant):
    """The FILES as the applicant's documents of a sent appeal, by name."""
    appeal = sent_appeal(User.by_email(PERSON["email"]))
    with client.application.test_request_context():
        added = filing.add_applicant_documents(appeal, User.by_email(PERSON["email"]), files=[
            (FileStorage(io.BytesIO(content), filename=name, content_type="text/html"), "Иное")
            for name, content, _ in FILES])
    return {d.file_name: Document.get_by_id(d.id) for d in added}


@pytest.fixture
def clerk(app, database):
    """A grid clerk's client, logged in to the back office."""
    client = app.test_client()
    login_staff(client, staff("grid"))
    return client


@pytest.mark.parametrize("name,content,content_type", FILES)
def test_the_applicant_downloads_a_stored_file_safely(client, documents, name, content,
                                                      content_type):
    document = documents[name]
    assert_served_safely(client.get(f"/documents/{document.id}"), name, content, content_type)
    assert_served_safely(client.get(f"/documents/{document.id}/content"), name, content,
                         content_type)


@pytest.mark.parametrize("name,content,content_type", FILES)
def test_staff_download_a_stored_file_safely(clerk, documents, name, content, content_type):
    document = documents[name]
    response = clerk.get(f"/backoffice/appeals/{document.appeal_id}/documents/{document.id}")
    assert_served_safely(response, name, content, content_type)


def test_the_signed_zip_is_served_the_same_way_on_both_sides(client, clerk, documents):
    document = documents["Отчет.html"]
    for response in (client.get(f"/documents/{document.id}/signed.zip"),
                     clerk.get(f"/backoffice/signing/{document.appeal_id}/documents/"
                               f"{document.id}/signed.zip")):
        assert response.data.startswith(b"PK")
        assert_served_safely(response, "Отчет с подписями.zip", response.data,
                             "application/zip")


@pytest.mark.parametrize("stored,served", [
    ("image/png", "image/png"), ("text/plain", "text/plain"), ("TEXT/HTML", OCTET),
    ("text/html; charset=utf-8", OCTET), ("application/xhtml+xml", OCTET), ("", OCTET),
    (None, OCTET), ("application/x-msdownload", OCTET), ("image/svg+xml", OCTET),
])
def test_only_allow_listed_types_are_served_as_they_are(stored, served):
    assert serving.served_type(stored) == served


def test_a_file_missing_from_storage_is_404(client, clerk, documents):
    document = documents["Договор №5.pdf"]
    Document.update(storage_key="0" * 40).where(Document.id == document.id).execute()
    assert client.get(f"/documents/{document.id}").status_code == 404
    assert clerk.get(f"/backoffice/appeals/{document.appeal_id}/documents/"
                     f"{document.id}").status_code == 404
