"""Benchmark of the recount after a calendar correction: 100,000 open terms of «Сроки»
(spread over a year of start dates and every working-day rule, and the п.16 months) get
their due dates counted again on the corrected calendar. Target: ≤ 30 s.

A stand-alone script on a scratch database of its own (SQLite in a temporary folder, or
the PostgreSQL database BENCH_DATABASE_URL names, whose tables it empties):

    python bench/bench_terms.py
    BENCH_DATABASE_URL=postgresql://…/portal_bench python bench/bench_terms.py
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COUNT = int(os.environ.get("BENCH_TERMS", "100000"))
TARGET_SECONDS = 30


def _fill(count: int) -> None:
    """One applicant's appeal holding `count` open terms (the recount reads terms only)."""
    from models import Appeal, AppealTerm, Organization, TermRule, User, db
    grid = Organization.create(kind=Organization.GRID, name="Бенч", inn="4401000012")
    user = User.create(email="bench-terms@example.ru", role=User.APPLICANT, password_hash="x")
    appeal = Appeal.create(applicant=user, kind=Appeal.TP, state=Appeal.ACTIVE,
                           organization=grid)
    codes = [code for (code,) in TermRule.select(TermRule.code).tuples()]
    start = dt.datetime(2026, 1, 1, 6, 0)
    rows = [{"appeal": appeal.id, "rule_code": codes[n % len(codes)], "who": "grid",
             "started_at": start + dt.timedelta(minutes=5 * n),  # about a year of starts
             "due_at": start, "state": AppealTerm.OPEN}
            for n in range(count)]
    with db.atomic():
        for at in range(0, count, 5000):
            AppealTerm.insert_many(rows[at:at + 5000]).execute()


def main() -> int:
    from domain.deadlines import recompute
    from domain.setup.migrations import upgrade
    from domain.setup.seed import seed_terms
    from models import ALL_MODELS, CalendarCorrection, connect_database, db, is_postgres
    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        connect_database(url or f"sqlite:///{folder}/terms.sqlite3")
        with db.connection_context():
            if url:
                db.drop_tables(ALL_MODELS, cascade=True, safe=True)
                db.execute_sql("DROP TABLE IF EXISTS schema_version")
            upgrade()
            seed_terms()
            _fill(COUNT)
            started = time.perf_counter()
            first = recompute.recompute_open_terms()  # every due date set from the start
            first_seconds = time.perf_counter() - started
            CalendarCorrection.create(date=dt.date(2026, 3, 10), is_working=False,
                                      reason="Бенч")
            started = time.perf_counter()
            moved = recompute.recompute_open_terms()
            seconds = time.perf_counter() - started
        engine = "PostgreSQL" if is_postgres() else "SQLite"
    verdict = "OK" if max(seconds, first_seconds) <= TARGET_SECONDS else "MISSED"
    print(f"[terms] {engine}: {COUNT:,} open terms recounted in {first_seconds:.1f} s "
          f"(all {first:,} changed); after a correction (10.03.2026 off) in {seconds:.1f} s "
          f"({moved:,} moved); target ≤ {TARGET_SECONDS} s: {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
