"""«Сроки» in the back office: grid staff read each term with its legal basis; the
administrator edits the name, the length and the basis, never the code or the events."""
import re

import pytest

from domain.deadlines import terms
from models import AuditLog, TermRule

URL = "/backoffice/terms/"


def text(response) -> str:
    return response.get_data(as_text=True)


def edit(client, rule, **data):
    form = {"name": rule.name, "length": str(rule.length), "legal_basis": rule.legal_basis}
    return client.post(f"{URL}edit/?id={rule.id}", data={**form, **data})


def test_grid_staff_read_the_terms_with_their_basis(staff):
    page = text(staff["clerk"].get(URL))
    assert "Уведомить заявителя о неполной заявке" in page and "3 р. д." in page
    assert "Получена заявка" in page and "Сетевая организация" in page
    assert "подп. «б» п. 16 Правил технологического присоединения" in page and "4 мес." in page
    assert "п. 39(3) Основных положений" in page and "Гарантирующий поставщик" in page
    assert "покупатель по 44-ФЗ / 275-ФЗ" in page and "15 р. д." in page
    assert f"{URL}new/" not in page and f"{URL}edit/" not in page
    rule = terms.by_code("notify_incomplete")
    edit(staff["clerk"], rule, length="9")
    assert terms.by_code("notify_incomplete").length == 3
    assert staff["gp"].get(URL).status_code == 403


def test_the_administrator_edits_name_length_and_basis_but_not_the_code(staff):
    admin = staff["admin"]
    rule = terms.by_code("answer_message")
    form = text(admin.get(f"{URL}edit/?id={rule.id}"))
    assert 'name="length"' in form and 'name="code"' not in form and 'name="who"' not in form
    response = edit(admin, rule, name="Ответить на обращение", length="10",
                    legal_basis="Регламент сетевой организации", code="other",
                    who="applicant", unit="calendar_months")
    assert response.status_code == 302
    saved = terms.by_code("answer_message")
    assert (saved.name, saved.length, saved.legal_basis) == (
        "Ответить на обращение", 10, "Регламент сетевой организации")
    assert (saved.who, saved.unit, saved.starts_on) == (
        TermRule.RECIPIENT, TermRule.WORKING_DAYS, terms.MESSAGE_RECEIVED)
    [entry] = AuditLog.select().where(AuditLog.action == "term_rule_updated")
    assert entry.details == "answer_message: Ответить на обращение, 10 р. д."
    assert admin.get(f"{URL}new/").status_code in (302, 403)
    admin.post(f"{URL}delete/", data={"id": rule.id})
    assert TermRule.select().where(TermRule.code == "answer_message").exists()


@pytest.mark.parametrize("code, data, message", [
    ("notify_incomplete", {"length": "0"}, "Укажите число от 1 до 250"),
    ("notify_incomplete", {"length": ""}, "Укажите число от 1 до 250"),
    ("notify_incomplete", {"name": " "}, "Заполните поле"),
    ("notify_incomplete", {"legal_basis": ""}, "Заполните поле"),
    ("connect_670", {"length": "61"}, "Укажите число от 1 до 60 (календарных месяцев)"),
])
def test_a_bad_edit_is_refused_in_russian_and_changes_nothing(staff, code, data, message):
    rule = terms.by_code(code)
    response = edit(staff["admin"], rule, **data)
    assert response.status_code == 200 and message in text(response)
    saved = terms.by_code(code)
    assert (saved.name, saved.length, saved.legal_basis) == (
        rule.name, rule.length, rule.legal_basis)
    assert not AuditLog.select().where(AuditLog.action == "term_rule_updated").exists()


def test_the_catalogue_shows_what_pauses_a_term_and_the_length_stays_editable(staff):
    page = text(staff["clerk"].get(URL))
    assert "Приостанавливается событием" in page
    cells = [" ".join(c.split()) for c in re.findall(r'<td class="col-paused_by">(.*?)</td>',
                                                     page, re.S)]
    assert sorted(cells) == ["Направлено уведомление «Заявка неполная»"] * 3 + ["—"] * (
        len(cells) - 3)
    admin = staff["admin"]
    rule = terms.by_code("post_offer_small")
    form = text(admin.get(f"{URL}edit/?id={rule.id}"))
    assert 'name="paused_by"' not in form  # read-only: the clocks key on it
    assert edit(admin, rule, length="12", paused_by="").status_code == 302
    saved = terms.by_code("post_offer_small")
    assert (saved.length, saved.paused_by) == (12, terms.INCOMPLETE_NOTICE)
