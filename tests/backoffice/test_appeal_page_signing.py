"""The back office's appeal page: the signing facts of its documents and of the appeal,
built by the view in a fixed number of statements, and the CryptoPro script when present."""
import secrets

import pytest

from models import Document, Organization, Signature, StatusCatalog, StatusEvent, utcnow
from tests.casework_helpers import (
    applicant_user,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)
from tests.query_count import count_queries


@pytest.fixture
def clerk_client(client, app):
    login_staff(client, staff("grid"))
    return client


def grow(appeal, n):
    """n more documents of the grid company needing the applicant's signature: every
    other one signed by the grid company, every third also by the applicant."""
    grid = Organization.grid()
    for i in range(n):
        doc = Document.create(appeal=appeal, party="grid", organization=grid,
                              doc_type="Договор ТП", file_name=f"Договор {i}.docx", size=10,
                              sha256="0" * 64, storage_key=secrets.token_hex(20),
                              needs_applicant_signature=True)
        if i % 2:
            Signature.create(document=doc, side="grid", kind=Signature.KEP)
        if i % 3 == 1:
            Signature.create(document=doc, side="applicant", kind=Signature.PEP)


def test_page_costs_the_same_statements_for_5_and_50_documents(clerk_client):
    appeal = sent_appeal(applicant_user(), supplier_org=supplier(0), complies=True)
    StatusEvent.create(appeal=appeal, text="Договор заключен",
                       code=StatusCatalog.CONTRACT_CONCLUDED, created_at=utcnow())
    grow(appeal, 5)
    url = f"/backoffice/appeals/{appeal.id}"
    clerk_client.get(url)  # the first view also marks it seen
    with count_queries() as few:
        page = clerk_client.get(url).get_data(as_text=True)
    assert page.count("Подписать КЭП") == 3 and page.count("Скачать с подписями") == 3
    assert "Договор заключен" in page and "Отметить оплату" not in page
    grow(appeal, 45)
    with count_queries() as many:
        page = clerk_client.get(url).get_data(as_text=True)
    assert page.count("Подписать КЭП") == 3 + 23 and page.count("Скачать с подписями") == 3 + 29
    assert len(few) == len(many) <= 16, many  # 16: the terms, with «Сроки»


def test_the_plugin_script_is_linked_where_the_deployment_put_it(clerk_client, app, tmp_path,
                                                                 monkeypatch):
    appeal = sent_appeal(applicant_user())
    url = f"/backoffice/appeals/{appeal.id}"
    script = '<script src="/static/vendor/cadesplugin_api.js">'
    assert script not in clerk_client.get(url).get_data(as_text=True)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "cadesplugin_api.js").write_text("/* CryptoPro */")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    assert script in clerk_client.get(url).get_data(as_text=True)
