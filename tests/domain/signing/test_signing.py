"""Signing documents: ПЭП by SMS code, КЭП verified on the server, the п.14 / п.12(1) path.

КЭП signatures here are real ones, made by openssl's GOST engine (tests/gost_tools.py):
certificates carry the ИНН/ОГРН of the applicant or the organisation.
"""
import base64
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import casework, payments
from domain.errors import Refusal
from domain.files import streebog
from domain.outbox import notify
from domain.signing import kep, state
from models import (
    Appeal,
    Document,
    Organization,
    Signature,
    SmsCode,
    StatusEvent,
    User,
    utcnow,
)
from tests import gost_tools
from tests.appeal_factory import make_appeal, other_applicant
from tests.appeal_factory import supplier as demo_supplier
from tests.data import COMPANY, SOLE_TRADER
from tests.sms_codes import age_codes, sms_codes

pytestmark = pytest.mark.usefixtures("gost_engine")

GRID_INN = "4401000012"
SUPPLIER_NAME, SUPPLIER_INN = "АО «Калиновскэнергосбыт»", "4401000020"
OTHER_INN = "7701234567"
CONTRACT = b"PK\x03\x04 contract for grid connection \xd0\x94\xd0\xbe\xd0\xb3\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x80" * 50
FETCH = {"X-Requested-With": "fetch"}


class Pki:
    """Keys and certificates made once for the module."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signing_pki")
    p = Pki()
    p.tools = tools = gost_tools.GostPki(folder)
    p.folder = folder
    p.root = tools.make_root()
    p.stranger_root = tools.make_root("Посторонний УЦ", "ООО «Чужой УЦ»")
    p.roots_dir = folder / "trusted"
    p.roots_dir.mkdir()
    (p.roots_dir / "root.pem").write_bytes(p.root.pem)
    p.grid = tools.make_signer(p.root, cn="Специалист Анна", org=str(Organization.GRID),
                               innle=GRID_INN)
    p.supplier = tools.make_signer(p.root, cn="Специалист ГП", innle=SUPPLIER_INN,
                                   paramset="B")
    p.company_a = tools.make_signer(p.root, cn="Сергеев Петр Сергеевич", org="ООО «Энергия»",
                                    innle=COMPANY["inn"], ogrn=COMPANY["ogrn"])
    p.company_b = tools.make_signer(p.root, cn="Сергеев Петр Сергеевич", org="ООО «Энергия»",
                                    innle=COMPANY["inn"], ogrn=COMPANY["ogrn"], paramset="B")
    p.company_512 = tools.make_signer(p.root, cn="Сергеев Петр Сергеевич", org="ООО «Энергия»",
                                      innle=COMPANY["inn"], ogrn=COMPANY["ogrn"], bits=512)
    p.sole_trader = tools.make_signer(p.root, cn="Петров Иван Петрович", org=None,
                                      inn=SOLE_TRADER["inn"], ogrnip=SOLE_TRADER["ogrnip"])
    p.other_company = tools.make_signer(p.root, cn="Чужой Директор", org="ООО «Другая»",
                                        innle=OTHER_INN, ogrn="1027700132195")
    p.expired = tools.make_signer(p.root, innle=COMPANY["inn"], ogrn=COMPANY["ogrn"],
                                  expired=True)
    p.untrusted = tools.make_signer(p.stranger_root, innle=COMPANY["inn"], ogrn=COMPANY["ogrn"])
    p.rsa = tools.make_rsa_signer()
    return p


def sign_bytes(pki, cert, data: bytes) -> bytes:
    """A detached CAdES of `data` made by openssl."""
    path = pki.folder / f"doc-{len(list(pki.folder.glob('doc-*')))}.bin"
    path.write_bytes(data)
    return pki.tools.sign(cert, path)


# ---- helpers ----------------------------------------------------------------------

def run_in_app(app, func, *args, **kwargs):
    """Call a domain function as a request would, then send its notifications."""
    with app.test_request_context():
        result = func(*args, **kwargs)
        notify.flush()
    return result


def place(app, appeal, clerk, doc_type="Договор ТП", data=CONTRACT, name="Договор ТП.docx",
          needs=True) -> Document:
    upload = FileStorage(io.BytesIO(data), filename=name,
                         content_type="application/vnd.openxmlformats-officedocument")
    return run_in_app(app, casework.place_document, appeal, clerk, upload, doc_type, needs)


def stored_files(app) -> set:
    return {p.name for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def empty_sms_outbox(app):
    """Each test reads only the SMS it caused."""
    Path(app.config["SMS_OUTBOX"]).unlink(missing_ok=True)
    yield


@pytest.fixture
def grid_clerk(staff_factory):
    return staff_factory("clerk@kalinovsk-es.ru", "grid")


@pytest.fixture
def supplier_clerk(staff_factory):
    return staff_factory("gp@kalinovsk-energo.ru", "supplier", SUPPLIER_NAME)


@pytest.fixture
def company(auth):
    auth.register(**COMPANY)
    return User.by_email(COMPANY["email"])


@pytest.fixture
def signed_by_grid(app, pki, grid_clerk):
    """A factory: an appeal of `applicant` with a contract placed and signed by the grid."""
    def make(applicant, data=CONTRACT, **appeal_kwargs):
        appeal = make_appeal(applicant, complies=False, reg_number="299", **appeal_kwargs)
        doc = place(app, appeal, grid_clerk, data=data)
        run_in_app(app, kep.sign_kep, doc, grid_clerk, sign_bytes(pki, pki.grid, data))
        return appeal, doc
    return make


# ---- staff signatures ------------------------------------------------------------------

def test_grid_clerk_signs_with_kep_against_the_grid_inn(app, pki, applicant, grid_clerk,
                                                        mailbox):
    appeal = make_appeal(applicant, complies=False)
    doc = place(app, appeal, grid_clerk)
    sig = run_in_app(app, kep.sign_kep, doc, grid_clerk, sign_bytes(pki, pki.grid, CONTRACT))
    assert (sig.side, sig.kind) == ("grid", Signature.KEP)
    evidence = json.loads(sig.evidence)
    assert evidence["report"]["ok"] is True
    assert evidence["report"]["signer_subject"]["INNLE"] == GRID_INN
    assert evidence["document"]["sha256"] == doc.sha256
    assert sig.sig_storage_key in stored_files(app)
    notice = mailbox.to(applicant.notify_email)[-1]
    assert "подписан" in notice["Subject"]
    assert "Требуется подпись заявителя" in mailbox.text(notice)
    assert "«Подписать!»" in mailbox.text(notice)


def test_staff_signature_with_another_organisations_certificate_is_refused(
        app, pki, applicant, grid_clerk):
    appeal = make_appeal(applicant, complies=False)
    doc = place(app, appeal, grid_clerk)
    before = stored_files(app)
    with pytest.raises(state.SigningError, match="ИНН в сертификате"):
        run_in_app(app, kep.sign_kep, doc, grid_clerk,
                   sign_bytes(pki, pki.supplier, CONTRACT))
    assert Signature.select().count() == 0 and stored_files(app) == before


def test_supplier_clerk_signs_only_its_own_documents(app, pki, applicant, grid_clerk,
                                                     supplier_clerk):
    appeal = make_appeal(applicant, complies=False, supplier=demo_supplier(SUPPLIER_NAME))
    contract = place(app, appeal, supplier_clerk, "Договор энергоснабжения",
                     name="Договор ЭСО.docx")
    sig = run_in_app(app, kep.sign_kep, contract, supplier_clerk,
                     sign_bytes(pki, pki.supplier, CONTRACT))
    assert sig.side == "supplier"
    grid_doc = place(app, appeal, grid_clerk)
    with pytest.raises(PermissionError):
        run_in_app(app, kep.sign_kep, grid_doc, supplier_clerk,
                   sign_bytes(pki, pki.supplier, CONTRACT))
    with pytest.raises(state.SigningError, match="уже подписан"):
        run_in_app(app, kep.sign_kep, contract, supplier_clerk,
                   sign_bytes(pki, pki.supplier, CONTRACT))


# ---- ПЭП ------------------------------------------------------------------------------

def request_code(client, doc):
    return client.post(f"/documents/{doc.id}/sign/code", headers=FETCH)


def sign_with_code(client, doc, code):
    return client.post(f"/documents/{doc.id}/sign/pep", data={"code": code},
                       headers={**FETCH, "User-Agent": "Mozilla/5.0 (test browser)"})


def test_person_signs_with_the_sms_code(app, client, applicant, signed_by_grid, mailbox):
    appeal, doc = signed_by_grid(applicant)
    answer = request_code(client, doc)
    assert answer.status_code == 200, answer.json
    assert answer.json["message"].startswith("Код подтверждения отправлен на номер +7 912")
    codes = sms_codes(app, applicant.phone)
    assert len(codes) == 1
    code = codes[0]
    row = SmsCode.get(SmsCode.user == applicant.id)
    assert code not in row.code_hash and row.document_ids == str(doc.id)
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)

    answer = sign_with_code(client, doc, code)
    assert answer.status_code == 200 and answer.json["ok"], answer.json
    sig = Signature.get((Signature.document == doc.id) & (Signature.side == "applicant"))
    assert sig.kind == Signature.PEP and sig.signer_id == applicant.id
    evidence = json.loads(sig.evidence)
    assert evidence["document"]["sha256"] == doc.sha256
    assert evidence["phone"] == applicant.phone == "+79123456789"
    assert evidence["ip"] == "127.0.0.1"
    assert evidence["user_agent"] == "Mozilla/5.0 (test browser)"
    assert evidence["sms_code"]["id"] == row.id
    assert evidence["signer"]["snils"] == applicant.snils
    assert evidence["agreement"]["title"] == "Соглашение между участниками электронного взаимодействия"
    assert SmsCode.get_by_id(row.id).used_at is not None
    inbox = mailbox.to("tp@kalinovsk-es.ru")[-1]
    assert "Заявитель подписал документ" in inbox["Subject"]
    assert "Договор ТП.docx" in mailbox.text(inbox)
    # Signed once: the code is spent and the document no longer waits for a signature.
    again = sign_with_code(client, doc, code)
    assert again.status_code == 400 and again.json["message"] == "Документ уже подписан"


def test_code_is_not_sent_before_the_organisation_signed(app, client, applicant, grid_clerk):
    appeal = make_appeal(applicant, complies=False)
    doc = place(app, appeal, grid_clerk)
    answer = request_code(client, doc)
    assert answer.status_code == 400
    assert answer.json["message"] == "Документ не ожидает вашей подписи"
    assert sms_codes(app, applicant.phone) == []


def test_wrong_codes_count_down_and_exhaust(app, client, applicant, signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    request_code(client, doc)
    code = sms_codes(app, applicant.phone)[-1]
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    messages = [sign_with_code(client, doc, wrong).json["message"] for _ in range(5)]
    assert messages[:4] == [f"Неверный код подтверждения. Осталось попыток: {n}"
                            for n in (4, 3, 2, 1)]
    assert messages[4] == "Исчерпано число попыток ввода кода. Запросите новый код"
    late = sign_with_code(client, doc, code)  # even the right code no longer works
    assert late.status_code == 400 and "Исчерпано число попыток" in late.json["message"]
    assert Signature.select().where(Signature.side == "applicant").count() == 0


def test_expired_code_is_refused_and_a_new_one_can_be_sent_after_a_minute(
        app, client, applicant, signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    request_code(client, doc)
    again = request_code(client, doc)
    assert again.status_code == 400
    assert again.json["message"].startswith("Повторно отправить код можно через")
    code = sms_codes(app, applicant.phone)[-1]
    age_codes(dt.timedelta(minutes=6))
    answer = sign_with_code(client, doc, code)
    assert answer.status_code == 400
    assert answer.json["message"] == "Срок действия кода истёк. Запросите новый код"
    assert request_code(client, doc).status_code == 200
    new_code = sms_codes(app, applicant.phone)[-1]
    assert sign_with_code(client, doc, new_code).json["ok"] is True


def test_a_new_code_replaces_the_old_one(app, client, applicant, signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    request_code(client, doc)
    old = sms_codes(app, applicant.phone)[-1]
    age_codes(dt.timedelta(seconds=61))
    request_code(client, doc)
    new = sms_codes(app, applicant.phone)[-1]
    if old != new:
        assert "Неверный код" in sign_with_code(client, doc, old).json["message"]
    assert sign_with_code(client, doc, new).json["ok"] is True


def test_companies_cannot_use_sms_codes(app, client, company, signed_by_grid):
    appeal, doc = signed_by_grid(company)
    answer = request_code(client, doc)
    assert answer.status_code == 400
    assert "квалифицированной электронной подписью" in answer.json["message"]


def test_form_post_without_scripts_shows_the_message_on_the_appeal_page(
        app, client, applicant, signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    sent = client.post(f"/documents/{doc.id}/sign/code", follow_redirects=True)
    assert "Код подтверждения отправлен на номер" in sent.get_data(as_text=True)
    code = sms_codes(app, applicant.phone)[-1]
    wrong = f"{(int(code) + 7) % 1000000:06d}"
    answer = client.post(f"/documents/{doc.id}/sign/pep", data={"code": wrong},
                         follow_redirects=True)
    assert "Неверный код подтверждения. Осталось попыток: 4" in answer.get_data(as_text=True)
    answer = client.post(f"/documents/{doc.id}/sign/pep", data={"code": code},
                         follow_redirects=True)
    assert "Документ «Договор ТП» подписан" in answer.get_data(as_text=True)


# ---- КЭП of a company or ИП --------------------------------------------------------------

def upload_sig(client, doc, sig: bytes, name="Договор ТП.docx.sig"):
    return client.post(f"/documents/{doc.id}/sign/kep", headers=FETCH,
                       data={"signature": (io.BytesIO(sig), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("cert", ["company_a", "company_b", "company_512"])
def test_company_kep_is_accepted(app, client, pki, company, signed_by_grid, mailbox, cert):
    appeal, doc = signed_by_grid(company)
    sig_bytes = sign_bytes(pki, getattr(pki, cert), CONTRACT)
    answer = upload_sig(client, doc, sig_bytes)
    assert answer.status_code == 200, answer.json
    sig = Signature.get((Signature.document == doc.id) & (Signature.side == "applicant"))
    assert sig.kind == Signature.KEP
    report = json.loads(sig.evidence)["report"]
    assert report["ok"] and report["key_bits"] == (512 if cert == "company_512" else 256)
    assert report["signer_subject"]["OGRN"] == COMPANY["ogrn"]
    with open(Path(app.config["STORAGE_DIR"]) / sig.sig_storage_key[:2] / sig.sig_storage_key,
              "rb") as handle:
        assert handle.read() == sig_bytes
    assert "Заявитель подписал документ" in mailbox.to("tp@kalinovsk-es.ru")[-1]["Subject"]


def test_sole_trader_kep_and_plugin_base64_are_accepted(app, client, auth, pki, signed_by_grid):
    import base64
    auth.register(**SOLE_TRADER)
    trader = User.by_email(SOLE_TRADER["email"])
    appeal, doc = signed_by_grid(trader)
    encoded = base64.b64encode(sign_bytes(pki, pki.sole_trader, CONTRACT)).decode()
    answer = client.post(f"/documents/{doc.id}/sign/kep", headers=FETCH,
                         data={"signature_b64": encoded})
    assert answer.status_code == 200, answer.json
    assert Signature.select().where(Signature.side == "applicant").count() == 1


def _accept_lists(page: str) -> list:
    """The extensions each signature file chooser of a page offers."""
    return [accept.split(",") for accept in re.findall(r'name="signature" accept="([^"]*)"', page)]


@pytest.mark.parametrize("name", ["Договор ТП.docx.txt", "Договор ТП.docx.b64"])
def test_base64_signature_saved_as_txt_or_b64_is_offered_and_accepted(app, client, pki,
                                                                      company, signed_by_grid,
                                                                      name):
    appeal, doc = signed_by_grid(company)
    choosers = _accept_lists(client.get(f"/appeals/{appeal.id}").get_data(as_text=True))
    assert len(choosers) == 2  # the plug-in dialog's and the one without JavaScript
    assert all(".txt" in c and ".b64" in c and ".sig" in c for c in choosers)
    der = sign_bytes(pki, pki.company_a, CONTRACT)
    encoded = base64.encodebytes(der).replace(b"\n", b"\r\n")  # wrapped, as CryptoPro saves
    answer = client.post(f"/documents/{doc.id}/sign/kep",
                         data={"signature": (io.BytesIO(encoded), name)},
                         content_type="multipart/form-data", follow_redirects=True)
    assert f"Документ «{doc.doc_type}» подписан" in answer.get_data(as_text=True)
    sig = Signature.get((Signature.document == doc.id) & (Signature.side == "applicant"))
    assert sig.kind == Signature.KEP and json.loads(sig.evidence)["report"]["ok"]


REFUSALS = {
    "changed document": ("company_a", "changed", "Подпись относится к другому документу"),
    "another company's ИНН": ("other_company", None, "ИНН в сертификате (7701234567) не совпадает"),
    "expired certificate": ("expired", None, "не действовал на момент подписания"),
    "broken signature value": ("company_a", "flip", "Значение подписи неверно"),
    "RSA": ("rsa", None, "Подпись выполнена не по ГОСТ Р 34.10-2012 (алгоритм RSA"),
    "untrusted root": ("untrusted", None, "не выдан доверенным удостоверяющим центром"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_company_kep_refusals_show_the_reason_and_store_nothing(app, client, pki, company,
                                                                signed_by_grid, case):
    cert, twist, message = REFUSALS[case]
    appeal, doc = signed_by_grid(company)
    data = CONTRACT + b"!" if twist == "changed" else CONTRACT
    sig_bytes = sign_bytes(pki, getattr(pki, cert), data)
    if twist == "flip":
        sig_bytes = gost_tools.flip_signature_byte(sig_bytes)
    before = stored_files(app)
    app.config["TRUSTED_ROOTS_DIR"] = str(pki.roots_dir)
    try:
        answer = upload_sig(client, doc, sig_bytes)
        page = client.post(f"/documents/{doc.id}/sign/kep",
                           data={"signature": (io.BytesIO(sig_bytes), "x.sig")},
                           content_type="multipart/form-data", follow_redirects=True)
    finally:
        app.config["TRUSTED_ROOTS_DIR"] = None
    assert answer.status_code == 400
    assert answer.json["message"].startswith("Подпись не принята: ")
    assert message in answer.json["message"]
    assert message in page.get_data(as_text=True)  # the flash on the appeal page
    assert Signature.select().where(Signature.side == "applicant").count() == 0
    assert stored_files(app) == before


# ---- КЭП against the Streebog recorded when the document was placed ---------------------

CHANGED = CONTRACT.replace(b"contract", b"CONTRACT", 1)


def stored_path(app, doc) -> Path:
    return Path(app.config["STORAGE_DIR"]) / doc.storage_key[:2] / doc.storage_key


def openssl_streebog(pki, data: bytes, bits: int) -> str:
    """Streebog of `data` by `openssl dgst` (the independent implementation)."""
    path = pki.folder / "dgst.bin"
    path.write_bytes(data)
    out = pki.tools.run("dgst", *gost_tools.ENGINE, f"-md_gost12_{bits}", "-r", str(path))
    return out.decode().split()[0]


def forbid_reading_documents(monkeypatch):
    """From now on, fail the test if a stored document is read or a file is hashed."""
    def refuse(*args, **kwargs):
        raise AssertionError("the document was read again")
    monkeypatch.setattr(kep.storage, "open_file", refuse)
    monkeypatch.setattr(streebog, "streebog_file", refuse)  # what verify_detached calls


def test_kep_256_and_512_are_checked_against_the_digests_recorded_at_placement(
        app, client, pki, company, grid_clerk, monkeypatch):
    appeal = make_appeal(company, complies=False)
    doc = place(app, appeal, grid_clerk)
    assert doc.streebog256 == openssl_streebog(pki, CONTRACT, 256)
    assert doc.streebog512 == openssl_streebog(pki, CONTRACT, 512)
    grid_sig = sign_bytes(pki, pki.grid, CONTRACT)
    company_sig = sign_bytes(pki, pki.company_512, CONTRACT)
    forbid_reading_documents(monkeypatch)
    run_in_app(app, kep.sign_kep, Document.get_by_id(doc.id), grid_clerk, grid_sig)
    answer = upload_sig(client, doc, company_sig)
    assert answer.status_code == 200, answer.json
    reports = {s.side: json.loads(s.evidence)["report"] for s in Signature.select()}
    assert reports["grid"]["key_bits"] == 256 and reports["grid"]["digest_hex"] == doc.streebog256
    assert reports["applicant"]["key_bits"] == 512
    assert reports["applicant"]["digest_hex"] == doc.streebog512


def test_staff_reply_attachments_record_the_digests_too(app, pki, applicant, grid_clerk):
    appeal = make_appeal(applicant, complies=False)
    upload = FileStorage(io.BytesIO(CONTRACT), filename="Письмо.pdf")
    post = run_in_app(app, casework.add_staff_post, appeal, grid_clerk, "<p>Ответ</p>", [upload])
    [doc] = Document.select().where(Document.post == post.id)
    assert (doc.streebog256, doc.streebog512) == (openssl_streebog(pki, CONTRACT, 256),
                                                  openssl_streebog(pki, CONTRACT, 512))


def test_kep_of_a_file_altered_on_disk_after_placement_is_refused(app, client, pki, applicant,
                                                                  grid_clerk):
    appeal = make_appeal(applicant, complies=False)
    doc = place(app, appeal, grid_clerk)
    stored_path(app, doc).write_bytes(CHANGED)  # what the portal would now serve
    before = stored_files(app)
    with pytest.raises(state.SigningError,
                       match="^Подпись относится к другому документу: хэш документа не совпадает$"):
        run_in_app(app, kep.sign_kep, doc, grid_clerk, sign_bytes(pki, pki.grid, CHANGED))
    assert Signature.select().count() == 0 and stored_files(app) == before
    # The placed bytes are what a signature must cover; the audit of «Скачать с подписями»
    # reads the file as it is now and shows it no longer matches.
    run_in_app(app, kep.sign_kep, doc, grid_clerk, sign_bytes(pki, pki.grid, CONTRACT))
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/documents/{doc.id}/signed.zip").data))
    report = archive.read("Протокол проверки подписей.txt").decode()
    assert "Целостность файла: НАРУШЕНА" in report
    assert ("Проверка сейчас:\n  подпись недействительна: Подпись относится к другому "
            "документу") in report


def test_document_placed_before_digests_were_recorded_is_verified_by_hashing(
        app, client, pki, company, grid_clerk):
    appeal = make_appeal(company, complies=False)
    doc = place(app, appeal, grid_clerk)
    Document.update(streebog256="", streebog512="").where(Document.id == doc.id).execute()
    sig = run_in_app(app, kep.sign_kep, Document.get_by_id(doc.id), grid_clerk,
                     sign_bytes(pki, pki.grid, CONTRACT))
    assert json.loads(sig.evidence)["report"]["digest_hex"] == openssl_streebog(pki, CONTRACT, 256)
    # Hashed once, the digests are recorded for the next checks.
    doc = Document.get_by_id(doc.id)
    assert doc.streebog512 == openssl_streebog(pki, CONTRACT, 512)
    assert upload_sig(client, doc, sign_bytes(pki, pki.company_512, CONTRACT)).status_code == 200
    # Such a document whose file changed on disk is refused before any signature check.
    other = place(app, make_appeal(company, complies=False), grid_clerk)
    Document.update(streebog256="", streebog512="").where(Document.id == other.id).execute()
    stored_path(app, other).write_bytes(CHANGED)
    with pytest.raises(state.SigningError, match="изменён после размещения"):
        run_in_app(app, kep.sign_kep, Document.get_by_id(other.id), grid_clerk,
                   sign_bytes(pki, pki.grid, CHANGED))
    assert Document.get_by_id(other.id).streebog256 == ""


def test_trusted_chain_is_accepted_when_roots_are_configured(app, client, pki, company,
                                                             signed_by_grid):
    appeal, doc = signed_by_grid(company)
    app.config["TRUSTED_ROOTS_DIR"] = str(pki.roots_dir)
    try:
        answer = upload_sig(client, doc, sign_bytes(pki, pki.company_a, CONTRACT))
    finally:
        app.config["TRUSTED_ROOTS_DIR"] = None
    assert answer.status_code == 200, answer.json
    checks = json.loads(Signature.get(Signature.side == "applicant").evidence)["report"]["checks"]
    assert ["Цепочка сертификатов до доверенного УЦ", True] in checks


def test_kep_before_the_organisation_signed_and_empty_uploads_are_refused(
        app, client, pki, company, grid_clerk):
    appeal = make_appeal(company, complies=False)
    doc = place(app, appeal, grid_clerk)
    answer = upload_sig(client, doc, sign_bytes(pki, pki.company_a, CONTRACT))
    assert answer.status_code == 400 and "не ожидает вашей подписи" in answer.json["message"]
    empty = client.post(f"/documents/{doc.id}/sign/kep", headers=FETCH, data={})
    assert empty.status_code == 400 and "Выберите файл подписи" in empty.json["message"]


def test_another_applicants_documents_are_not_found(app, client, applicant, grid_clerk):
    stranger = other_applicant()
    appeal = make_appeal(stranger, complies=False)
    doc = place(app, appeal, grid_clerk)
    for url in (f"/documents/{doc.id}/sign/code", f"/documents/{doc.id}/sign/pep",
                f"/documents/{doc.id}/sign/kep"):
        assert client.post(url, headers=FETCH).status_code == 404
    assert client.get(f"/documents/{doc.id}/signed.zip").status_code == 404
    assert client.get(f"/documents/{doc.id}/content").status_code == 404
    assert client.post(f"/appeals/{appeal.id}/payment").status_code == 404


# ---- «Скачать с подписями» --------------------------------------------------------------

def test_zip_holds_the_document_its_signatures_and_a_report(app, client, applicant,
                                                            signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    request_code(client, doc)
    sign_with_code(client, doc, sms_codes(app, applicant.phone)[-1])
    answer = client.get(f"/documents/{doc.id}/signed.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = set(archive.namelist())
    assert names == {"Договор ТП.docx", "Договор ТП — Подпись Сетевой.sig",
                     "Договор ТП — Подпись Заявителя (ПЭП).json",
                     "Протокол проверки подписей.txt"}
    assert archive.read("Договор ТП.docx") == CONTRACT
    report = archive.read("Протокол проверки подписей.txt").decode()
    assert "Целостность файла: не нарушена" in report
    assert "Проверка сейчас:\n  подпись действительна" in report
    assert "Телефон: +79123456789" in report
    evidence = json.loads(archive.read("Договор ТП — Подпись Заявителя (ПЭП).json"))
    assert evidence["document"]["sha256"] == doc.sha256


# ---- п.14 / п.12(1) and the act of connection --------------------------------------------

def contract(appeal) -> payments.ContractFacts:
    """The contract facts the appeal's pages show, from its rows as the pages read them."""
    documents = list(Document.select().where(Document.appeal == appeal.id)
                     .order_by(Document.created_at, Document.id))
    return payments.contract_facts(
        Appeal.get_by_id(appeal.id), documents,
        state.signatures_by_document(d.id for d in documents),
        list(StatusEvent.select().where(StatusEvent.appeal == appeal.id)))


def test_payment_concludes_the_contract_on_the_offer_path(app, client, applicant, grid_clerk,
                                                          mailbox):
    appeal = make_appeal(applicant, complies=True, reg_number="301")
    answer = client.post(f"/appeals/{appeal.id}/payment", content_type="multipart/form-data",
                         data={"payment": (io.BytesIO(b"%PDF payment"), "Платёжка.pdf")},
                         follow_redirects=True)
    assert "Платежный документ добавлен" in answer.get_data(as_text=True)
    [paid] = contract(appeal).payments
    assert (paid.doc_type, paid.file_name) == ("Платежный документ", "Платёжка.pdf")
    assert mailbox.to("tp@kalinovsk-es.ru"), "the grid company hears of the payment document"
    run_in_app(app, payments.record_payment, Appeal.get_by_id(appeal.id), grid_clerk)
    appeal = Appeal.get_by_id(appeal.id)
    assert appeal.last_status == "Договор заключен"
    assert contract(appeal).concluded_at is not None
    assert "Договор заключен" in mailbox.text(mailbox.to(applicant.notify_email)[-1])
    with pytest.raises(Refusal, match="Оплата уже отмечена"):
        run_in_app(app, payments.record_payment, appeal, grid_clerk)


def test_payment_is_not_taken_where_the_contract_is_signed(app, client, applicant, grid_clerk,
                                                           supplier_clerk):
    appeal = make_appeal(applicant, complies=False)
    answer = client.post(f"/appeals/{appeal.id}/payment", content_type="multipart/form-data",
                         data={"payment": (io.BytesIO(b"%PDF"), "p.pdf")}, follow_redirects=True)
    assert "не прикладывается" in answer.get_data(as_text=True)
    assert contract(appeal).payments == []
    with pytest.raises(Refusal):
        run_in_app(app, payments.record_payment, appeal, grid_clerk)
    offer = make_appeal(applicant, complies=True, supplier=demo_supplier(SUPPLIER_NAME))
    with pytest.raises(PermissionError):
        run_in_app(app, payments.record_payment, offer, supplier_clerk)
    assert StatusEvent.select().where(StatusEvent.text == "Договор заключен").count() == 0


def test_signed_act_notifies_the_supplier_and_starts_supply(app, pki, applicant, grid_clerk,
                                                            mailbox):
    gp = demo_supplier(SUPPLIER_NAME)
    appeal = make_appeal(applicant, complies=True, supplier=gp, reg_number="302")
    act = place(app, appeal, grid_clerk, "Акт об осуществлении ТП", name="Акт ТП.pdf",
                needs=False)
    assert contract(appeal).supply_start is None
    assert not mailbox.to(gp.inbox_email)
    sig = run_in_app(app, kep.sign_kep, act, grid_clerk, sign_bytes(pki, pki.grid, CONTRACT))
    assert contract(appeal).supply_start == sig.signed_at
    notice = mailbox.to(gp.inbox_email)[-1]
    assert "акт об осуществлении технологического присоединения" in notice["Subject"].lower()
    from domain.formatting import msk_date
    assert f"начиная с {msk_date(sig.signed_at)}" in mailbox.text(notice)
    assert "№ 302" in notice["Subject"]


def test_pep_refused_when_the_file_changed_after_placing(app, client, applicant,
                                                        signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    request_code(client, doc)
    Document.update(sha256="f" * 64).where(Document.id == doc.id).execute()
    answer = sign_with_code(client, doc, sms_codes(app, applicant.phone)[-1])
    assert answer.status_code == 400 and "изменён после размещения" in answer.json["message"]
    assert Signature.select().where(Signature.side == "applicant").count() == 0


# ---- the appeal page ------------------------------------------------------------------

def test_page_shows_the_manuals_three_party_example(app, client, pki, company, grid_clerk,
                                                    supplier_clerk):
    gp = demo_supplier(SUPPLIER_NAME)
    appeal = make_appeal(company, complies=False, supplier=gp)
    tp = place(app, appeal, grid_clerk, "Договор ТП", name="Договор на ТП.docx")
    eso = place(app, appeal, supplier_clerk, "Договор энергоснабжения", name="Договор ЭСО.docx")
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert "Подписать!" not in page  # not offered before the organisations signed
    assert "Ожидается подпись Сетевой" in page and "Ожидается подпись ГП" in page
    run_in_app(app, kep.sign_kep, tp, grid_clerk, sign_bytes(pki, pki.grid, CONTRACT))
    run_in_app(app, kep.sign_kep, eso, supplier_clerk, sign_bytes(pki, pki.supplier, CONTRACT))
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert page.count("Подписать!") == 2
    assert "КриптоПро ЭЦП Browser plug-in" in page and "cades-sign.js" in page
    for doc, cert in ((tp, pki.company_a), (eso, pki.company_b)):
        assert upload_sig(client, doc, sign_bytes(pki, cert, CONTRACT)).status_code == 200
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", page)
    text = " ".join(text.split())
    assert "Подписать!" not in page
    today = utcnow()
    from domain.formatting import msk_date
    day = msk_date(today)
    assert f"Подпись Сетевой КЭП добавлен: {day}" in text
    assert f"Подпись ГП КЭП добавлен: {day}" in text
    assert text.count(f"Подпись Заявителя КЭП подписан: {day}") == 2
    assert page.count("Скачать с подписями") == 2
    # The back office says it in the same words.
    office = staff_client(app, grid_clerk).get(f"/backoffice/appeals/{appeal.id}")
    office_text = " ".join(re.sub(r"<[^>]+>", " ", office.get_data(as_text=True)).split())
    assert f"Подпись Сетевой КЭП добавлен: {day}" in office_text
    assert f"Подпись ГП КЭП добавлен: {day}" in office_text
    assert office_text.count(f"Подпись Заявителя КЭП подписан: {day}") == 2


def test_person_page_has_the_code_window_and_the_offer_path_block(app, client, applicant,
                                                                  signed_by_grid):
    appeal, doc = signed_by_grid(applicant)
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert "Ввод кода подтверждения" in page
    assert ("Для подписи документов введите код подтверждения, отправленный в смс сообщении "
            "на сотовый телефон Заявителя.") in page
    assert "Отмена" in page and "Подтвердить и отправить" in page
    assert "Заключение договора" not in page
    offer = make_appeal(applicant, complies=True)
    page = client.get(f"/appeals/{offer.id}").get_data(as_text=True)
    assert "подписывать договор и иные документы" in page
    assert "считается заключенным с момента оплаты счета" in page
    assert "Приложить платежный документ" in page


# ---- the back office ------------------------------------------------------------------

def staff_client(app, user, password="Staff-pass1"):
    c = app.test_client()
    answer = c.post("/backoffice/login", data={"email": user.email, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return c


def test_clerk_uploads_a_sig_in_the_back_office(app, pki, applicant, grid_clerk, supplier_clerk,
                                               mailbox):
    appeal = make_appeal(applicant, complies=False, supplier=demo_supplier(SUPPLIER_NAME))
    doc = place(app, appeal, grid_clerk)
    clerk = staff_client(app, grid_clerk)
    page = clerk.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert "Загрузить подпись" in page and "Подписать КЭП" in page
    assert all(".txt" in c and ".b64" in c for c in _accept_lists(page)) and _accept_lists(page)
    assert "КриптоПро CSP" in page
    url = f"/backoffice/signing/{appeal.id}/documents/{doc.id}/sign"
    bad = clerk.post(url, data={"signature": (io.BytesIO(sign_bytes(pki, pki.supplier, CONTRACT)),
                                              "d.sig")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "Подпись не принята: ИНН в сертификате" in bad.get_data(as_text=True)
    assert Signature.select().count() == 0
    good = clerk.post(url, data={"signature": (io.BytesIO(sign_bytes(pki, pki.grid, CONTRACT)),
                                               "d.sig")},
                      content_type="multipart/form-data", follow_redirects=True)
    text = good.get_data(as_text=True)
    assert "Документ «Договор ТП» подписан" in text
    assert "Подпись Сетевой КЭП добавлен:" in " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert "Скачать с подписями" in text
    assert "Подписать КЭП" not in text
    assert Signature.get().side == "grid"
    archive = zipfile.ZipFile(io.BytesIO(
        clerk.get(f"/backoffice/signing/{appeal.id}/documents/{doc.id}/signed.zip").data))
    assert "Договор ТП — Подпись Сетевой.sig" in archive.namelist()
    # The supplier's clerk sees the appeal but cannot sign the grid company's document.
    gp = staff_client(app, supplier_clerk)
    assert "Подписать КЭП" not in gp.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    refused = gp.post(url, headers=FETCH, data={"signature_b64": "AAAA"})
    assert refused.status_code == 403


def test_signing_routes_refuse_applicants_and_hidden_appeals(app, client, applicant, grid_clerk,
                                                            supplier_clerk):
    appeal = make_appeal(applicant, complies=False)  # no supplier: hidden from the ГП clerk
    doc = place(app, appeal, grid_clerk)
    url = f"/backoffice/signing/{appeal.id}/documents/{doc.id}/sign"
    assert client.post(url).status_code == 403  # the logged-in applicant
    assert app.test_client().post(url).status_code == 302  # anonymous → staff login
    gp = staff_client(app, supplier_clerk)
    assert gp.post(url).status_code == 404
    assert gp.get(f"/backoffice/signing/{appeal.id}/documents/{doc.id}/signed.zip"
                  ).status_code == 404


def test_clerk_records_the_payment_in_the_back_office(app, applicant, grid_clerk, mailbox):
    appeal = make_appeal(applicant, complies=True, reg_number="303")
    clerk = staff_client(app, grid_clerk)
    page = clerk.get(f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    assert "Платежный документ заявителем не приложен" in page and "Отметить оплату" in page
    answer = clerk.post(f"/backoffice/signing/{appeal.id}/payment", data={"note": "п/п № 12"},
                        follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "Оплата отмечена: договор заключен" in text and "Отметить оплату" not in text
    assert Appeal.get_by_id(appeal.id).last_status == "Договор заключен"
