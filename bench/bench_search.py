"""Benchmark of the Russian text search at 100,000 appeals (the trigram index of search_index.py).

Reuses bench_appeals' data set and bench_backoffice's staff accounts, then reports p50/p95
of the back-office list «Все обращения» (/backoffice/appeals/?q=…) for a rare word, a
common word, two words, a search with a filter, the applicant's surname, name and e-mail
(their identity opens each appeal's search text), a supplier clerk's scoped search, and
of the applicant's «Список обращений» search for the heavy applicant (5,000 appeals).
Targets: back-office search p95 ≤ 20 ms, applicant list ≤ 10 ms.

    python -m bench search                                               # SQLite
    BENCH_DATABASE_URL=postgresql://…/portal_bench python -m bench search     # PostgreSQL
"""
from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LIST = "/backoffice/appeals/"


def backoffice_scenarios() -> list[tuple[str, str]]:
    """(label, path) of the measured back-office searches."""
    q = urllib.parse.quote
    return [
        ("rare word «12345» (a registration number)", f"{LIST}?q=12345"),
        ("absent word «отсутствуетслово»", f"{LIST}?q=" + q("отсутствуетслово")),
        ("common word «договор»", f"{LIST}?q=" + q("договор")),
        ("common word «Собственника» (capital)", f"{LIST}?q=" + q("Собственника")),
        ("two words «изменение условий»", f"{LIST}?q=" + q("изменение условий")),
        ("word + short word «счет на»", f"{LIST}?q=" + q("счет на")),
        ("search + filter (ТП, «договор»)", f"{LIST}?kind=tp&q=" + q("договор")),
        ("applicant's surname «кузнецов» (1 in 14 appeals)", f"{LIST}?q=" + q("кузнецов")),
        ("surname and name «ПЕТРОВ Иван»", f"{LIST}?q=" + q("ПЕТРОВ Иван")),
        ("one applicant's e-mail «12345@bench.example.ru»",
         f"{LIST}?q=" + q("12345@bench.example.ru")),
    ]


def run(report, appeals: int = 100_000, applicants: int = 20_000):
    """Seed (once) and measure the searches of the back office and of the applicant list."""
    from bench.bench_appeals import PASSWORD, seeded_targets
    from bench.bench_backoffice import CLERK, SUPPLIER_CLERK, staff_accounts
    from bench.common import BenchError, measure
    from models import db
    server = report.server()
    with server.app.app_context(), db.connection_context():
        targets = seeded_targets(appeals, applicants, report)
        staff_accounts()
    bare = "bare route /bench/bare"
    report.add(bare, measure(server.client(), "/bench/bare"))
    clerk = server.client().login(CLERK, PASSWORD, path="/backoffice/login")
    for name, path in backoffice_scenarios():
        status, _, _ = clerk.get(path)
        if status != 200:
            raise BenchError(f"{path}: status {status}")
        report.add(f"back office, grid clerk: {name}", measure(clerk, path), baseline=bare)
    gp = server.client().login(SUPPLIER_CLERK, PASSWORD, path="/backoffice/login")
    q = urllib.parse.quote
    for word in ("договор", "12345"):
        report.add(f"back office, supplier clerk (scoped): «{word}»",
                   measure(gp, f"{LIST}?q=" + q(word)), baseline=bare)
    email, _appeal_id = targets["heavy"]
    applicant = server.client().login(email, PASSWORD)
    for word in ("договор", "12345", "отсутствуетслово", "изменение условий"):
        report.add(f"applicant list (5,000 appeals): search «{word}»",
                   measure(applicant, "/appeals?q=" + q(word)), baseline=bare)


if __name__ == "__main__":
    from bench.common import script_main
    script_main(run, "search", __doc__)
