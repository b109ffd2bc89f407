"""Builders shared by the casework, scoping and back-office tests: sent appeals and staff."""
import datetime as dt
import zlib

from domain import identifiers
from domain.appeals import search_index
from models import Appeal, Organization, Post, StatusEvent, User, db, utcnow
from tests.conftest import make_staff

STAFF_PASSWORD = "Staff-pass1"


def supplier(index: int = 0) -> Organization:
    """One of the three demo suppliers seeded for every test, by position in name order."""
    return list(Organization.suppliers())[index]


def applicant_user(email="ivanov@example.ru", notify_email=None, legal_form=User.PERSON,
                   **fields) -> User:
    """An applicant account made directly (the portal's registration is tested elsewhere)."""
    user = User(email=email, role=User.APPLICANT, legal_form=legal_form, last_name="Иванов",
                first_name="Иван", middle_name="Петрович", phone="+79123456789",
                notify_email=email if notify_email is None else notify_email,
                password_hash="x", **fields)
    if legal_form == User.PERSON and "snils" not in fields:
        user.snils = identifiers.make_snils(f"{zlib.crc32(email.encode()) % 10**9:09d}")
    user.save()
    return user


def sent_appeal(applicant: User, kind=Appeal.TP, *, supplier_org=None, organization=None,
                subject="", comment="<p>Здравствуйте, направляю заявку на ТП</p>",
                power="le15", scheme="permanent", complies=False, when=None) -> Appeal:
    """An appeal as the portal leaves it after «Отправить заявку» / «Отправить»."""
    when = when or utcnow()
    with db.atomic():
        appeal = Appeal(applicant=applicant, kind=kind, state=Appeal.ACTIVE,
                        organization=organization or Organization.grid(),
                        subject=subject, comment_html=comment, created_at=when,
                        updated_at=when, sent_at=when, applicant_activity_at=when)
        if kind == Appeal.TP:
            appeal.power, appeal.scheme, appeal.complies = power, scheme, complies
            appeal.supplier = supplier_org
        text = ("Заявка создана и отправлена в сетевую" if kind == Appeal.TP
                else "Сообщение отправлено")
        appeal.last_status, appeal.last_status_kind = text, StatusEvent.SENT
        appeal.save()
        StatusEvent.create(appeal=appeal, kind=StatusEvent.SENT, text=text, created_at=when)
        if kind == Appeal.MESSAGE:
            Post.create(appeal=appeal, author=applicant, side=Post.APPLICANT, body_html=comment,
                        created_at=when)
        search_index.refresh_search_text(appeal)
        appeal.save()
    return appeal


def draft_appeal(applicant: User) -> Appeal:
    """A draft: never visible to staff."""
    appeal = sent_appeal(applicant)
    appeal.state, appeal.sent_at = Appeal.DRAFT, None
    appeal.save()
    return appeal


def staff(role="grid", email=None, supplier_name=None) -> User:
    """A staff account with the shared test password."""
    email = email or {"grid": "clerk@kalinovsk-es.ru", "admin": "admin@kalinovsk-es.ru",
                      "supplier": "gp@kalinovsk-energo.ru"}[role]
    return make_staff(email, role, supplier_name, STAFF_PASSWORD)


def login_staff(client, user: User):
    """Log a staff member in through /backoffice/login."""
    response = client.post("/backoffice/login",
                           data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def days_ago(n: float) -> dt.datetime:
    """`n` days before now (UTC, as the models store it)."""
    return utcnow() - dt.timedelta(days=n)
