"""Who sees which appeals: every «Обращения» URL and action as each role and as an outsider."""
import io

import pytest

from domain.appeals import access
from domain.appeals.access import visible_appeals
from models import Appeal, Document, User, utcnow
from tests.casework_helpers import (
    applicant_user,
    draft_appeal,
    login_staff,
    sent_appeal,
    staff,
    supplier,
)

LISTS = ["/backoffice/inbox/", "/backoffice/appeals/", "/backoffice/archive/",
         "/backoffice/appeals/?state=all"]


@pytest.fixture
def world(app, database):
    """Appeals for two suppliers, the grid company and none, plus a draft; a document each."""
    person = applicant_user("world@example.ru")
    gp_a, gp_b = supplier(0), supplier(1)
    appeals = {
        "tp_a": sent_appeal(person, supplier_org=gp_a, comment="<p>ромашка заявка А</p>"),
        "tp_b": sent_appeal(person, supplier_org=gp_b, comment="<p>ромашка заявка Б</p>"),
        "tp_none": sent_appeal(person, comment="<p>ромашка без поставщика</p>"),
        "msg_grid": sent_appeal(person, Appeal.MESSAGE, subject="ромашка сетевой"),
        "msg_a": sent_appeal(person, Appeal.MESSAGE, subject="ромашка ГП А", organization=gp_a),
        "msg_b": sent_appeal(person, Appeal.MESSAGE, subject="ромашка ГП Б", organization=gp_b),
        "draft_a": draft_appeal(person),
    }
    appeals["draft_a"].supplier = gp_a
    appeals["draft_a"].save()
    documents = {}
    for name, appeal in appeals.items():
        documents[name] = Document.create(
            appeal=appeal, party="applicant", doc_type="Заявка", file_name=f"{name}.pdf",
            size=1, sha256="0" * 64, storage_key=f"{appeal.id:040x}", created_at=utcnow())
    return {"appeals": appeals, "documents": documents, "gp_a": gp_a, "gp_b": gp_b,
            "person": person}


SUPPLIER_SEES = {"tp_a", "msg_a"}
GRID_SEES = {"tp_a", "tp_b", "tp_none", "msg_grid", "msg_a", "msg_b"}


def _actions(appeal_id):
    base = f"/backoffice/appeals/{appeal_id}"
    return [
        (f"{base}/number", {"number": ""}),
        (f"{base}/status", {"status": "Выставлен счет"}),
        (f"{base}/post", {"body": "Ответ"}),
        (f"{base}/document", {"doc_type": "Договор энергоснабжения",
                              "file": (io.BytesIO(b"x"), "d.pdf")}),
        (f"{base}/archive", {}),
        (f"{base}/unarchive", {}),
    ]


def test_outsiders_reach_nothing(client, auth, world):
    appeal = world["appeals"]["tp_a"]
    doc = world["documents"]["tp_a"]
    urls = LISTS + [f"/backoffice/appeals/{appeal.id}",
                    f"/backoffice/appeals/{appeal.id}/documents/{doc.id}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"], url
    for url, data in _actions(appeal.id):
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"], url
    auth.register()  # a logged-in applicant
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url, data in _actions(appeal.id):
        assert client.post(url, data=data, content_type="multipart/form-data").status_code == 403
    assert Appeal.get_by_id(appeal.id).reg_number is None


def test_supplier_clerk_sees_only_its_applications_and_messages(client, world):
    gp_clerk = staff("supplier", supplier_name=world["gp_a"].name)
    login_staff(client, gp_clerk)
    ids = {name: a.id for name, a in world["appeals"].items()}
    for url in LISTS:
        page = client.get(url).get_data(as_text=True)
        shown = {name for name, i in ids.items() if f'/backoffice/appeals/{i}"' in page}
        assert shown <= SUPPLIER_SEES, (url, shown)
    page = client.get("/backoffice/appeals/").get_data(as_text=True)
    assert "Найдено: 2" in page
    page = client.get("/backoffice/appeals/?q=РОМАШКА").get_data(as_text=True)
    assert "Найдено: 2" in page and "ГП Б" not in page
    for name, appeal_id in ids.items():
        doc = world["documents"][name]
        expected = 200 if name in SUPPLIER_SEES else 404
        assert client.get(f"/backoffice/appeals/{appeal_id}").status_code == expected, name
        if name != "tp_a":  # another appeal's document through a visible appeal's URL
            assert client.get(f"/backoffice/appeals/{ids['tp_a']}/documents/{doc.id}").status_code == 404
        if name not in SUPPLIER_SEES:
            assert client.get(f"/backoffice/appeals/{appeal_id}/documents/{doc.id}").status_code == 404
            for url, data in _actions(appeal_id):
                response = client.post(url, data=data, content_type="multipart/form-data")
                assert response.status_code == 404, (name, url)
    untouched = Appeal.select().where(Appeal.id.in_(
        [ids[n] for n in ids if n not in SUPPLIER_SEES]))
    assert all(a.reg_number is None and a.state in ("active", "draft") for a in untouched)
    assert Document.select().where(Document.party == "supplier").count() == 0


def test_supplier_clerk_actions_on_its_own_appeals(client, world, mailbox):
    gp_clerk = staff("supplier", supplier_name=world["gp_a"].name)
    login_staff(client, gp_clerk)
    tp_a, msg_a = world["appeals"]["tp_a"], world["appeals"]["msg_a"]
    # the message addressed to the supplier: numbered by the supplier's own counter, archived
    assert client.post(f"/backoffice/appeals/{msg_a.id}/number", data={"number": ""}).status_code == 302
    assert Appeal.get_by_id(msg_a.id).reg_number == "1"
    assert client.post(f"/backoffice/appeals/{msg_a.id}/archive").status_code == 302
    assert client.get("/backoffice/archive/").get_data(as_text=True).count(
        f'/backoffice/appeals/{msg_a.id}"') == 1
    # the ТП application naming it: reply, status and document, but no number or archive
    for url, data in _actions(tp_a.id):
        response = client.post(url, data=data, content_type="multipart/form-data")
        if url.endswith(("/number", "/archive", "/unarchive")):
            assert response.status_code == 403, url
        else:
            assert response.status_code == 302, url
    page = client.get(f"/backoffice/appeals/{tp_a.id}").get_data(as_text=True)
    assert "Присвоить номер" not in page and "В архив" not in page
    assert "Разместить документ" in page and "Отправить ответ" in page


@pytest.mark.parametrize("role", ["grid", "admin"])
def test_grid_staff_see_every_sent_appeal_but_no_draft(client, world, role):
    login_staff(client, staff(role))
    ids = {name: a.id for name, a in world["appeals"].items()}
    page = client.get("/backoffice/appeals/").get_data(as_text=True)
    shown = {name for name, i in ids.items() if f'/backoffice/appeals/{i}"' in page}
    assert shown == GRID_SEES and "Найдено: 6" in page
    inbox = client.get("/backoffice/inbox/").get_data(as_text=True)
    assert f'/backoffice/appeals/{ids["draft_a"]}"' not in inbox
    for name, appeal_id in ids.items():
        expected = 200 if name in GRID_SEES else 404
        assert client.get(f"/backoffice/appeals/{appeal_id}").status_code == expected, name
    for url, data in _actions(ids["draft_a"]):
        assert client.post(url, data=data, content_type="multipart/form-data").status_code == 404
    # a supplier's message: the grid company sees it but does not number or archive it
    msg_b = ids["msg_b"]
    assert client.post(f"/backoffice/appeals/{msg_b}/number").status_code == 403
    assert client.post(f"/backoffice/appeals/{msg_b}/archive").status_code == 403


def test_sql_scope_and_python_rule_agree(world):
    users = [staff("grid"), staff("admin"), staff("supplier", supplier_name=world["gp_a"].name),
             staff("supplier", "gp2@x.ru", supplier_name=world["gp_b"].name)]
    outsider = User.by_email(world["person"].email)
    for user in users + [outsider]:
        by_sql = {a.id for a in visible_appeals(user)}
        by_rule = {a.id for a in world["appeals"].values() if access.visible_to(user, a)}
        assert by_sql == by_rule, user.role
    assert {a.id for a in visible_appeals(outsider)} == set()


def test_deactivated_staff_refused(client, world):
    clerk = staff("grid")
    login_staff(client, clerk)
    clerk.is_active = False
    clerk.save()
    response = client.get("/backoffice/appeals/")
    assert response.status_code in (302, 403)
