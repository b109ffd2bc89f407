"""The Rules as the portal applies them: which point, the choices they exclude, what a
complete ТП application and a message must have."""
import pytest

from domain.appeals import rules
from models import Appeal, Organization, User

GRID, GP = 1, 2


@pytest.mark.parametrize("legal_form,point", [(User.PERSON, "п.14"), (User.SOLE_TRADER, "п.12(1)"),
                                              (User.COMPANY, "п.12(1)")])
def test_point_of_the_rules_by_legal_form(legal_form, point):
    applicant = User(legal_form=legal_form)
    assert applicant.application_point == point
    assert rules.point_text(applicant).startswith(f"В пункте {point[2:]} Правил")
    appeal = Appeal(applicant=applicant, kind=Appeal.TP, power="le15", scheme="permanent",
                    complies=True)
    assert appeal.summary == f"≤15 кВт постоянная схема соответствует {point} Правил"
    assert rules.check_tp(Appeal(applicant=applicant, kind=Appeal.TP), complete=True)[
        "complies"] == f"Укажите, соответствует ли заявка положениям {point} Правил"


def test_a_complete_application_needs_every_choice_and_an_active_supplier():
    person = User(legal_form=User.PERSON)
    gone = Organization(id=GP, kind=Organization.SUPPLIER, active=False)
    appeal = Appeal(applicant=person, kind=Appeal.TP, power="15_150", complies=True,
                    supplier=gone)
    assert rules.check_tp(appeal, complete=False).keys() == {"complies", "supplier"}
    assert rules.check_tp(appeal, complete=True).keys() == {"complies", "scheme", "supplier"}
    assert rules.check_tp(appeal, complete=True)["complies"].startswith(
        "Пункт 14 Правил распространяется только на физических лиц")


@pytest.mark.parametrize("subject,organization,body,complete,errors", [
    ("Вопрос", GRID, "<p>Текст</p>", True, {}),
    ("  ", None, "<p> </p>", True, {"subject": rules.SUBJECT_MISSING,
                                    "organization": rules.RECIPIENT_MISSING,
                                    "body": rules.BODY_MISSING}),
    ("  ", None, "", False, {}),
    ("Т" * 501, GRID, "текст", False, {"subject": rules.SUBJECT_TOO_LONG}),
    ("Вопрос", GP, "текст", False, {"organization": rules.RECIPIENT_UNKNOWN}),
])
def test_what_a_message_must_have(subject, organization, body, complete, errors):
    assert rules.check_message(subject, organization, body, [GRID], complete=complete) == errors
