"""Clerks find appeals by who filed them: the applicant's name, company name, СНИЛС, ИНН and
e-mail, in any case, half of a double surname too, in «Входящие», «Архив» and «Все обращения»;
a changed profile is found by the new data at once and no longer by the old."""
import re

import pytest

from domain import identifiers
from models import Appeal, User
from tests.casework_helpers import applicant_user, login_staff, sent_appeal, staff
from tests.data import COMPANY, PERSON
from tests.query_count import count_queries

INBOX, ARCHIVE, ALL = "/backoffice/inbox/", "/backoffice/archive/", "/backoffice/appeals/"
FOUND = re.compile(r"Найдено: (\d+)")
ROW = re.compile(r'href="/backoffice/appeals/(\d+)"')


def found(clerk, path: str, q: str) -> int:
    """The «Найдено: N» of the list searched for `q`."""
    page = clerk.get(path, query_string={"q": q}).get_data(as_text=True)
    match = FOUND.search(page)
    assert match, page[:500]
    return int(match.group(1))


def account(email: str, legal_form=User.PERSON, **fields) -> User:
    """An applicant with these names and identifiers."""
    user = applicant_user(email, legal_form=legal_form)
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    return user


def inbox_and_archive(applicant: User) -> tuple[Appeal, Appeal]:
    """One sent appeal (in «Входящие») and one archived appeal of the applicant."""
    sent = sent_appeal(applicant)
    archived = sent_appeal(applicant, Appeal.MESSAGE, subject="Вопрос")
    archived.state = Appeal.ARCHIVE
    archived.save()
    return sent, archived


@pytest.fixture
def clerk(app, database):
    client = app.test_client()
    login_staff(client, staff("grid"))
    return client


def assert_found_once_in_each_list(clerk, queries):
    for q in queries:
        assert (found(clerk, INBOX, q), found(clerk, ARCHIVE, q), found(clerk, ALL, q)) \
            == (1, 1, 1), q


def test_person_found_by_name_in_any_case_half_a_double_surname_snils_and_email(clerk):
    anna = account("anna.orlova@example.ru", last_name="Иванова-Петрова", first_name="Анна",
                   middle_name="Семёновна", snils=identifiers.make_snils("123456789"))
    inbox_and_archive(anna)
    inbox_and_archive(account("sidorov@example.ru", last_name="Сидоров"))
    digits = anna.snils.replace("-", "").replace(" ", "")
    assert_found_once_in_each_list(clerk, [
        "иванова", "ИВАНОВА", "Петрова", "иванова-петрова", "Петрова Иванова",
        "Иванова-Петрова Анна",
        "анна семеновна", "СЕМЁНОВНА", anna.snils, digits, "Anna.Orlova@Example.ru", "orlova"])
    assert (found(clerk, INBOX, "сидоров"), found(clerk, ARCHIVE, "СИДОРОВ")) == (1, 1)
    assert found(clerk, INBOX, "Смирнова") == 0


def test_company_and_sole_trader_found_by_name_inn_and_email(clerk):
    inn_company = identifiers.make_inn_legal("417487389")
    inn_trader = identifiers.make_inn_person("5001007322")
    inbox_and_archive(account("energy@example.ru", User.COMPANY, last_name="Сергеев",
                              company_name="ООО «Энергосбыт-Юг»", inn=inn_company))
    inbox_and_archive(account("trader@example.ru", User.SOLE_TRADER, last_name="Ковалёв",
                              inn=inn_trader))
    assert_found_once_in_each_list(clerk, [
        "энергосбыт", "ЭНЕРГОСБЫТ-ЮГ", "ооо «энергосбыт-юг»", inn_company, "ENERGY@example.ru",
        "ковалев", inn_trader, "trader@example.ru"])


def test_profile_change_finds_the_new_surname_and_not_the_old(client, auth, clerk):
    auth.register(email="a.s@example.ru", last_name="Кузнецова", first_name="Анна")
    applicant = User.by_email("a.s@example.ru")
    inbox_and_archive(applicant)
    for _ in range(8):
        sent_appeal(applicant)
    namesake = sent_appeal(account("namesake@example.ru", last_name="Кузнецова"))
    assert found(clerk, ALL, "кузнецова") == 9 + 1
    with count_queries() as statements:
        response = client.post("/settings", data={
            "form": "profile", "notify_email": "a.s@example.ru", "last_name": "Орлова",
            "first_name": "Анна", "middle_name": "", "snils": PERSON["snils"]})
    assert response.status_code == 302
    appeal_updates = [s for s in statements if s.lstrip().upper().startswith('UPDATE "APPEAL"')]
    assert len(appeal_updates) == 1  # set-based, whatever the number of appeals
    assert (found(clerk, INBOX, "орлова"), found(clerk, ARCHIVE, "ОРЛОВА"),
            found(clerk, ALL, "Орлова Анна")) == (9, 1, 9)
    # Only the namesake, whose appeal the change left alone, is still a Кузнецова.
    assert (found(clerk, INBOX, "кузнецова"), found(clerk, ARCHIVE, "кузнецова")) == (1, 0)
    assert ROW.findall(clerk.get(ALL, query_string={"q": "кузнецова"}).get_data(as_text=True)) \
        == [str(namesake.id)]
    assert found(clerk, ARCHIVE, "орлова вопрос") == 1  # the appeal's own text stays


def test_casework_after_a_profile_change_keeps_the_new_name(client, auth, clerk):
    """Staff actions rebuild an appeal's search text from its parts: the applicant's
    current data come along, the old ones stay gone."""
    auth.register(email="a.s@example.ru", last_name="Кузнецова", first_name="Анна")
    applicant = User.by_email("a.s@example.ru")
    numbered, archived = sent_appeal(applicant), sent_appeal(applicant)
    client.post("/settings", data={"form": "profile", "notify_email": "", "last_name": "Орлова",
                                   "first_name": "Анна", "snils": PERSON["snils"]})
    assert clerk.post(f"/backoffice/appeals/{numbered.id}/number",
                      data={"number": "77-1"}).status_code == 302
    assert clerk.post(f"/backoffice/appeals/{archived.id}/archive").status_code == 302
    assert (found(clerk, ALL, "орлова 77-1"), found(clerk, ARCHIVE, "орлова")) == (1, 1)
    assert (found(clerk, ALL, "кузнецова"), found(clerk, ARCHIVE, "кузнецова")) == (0, 0)


def test_profile_save_without_searchable_changes_leaves_the_appeals_alone(client, auth, clerk):
    """Only the КПП changes: no appeal is rewritten, and all are still found."""
    auth.register(**COMPANY)
    applicant = User.by_email(COMPANY["email"])
    for _ in range(3):
        sent_appeal(applicant)
    with count_queries() as statements:
        response = client.post("/settings", data={
            "form": "profile", "notify_email": COMPANY["email"],
            "company_name": COMPANY["company_name"], "last_name": COMPANY["last_name"],
            "first_name": COMPANY["first_name"], "middle_name": COMPANY["middle_name"],
            "inn": COMPANY["inn"], "ogrn": COMPANY["ogrn"], "kpp": "419901001"})
    assert response.status_code == 302 and User.by_email(COMPANY["email"]).kpp == "419901001"
    assert not [s for s in statements if s.lstrip().upper().startswith('UPDATE "APPEAL"')]
    assert found(clerk, INBOX, "энергия") == found(clerk, INBOX, COMPANY["inn"]) == 3
