"""Signing in a real browser: ПЭП with the code read from the SMS outbox, and КЭП through a
stand-in CryptoPro plug-in that follows the plug-in's published async JS API
(cadesplugin.CreateObjectAsync, CAdESCOM.Store, CAdESCOM.CPSigner,
CAdESCOM.CadesSignedData.SignCades detached) and returns a signature made by openssl."""
import base64
import datetime as dt
import io
import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.datastructures import FileStorage

from domain.accounts.credentials import hash_password
from domain.appeals import casework
from domain.outbox import notify
from domain.signing import kep
from models import Signature, User
from tests import gost_tools
from tests.appeal_factory import make_appeal
from tests.browser.conftest import login_via_page
from tests.data import COMPANY, PERSON
from tests.sms_codes import age_codes, sms_codes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("gost_engine")]

PASSWORD = "Secret-pass1"
GRID_INN = "4401000012"
CONTRACT = b"PK\x03\x04 browser-signed contract " * 200


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_pki")
    tools = gost_tools.GostPki(folder)
    root = tools.make_root()
    grid = tools.make_signer(root, cn="Специалист Анна", innle=GRID_INN)
    company = tools.make_signer(root, cn="Сергеев Петр Сергеевич", org="ООО «Энергия»",
                                innle=COMPANY["inn"], ogrn=COMPANY["ogrn"])
    other = tools.make_signer(root, cn="Чужой Директор", innle="7701234567")
    doc = folder / "contract.docx"
    doc.write_bytes(CONTRACT)
    return {"tools": tools, "folder": folder,
            "grid_sig": tools.sign(grid, doc), "company_sig": tools.sign(company, doc),
            "other_sig": tools.sign(other, doc), "company_pem": company.pem.decode()}


def make_user(data) -> User:
    user = User(email=data["email"], legal_form=data["legal_form"], last_name=data["last_name"],
                first_name=data["first_name"], middle_name=data["middle_name"],
                phone="+79123456789", notify_email=data["email"], confirmed=True,
                password_hash=hash_password(PASSWORD))
    for key in ("snils", "inn", "ogrn", "ogrnip", "kpp", "company_name"):
        if data.get(key):
            setattr(user, key, data[key])
    user.save()
    return user


def grid_signed_documents(app, applicant, clerk, sig, count=1):
    """An appeal with `count` contracts placed and signed (КЭП) by the grid company."""
    appeal = make_appeal(applicant, complies=False, reg_number="299")
    docs = []
    with app.test_request_context():
        for number in range(count):
            upload = FileStorage(io.BytesIO(CONTRACT), filename=f"Договор ТП {number + 1}.docx")
            doc = casework.place_document(appeal, clerk, upload, "Договор ТП", True)
            kep.sign_kep(doc, clerk, sig)
            docs.append(doc)
        notify.flush()
    return appeal, docs


def wait_for_sms(app, phone, count, timeout=15):
    """The codes of the SMS the huey consumer wrote to the outbox, once there are `count`."""
    deadline = time.monotonic() + timeout
    while True:
        codes = sms_codes(app, phone)
        if len(codes) >= count:
            return codes
        if time.monotonic() > deadline:
            pytest.fail(f"no SMS to {phone} within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def sms_outbox(live_server):
    """The live app's SMS outbox, emptied: the test reads only the codes it caused."""
    Path(live_server.app.config["SMS_OUTBOX"]).unlink(missing_ok=True)
    return live_server.app.config["SMS_OUTBOX"]


def test_person_signs_with_the_sms_code_wrong_expired_and_exhausted_codes_refused(
        live_server, page, pki, staff_factory, sms_outbox):
    app = live_server.app
    person = make_user(PERSON)
    clerk = staff_factory("clerk@kalinovsk-es.ru", "grid")
    appeal, (first, second, third) = grid_signed_documents(app, person, clerk, pki["grid_sig"],
                                                           count=3)
    login_via_page(page, live_server.url, PERSON["email"], PASSWORD)
    page.goto(f"{live_server.url}/appeals/{appeal.id}")
    expect(page.get_by_text("Подпись Сетевой")).to_have_count(3)
    buttons = page.get_by_role("button", name="Подписать!")
    expect(buttons).to_have_count(3)
    dialog = page.get_by_role("dialog", name="Ввод кода подтверждения")

    # A wrong code is refused with the attempts left; the right one signs.
    buttons.nth(0).click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Для подписи документов введите код подтверждения, отправленный "
                              "в смс сообщении на сотовый телефон Заявителя.")).to_be_visible()
    expect(dialog.get_by_text(re.compile("Код подтверждения отправлен на номер"))).to_be_visible()
    code = wait_for_sms(app, person.phone, 1)[-1]
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    code_box = dialog.get_by_label("Код подтверждения")
    code_box.fill(wrong)
    dialog.get_by_role("button", name="Подтвердить и отправить").click()
    expect(dialog.get_by_role("alert")).to_have_text("Неверный код подтверждения. Осталось попыток: 4")
    code_box.fill(code)
    with page.expect_navigation():
        dialog.get_by_role("button", name="Подтвердить и отправить").click()
    expect(page.get_by_text("Подпись Заявителя")).to_have_count(1)
    expect(page.get_by_role("button", name="Подписать!")).to_have_count(2)
    sig = Signature.get((Signature.document == first.id) & (Signature.side == "applicant"))
    evidence = json.loads(sig.evidence)
    assert evidence["phone"] == "+79123456789" and "Chrome" in evidence["user_agent"]

    # «Отмена» closes the window; an expired code is refused.
    age_codes(dt.timedelta(seconds=61))
    page.get_by_role("button", name="Подписать!").nth(0).click()
    code = wait_for_sms(app, person.phone, 2)[-1]
    dialog.get_by_role("button", name="Отмена").click()
    expect(dialog).to_be_hidden()
    age_codes(dt.timedelta(minutes=6))
    page.get_by_role("button", name="Подписать!").nth(0).click()  # sends a new code …
    wait_for_sms(app, person.phone, 3)
    expect(dialog.get_by_text(re.compile("Код подтверждения отправлен"))).to_be_visible()
    age_codes(dt.timedelta(minutes=6))  # … which expires too before it is typed
    code = wait_for_sms(app, person.phone, 3)[-1]
    code_box.fill(code)
    dialog.get_by_role("button", name="Подтвердить и отправить").click()
    expect(dialog.get_by_role("alert")).to_have_text("Срок действия кода истёк. Запросите новый код")

    # Five wrong codes exhaust the code: even the right one is then refused.
    dialog.get_by_role("button", name="Отправить код повторно").click()
    code = wait_for_sms(app, person.phone, 4)[-1]
    dialog.get_by_role("button", name="Отправить код повторно").click()  # too soon
    expect(dialog.get_by_role("alert")).to_have_text(re.compile("Повторно отправить код можно через"))
    wrong = f"{(int(code) + 3) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        code_box.fill(wrong)
        dialog.get_by_role("button", name="Подтвердить и отправить").click()
        expect(dialog.get_by_role("alert")).to_have_text(
            f"Неверный код подтверждения. Осталось попыток: {left}")
    code_box.fill(wrong)
    dialog.get_by_role("button", name="Подтвердить и отправить").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Исчерпано число попыток ввода кода. Запросите новый код")
    code_box.fill(code)
    dialog.get_by_role("button", name="Подтвердить и отправить").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Исчерпано число попыток ввода кода. Запросите новый код")
    assert Signature.select().where(Signature.side == "applicant").count() == 1


# A stand-in of the CryptoPro plug-in's async API (cadesplugin_api.js): the object is a
# thenable; CreateObjectAsync gives objects whose properties are read with await and set
# with propset_*; SignCades(signer, CADESCOM_CADES_BES, detached) returns base64.
PLUGIN_STANDIN = """
(() => {
  const EXPECTED_CONTENT = %(content)s, SIGNATURE = %(signature)s;
  const calls = window.__cadesCalls = [];
  const cert = {
    get SubjectName() { return Promise.resolve(%(subject)s); },
    get IssuerName() { return Promise.resolve("CN=Тестовый корневой УЦ, O=АО «Тестовый УЦ», C=RU"); },
    get ValidToDate() { return Promise.resolve("%(valid_to)s"); },
    get Thumbprint() { return Promise.resolve("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"); },
    HasPrivateKey() { return Promise.resolve(true); },
  };
  const objects = {
    "CAdESCOM.Store": () => ({
      Open(location, name, mode) { calls.push(["Store.Open", location, name, mode]); return Promise.resolve(); },
      get Certificates() { return Promise.resolve({
        get Count() { return Promise.resolve(1); },
        Item(i) { calls.push(["Item", i]); return i === 1 ? Promise.resolve(cert) : Promise.reject(new Error("index")); },
      }); },
      Close() { return Promise.resolve(); },
    }),
    "CAdESCOM.CPSigner": () => {
      const signer = {certificate: null,
        propset_Certificate(c) { signer.certificate = c; return Promise.resolve(); }};
      return signer;
    },
    "CAdESCOM.CadesSignedData": () => {
      const data = {encoding: 0, content: null,
        propset_ContentEncoding(e) { data.encoding = e; return Promise.resolve(); },
        propset_Content(c) { data.content = c; return Promise.resolve(); },
        SignCades(signer, type, detached) {
          calls.push(["SignCades", type, detached, data.encoding]);
          if (signer.certificate !== cert) return Promise.reject(new Error("no certificate set"));
          if (type !== 1 || detached !== true || data.encoding !== 1)
            return Promise.reject(new Error("not a detached CAdES-BES of binary content"));
          if (data.content !== EXPECTED_CONTENT)
            return Promise.reject(new Error("the content is not the document's exact bytes"));
          return Promise.resolve(SIGNATURE);
        }};
      return data;
    },
  };
  const plugin = Promise.resolve();
  plugin.CreateObjectAsync = (name) => {
    calls.push(["CreateObjectAsync", name]);
    return objects[name] ? Promise.resolve(objects[name]()) : Promise.reject(new Error(name));
  };
  plugin.CADESCOM_CADES_BES = 1;
  plugin.CADESCOM_BASE64_TO_BINARY = 1;
  window.cadesplugin = plugin;
})();
"""


def test_company_signs_through_the_plugin_stand_in(live_server, page, pki, staff_factory):
    app = live_server.app
    company = make_user(COMPANY)
    clerk = staff_factory("clerk@kalinovsk-es.ru", "grid")
    appeal, (doc,) = grid_signed_documents(app, company, clerk, pki["grid_sig"])
    page.add_init_script(PLUGIN_STANDIN % {
        "content": json.dumps(base64.b64encode(CONTRACT).decode()),
        "signature": json.dumps(base64.b64encode(pki["company_sig"]).decode()),
        "subject": json.dumps(f"CN=Сергеев Петр Сергеевич, O=ООО «Энергия», "
                              f"INNLE={COMPANY['inn']}, OGRN={COMPANY['ogrn']}, C=RU"),
        "valid_to": "2031-01-31T10:00:00.000Z"})
    login_via_page(page, live_server.url, COMPANY["email"], PASSWORD)
    page.goto(f"{live_server.url}/appeals/{appeal.id}")
    page.get_by_role("button", name="Подписать!").click()
    confirm = page.get_by_role("dialog", name="Подписание документа")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Да").click()
    certs = page.get_by_role("dialog", name="Выбор сертификата")
    expect(certs.get_by_text(re.compile(
        r"Владелец: Сергеев Петр Сергеевич; издатель: Тестовый корневой УЦ; "
        r"действителен до 31\.01\.2031"))).to_be_visible()
    with page.expect_navigation():
        certs.get_by_role("button", name="Подписать и отправить").click()
    row = page.locator("tr.signature-row", has_text="Подпись Заявителя")
    expect(row).to_contain_text("КЭП")
    expect(row).to_contain_text("подписан:")
    expect(page.get_by_role("button", name="Подписать!")).to_have_count(0)
    sig = Signature.get((Signature.document == doc.id) & (Signature.side == "applicant"))
    assert json.loads(sig.evidence)["report"]["signer_subject"]["INNLE"] == COMPANY["inn"]


def test_without_the_plugin_the_software_is_listed_and_a_sig_can_be_uploaded(
        live_server, page, pki, staff_factory):
    app = live_server.app
    company = make_user(COMPANY)
    clerk = staff_factory("clerk@kalinovsk-es.ru", "grid")
    appeal, (doc,) = grid_signed_documents(app, company, clerk, pki["grid_sig"])
    login_via_page(page, live_server.url, COMPANY["email"], PASSWORD)
    page.goto(f"{live_server.url}/appeals/{appeal.id}")
    page.get_by_role("button", name="Подписать!").click()
    window = page.get_by_role("dialog", name="Необходимое программное обеспечение")
    expect(window.get_by_role("link", name="КриптоПро CSP")).to_be_visible()
    expect(window.get_by_role("link", name="КриптоПро ЭЦП Browser plug-in")).to_be_visible()
    upload = window.get_by_label("Файл подписи (.sig)")
    upload.set_input_files({"name": "Договор ТП 1.docx.sig", "mimeType": "application/octet-stream",
                            "buffer": pki["other_sig"]})
    window.get_by_role("button", name="Загрузить подпись").click()
    expect(window.get_by_role("alert")).to_have_text(re.compile(
        r"Подпись не принята: ИНН в сертификате \(7701234567\) не совпадает"))
    assert Signature.select().where(Signature.side == "applicant").count() == 0
    upload.set_input_files({"name": "Договор ТП 1.docx.sig", "mimeType": "application/octet-stream",
                            "buffer": pki["company_sig"]})
    with page.expect_navigation():
        window.get_by_role("button", name="Загрузить подпись").click()
    expect(page.locator("tr.signature-row", has_text="Подпись Заявителя")).to_contain_text("подписан:")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать с подписями").click()
    assert download.value.suggested_filename == "Договор ТП 1 с подписями.zip"
