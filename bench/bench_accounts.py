"""Account pages: the login page and the cabinet (/info) of a logged-in applicant, beside the
bare route of the same app and gunicorn configuration."""
import random

from bench.common import measure
from domain import identifiers as ids


def new_applicant() -> dict:
    """Registration data of a fresh person (unique e-mail and СНИЛС, so a kept
    BENCH_DATABASE_URL database can be benchmarked again)."""
    number = str(random.randint(100_000_000, 999_999_999))
    return dict(legal_form="fl", email=f"bench-{number}@example.ru", last_name="Иванов",
                first_name="Иван", middle_name="Петрович", snils=ids.make_snils(number),
                phone="+7 912 345 67 89", password="Bench-pass1", password2="Bench-pass1",
                consent_personal_data="y", consent_e_interaction="y")


def run(report):
    """Measure /bench/bare, /login (anonymous) and /info (logged in)."""
    server = report.server()
    anonymous = server.client()
    report.add("bare route /bench/bare", measure(anonymous, "/bench/bare"))
    report.add("login page /login", measure(anonymous, "/login"),
               baseline="bare route /bench/bare")
    applicant = server.register(new_applicant())  # logged in by registering
    report.add("cabinet /info (logged in)", measure(applicant, "/info"),
               baseline="bare route /bench/bare")
