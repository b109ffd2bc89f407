"""Benchmark of «Сроки» at 100,000 appeals: the board, the lists filtered by «Срок» and the
home page with its term tiles, for a grid clerk and a supplier clerk.

Reuses the data set of bench_appeals (its seed starts the appeals' terms in a realistic
mix: every sent appeal one, one in ten a second, one in ten overdue) and the clerks of
bench_backoffice. Target: p95 ≤ 10 ms for the board and the list filtered «просрочено».

    python -m bench board                                               # SQLite
    BENCH_DATABASE_URL=postgresql://…/bench_board python -m bench board  # PostgreSQL
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BOARD = "/backoffice/terms-board/"
LIST = "/backoffice/appeals/"

SCENARIOS = [
    ("«Сроки» board, page 1", BOARD),
    ("«Сроки» board «просрочено»", f"{BOARD}?term=overdue"),
    ("«Сроки» board «истекает сегодня»", f"{BOARD}?term=today"),
    ("«Сроки» board «истекает завтра»", f"{BOARD}?term=tomorrow"),
    ("«Сроки» board «ход заявителя»", f"{BOARD}?term=applicant"),
    ("Все обращения «просрочено»", f"{LIST}?term=overdue"),
    ("Все обращения «истекает сегодня»", f"{LIST}?term=today"),
    ("Все обращения «истекает завтра»", f"{LIST}?term=tomorrow"),
    ("Все обращения «ход заявителя»", f"{LIST}?term=applicant"),
    ("Входящие «просрочено»", "/backoffice/inbox/?term=overdue"),
    ("Все обращения, page 1 (with «Срок»)", LIST),
    ("home page (with the term tiles)", "/backoffice/"),
]


def _next_link(client, path: str) -> str | None:
    import re
    status, _, body = client.get(path)
    match = re.search(rb'href="([^"]*after=[^"]+)"', body)
    return match.group(1).decode().replace("&amp;", "&") if match else None


def run(report, appeals: int = 100_000, applicants: int = 20_000):
    """Seed (once, via bench_appeals) and measure the board and the filtered lists."""
    from bench.bench_appeals import seeded_targets
    from bench.bench_backoffice import CLERK, PASSWORD, SUPPLIER_CLERK, staff_accounts
    from bench.common import BenchError, measure
    from models import AppealTerm, db
    server = report.server()
    with server.app.app_context(), db.connection_context():
        seeded_targets(appeals, applicants, report)
        staff_accounts()
        report.note(f"[board] {AppealTerm.select().where(AppealTerm.state == 'open').count():,}"
                    " open terms")
    bare = "bare route /bench/bare"
    report.add(bare, measure(server.client(), "/bench/bare"))
    clerk = server.client().login(CLERK, PASSWORD, path="/backoffice/login")
    status, _, _body = clerk.get(BOARD)
    if status != 200:
        raise BenchError(f"{BOARD}: status {status}")
    paths = list(SCENARIOS)
    for label, path in (("«Сроки» board, page 2", BOARD),
                        ("Все обращения «просрочено», page 2", f"{LIST}?term=overdue")):
        following = _next_link(clerk, path)
        if following:
            paths.append((label, following))
    for name, path in paths:
        report.add(f"grid clerk: {name}", measure(clerk, path), baseline=bare)
    gp = server.client().login(SUPPLIER_CLERK, PASSWORD, path="/backoffice/login")
    for name, path in (("«Сроки» board (its supplier's)", BOARD),
                       ("«Сроки» board «просрочено»", f"{BOARD}?term=overdue"),
                       ("Все обращения «просрочено» (scoped)", f"{LIST}?term=overdue"),
                       ("home page", "/backoffice/")):
        report.add(f"supplier clerk: {name}", measure(gp, path), baseline=bare)


if __name__ == "__main__":
    from bench.common import script_main
    script_main(run, "board", __doc__, sized=True)
