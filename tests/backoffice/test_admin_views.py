"""Back office «Заявители», «Справочники» and «Администрирование», as each staff role sees them."""
import re

import pytest

import tasks
from domain.appeals import filing
from domain.errors import Refusal
from domain.files import uploads
from domain.identifiers import MSG_INN_CHECKSUM, make_inn_legal
from domain.outbox import notify, sms
from models import (
    AuditLog,
    DocumentType,
    LegalDocument,
    Notification,
    Organization,
    Setting,
    StatusCatalog,
    User,
    utcnow,
)
from tests.appeal_factory import make_appeal
from tests.backoffice.conftest import ADMIN, CLERK, GP, GP_NAME, PASSWORD
from tests.conftest import Auth
from tests.data import COMPANY, PERSON


def text(response) -> str:
    return response.get_data(as_text=True)


def person(**kw):
    """An applicant registered through the portal (by an anonymous client)."""
    return User.by_email(kw.get("email", PERSON["email"]))


@pytest.fixture
def applicants(app, database):
    """A person (Иванов) and a company registered through the real form."""
    c = app.test_client()
    assert c.post("/register", data=PERSON).status_code == 302
    c.post("/logout")
    assert c.post("/register", data=COMPANY).status_code == 302
    c.post("/logout")
    return User.by_email(PERSON["email"]), User.by_email(COMPANY["email"])


# --- «Заявители» -------------------------------------------------------------------------

def listed(response, user) -> bool:
    return user.email in text(response)


def test_applicant_search_by_name_snils_inn_ogrn_email_phone(staff, applicants):
    fl, ul = applicants
    c = staff["clerk"]
    queries_fl = [fl.last_name.lower(), fl.last_name.upper(), fl.first_name[:3].lower(),
                  fl.snils, fl.snils.replace("-", "").replace(" ", ""), fl.email.upper(),
                  fl.phone, "8" + fl.phone[2:], f"8 ({fl.phone[2:5]}) {fl.phone[5:8]}-{fl.phone[8:10]}-{fl.phone[10:]}"]
    for q in queries_fl:
        r = c.get("/backoffice/applicants/", query_string={"search": q})
        assert r.status_code == 200
        assert listed(r, fl), q
        assert not listed(r, ul), q
    for q in [ul.inn, ul.ogrn, ul.company_name.split("«")[-1].split()[0].lower()]:
        r = c.get("/backoffice/applicants/", query_string={"search": q})
        assert listed(r, ul) and not listed(r, fl), q
    r = c.get("/backoffice/applicants/", query_string={"search": "нетаких"})
    assert not listed(r, fl) and not listed(r, ul)


def test_applicant_filters_confirmed_and_legal_form(staff, applicants):
    fl, ul = applicants
    c = staff["clerk"]
    User.update(confirmed=True).where(User.id == ul.id).execute()
    r = c.get("/backoffice/applicants/?flt0_0=1")
    assert listed(r, ul) and not listed(r, fl)
    r = c.get("/backoffice/applicants/?flt0_0=0")
    assert listed(r, fl) and not listed(r, ul)
    r = c.get("/backoffice/applicants/?flt0_1=fl")
    assert listed(r, fl) and not listed(r, ul)
    r = c.get("/backoffice/applicants/?flt0_1=ul")
    assert listed(r, ul) and not listed(r, fl)


def test_applicant_list_shows_no_staff(staff, applicants):
    r = staff["admin"].get("/backoffice/applicants/")
    assert CLERK not in text(r) and GP not in text(r)
    clerk = User.by_email(CLERK)
    assert staff["admin"].get(f"/backoffice/applicants/details/?id={clerk.id}").status_code == 404


def test_confirmation_flow_opens_sending(staff, applicants, app):
    fl, _ul = applicants
    c = staff["clerk"]
    portal = app.test_client()
    portal.post("/login", data={"email": PERSON["email"], "password": PERSON["password"]})
    assert "Учетная запись не подтверждена" in text(portal.get("/info"))
    draft = make_appeal(fl, state="draft", documents=[("applicant", "Заявка", "z.pdf")])
    with pytest.raises(Refusal):
        filing.send_appeal(draft)

    card = text(c.get(f"/backoffice/applicants/details/?id={fl.id}"))
    assert "Подтвердить учетную запись" in card and "Учетная запись не подтверждена" in card
    assert fl.snils in card and "+7 912 345-67-89" in card and "Физическое лицо" in card
    assert "Согласие на обработку персональных данных (редакция 1)" in card
    r = c.post(f"/backoffice/applicants/{fl.id}/confirm", follow_redirects=True)
    assert "Отменить подтверждение" in text(r)
    fl = User.get_by_id(fl.id)
    clerk = User.by_email(CLERK)
    assert fl.confirmed and fl.confirmed_by_id == clerk.id and fl.confirmed_at
    assert "Учетная запись подтверждена" in text(portal.get("/info"))
    log = AuditLog.get(AuditLog.action == "account_confirmed")
    assert (log.actor_id, log.object_id) == (clerk.id, str(fl.id))
    send(app, draft.id)  # sending is open now

    r = c.post(f"/backoffice/applicants/{fl.id}/unconfirm", follow_redirects=True)
    assert "Подтвердить учетную запись" in text(r)
    fl = User.get_by_id(fl.id)
    assert not fl.confirmed and fl.confirmed_by_id is None and fl.confirmed_at is None
    assert AuditLog.select().where(AuditLog.action == "account_unconfirmed").count() == 1
    assert "Учетная запись не подтверждена" in text(portal.get("/info"))


def send(app, appeal_id):
    """Send a draft through the domain function, as the portal's «Отправить» does."""
    from domain.outbox import notify
    from models import Appeal
    with app.test_request_context():
        filing.send_appeal(Appeal.get_by_id(appeal_id))
        notify.flush()
    assert Appeal.get_by_id(appeal_id).state == Appeal.ACTIVE


def test_bulk_confirm_action_by_admin(staff, applicants):
    fl, ul = applicants
    r = staff["admin"].post("/backoffice/applicants/action/",
                            data={"action": "confirm", "rowid": [str(fl.id), str(ul.id)]})
    assert r.status_code == 302
    assert User.select().where(User.confirmed == True, User.role == "applicant").count() == 2  # noqa: E712
    assert AuditLog.select().where(AuditLog.action == "account_confirmed").count() == 2
    staff["admin"].post("/backoffice/applicants/action/", data={"action": "unconfirm",
                                                                 "rowid": [str(ul.id)]})
    assert not User.get_by_id(ul.id).confirmed and User.get_by_id(fl.id).confirmed


def test_supplier_clerk_cannot_see_or_confirm_applicants(staff, applicants):
    fl, _ = applicants
    gp = staff["gp"]
    assert gp.get("/backoffice/applicants/").status_code == 403
    assert gp.get(f"/backoffice/applicants/details/?id={fl.id}").status_code == 403
    assert gp.post(f"/backoffice/applicants/{fl.id}/confirm").status_code == 403
    assert gp.post("/backoffice/applicants/action/",
                   data={"action": "confirm", "rowid": [str(fl.id)]}).status_code == 403
    assert not User.get_by_id(fl.id).confirmed
    menu = text(gp.get("/backoffice/"))
    assert "Заявители" not in menu and "Администрирование" not in menu and "Справочники" not in menu


def test_applicant_and_anonymous_are_refused(app, applicants):
    portal = app.test_client()
    portal.post("/login", data={"email": PERSON["email"], "password": PERSON["password"]})
    anonymous = app.test_client()
    for url in ("/backoffice/applicants/", "/backoffice/suppliers/", "/backoffice/staff/",
                "/backoffice/settings/", "/backoffice/audit/", "/backoffice/outbox/"):
        assert portal.get(url).status_code == 403, url
        r = anonymous.get(url)
        assert r.status_code == 302 and "/backoffice/login" in r.headers["Location"], url
    fl = applicants[0]
    assert portal.post(f"/backoffice/applicants/{fl.id}/confirm").status_code == 403
    assert not User.get_by_id(fl.id).confirmed


# --- «Справочники» -----------------------------------------------------------------------

def test_supplier_catalog_admin_edits_clerk_reads(staff):
    admin, clerk = staff["admin"], staff["clerk"]
    good = make_inn_legal("440100005")
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    r = admin.post("/backoffice/suppliers/new/", data={
        "name": "ООО «Новая сбытовая»", "inn": bad, "inbox_email": "New@Sbyt.ru",
        "active": "y"})
    assert r.status_code == 200 and MSG_INN_CHECKSUM in text(r)
    assert not Organization.select().where(Organization.name == "ООО «Новая сбытовая»").exists()
    r = admin.post("/backoffice/suppliers/new/", data={
        "name": "ООО «Новая сбытовая»", "inn": "4401 000 020", "inbox_email": "New@Sbyt.ru",
        "active": "y"})
    assert r.status_code == 302
    org = Organization.get(Organization.name == "ООО «Новая сбытовая»")
    assert (org.kind, org.inn, org.inbox_email) == ("supplier", "4401000020", "new@sbyt.ru")
    assert AuditLog.get(AuditLog.action == "supplier_created").object_id == str(org.id)
    assert "ООО «Новая сбытовая»" in text(clerk.get("/backoffice/suppliers/"))
    # The clerk reads but cannot create or edit.
    r = clerk.post("/backoffice/suppliers/new/", data={"name": "Чужой", "inn": "4401000020",
                                                       "inbox_email": "x@y.ru"})
    assert r.status_code == 302 and not Organization.select().where(
        Organization.name == "Чужой").exists()
    r = clerk.post(f"/backoffice/suppliers/edit/?id={org.id}", data={
        "name": "Переименован", "inn": "4401000020", "inbox_email": "x@y.ru"})
    assert Organization.get_by_id(org.id).name == "ООО «Новая сбытовая»"
    # The admin deactivates; nothing is deleted.
    r = admin.post(f"/backoffice/suppliers/edit/?id={org.id}", data={
        "name": "ООО «Новая сбытовая»", "inn": "4401000020", "inbox_email": "new@sbyt.ru"})
    assert r.status_code == 302 and not Organization.get_by_id(org.id).active
    assert org not in list(Organization.suppliers())
    admin.post("/backoffice/suppliers/delete/", data={"id": org.id})
    assert Organization.get_or_none(Organization.id == org.id)
    # The grid company is not a supplier and cannot be opened here.
    grid = Organization.grid()
    r = admin.get(f"/backoffice/suppliers/edit/?id={grid.id}")
    assert r.status_code == 302 and grid.inbox_email not in text(admin.get("/backoffice/suppliers/"))


def test_status_and_document_type_catalogs(staff):
    admin = staff["admin"]
    r = admin.post("/backoffice/statuses/new/", data={"name": "Выставлен счет", "sort_order": "9"})
    assert r.status_code == 200 and "уже есть в справочнике" in text(r)
    r = admin.post("/backoffice/statuses/new/", data={"name": "Проведен осмотр", "sort_order": "9",
                                                      "active": "y"})
    assert r.status_code == 302
    status = StatusCatalog.get(StatusCatalog.name == "Проведен осмотр")
    r = admin.post(f"/backoffice/statuses/edit/?id={status.id}",
                   data={"name": "Проведен осмотр", "sort_order": "9"})
    assert not StatusCatalog.get_by_id(status.id).active
    r = admin.post("/backoffice/document_types/new/", data={
        "name": "Проект договора", "party": "organization", "sort_order": "3", "active": "y"})
    assert r.status_code == 302
    assert DocumentType.get(DocumentType.name == "Проект договора").party == "organization"
    clerk_page = text(staff["clerk"].get("/backoffice/document_types/"))
    assert "Проект договора" in clerk_page and "/backoffice/document_types/new/" not in clerk_page
    assert staff["gp"].get("/backoffice/statuses/").status_code == 403
    actions = {a.action for a in AuditLog.select()}
    assert {"status_catalog_created", "status_catalog_updated", "document_type_created"} <= actions


# --- «Сотрудники» ------------------------------------------------------------------------

def test_admin_creates_staff_with_temporary_password(staff, app):
    admin = staff["admin"]
    supplier = Organization.get(Organization.name == GP_NAME)
    r = admin.post("/backoffice/staff/new/", data={
        "email": "new.gp@kalinovsk-energo.ru", "last_name": "Петрова", "first_name": "Ирина",
        "role": "supplier", "supplier": "", "password": ""})
    assert r.status_code == 200 and "Выберите гарантирующего поставщика" in text(r)
    r = admin.post("/backoffice/staff/new/", data={
        "email": "new.gp@kalinovsk-energo.ru", "last_name": "Петрова", "first_name": "Ирина",
        "role": "supplier", "supplier": str(supplier.id), "password": ""}, follow_redirects=True)
    match = re.search(r"Временный пароль: (\S+) —", text(r))
    assert match, text(r)
    user = User.by_email("new.gp@kalinovsk-energo.ru")
    assert (user.role, user.organization_id, user.is_active) == ("supplier", supplier.id, True)
    assert "pbkdf2" not in text(r) and user.password_hash not in text(r)
    # Shown once: the next page no longer has it.
    assert match.group(1) not in text(admin.get("/backoffice/staff/"))
    newcomer = app.test_client()
    assert newcomer.post("/backoffice/login", data={"email": user.email,
                                                     "password": match.group(1)}).status_code == 302
    assert AuditLog.get(AuditLog.action == "staff_created").object_id == str(user.id)
    # Duplicates and short passwords are refused next to the field.
    r = admin.post("/backoffice/staff/new/", data={
        "email": CLERK, "last_name": "Дубль", "role": "grid", "password": "short"})
    assert "уже существует" in text(r) and "не менее 8 символов" in text(r)


def test_admin_deactivates_activates_and_resets_password(staff, app):
    admin = staff["admin"]
    clerk_user = User.by_email(CLERK)
    r = admin.post("/backoffice/staff/action/", data={"action": "deactivate",
                                                      "rowid": [str(clerk_user.id)]})
    assert r.status_code == 302 and not User.get_by_id(clerk_user.id).is_active
    # The clerk's open session ends, and a new login fails.
    assert staff["clerk"].get("/backoffice/applicants/").status_code == 302
    fresh = app.test_client()
    r = fresh.post("/backoffice/login", data={"email": CLERK, "password": PASSWORD})
    assert r.status_code == 200
    admin.post("/backoffice/staff/action/", data={"action": "activate", "rowid": [str(clerk_user.id)]})
    assert User.get_by_id(clerk_user.id).is_active
    # A generated password, shown once on the result page.
    r = admin.post(f"/backoffice/staff/password/?id={clerk_user.id}", data={"password": ""})
    temp = re.search(r'id="temporary-password">([^<]+)<', text(r)).group(1)
    assert fresh.post("/backoffice/login", data={"email": CLERK, "password": PASSWORD}).status_code == 200
    assert fresh.post("/backoffice/login", data={"email": CLERK, "password": temp}).status_code == 302
    # A typed password.
    r = admin.post(f"/backoffice/staff/password/?id={clerk_user.id}", data={"password": "Typed-pass9"})
    assert r.status_code == 302
    assert app.test_client().post("/backoffice/login", data={
        "email": CLERK, "password": "Typed-pass9"}).status_code == 302
    actions = [a.action for a in AuditLog.select().where(AuditLog.object_id == str(clerk_user.id))]
    assert {"staff_deactivated", "staff_activated", "staff_password_reset"} <= set(actions)
    # An admin cannot lock themselves out.
    me = User.by_email(ADMIN)
    admin.post("/backoffice/staff/action/", data={"action": "deactivate", "rowid": [str(me.id)]})
    assert User.get_by_id(me.id).is_active
    r = admin.post(f"/backoffice/staff/edit/?id={me.id}", data={
        "last_name": "Админ", "role": "grid", "supplier": "", "is_active": "y"})
    assert User.get_by_id(me.id).role == "admin"
    # Editing another account: role change to supplier clerk.
    supplier = Organization.get(Organization.name == GP_NAME)
    r = admin.post(f"/backoffice/staff/edit/?id={clerk_user.id}", data={
        "last_name": "Смирнова", "role": "supplier", "supplier": str(supplier.id), "is_active": "y"})
    assert r.status_code == 302
    changed = User.get_by_id(clerk_user.id)
    assert (changed.last_name, changed.role, changed.organization_id) == ("Смирнова", "supplier",
                                                                           supplier.id)
    # Search by name (Cyrillic, any case) and e-mail.
    page = text(admin.get("/backoffice/staff/", query_string={"search": "смирнова"}))
    assert CLERK in page and GP not in page
    page = text(admin.get("/backoffice/staff/", query_string={"search": "KALINOVSK-ENERGO"}))
    assert GP in page and CLERK not in page
    # Applicants are not staff: not listed, not editable here.
    portal_user = User.create(email="a@example.ru", password_hash="x", last_name="Заявитель")
    assert "a@example.ru" not in text(admin.get("/backoffice/staff/"))
    assert admin.get(f"/backoffice/staff/password/?id={portal_user.id}").status_code == 404
    # Never a hash in the pages.
    page = text(admin.get(f"/backoffice/staff/edit/?id={clerk_user.id}"))
    assert "password_hash" not in page and User.get_by_id(clerk_user.id).password_hash not in page


def test_only_admin_reaches_administration(staff):
    clerk_user = User.by_email(CLERK)
    for role in ("clerk", "gp"):
        c = staff[role]
        for url in ("/backoffice/staff/", "/backoffice/staff/new/", "/backoffice/settings/",
                    "/backoffice/audit/", "/backoffice/outbox/",
                    f"/backoffice/staff/password/?id={clerk_user.id}"):
            assert c.get(url).status_code == 403, (role, url)
        assert c.post(f"/backoffice/staff/password/?id={clerk_user.id}",
                      data={"password": "Hacked-pass1"}).status_code == 403
        assert c.post("/backoffice/staff/new/", data={
            "email": "evil@x.ru", "last_name": "X", "role": "admin",
            "password": "Evil-pass12"}).status_code == 403
        assert c.post("/backoffice/settings/", data={"grid_name": "X"}).status_code == 403
        assert "Администрирование" not in text(c.get("/backoffice/"))
    assert not User.by_email("evil@x.ru")
    assert "Администрирование" in text(staff["admin"].get("/backoffice/"))
    assert "Справочники" in text(staff["clerk"].get("/backoffice/"))


# --- «Настройки» -------------------------------------------------------------------------

def settings_form(**overrides):
    grid = Organization.grid()
    data = {"grid_name": grid.name, "grid_inn": grid.inn, "grid_inbox_email": grid.inbox_email,
            "grid_phone": "", "grid_address": "", "office_address": "г. Калиновск, пр. Мира, 5",
            "office_hours": "пн–пт 9:00–18:00", "contact_phone": "8 (800) 111-22-33",
            "contact_email": "help@kalinovsk-es.ru", "require_confirmed": "y",
            "max_upload_mb": "15", "max_files_per_appeal": "50", "max_pending_mb": "300",
            "personal_data_html": LegalDocument.current("personal-data").body_html,
            "e_interaction_html": LegalDocument.current("e-interaction").body_html}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_are_saved_and_shown_to_applicants(staff, applicants, app):
    admin = staff["admin"]
    page = text(admin.get("/backoffice/settings/"))
    assert "Калиновские Электрические Сети" in page and "Адрес офиса" in page
    r = admin.post("/backoffice/settings/", data=settings_form(
        grid_name="ООО «Калиновские Сети»", grid_phone="+7 (4942) 00-00-00",
        personal_data_html="<p>Новая редакция согласия</p><script>alert(1)</script>"))
    assert r.status_code == 302
    assert Organization.grid().name == "ООО «Калиновские Сети»"
    assert Setting.value_of("office_address") == "г. Калиновск, пр. Мира, 5"
    assert Setting.value_of("max_upload_mb") == "15" and Setting.flag("require_confirmed")
    doc = LegalDocument.current("personal-data")
    assert doc.version == 2 and doc.body_html == "<p>Новая редакция согласия</p>"
    assert LegalDocument.current("e-interaction").version == 1  # unchanged text: no new version
    assert AuditLog.get(AuditLog.action == "settings_updated").actor_id == User.by_email(ADMIN).id
    portal = app.test_client()
    portal.post("/login", data={"email": PERSON["email"], "password": PERSON["password"]})
    info = text(portal.get("/info"))
    assert "г. Калиновск, пр. Мира, 5" in info and "пн–пт 9:00–18:00" in info
    assert "Для отправления заявки необходимо подтверждение учетной записи" in info
    # Switching the requirement off opens sending for unconfirmed accounts.
    admin.post("/backoffice/settings/", data=settings_form(require_confirmed=None))
    assert not Setting.flag("require_confirmed")
    assert "необходимо подтверждение" not in text(portal.get("/info"))
    draft = make_appeal(applicants[0], state="draft", documents=[("applicant", "Заявка", "z.pdf")])
    send(app, draft.id)


def test_settings_bad_input_keeps_values_and_writes_nothing(staff):
    admin = staff["admin"]
    r = admin.post("/backoffice/settings/", data=settings_form(
        grid_inn="1234567890", max_upload_mb="0", grid_name="Новое имя",
        personal_data_html="<script>x</script>"))
    assert r.status_code == 200
    page = text(r)
    assert "Укажите число от 1 до 200" in page and "Текст документа не может быть пустым" in page
    assert "Новое имя" in page
    assert Organization.grid().name != "Новое имя" and LegalDocument.current("personal-data").version == 1
    assert not AuditLog.select().where(AuditLog.action == "settings_updated").exists()


def test_upload_quotas_are_settings_the_pipeline_uses(staff):
    admin = staff["admin"]
    page = text(admin.get("/backoffice/settings/"))
    assert "Максимальное число файлов в обращении" in page
    assert "Объем загруженных, но не сохраненных файлов одного заявителя, МБ" in page
    assert re.search(r'<input[^>]* name="max_files_per_appeal"[^>]* value="50">', page)
    assert re.search(r'<input[^>]* name="max_pending_mb"[^>]* value="300">', page)
    r = admin.post("/backoffice/settings/", data=settings_form(max_files_per_appeal="20",
                                                               max_pending_mb="100"))
    assert r.status_code == 302
    with admin.application.test_request_context():
        assert (uploads.max_files_per_appeal(), uploads.max_pending_mb()) == (20, 100)
    page = text(admin.post("/backoffice/settings/", data=settings_form(
        max_files_per_appeal="0", max_pending_mb="")))
    assert "Укажите число от 1 до 1000" in page and "Укажите число от 1 до 10000" in page
    assert Setting.value_of("max_files_per_appeal") == "20"


# --- «Журнал действий» -------------------------------------------------------------------

def test_audit_log_lists_filters_and_cannot_be_changed(staff, applicants, app):
    admin = staff["admin"]
    app.test_client().post("/backoffice/login", data={"email": CLERK, "password": "wrong-pass"})
    staff["clerk"].post(f"/backoffice/applicants/{applicants[0].id}/confirm")
    page = text(admin.get("/backoffice/audit/"))
    assert "Неудачный вход" in page and "Подтверждение учетной записи" in page
    # Newest first.
    assert page.index("Подтверждение учетной записи") < page.index("Неудачный вход")
    r = admin.get("/backoffice/audit/?flt0_0=login_failed")
    assert "Неудачный вход" in text(r) and "Подтверждение учетной записи" not in text(r)
    r = admin.get("/backoffice/audit/", query_string={"flt0_1": "clerk@"})
    assert "Подтверждение учетной записи" in text(r)
    r = admin.get("/backoffice/audit/", query_string={"search": "CLERK@KALINOVSK"})
    assert "Неудачный вход" in text(r)
    today = utcnow().strftime("%Y-%m-%d")
    r = admin.get("/backoffice/audit/", query_string={"flt0_2": f"{today} to {today}"})
    assert r.status_code == 200
    r = admin.get("/backoffice/audit/", query_string={"flt0_2": "2001-01-01 to 2001-01-02"})
    assert "Неудачный вход" not in text(r)
    row = AuditLog.get(AuditLog.action == "login_failed")
    count = AuditLog.select().count()
    for url, data in ((f"/backoffice/audit/edit/?id={row.id}", {"action": "x", "details": "x"}),
                      ("/backoffice/audit/delete/", {"id": row.id}),
                      ("/backoffice/audit/new/", {"action": "x"}),
                      ("/backoffice/audit/action/", {"action": "delete", "rowid": [str(row.id)]})):
        r = admin.post(url, data=data)
        assert r.status_code in (302, 400, 404, 405), url
    assert AuditLog.get_by_id(row.id).action == "login_failed"
    assert AuditLog.select().count() >= count
    assert not AuditLog.select().where(AuditLog.action == "x").exists()


# --- «Исходящие уведомления» -------------------------------------------------------------

def make_notifications():
    now = utcnow()
    sent = Notification.create(recipient="a@example.ru", subject="Отправленное", body_text="t",
                               attempts=1, sent_at=now)
    queued = Notification.create(recipient="b@example.ru", subject="В очереди", body_text="t")
    failed = Notification.create(recipient="c@example.ru", subject="С ошибкой", body_text="t",
                                 attempts=len(tasks.RETRY_DELAYS),
                                 last_error="ConnectionRefusedError: [Errno 111] refused")
    return sent, queued, failed


def test_outbox_states_filter_and_resend(staff, mailbox):
    admin = staff["admin"]
    sent, queued, failed = make_notifications()
    page = text(admin.get("/backoffice/outbox/"))
    for word in ("отправлено", "в очереди", "ошибка", "ConnectionRefusedError"):
        assert word in page
    r = text(admin.get("/backoffice/outbox/?flt0_0=failed"))
    assert "С ошибкой" in r and "Отправленное" not in r and "В очереди" not in r
    r = text(admin.get("/backoffice/outbox/?flt0_0=sent"))
    assert "Отправленное" in r and "С ошибкой" not in r
    r = text(admin.get("/backoffice/outbox/?flt0_0=queued"))
    assert "В очереди" in r and "С ошибкой" not in r
    r = admin.post("/backoffice/outbox/action/", data={"action": "resend",
                                                       "rowid": [str(failed.id), str(sent.id)]})
    assert r.status_code == 302
    row = Notification.get_by_id(failed.id)
    assert row.sent_at and row.last_error == "" and row.attempts == 1
    assert [m["Subject"] for m in mailbox.to("c@example.ru")] == ["С ошибкой"]
    # A sent row is sent again as a copy; the original keeps its history.
    assert Notification.select().where(Notification.subject == "Отправленное").count() == 2
    assert len(mailbox.to("a@example.ru")) == 1
    assert AuditLog.select().where(AuditLog.action == "notification_resent").count() == 2
    assert staff["clerk"].post("/backoffice/outbox/action/", data={
        "action": "resend", "rowid": [str(queued.id)]}).status_code == 403
    assert Notification.get_by_id(queued.id).sent_at is None


def test_demo_data_prints_suppliers_and_create_staff_takes_an_inn(app, database):
    """`flask demo-data` lists the suppliers with their ИНН; `create-staff --supplier`
    accepts the ИНН as well as the exact name, and names what is wrong otherwise."""
    from domain.setup.seed import DEMO_SUPPLIERS
    runner = app.test_cli_runner()
    output = runner.invoke(args=["demo-data"]).output
    for name, inn, _inbox in DEMO_SUPPLIERS:
        assert f"ИНН {inn}  {name}" in output
    name, inn, _inbox = DEMO_SUPPLIERS[1]
    result = runner.invoke(args=["create-staff", "gp2@region-energo.ru", "--password",
                                 "Staff-pass1", "--role", "supplier", "--supplier", inn])
    assert result.exit_code == 0 and name in result.output
    assert User.by_email("gp2@region-energo.ru").organization.name == name
    result = runner.invoke(args=["create-staff", "gp3@region-energo.ru", "--password",
                                 "Staff-pass1", "--role", "supplier", "--supplier", "1234"])
    assert result.exit_code != 0 and "укажите ИНН или точное наименование" in result.output


def test_outbox_never_shows_a_live_code_or_reset_link(app, client, staff, mailbox):
    """Issue 9.5: the SMS code and the password-reset link reach their transport, but the
    stored message, «Исходящие уведомления» and its details show them only as «[скрыто]»;
    once sent, the secret itself is gone, and a sent one is not re-sent as a dead copy."""
    Auth(client).register()
    client.post("/logout")
    client.post("/forgot", data={"email": PERSON["email"]})
    [mail] = mailbox.to(PERSON["email"])
    link = re.search(r"http://\S+/reset/\S+", mailbox.text(mail)).group(0)
    with app.test_request_context():
        notify.sms("+79129780113", "Код ⟦code⟧ для подписания документов.",
                   secret_values={"code": "690291"})
        notify.flush()
    delivered = [r["text"] for r in sms.read_outbox(app.config["SMS_OUTBOX"])]
    assert "Код 690291 для подписания документов." in delivered
    token = link.rsplit("/", 1)[1]
    for row in Notification.select():
        stored = row.body_text + row.body_html + row.secrets
        assert "690291" not in stored and token not in stored
        assert row.sent_at and row.secrets == ""
    admin = staff["admin"]
    listing = text(admin.get("/backoffice/outbox/"))
    assert "690291" not in listing and token not in listing
    for row in Notification.select():
        details = text(admin.get(f"/backoffice/outbox/details/?id={row.id}"))
        assert "[скрыто]" in details and "690291" not in details and token not in details
    reset = Notification.get(Notification.recipient == PERSON["email"])
    answer = admin.post("/backoffice/outbox/action/", data={"action": "resend",
                                                            "rowid": [str(reset.id)]},
                        follow_redirects=True)
    assert "одноразовый код или ссылка уже использованы" in text(answer)
    assert Notification.select().where(Notification.recipient == PERSON["email"]).count() == 1

