"""Benchmark of the back office's appeal list («Все обращения», «Входящие») at 100,000 appeals.

Reuses the data set of bench_appeals (seeded once per database), adds a grid clerk and a
supplier clerk, then on the shared gunicorn server reports p50/p95 of: page 1, every
filter, Russian text searches, page 2 (the «next» link), page 2,000 (the cursor a clerk
reaches after 1,999 clicks on «next»), and the supplier clerk's scoped list.
Targets: a page with a filter p95 ≤ 10 ms, with a Russian text search p95 ≤ 20 ms,
page 2,000 as fast as page 1.

    python -m bench backoffice                                          # SQLite
    BENCH_DATABASE_URL=postgresql://…/portal_bench python -m bench backoffice   # PostgreSQL
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-pass1"
CLERK = "bench-clerk@kalinovsk-es.ru"
SUPPLIER_CLERK = "bench-gp@kalinovsk-energo.ru"
LIST = "/backoffice/appeals/"
PAGE_SIZE = 25
DEEP_PAGE = 2000


def staff_accounts() -> str:
    """A grid clerk and a supplier clerk in the bench database; returns the supplier's name."""
    from models import Organization
    from run import create_staff
    supplier = Organization.suppliers().first()
    create_staff(CLERK, PASSWORD, "grid", last_name="Бенч")
    create_staff(SUPPLIER_CLERK, PASSWORD, "supplier", supplier.name, last_name="Бенч")
    return supplier.name


def deep_cursor(page: int) -> str | None:
    """The `after` cursor of page `page` of the default list (active, updated ↓) of a grid clerk.

    It is what the «next» link carries after page-1 clicks; computed here directly."""
    from domain.appeals.listing.keyset import encode_cursor
    from models import Appeal
    row = (Appeal.select(Appeal.id, Appeal.updated_at).where(Appeal.state == Appeal.ACTIVE)
           .order_by(Appeal.updated_at.desc(), Appeal.id.desc())
           .offset((page - 1) * PAGE_SIZE - 1).limit(1).first())
    return encode_cursor(row.updated_at, row.id) if row else None


def rare_number() -> str:
    """A registration number of one active appeal: a search with a single hit."""
    from models import Appeal
    row = (Appeal.select(Appeal.reg_number)
           .where((Appeal.state == Appeal.ACTIVE) & Appeal.reg_number.is_null(False))
           .order_by(Appeal.id).offset(500).first())
    return row.reg_number if row else ""


def scenarios(supplier_id: int, cursor: str | None,
              rare_number: str = "") -> list[tuple[str, str]]:
    """(label, path) of the measured list pages."""
    q = urllib.parse.quote
    today = dt.date.today()
    paths = [
        ("Все обращения, page 1 (updated ↓)", LIST),
        ("Входящие (sent, not numbered)", "/backoffice/inbox/"),
        ("Архив", "/backoffice/archive/"),
        ("filter kind=ТП", f"{LIST}?kind=tp"),
        ("filter kind=Сообщения", f"{LIST}?kind=message"),
        ("filter numbered=no", f"{LIST}?numbered=no"),
        ("filter last status", f"{LIST}?status=" + q("Выставлен счет")),
        ("filter status «Присвоен регистрационный номер»",
         f"{LIST}?status=" + q("Присвоен регистрационный номер")),
        ("filter supplier", f"{LIST}?supplier={supplier_id}"),
        ("filter power ≤15 кВт", f"{LIST}?power=le15"),
        ("filter п.14/п.12(1) no", f"{LIST}?complies=no"),
        ("filter dates (last 90 days)", f"{LIST}?date_from={today - dt.timedelta(days=90)}"
                                        f"&date_to={today}"),
        ("filter unread for staff", f"{LIST}?unread=1"),
        ("filter created ↑ (oldest first)", f"{LIST}?sort=created_asc"),
        ("filters combined (ТП+supplier+≤15+numbered)",
         f"{LIST}?kind=tp&supplier={supplier_id}&power=le15&numbered=yes"),
        ("Входящие + Непрочитанные", "/backoffice/inbox/?unread=1"),
        ("search two words «изменение условий»", f"{LIST}?q=" + q("изменение условий")),
        ("search common «договор»", f"{LIST}?q=" + q("договор")),
        ("search «Собственника» (capital)", f"{LIST}?q=" + q("Собственника")),
        ("search rare: a registration number", f"{LIST}?q=" + q(rare_number or "1")),
        ("search absent «отсутствуетслово»", f"{LIST}?q=" + q("отсутствуетслово")),
        ("search + filter (ТП, «договор»)", f"{LIST}?kind=tp&q=" + q("договор")),
    ]
    if cursor:
        paths.append((f"page {DEEP_PAGE:,} (keyset cursor)", f"{LIST}?after={q(cursor)}"))
    return paths


def run(report, appeals: int = 100_000, applicants: int = 20_000):
    """Seed (once, via bench_appeals) and measure the back-office list pages."""
    from bench.bench_appeals import seeded_targets
    from bench.common import BenchError, measure
    from models import Organization, db
    server = report.server()
    with server.app.app_context(), db.connection_context():
        seeded_targets(appeals, applicants, report)
        supplier_name = staff_accounts()
        supplier_id = Organization.get(Organization.name == supplier_name).id
        cursor = deep_cursor(DEEP_PAGE)
        number = rare_number()
    bare = "bare route /bench/bare"
    report.add(bare, measure(server.client(), "/bench/bare"))
    clerk = server.client().login(CLERK, PASSWORD, path="/backoffice/login")
    status, _, body = clerk.get(LIST)
    if status != 200:
        raise BenchError(f"{LIST}: status {status}")
    paths = scenarios(supplier_id, cursor, number)
    match = re.search(rb'href="([^"]*after=[^"]+)"', body)
    if match:
        paths.insert(1, ("page 2 («next» link)", match.group(1).decode().replace("&amp;", "&")))
    for name, path in paths:
        report.add(f"grid clerk: {name}", measure(clerk, path), baseline=bare)
    gp = server.client().login(SUPPLIER_CLERK, PASSWORD, path="/backoffice/login")
    report.add("supplier clerk: Все обращения, page 1 (scoped)", measure(gp, LIST), baseline=bare)
    report.add("supplier clerk: search «договор» (scoped)",
               measure(gp, f"{LIST}?q=" + urllib.parse.quote("договор")), baseline=bare)
    report.add("supplier clerk: Непрочитанные (scoped)", measure(gp, f"{LIST}?unread=1"),
               baseline=bare)


if __name__ == "__main__":
    from bench.common import script_main
    script_main(run, "backoffice", __doc__, sized=True)
