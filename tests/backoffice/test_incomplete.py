"""«Заявка неполная» and «Аннулировать заявку» from the clerk's side: only the Rules'
checklist can be asked, once while a round is open, only on an active ТП application; the
annulment only once the applicant's term has passed, and confirmed."""
import io

import pytest

from domain.appeals import filing, incomplete
from models import Appeal, AppealTerm, IncompleteRequest, Notification, StatusEvent
from tests.appeal_factory import make_appeal
from tests.casework_helpers import applicant_user, login_staff, sent_appeal, staff, supplier
from tests.frozen_clock import due, freeze
from tests.page_text import visible_text

pytestmark = pytest.mark.usefixtures("database")


text = visible_text


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def clerk(client):
    user = staff("grid")
    login_staff(client, user)
    return user


@pytest.fixture
def sent(app):
    """A ТП application sent through filing.send_appeal (its terms started)."""
    def sending(**fields) -> Appeal:
        person = applicant_user("zayavitel@example.ru", confirmed=True)
        draft = make_appeal(person, state=Appeal.DRAFT,
                            documents=[("applicant", "Заявка", "z.pdf")], **fields)
        with app.app_context():
            return filing.send_appeal(Appeal.get_by_id(draft.id))
    return sending


def mark(client, appeal, items, **comments):
    data = {"items": items, **{f"comment_{code}": c for code, c in comments.items()}}
    return client.post(f"/backoffice/appeals/{appeal.id}/incomplete", data=data)


def terms_of(appeal) -> list:
    return [(t.rule_code, t.state) for t in AppealTerm.select()
            .where(AppealTerm.appeal == appeal.id).order_by(AppealTerm.id)]


def test_marking_asks_the_ticked_items_stops_the_grid_step_and_mails_the_applicant(
        client, clerk, clock, sent):
    clock.set(2026, 12, 1, 10, 0)
    appeal = sent(complies=False, power="15_150")
    clock.set(2026, 12, 2, 11, 0)
    response = mark(client, appeal, ["voltage", "site_plan"], voltage="Укажите 0,4 или 10 кВ")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Заявителю направлено уведомление «Заявка неполная»" in page
    assert ("Уведомление 1 от 02.12.2026, 11:00 — ожидается ответ заявителя "
            "Уровень напряжения, на котором осуществляется присоединение — Укажите 0,4 или "
            "10 кВ План расположения энергопринимающих устройств") in page
    assert "Заявка неполная, требуется дополнить сведения" in page  # the status history
    assert terms_of(appeal) == [("notify_incomplete", "done"), ("send_contract", "cancelled"),
                                ("complete_application", "open")]
    term = AppealTerm.get(AppealTerm.rule_code == "complete_application")
    assert term.due_at == due(2026, 12, 30)  # the 20th working day after 02.12.2026
    mail = Notification.select().where(Notification.recipient == "zayavitel@example.ru") \
        .order_by(Notification.id.desc()).first()
    assert mail.subject == "Уведомление: заявка неполная"
    assert "- Уровень напряжения, на котором осуществляется присоединение: Укажите 0,4 или " \
           "10 кВ\n- План расположения энергопринимающих устройств\n" in mail.body_text
    assert "Срок: до 30.12.2026 включительно" in mail.body_text
    assert f"/appeals/{appeal.id}" in mail.body_text


def test_the_subject_carries_the_registration_number(client, clerk, sent):
    appeal = sent()
    Appeal.update(reg_number="45-ТП").where(Appeal.id == appeal.id).execute()
    mark(client, appeal, ["title_document"])
    assert Notification.select().order_by(Notification.id.desc()).first().subject == \
        "Уведомление: заявка неполная (№ 45-ТП)"


def test_no_item_is_refused_beside_the_checklist(client, clerk, sent):
    appeal = sent()
    response = mark(client, appeal, [])
    assert response.status_code == 400
    assert "Отметьте хотя бы один недостающий пункт" in text(response)
    assert not IncompleteRequest.select().exists()


def test_a_forged_item_outside_the_rules_is_refused(client, clerk, sent):
    appeal = sent()
    response = mark(client, appeal, ["site_plan", "bank_statement"])
    assert response.status_code == 400
    assert ("Можно запросить только сведения и документы, предусмотренные пп. 9 и 10 Правил"
            in text(response))
    assert not IncompleteRequest.select().exists()
    with pytest.raises(incomplete.Refusal):  # the domain guards it too
        incomplete.mark_incomplete(appeal, clerk, ["bank_statement"])


def test_twice_while_open_is_refused_and_the_form_is_gone(client, clerk, sent):
    appeal = sent()
    assert mark(client, appeal, ["site_plan"]).status_code == 302
    page = text(client.get(f"/backoffice/appeals/{appeal.id}"))
    assert "ожидаются недостающие сведения" in page
    assert 'id="incomplete-form"' not in client.get(
        f"/backoffice/appeals/{appeal.id}").get_data(as_text=True)
    response = mark(client, appeal, ["title_document"])
    assert response.status_code == 400
    assert "Заявителю уже направлено уведомление «Заявка неполная»" in text(response)
    assert IncompleteRequest.select().count() == 1


def test_only_an_active_tp_application(client, clerk, app):
    with app.app_context():
        person = applicant_user("m@example.ru")
        message = sent_appeal(person, Appeal.MESSAGE, subject="Вопрос")
        archived = sent_appeal(person)
        Appeal.update(state=Appeal.ARCHIVE).where(Appeal.id == archived.id).execute()
    assert "Отметить неполноту можно только у заявки" in text(mark(client, message, ["site_plan"]))
    assert "Заявка не находится в работе" in text(mark(client, archived, ["site_plan"]))
    assert not IncompleteRequest.select().exists()


def test_a_supplier_clerk_may_not_mark(client, app, sent):
    gp = supplier(0)
    appeal = sent(supplier=gp)
    login_staff(client, staff("supplier", supplier_name=gp.name))
    assert mark(client, appeal, ["site_plan"]).status_code == 403
    assert not StatusEvent.select().where(StatusEvent.code == "incomplete").exists()


def annul(client, appeal, confirm=False):
    return client.post(f"/backoffice/appeals/{appeal.id}/annul",
                       data={"confirm": "1"} if confirm else {})


def test_annul_refused_before_the_applicant_term_passes_then_allowed_confirmed(
        client, clerk, clock, sent):
    clock.set(2026, 12, 1, 10, 0)
    appeal = sent()
    clock.set(2026, 12, 2, 11, 0)
    mark(client, appeal, ["site_plan"])
    clock.set(2026, 12, 30, 23, 0)  # the last day (30.12.2026), late in the evening
    page = text(client.get(f"/backoffice/appeals/{appeal.id}"))
    assert "Срок заявителя истек" not in page
    response = annul(client, appeal, confirm=True)
    assert response.status_code == 400
    assert "Заявку можно аннулировать только после истечения срока заявителя" in text(response)
    clock.set(2026, 12, 31, 9, 0)
    page = text(client.get(f"/backoffice/appeals/{appeal.id}"))
    assert ("Срок заявителя истек — можно аннулировать заявку Дополнить заявку недостающими "
            "сведениями: до 30.12.2026 (просрочено на 1 р. д.)") in page
    response = annul(client, appeal)  # without «Подтверждаю»
    assert response.status_code == 400 and "Подтвердите аннулирование заявки" in text(response)
    assert Appeal.get_by_id(appeal.id).last_status != "Заявка аннулирована"
    response = annul(client, appeal, confirm=True)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Статус: Заявка аннулирована" in page and "Срок заявителя истек" not in page
    assert {t.state for t in AppealTerm.select().where(AppealTerm.appeal == appeal.id)
            if t.rule_code == "complete_application"} == {"cancelled"}
    assert "Добавлен статус: Заявка аннулирована" in Notification.select().order_by(
        Notification.id.desc()).first().body_text


def test_annul_after_the_unpaid_invoice_term(client, clerk, clock, sent, app):
    """п.14: the offer posted on 02.12.2026 → paid by 09.12.2026; unpaid on 10.12 the clerk
    may annul."""
    clock.set(2026, 12, 1, 10, 0)
    appeal = sent(complies=True)
    clock.set(2026, 12, 2, 10, 0)
    for name, doc_type in (("ТУ.pdf", "Технические условия"), ("Договор.pdf", "Договор ТП"),
                           ("Счет.pdf", "Счет на оплату")):
        client.post(f"/backoffice/appeals/{appeal.id}/document",
                    data={"doc_type": doc_type, "file": (io.BytesIO(b"%PDF-1.4"), name)},
                    content_type="multipart/form-data")
    term = AppealTerm.get(AppealTerm.rule_code == "pay_invoice_small")
    assert term.due_at == due(2026, 12, 9)
    clock.set(2026, 12, 9, 18, 0)
    assert annul(client, appeal, confirm=True).status_code == 400
    clock.set(2026, 12, 10, 10, 0)
    assert "Оплатить счет: до 09.12.2026 (просрочено на 1 р. д.)" in text(
        client.get(f"/backoffice/appeals/{appeal.id}"))
    assert annul(client, appeal, confirm=True).status_code == 302
    assert AppealTerm.get_by_id(term.id).state == "cancelled"


def test_a_message_or_a_term_in_time_shows_no_annulment(client, clerk, app):
    with app.app_context():
        message = sent_appeal(applicant_user("q@example.ru"), Appeal.MESSAGE, subject="Вопрос")
    assert annul(client, message, confirm=True).status_code == 400
    assert 'id="annul"' not in client.get(f"/backoffice/appeals/{message.id}").get_data(
        as_text=True)
