"""The п.15 loop from both sides over HTTP, on the real calendar: the clerk marks the
application incomplete, the applicant sees the items and the e-mail, answers each with a
text or a file, and the grid company's term starts again in full from that day; the status
history shows each round."""
import io

import pytest

from domain.appeals import filing
from models import (
    Appeal,
    AppealTerm,
    Document,
    IncompleteItem,
    IncompleteRequest,
    Notification,
    Setting,
    User,
)
from tests.appeal_factory import make_appeal
from tests.casework_helpers import login_staff, staff
from tests.frozen_clock import due, freeze
from tests.page_text import visible_text

pytestmark = pytest.mark.usefixtures("database")


text = visible_text


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def clerk_client(app):
    client = app.test_client()
    login_staff(client, staff("grid"))
    return client


@pytest.fixture
def appeal(app, applicant, clock) -> Appeal:
    """The applicant's ТП application (the п.15 path), sent on Tuesday 01.12.2026."""
    User.update(confirmed=True).where(User.id == applicant.id).execute()
    clock.set(2026, 12, 1, 10, 0)
    draft = make_appeal(User.get_by_id(applicant.id), state=Appeal.DRAFT, complies=False,
                        power="15_150", documents=[("applicant", "Заявка", "z.pdf")])
    with app.app_context():
        return filing.send_appeal(Appeal.get_by_id(draft.id))


def mark(clerk_client, appeal, items, **comments):
    response = clerk_client.post(f"/backoffice/appeals/{appeal.id}/incomplete", data={
        "items": items, **{f"comment_{code}": c for code, c in comments.items()}})
    assert response.status_code == 302, text(response)[-800:]


def items_of(round_number) -> dict:
    return {i.code: i for i in IncompleteItem.select().join(IncompleteRequest)
            .where(IncompleteRequest.round == round_number)}


def pdf(name):
    return (io.BytesIO(b"%PDF-1.4 plan"), name)


def terms_of(appeal) -> list:
    return [(t.rule_code, t.state, t.due_at) for t in AppealTerm.select()
            .where(AppealTerm.appeal == appeal.id).order_by(AppealTerm.id)]


def test_the_whole_loop_from_both_sides(client, clerk_client, applicant, appeal, clock):
    clock.set(2026, 12, 2, 11, 0)
    mark(clerk_client, appeal, ["site_plan", "voltage"], voltage="0,4 или 10 кВ?")

    # the applicant sees the items, with the comment, and has the e-mail
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Заявка неполная: направьте недостающие сведения" in page
    assert ("Уровень напряжения, на котором осуществляется присоединение Комментарий сетевой "
            "организации: 0,4 или 10 кВ?") in page
    assert "План расположения энергопринимающих устройств" in page
    assert "Ваш шаг: дополнить заявку недостающими сведениями до 30.12.2026" in page
    mail = Notification.get((Notification.recipient == applicant.notify_email)
                            & (Notification.subject == "Уведомление: заявка неполная"))
    assert "- Уровень напряжения, на котором осуществляется присоединение: 0,4 или 10 кВ?" \
        in mail.body_text and "- План расположения энергопринимающих устройств" in mail.body_text

    # one item left unanswered: refused beside it, nothing written
    clock.set(2026, 12, 7, 10, 0)
    asked = items_of(1)
    response = client.post(f"/appeals/{appeal.id}/missing", data={
        f"answer_{asked['voltage'].id}": "0,4 кВ"}, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (f'<div class="error" id="answer-{asked["site_plan"].id}-error">Укажите сведения '
            "или приложите файл</div>") in html
    assert "0,4 кВ</textarea>" in html  # the typed answer kept
    assert IncompleteRequest.get().answered_at is None
    assert not IncompleteItem.select().where(IncompleteItem.answered).exists()
    assert not Document.select().where(Document.file_name == "План.pdf").exists()

    response = client.post(f"/appeals/{appeal.id}/missing", data={
        f"answer_{asked['voltage'].id}": "0,4 кВ", f"file_{asked['site_plan'].id}": pdf("План.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Недостающие сведения направлены в сетевую организацию" in page
    assert "Заявка неполная: направьте" not in page
    # the grid company's 20 working days again, from 07.12.2026: the new year's holidays
    # of 2027 run to 10.01 (31.12.2026 a day off too), so the last day is 13.01.2027
    assert "Сейчас: сетевая организация направляет проект договора и ТУ — до 13.01.2027" in page
    plan = Document.get(Document.file_name == "План.pdf")
    assert (plan.party, plan.doc_type) == ("applicant", "План расположения")

    # the clerk: unread, the answers, the status line, the inbox e-mail
    staff_page = clerk_client.get(f"/backoffice/appeals/{appeal.id}")
    staff_text = text(staff_page)
    assert "Новое от заявителя" in staff_text
    assert "сведения направлены 07.12.2026, 10:00" in staff_text
    assert "Ответ: 0,4 кВ" in staff_text
    assert f"/documents/{plan.id}" in staff_page.get_data(as_text=True)
    inbox = Notification.get(Notification.subject == "Заявитель направил недостающие сведения")
    assert "- План расположения энергопринимающих устройств (файл: План.pdf)" in inbox.body_text
    assert "- Уровень напряжения, на котором осуществляется присоединение: 0,4 кВ" \
        in inbox.body_text

    # a second round, answered with a text
    clock.set(2026, 12, 8, 9, 0)
    mark(clerk_client, appeal, ["title_document"])
    second = items_of(2)["title_document"]
    clock.set(2026, 12, 9, 15, 0)
    assert client.post(f"/appeals/{appeal.id}/missing", data={
        f"answer_{second.id}": "Выписка ЕГРН № 1 от 01.12.2026"},
        content_type="multipart/form-data").status_code == 302
    history = text(clerk_client.get(f"/backoffice/appeals/{appeal.id}")).split("Статусы")[-1]
    assert history.count("Заявка неполная, требуется дополнить сведения") == 2
    assert history.count("Направлены недостающие сведения") == 2
    assert terms_of(appeal) == [
        ("notify_incomplete", "done", due(2026, 12, 4)),
        ("send_contract", "cancelled", due(2026, 12, 29)),
        ("complete_application", "done", due(2026, 12, 30)),
        ("send_contract", "cancelled", due(2027, 1, 13)),
        ("complete_application", "done", due(2027, 1, 14)),  # from 08.12.2026
        ("send_contract", "open", due(2027, 1, 15)),  # 20 working days from 09.12.2026
    ]


def test_an_answers_file_counts_against_the_appeals_file_limit(client, clerk_client, appeal,
                                                              clock):
    """The appeal holds the limit's one file already («Заявка»): the plan sent as an answer
    is refused beside its item like any other upload, and nothing is written."""
    Setting.put("max_files_per_appeal", "1")
    clock.set(2026, 12, 2, 11, 0)
    mark(clerk_client, appeal, ["site_plan"])
    asked = items_of(1)["site_plan"]
    response = client.post(f"/appeals/{appeal.id}/missing", data={
        f"file_{asked.id}": pdf("План.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert ("Файл «План.pdf» не загружен: к обращению можно приложить не более 1 файла"
            in text(response))
    assert IncompleteRequest.get().answered_at is None
    assert not Document.select().where(Document.file_name == "План.pdf").exists()


def test_nothing_to_send_without_an_open_request(client, appeal):
    response = client.post(f"/appeals/{appeal.id}/missing", data={},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Недостающие сведения не запрашивались" in text(client.get(response.headers["Location"]))
