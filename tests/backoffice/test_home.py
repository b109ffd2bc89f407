"""«Главная» of the back office: what needs doing, counted within the clerk's scope."""
import html
import re
import secrets

import pytest

from domain.appeals import read_marks
from domain.appeals.listing import counting
from models import Appeal, Document, Organization, Signature, User, utcnow
from tests.casework_helpers import (
    applicant_user,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)
from tests.query_count import count_queries

ROW = re.compile(r'href="/backoffice/appeals/(\d+)"')
TILE = re.compile(r'<h3 class="h6 card-title mb-1">\s*(?:<a href="([^"]*)">)?([^<]+)(?:</a>)?\s*</h3>'
                  r'\s*<p class="display-4[^>]*>(?:<a [^>]*>)?([^<]+)<')


def tiles(page: str) -> dict:
    """{label: (count text, link)} of the home page's counts."""
    return {label.strip(): (count.strip(), html.unescape(url or ""))
            for url, label, count in TILE.findall(page)}


def list_ids(client, url) -> set[int]:
    """The appeal ids a list page shows."""
    return {int(i) for i in ROW.findall(client.get(url).get_data(as_text=True))}


def document(appeal, org, *, needs=True, signed_by=()):
    """A document an organisation placed, with the given sides' signatures on it."""
    doc = Document.create(appeal=appeal, party=org.kind, organization=org, doc_type="Договор",
                          file_name="dogovor.pdf", size=10, sha256="0" * 64,
                          storage_key=secrets.token_hex(20), needs_applicant_signature=needs)
    for side in signed_by:
        Signature.create(document=doc, side=side, kind=Signature.KEP)
    return doc


@pytest.fixture
def world(app, database):
    """Appeals, documents and applicants across the grid company and two suppliers."""
    grid, gp, other = Organization.grid(), supplier(0), supplier(1)
    person = applicant_user()
    confirmed = applicant_user("petrov@example.ru")
    User.update(confirmed=True, confirmed_at=utcnow()).where(User.id == confirmed.id).execute()
    w = dict(grid=grid, gp=gp, person=person, confirmed=confirmed)
    w["tp"] = sent_appeal(person, subject="ТП без поставщика")
    w["tp_gp"] = sent_appeal(person, supplier_org=gp, subject="ТП с поставщиком")
    w["msg_gp"] = sent_appeal(person, Appeal.MESSAGE, organization=gp, subject="Письмо ГП")
    w["msg_other"] = sent_appeal(person, Appeal.MESSAGE, organization=other, subject="Другому ГП")
    w["numbered"] = sent_appeal(person, subject="С номером")
    Appeal.update(reg_number="15").where(Appeal.id == w["numbered"].id).execute()
    w["archived"] = sent_appeal(person, subject="В архиве")
    Appeal.update(state=Appeal.ARCHIVE).where(Appeal.id == w["archived"].id).execute()
    draft = sent_appeal(person, subject="Черновик")
    Appeal.update(state=Appeal.DRAFT).where(Appeal.id == draft.id).execute()
    w["grid_clerk"] = staff("grid")
    w["gp_clerk"] = staff("supplier", supplier_name=gp.name)
    read_marks.mark_seen_by_staff(w["tp"], w["grid_clerk"], utcnow())  # grid read it
    # Documents: (needs the organisation's signature) / (waits for the applicant).
    w["grid_to_sign"] = document(w["tp"], grid)
    w["grid_waiting"] = document(w["numbered"], grid, signed_by=("grid",))
    document(w["numbered"], grid, signed_by=("grid", "applicant"))  # done
    document(w["archived"], grid)  # archived appeal: nothing to do
    document(w["tp"], grid, needs=False)  # no applicant signature needed
    document(draft, grid)  # a draft is never seen
    w["gp_to_sign"] = document(w["tp_gp"], gp)
    w["gp_waiting"] = document(w["msg_gp"], gp, signed_by=("supplier",))
    document(w["msg_other"], other)  # another supplier's
    document(w["msg_other"], grid)  # the grid's, in an appeal the supplier does not see
    return w


def test_grid_clerk_sees_counts_linked_to_lists(client, world):
    w = world
    login_staff(client, w["grid_clerk"])
    page = client.get("/backoffice/").get_data(as_text=True)
    counts = tiles(page)
    assert counts["Входящие"][0] == "4"
    assert list_ids(client, counts["Входящие"][1]) == {
        w["tp"].id, w["tp_gp"].id, w["msg_gp"].id, w["msg_other"].id}
    assert counts["Непрочитанные"][0] == "4"
    assert list_ids(client, counts["Непрочитанные"][1]) == {
        w["tp_gp"].id, w["msg_gp"].id, w["msg_other"].id, w["numbered"].id}
    assert counts["Документы ждут подписи организации"][0] == "2"  # tp and msg_other
    assert counts["Ожидают подписи заявителя"][0] == "1"
    assert f'/backoffice/appeals/{w["tp"].id}#sign-{w["grid_to_sign"].id}' in page
    assert f'/backoffice/appeals/{w["numbered"].id}#h-docs' in page
    assert counts["Неподтвержденные учетные записи"][0] == "1"
    applicants = client.get(counts["Неподтвержденные учетные записи"][1]).get_data(as_text=True)
    assert w["person"].email in applicants and w["confirmed"].email not in applicants
    # one heading: Flask-Admin's «Главная», not a second page title
    assert "Бэк-офис личного кабинета" not in page
    assert page.count("<h1") + page.count("<h4") == 1


def test_supplier_clerk_counts_only_what_the_supplier_sees(client, world):
    w = world
    login_staff(client, w["gp_clerk"])
    page = client.get("/backoffice/").get_data(as_text=True)
    counts = tiles(page)
    assert counts["Входящие"][0] == "1"  # the message to the supplier; ТП is the grid's
    assert list_ids(client, counts["Входящие"][1]) == {w["msg_gp"].id}
    assert counts["Непрочитанные"][0] == "2"
    assert list_ids(client, counts["Непрочитанные"][1]) == {w["tp_gp"].id, w["msg_gp"].id}
    assert counts["Документы ждут подписи организации"][0] == "1"
    assert counts["Ожидают подписи заявителя"][0] == "1"
    assert f'/backoffice/appeals/{w["tp_gp"].id}#sign-{w["gp_to_sign"].id}' in page
    assert f'/backoffice/appeals/{w["msg_gp"].id}#h-docs' in page
    for outside in ("tp", "msg_other", "numbered", "archived"):
        assert f'/backoffice/appeals/{w[outside].id}"' not in page
        assert f'/backoffice/appeals/{w[outside].id}#' not in page
    assert "Неподтвержденные учетные записи" not in counts  # the register is the grid's


def test_signing_moves_a_document_between_the_counts(client, world):
    w = world
    login_staff(client, w["gp_clerk"])
    Signature.create(document=w["gp_to_sign"], side="supplier", kind=Signature.KEP)
    counts = tiles(client.get("/backoffice/").get_data(as_text=True))
    assert counts["Документы ждут подписи организации"][0] == "0"
    assert counts["Ожидают подписи заявителя"][0] == "2"


def test_counts_over_the_cap_read_as_the_lists_do(client, world, monkeypatch):
    monkeypatch.setattr(counting, "COUNT_CAP", 2)
    login_staff(client, world["grid_clerk"])
    page = client.get("/backoffice/").get_data(as_text=True)
    counts = tiles(page)
    assert counts["Входящие"][0] == "более 2"
    assert counts["Документы ждут подписи организации"][0] == "2"
    assert len(list_ids(client, counts["Входящие"][1])) == 4  # one page: the list counts it


def test_home_page_makes_the_same_number_of_queries_for_few_and_many(client, world):
    w = world
    login_staff(client, w["grid_clerk"])
    client.get("/backoffice/")  # warm the per-process caches (layout)
    with count_queries() as few:
        assert client.get("/backoffice/").status_code == 200
    for i in range(30):
        appeal = sent_appeal(w["person"], supplier_org=w["gp"], subject=f"Еще {i}")
        document(appeal, w["grid"], signed_by=("grid",) if i % 2 else ())
    with count_queries() as many:
        page = client.get("/backoffice/").get_data(as_text=True)
    assert tiles(page)["Документы ждут подписи организации"][0] == "17"
    assert len(few) == len(many), (few, many)
    # user, 5 counts, 2 document rows, 2 organisations; the 4 term counts and the calendar
    # (for «Истекает завтра»: the next working day)
    assert len(many) <= 15, many


def test_awaiting_follows_the_signatures_and_is_rebuilt(world):
    """document.awaiting is kept by database triggers, whoever writes the signatures."""
    from domain.signing import awaiting as awaiting_triggers
    doc = world["gp_to_sign"]

    def awaiting():
        return Document.get_by_id(doc.id).awaiting
    assert awaiting() == "organization"
    Signature.create(document=doc, side="applicant", kind=Signature.PEP)  # not offered yet
    assert awaiting() == "organization"
    Signature.delete().where(Signature.document == doc.id).execute()
    org_sig = Signature.create(document=doc, side="supplier", kind=Signature.KEP)
    assert awaiting() == "applicant"
    applicant_sig = Signature.create(document=doc, side="applicant", kind=Signature.PEP)
    assert awaiting() is None
    applicant_sig.delete_instance()
    assert awaiting() == "applicant"
    Document.update(needs_applicant_signature=False).where(Document.id == doc.id).execute()
    assert awaiting() is None
    Document.update(needs_applicant_signature=True).where(Document.id == doc.id).execute()
    assert awaiting() == "applicant"
    org_sig.delete_instance()
    assert awaiting() == "organization"
    assert Document.get_by_id(world["grid_waiting"].id).awaiting == "applicant"
    before = dict(Document.select(Document.id, Document.awaiting).tuples())
    Document.update(awaiting=None).execute()  # a database upgraded to the column
    awaiting_triggers.rebuild()
    assert dict(Document.select(Document.id, Document.awaiting).tuples()) == before
