"""The clocks of the appeals end to end through the domain operations: each event starts
the terms of «Сроки» it starts, with the due date the Russian calendar gives, and ends the
ones it ends."""
import io

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import casework, filing, incomplete, payments
from domain.deadlines import clocks, terms
from domain.deadlines.corrections import add_correction
from domain.errors import Refusal
from domain.outbox import notify
from domain.signing import pep
from models import Appeal, AppealTerm, Document, Signature, StatusCatalog, TermRule, User
from tests.appeal_factory import make_appeal
from tests.casework_helpers import applicant_user, sent_appeal, staff, supplier
from tests.frozen_clock import due, freeze
from tests.sms_codes import sms_codes

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def clock(monkeypatch, app):
    frozen = freeze(monkeypatch)
    with app.app_context():
        yield frozen


def terms_of(appeal) -> dict:
    """{rule code: (state, due_at)} of the appeal's terms."""
    return {t.rule_code: (t.state, t.due_at)
            for t in AppealTerm.select().where(AppealTerm.appeal == appeal.id)}


def upload(name="файл.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 data"), filename=name,
                       content_type="application/pdf")


def send(applicant, **fields) -> Appeal:
    """A ТП application sent through filing.send_appeal."""
    draft = make_appeal(applicant, state=Appeal.DRAFT, documents=[("applicant", "Заявка", "z.pdf")],
                        **fields)
    return filing.send_appeal(Appeal.get_by_id(draft.id))


@pytest.fixture
def person():
    return applicant_user("clocks@example.ru", confirmed=True)


def test_offer_path_from_the_application_to_the_connection(clock, person):
    """п.14: sent on 30.12.2025 → the offer is due on the 10th working day counted from
    31.12.2025 (23.01.2026: the new year's holidays run to 11.01); all three documents
    posted → the applicant pays within 5 working days; the payment → 6 months to connect."""
    clerk = staff("grid")
    clock.set(2025, 12, 30, 16, 0)
    appeal = send(person, complies=True, power="le15")
    assert terms_of(appeal) == {"notify_incomplete": ("open", due(2026, 1, 14)),
                                "post_offer_small": ("open", due(2026, 1, 23))}
    clock.set(2026, 1, 13, 10, 0)
    casework.place_document(appeal, clerk, upload("ТУ.pdf"), "Технические условия")
    casework.place_document(appeal, clerk, upload("Договор.pdf"), "Договор ТП")
    assert terms_of(appeal)["notify_incomplete"][0] == "done"
    assert terms_of(appeal)["post_offer_small"][0] == "open"  # the invoice is missing
    clock.set(2026, 1, 14, 10, 0)
    casework.place_document(appeal, clerk, upload("Счет.pdf"), "Счет на оплату")
    assert terms_of(appeal) == {"notify_incomplete": ("done", due(2026, 1, 14)),
                                "post_offer_small": ("done", due(2026, 1, 23)),
                                "pay_invoice_small": ("open", due(2026, 1, 21))}
    clock.set(2026, 1, 20, 12, 0)
    payments.record_payment(appeal, clerk)
    terms = terms_of(appeal)
    assert terms["pay_invoice_small"][0] == "done"
    # six calendar months from 20.01.2026: 20.07.2026, a Monday
    assert terms["connect_small"] == ("open", due(2026, 7, 20))


def test_other_path_contract_signed_then_act_then_supplier(clock, person, app):
    """п.15: a temporary connection's contract in 10 working days; the contract posted →
    10 working days to sign; the applicant's signature concludes it → a year for >150 kW;
    the act → 2 working days to send it to the supplier named in the application."""
    clerk, gp = staff("grid"), supplier(0)
    clock.set(2026, 3, 2, 9, 0)  # a Monday; Monday 09.03.2026 is off (8 March, a Sunday)
    appeal = send(person, complies=False, power="gt150", scheme="temporary", supplier=gp)
    assert terms_of(appeal) == {"notify_incomplete": ("open", due(2026, 3, 5)),
                                "send_contract_temporary": ("open", due(2026, 3, 17)),
                                "post_supply_contract": ("open", due(2026, 3, 17))}
    supplier_term = AppealTerm.get(AppealTerm.rule_code == "post_supply_contract")
    assert (supplier_term.who, supplier_term.organization_id) == ("supplier", gp.id)
    clock.set(2026, 3, 4, 9, 0)
    casework.place_document(appeal, clerk, upload("ТУ.pdf"), "Технические условия")
    contract = casework.place_document(appeal, clerk, upload("Договор.pdf"), "Договор ТП", True)
    assert terms_of(appeal)["send_contract_temporary"][0] == "done"
    assert terms_of(appeal)["sign_contract"] == ("open", due(2026, 3, 19))
    clock.set(2026, 3, 10, 9, 0)
    # the grid company's КЭП (its verification is tested with the signing), then the ПЭП
    Signature.create(document=contract, signer=clerk, side="grid", kind=Signature.KEP)
    pep.issue_code(person, [contract], now=clock.now)
    notify.flush()  # the SMS leaves the outbox
    pep.sign_pep([contract], person, sms_codes(app, person.phone)[-1], now=clock.now)
    assert terms_of(appeal)["sign_contract"][0] == "done"
    assert terms_of(appeal)["connect_670"] == ("open", due(2027, 3, 10))
    clock.set(2026, 9, 1, 9, 0)
    casework.place_document(appeal, clerk, upload("Акт.pdf"), "Акт об осуществлении ТП")
    assert terms_of(appeal)["connect_670"][0] == "done"
    assert terms_of(appeal)["notify_supplier"] == ("open", due(2026, 9, 3))
    clocks.act_sent_to_supplier(appeal, clock.now)  # what the grid's КЭП on the act does
    assert terms_of(appeal)["notify_supplier"][0] == "done"
    gp_clerk = staff("supplier", supplier_name=gp.name)
    casework.place_document(appeal, gp_clerk, upload("ДЭС.pdf"), "Договор энергоснабжения")
    assert terms_of(appeal)["post_supply_contract"][0] == "done"


def test_message_answer_term_ends_with_the_first_reply_and_restarts(clock, person):
    clerk = staff("grid")
    clock.set(2026, 2, 2, 10, 0)
    draft = make_appeal(person, Appeal.MESSAGE, state=Appeal.DRAFT, subject="Вопрос",
                        comment_html="<p>Когда будет ответ?</p>")
    appeal = filing.send_appeal(Appeal.get_by_id(draft.id))
    assert terms_of(appeal) == {"answer_message": ("open", due(2026, 2, 24))}  # 23.02 is off
    filing.add_applicant_post(appeal, person, "<p>Еще вопрос</p>")
    assert AppealTerm.select().count() == 1  # one running answer at a time
    clock.set(2026, 2, 3, 10, 0)
    casework.add_staff_post(appeal, clerk, "<p>Ответ</p>")
    assert terms_of(appeal)["answer_message"][0] == "done"
    filing.add_applicant_post(appeal, person, "<p>Спасибо, а еще?</p>")
    states = sorted(t.state for t in AppealTerm.select())
    assert states == ["done", "open"]


def test_annulment_and_archive_stop_every_open_term(clock, person):
    clerk = staff("grid")
    clock.set(2026, 2, 2, 10, 0)
    annulled, archived = send(person), send(person)
    casework.add_status(annulled, clerk, StatusCatalog.by_code(StatusCatalog.ANNULLED).name)
    casework.archive(archived, clerk)
    assert {t.state for t in AppealTerm.select()} == {"cancelled"}
    casework.unarchive(archived, clerk)
    assert not AppealTerm.select().where(AppealTerm.state == "open").exists()


def test_a_calendar_correction_moves_the_terms_started_after_it(clock, person):
    """A day made non-working inside the term pushes its end by a working day, for the
    terms started after the correction and, recounted, for the open ones before it."""
    admin = staff("admin")
    clock.set(2026, 3, 2, 9, 0)
    before = send(person)
    add_correction("05.03.2026", "off", "Авария на подстанции", actor=admin)
    after = send(person)
    assert terms_of(before)["notify_incomplete"] == ("open", due(2026, 3, 6))
    assert terms_of(after)["notify_incomplete"] == ("open", due(2026, 3, 6))


def test_other_events_start_nothing(clock, person):
    """A payment recorded twice, a contract signed on the offer path, a supplier clerk's
    other document: no term doubled, none started out of turn."""
    clock.set(2026, 3, 2, 9, 0)
    appeal = sent_appeal(person, complies=True)
    contract = Document.create(appeal=appeal, party="grid", doc_type="Договор ТП",
                               type_code="contract", file_name="д.pdf", size=1,
                               sha256="0" * 64, storage_key="k-offer")
    clocks.contract_signed(appeal, contract, clock.now)
    assert not AppealTerm.select().exists()
    assert User.select().where(User.role == User.APPLICANT).count() == 1


def test_incomplete_notice_after_the_step_documents_restarts_no_step(clock, person):
    """«Заявка неполная» once the draft contract and ТУ are posted: the step stays done and
    the answer starts it not again; the notice term is never restarted."""
    clerk = staff("grid")
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(person, complies=False, power="15_150")
    casework.place_document(appeal, clerk, upload("ТУ.pdf"), "Технические условия")
    casework.place_document(appeal, clerk, upload("Договор.pdf"), "Договор ТП")
    clock.set(2026, 12, 2, 10, 0)
    request = incomplete.mark_incomplete(appeal, clerk, ["title_document"])
    item = incomplete.rounds(appeal)[0].asked[0]
    clock.set(2026, 12, 3, 10, 0)
    incomplete.send_missing(appeal, person, {item.id: "Выписка ЕГРН"}, {})
    assert incomplete.rounds(appeal)[0].answered_at is not None and request.round == 1
    assert sorted((t.rule_code, t.state) for t in AppealTerm.select()) == [
        ("complete_application", "done"), ("notify_incomplete", "done"),
        ("send_contract", "done"), ("sign_contract", "open")]


def test_an_empty_file_refuses_the_answers_beside_its_item(clock, person):
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(person)
    incomplete.mark_incomplete(appeal, staff("grid"), ["site_plan"])
    item = incomplete.rounds(appeal)[0].asked[0]
    empty = FileStorage(io.BytesIO(b""), filename="План.pdf")
    with pytest.raises(Refusal) as refused:
        incomplete.send_missing(appeal, person, {}, {item.id: empty})
    assert refused.value.field == f"answer_{item.id}" and "План.pdf" in refused.value.message
    assert incomplete.rounds(appeal)[0].answered_at is None
    assert not Document.select().where(Document.file_name == "План.pdf").exists()


def send_with(applicant, facts: dict, **fields) -> Appeal:
    """A ТП application whose draft took the application's facts (filing.update_draft)
    before it was sent."""
    draft = make_appeal(applicant, state=Appeal.DRAFT, documents=[("applicant", "Заявка", "z.pdf")],
                        **fields)
    filing.update_draft(Appeal.get_by_id(draft.id), **facts)
    return filing.send_appeal(Appeal.get_by_id(draft.id))


def post_offer(appeal, clerk):
    for name, doc_type in (("ТУ.pdf", "Технические условия"), ("Договор.pdf", "Договор ТП"),
                           ("Счет.pdf", "Счет на оплату")):
        casework.place_document(appeal, clerk, upload(name), doc_type)


def test_a_public_buyer_pays_in_15_working_days_and_the_near_site_is_connected_in_4_months(clock):
    """п.12(1), 44-ФЗ / 275-ФЗ ticked, distance «да»: the invoice posted on Wednesday
    04.02.2026 is due on the 15th working day after it (26.02.2026: Monday 23.02 is off);
    the payment on 10.02.2026 → 4 calendar months to connect (10.06.2026)."""
    company = applicant_user("buyer@example.ru", legal_form=User.COMPANY, confirmed=True)
    clerk = staff("grid")
    clock.set(2026, 2, 2, 10, 0)
    appeal = send_with(company, {"public_buyer": True, "distance_near": "yes"},
                       complies=True, power="15_150")
    clock.set(2026, 2, 4, 10, 0)
    post_offer(appeal, clerk)
    terms = terms_of(appeal)
    assert terms["pay_invoice_small_public_buyer"] == ("open", due(2026, 2, 26))
    assert "pay_invoice_small" not in terms
    clock.set(2026, 2, 10, 12, 0)
    payments.record_payment(appeal, clerk)
    terms = terms_of(appeal)
    assert terms["pay_invoice_small_public_buyer"][0] == "done"
    assert terms["connect_small_near"] == ("open", due(2026, 6, 10))
    assert "connect_small" not in terms


@pytest.mark.parametrize("distance", ["no", "unknown", None])
def test_without_the_tick_or_the_distance_5_working_days_to_pay_and_6_months(clock, distance):
    company = applicant_user("other@example.ru", legal_form=User.COMPANY, confirmed=True)
    clerk = staff("grid")
    clock.set(2026, 2, 2, 10, 0)
    appeal = send_with(company, {"public_buyer": False, "distance_near": distance},
                       complies=True, power="15_150")
    clock.set(2026, 2, 4, 10, 0)
    post_offer(appeal, clerk)
    assert terms_of(appeal)["pay_invoice_small"] == ("open", due(2026, 2, 11))
    clock.set(2026, 2, 10, 12, 0)
    payments.record_payment(appeal, clerk)
    assert terms_of(appeal)["connect_small"] == ("open", due(2026, 8, 10))


def test_above_150_kw_the_distance_keeps_the_year_of_up_to_670_kw(clock):
    company = applicant_user("large@example.ru", legal_form=User.COMPANY, confirmed=True)
    clock.set(2026, 2, 2, 10, 0)
    appeal = send_with(company, {"distance_near": "yes"}, complies=False, power="gt150")
    clocks.contract_concluded(appeal, clock.now)
    assert terms_of(appeal)["connect_670"] == ("open", due(2027, 2, 2))


def test_the_incomplete_notice_stops_exactly_the_terms_the_catalogue_says_it_pauses(clock,
                                                                                      person):
    """«Заявка неполная» stops the grid company's step (paused_by in «Сроки»), not the
    supplier's contract nor the answer to a message; a row the catalogue marks paused too
    is stopped and started again, for its own organisation, with the missing items."""
    clerk, gp = staff("grid"), supplier(0)
    clock.set(2026, 12, 1, 10, 0)
    appeal = send(person, complies=False, power="15_150", supplier=gp)
    clock.set(2026, 12, 2, 10, 0)
    incomplete.mark_incomplete(appeal, clerk, ["site_plan"])
    assert {code: state for code, (state, _due) in terms_of(appeal).items()} == {
        "notify_incomplete": "done", "send_contract": "cancelled",
        "post_supply_contract": "open", "complete_application": "open"}

    TermRule.update(paused_by=terms.INCOMPLETE_NOTICE).where(
        TermRule.code == "post_supply_contract").execute()
    clock.set(2026, 12, 3, 10, 0)
    second = send(person, complies=False, power="15_150", supplier=gp)
    incomplete.mark_incomplete(second, clerk, ["site_plan"])
    assert {(t.rule_code, t.state) for t in AppealTerm.select().where(
        AppealTerm.appeal == second.id)} == {
        ("notify_incomplete", "done"), ("send_contract", "cancelled"),
        ("post_supply_contract", "cancelled"), ("complete_application", "open")}
    item = incomplete.rounds(second)[0].asked[0]
    # Friday 04.12.2026: the 20th working day counted from Monday 07.12 is 12.01.2027
    # (31.12.2026 and the new year's holidays to 10.01.2027 are off)
    clock.set(2026, 12, 4, 10, 0)
    incomplete.send_missing(second, person, {item.id: "План участка"}, {})
    restarted = {t.rule_code: t for t in AppealTerm.select().where(
        (AppealTerm.appeal == second.id) & (AppealTerm.state == AppealTerm.OPEN))}
    assert set(restarted) == {"send_contract", "post_supply_contract"}
    assert restarted["send_contract"].due_at == due(2027, 1, 12)
    assert (restarted["post_supply_contract"].who,
            restarted["post_supply_contract"].organization_id) == ("supplier", gp.id)
