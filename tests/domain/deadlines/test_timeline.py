"""The terms as both sides see them: the applicant's line «Сейчас: …» / «Ваш шаг: …» and the
timeline on the appeal pages, overdue in red with the count, the legal basis for staff, a
supplier clerk seeing only its supplier's terms."""
import io

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import casework, filing
from domain.deadlines import timeline
from models import Appeal
from tests.appeal_factory import make_appeal
from tests.casework_helpers import login_staff, staff, supplier
from tests.frozen_clock import freeze
from tests.page_text import visible_text

pytestmark = pytest.mark.usefixtures("database")


text = visible_text


def upload(name) -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 data"), filename=name,
                       content_type="application/pdf")


@pytest.fixture
def clock(monkeypatch):
    """Frozen «now»; no application context held open (the requests need their own: the
    logged-in user is kept in it)."""
    return freeze(monkeypatch)


@pytest.fixture
def send(app):
    """A ТП application sent through filing.send_appeal."""
    def sending(applicant, **fields) -> Appeal:
        draft = make_appeal(applicant, state=Appeal.DRAFT,
                            documents=[("applicant", "Заявка", "z.pdf")], **fields)
        with app.app_context():
            return filing.send_appeal(Appeal.get_by_id(draft.id))
    return sending


def confirmed(user):
    user.confirmed = True
    user.save()
    return user


def test_applicant_sees_whose_move_and_by_when_then_overdue(client, applicant, clock, send):
    """Sent on Tuesday 01.12.2026: the draft contract is due on the 20th working day,
    29.12.2026; on 10.12 13 working days are left; on 30.12 it is a working day overdue."""
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(confirmed(applicant), complies=False, power="15_150")
    clock.set(2026, 12, 10, 12, 0)
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert ("Сейчас: сетевая организация направляет проект договора и ТУ — до 29.12.2026 "
            "(осталось 13 р. д.)") in page
    html = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert html.count('class="term-step current') == 2  # the п.15 notice too
    assert html.count('class="term-step next') == 2  # signing, then the connection
    assert "Подписать договор или направить мотивированный отказ" in page
    clock.set(2026, 12, 30, 12, 0)
    response = client.get(f"/appeals/{appeal.id}")
    assert "до 29.12.2026 (просрочено на 1 р. д.)" in text(response)
    assert 'class="term-headline overdue"' in response.get_data(as_text=True)


def test_applicant_step_then_the_clerk_sees_the_basis(app, client, applicant, clock, send):
    """п.14: the offer posted on 11.12.2026 → «Ваш шаг: оплатить счет до 18.12.2026»; the
    clerk's page lists each step with who acts and the legal basis."""
    clerk = staff("grid")
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(confirmed(applicant), complies=True)
    clock.set(2026, 12, 11, 15, 0)
    with app.app_context():
        for name, kind in (("Договор.pdf", "Договор ТП"), ("ТУ.pdf", "Технические условия"),
                           ("Счет.pdf", "Счет на оплату")):
            casework.place_document(appeal, clerk, upload(name), kind)
    clock.set(2026, 12, 14, 9, 0)
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Ваш шаг: оплатить счет до 18.12.2026 (осталось 4 р. д.)" in page
    assert "Разместить условия договора, технические условия и счет выполнено 11.12.2026" in page
    office = app.test_client()
    login_staff(office, clerk)
    page = text(office.get(f"/backoffice/appeals/{appeal.id}"))
    assert ("Оплатить счет Заявитель до 18.12.2026 (осталось 4 р. д.) пп. 105–106 Правил "
            "технологического присоединения") in page
    assert "Осуществить технологическое присоединение Сетевая организация далее" in page


def test_clerk_sees_overdue_in_red_with_the_count(app, applicant, clock, send):
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(confirmed(applicant), complies=False)
    clock.set(2027, 1, 12, 10, 0)  # the new year's holidays count for nothing
    office = app.test_client()
    login_staff(office, staff("grid"))
    response = office.get(f"/backoffice/appeals/{appeal.id}")
    with app.app_context():
        overdue = timeline.timeline(Appeal.get_by_id(appeal.id)).headline.overdue
    assert f"до 29.12.2026 (просрочено на {overdue} р. д.)" in text(response)
    assert 'class="term-step current overdue"' in response.get_data(as_text=True)


def test_supplier_clerk_sees_only_its_supplier_terms(app, applicant, clock, send):
    gp, other = supplier(0), supplier(1)
    clock.set(2026, 12, 1, 10, 0)
    ours = send(confirmed(applicant), complies=False, supplier=gp)
    theirs = send(applicant, complies=False, supplier=other)
    clock.set(2026, 12, 2, 10, 0)
    office = app.test_client()
    login_staff(office, staff("supplier", supplier_name=gp.name))
    page = text(office.get(f"/backoffice/appeals/{ours.id}"))
    assert "Разместить договор энергоснабжения Гарантирующий поставщик до 15.12.2026" in page
    assert "Направить проект договора" not in page and "Уведомить заявителя" not in page
    assert office.get(f"/backoffice/appeals/{theirs.id}").status_code == 404
    grid = app.test_client()
    login_staff(grid, staff("grid"))
    page = text(grid.get(f"/backoffice/appeals/{ours.id}"))
    assert "Направить проект договора" in page and "Разместить договор энергоснабжения" in page


def test_a_draft_shows_no_terms(client, applicant, clock):
    clock.set(2026, 12, 1, 10, 0)
    draft = make_appeal(applicant, state=Appeal.DRAFT)
    assert 'id="terms"' not in client.get(f"/appeals/{draft.id}").get_data(as_text=True)


def test_the_line_names_the_grid_step_before_the_supplier_one(client, applicant, clock, send):
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(confirmed(applicant), complies=False, supplier=supplier(0))
    clock.set(2026, 12, 2, 10, 0)
    line = text(client.get(f"/appeals/{appeal.id}")).split("Сейчас: ")[1]
    assert line.startswith("сетевая организация направляет проект договора и ТУ — до 29.12.2026")


def test_message_answer_through_both_sites(app, client, applicant, clock):
    """The applicant writes on the portal: 15 working days to answer; the clerk's reply
    through the back office ends the term, and the page shows it done with its date."""
    clock.set(2026, 12, 1, 10, 0)
    appeal = make_appeal(applicant, Appeal.MESSAGE, subject="Вопрос", posts=[
        ("applicant", "<p>Здравствуйте</p>")])
    response = client.post(f"/appeals/{appeal.id}/reply", data={"body": "<p>Когда ответ?</p>"})
    assert response.status_code == 302
    assert "Сейчас: сетевая организация готовит ответ на сообщение — до 22.12.2026" in text(
        client.get(f"/appeals/{appeal.id}"))
    clock.set(2026, 12, 3, 10, 0)
    office = app.test_client()
    login_staff(office, staff("grid"))
    assert office.post(f"/backoffice/appeals/{appeal.id}/post",
                       data={"body": "<p>Ответ</p>"}).status_code == 302
    page = text(client.get(f"/appeals/{appeal.id}"))
    assert "Сейчас:" not in page and "Ответить на сообщение выполнено 03.12.2026" in page
