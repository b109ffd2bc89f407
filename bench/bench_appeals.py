"""Benchmark of «Список обращений» and the appeal page at 100,000 appeals.

Seeds 100,000 appeals over 20,000 applicants into the bench database (bulk inserts,
realistic Russian text, thread posts, statuses and documents), then, on the shared gunicorn
server of bench.common (2 sync workers), reports the p50/p95 of the applicant's list for
every filter, every sort, a text search and the next page, and of the appeal page — for a
typical applicant (five appeals) and for a heavy one (5,000 appeals). Target: p95 <= 10 ms.

    python -m bench appeals                                   # SQLite
    BENCH_DATABASE_URL=postgresql://…/portal_bench python -m bench appeals   # PostgreSQL

A kept PostgreSQL database is seeded once: later runs find the seeded set (a Setting row)
and measure it again.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-pass1"
BENCH_MARK = "bench_appeals"
HEAVY_APPEALS = 5000

SUBJECTS = [
    "Изменение условий текущего договора на ТП", "Смена собственника объекта",
    "Уточнение сроков выполнения мероприятий", "Вопрос по счету на оплату",
    "Перерасчет платы за технологическое присоединение", "Продление срока технических условий",
    "Увеличение максимальной мощности", "Временное присоединение на период строительства",
    "Предоставление документов по заявке", "Разъяснение технических условий",
    "Перенос точки присоединения", "Подключение садового дома",
]
PHRASES = [
    "Здравствуйте, направляю заявку на ТП и схему электроснабжения.",
    "Прошу сообщить срок рассмотрения заявки.", "Документы приложены.",
    "Просим направить документы, подтверждающие право собственности.",
    "Ваша заявка принята в работу.", "Счет на оплату размещен в личном кабинете.",
    "Необходимо внести изменения в договор в связи со сменой собственника оборудования.",
    "Технические условия направлены на подписание.", "Уточните кадастровый номер участка.",
    "Мероприятия по технологическому присоединению выполнены.", "Спасибо, вопрос решен.",
    "Прошу продлить срок действия технических условий на один год.",
]
STATUSES = ["Заявка принята к рассмотрению", "Заявка неполная, требуется дополнить сведения",
            "Направлены проект договора и технические условия", "Выставлен счет",
            "Договор заключен", "Выполняются мероприятия по ТП",
            "Технологическое присоединение осуществлено", "Заявка аннулирована"]
LAST_NAMES = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев",
              "Соколов", "Михайлов", "Новиков", "Федоров", "Морозов", "Волков", "Алексеев"]
FIRST_NAMES = ["Иван", "Петр", "Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Олег"]
DOC_FILES = [("Заявка", "Заявка.docx"), ("Схема", "Схема.bmp"),
             ("План расположения", "План участка.pdf"),
             ("Правоустанавливающий документ", "Выписка ЕГРН.pdf"), ("Иное", "Фото щита.jpg")]


# ---- seeding -------------------------------------------------------------------------------

def _batches(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _insert(model, rows, batch):
    """Bulk insert in batches inside one transaction."""
    from models import db
    with db.atomic():
        for chunk in _batches(rows, batch):
            model.insert_many(chunk).execute()


GRID_SEEN_SHARE = 0.97      # the grid company has opened almost every appeal
SUPPLIER_SEEN_SHARE = 0.90  # a supplier most of the applications naming it


def read_marks(appeal_ids, rows, grid, supplier_ids) -> list[dict]:
    """AppealSeen rows as clerks leave them: most sent appeals opened by the grid company
    after the applicant's latest data, most of those a supplier sees opened by it."""
    rnd = random.Random(7)  # its own stream: the appeals stay those of earlier seeds
    marks = []
    for appeal_id, row in zip(appeal_ids, rows):
        activity = row.get("applicant_activity_at")
        if not activity:
            continue
        watcher = row["supplier"] if row["kind"] == "tp" else (
            row["organization"] if row["organization"] in supplier_ids else None)
        for org, share in ((grid.id, GRID_SEEN_SHARE), (watcher, SUPPLIER_SEEN_SHARE)):
            if org and rnd.random() < share:
                marks.append({"appeal": appeal_id, "organization": org,
                              "seen_at": activity + dt.timedelta(minutes=rnd.randrange(5, 2880))})
    return marks


def rebuild_unread():
    """Recompute the staff unread index from the seeded activity and read marks."""
    try:
        from domain.appeals import unread_index
    except ImportError:  # a tree without the unread index
        return
    unread_index.rebuild()


def optimize_search_index():
    """Merge the FTS5 segments the row-by-row triggers left behind during the bulk seed."""
    from domain.appeals.search_index import FTS_TABLE, has_search_index
    from models import db, is_postgres
    if not is_postgres() and has_search_index():
        db.execute_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")


def seed(appeals: int, applicants: int, report) -> dict:
    """Fill the (connected) database; returns {who: (e-mail, appeal id)} to measure."""
    from domain.accounts.credentials import hash_password
    from domain.appeals.search_index import IDENTITY_END
    from domain.setup.seed import APPLICANT_DOC_TYPES, seed_demo_suppliers
    from models import (
        Appeal,
        AppealSeen,
        Document,
        Organization,
        Post,
        StatusEvent,
        User,
        db,
        fold,
        is_postgres,
        utcnow,
    )
    rnd = random.Random(42)
    tag = secrets.token_hex(3)  # unique e-mails even in a database benchmarked before
    started = time.perf_counter()
    seed_demo_suppliers()
    grid = Organization.grid()
    suppliers = list(Organization.suppliers())
    sqlite = not is_postgres()
    batch = 500 if sqlite else 1000

    pw_hash = hash_password(PASSWORD)
    now = utcnow().replace(microsecond=0)
    users = []
    for n in range(applicants):
        form = rnd.choices(["fl", "ip", "ul"], [70, 15, 15])[0]
        users.append({
            "email": f"appeals-{tag}-{n}@bench.example.ru", "role": "applicant", "legal_form": form,
            "last_name": rnd.choice(LAST_NAMES), "first_name": rnd.choice(FIRST_NAMES),
            "company_name": f"ООО «Бенч {n}»" if form == "ul" else "",
            "password_hash": pw_hash, "session_token": secrets.token_urlsafe(32),
            "confirmed": True, "created_at": now - dt.timedelta(days=1200),
            "phone": f"+7912{n:07d}", "notify_email": "", "search_text": "",
        })
    for row in users:  # what User.save() keeps, which the appeals' search text opens with
        person = User(**row)
        person.refresh_search_text()
        row["search_text"] = person.search_text
    identities = [row["search_text"] for row in users]
    _insert(User, users, batch)
    user_ids = [u.id for u in User.select(User.id)
                .where(User.email.startswith(f"appeals-{tag}-")).order_by(User.id)]
    heavy_id, typical_id = user_ids[0], user_ids[1]
    # The heavy applicant has HEAVY_APPEALS appeals, the typical one five, the others
    # share the rest (about five each).
    owners = [heavy_id] * min(HEAVY_APPEALS, appeals // 4) + [typical_id] * 5
    owners += [rnd.choice(user_ids[2:]) for _ in range(appeals - len(owners))]
    rnd.shuffle(owners)

    identity_of = dict(zip(user_ids, identities))
    rows, texts = [], []
    number = Appeal.select().count() * 10  # registration numbers stay unique per organisation
    for owner in owners:
        kind = rnd.choices(["tp", "message"], [60, 40])[0]
        state = rnd.choices(["active", "draft", "archive"], [75, 10, 15])[0]
        created = now - dt.timedelta(minutes=rnd.randrange(3 * 365 * 24 * 60))
        updated = created + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 30))
        org = grid if kind == "tp" or rnd.random() < 0.7 else rnd.choice(suppliers)
        supplier = rnd.choice(suppliers) if kind == "tp" and rnd.random() < 0.5 else None
        subject = rnd.choice(SUBJECTS) if kind == "message" else ""
        reg_number = None
        status, status_kind = "", None
        if state != "draft":
            status = "Заявка создана и отправлена в сетевую" if kind == "tp" \
                else "Сообщение отправлено"
            status_kind = StatusEvent.SENT
            if rnd.random() < 0.8:
                number += 1
                reg_number = str(number)
                status = rnd.choice(STATUSES) if kind == "tp" else \
                    f"Присвоен регистрационный номер: {number}"
                status_kind = StatusEvent.STATUS if kind == "tp" else StatusEvent.NUMBER
        comment = " ".join(rnd.sample(PHRASES, 2))
        unread = state != "draft" and rnd.random() < 0.2
        staff_at = updated if state != "draft" and rnd.random() < 0.7 else None
        rows.append({
            "applicant": owner, "kind": kind, "state": state, "organization": org.id,
            "reg_number": reg_number, "subject": subject,
            "power": rnd.choice(["le15", "15_150", "gt150"]) if kind == "tp" else None,
            "scheme": rnd.choice(["permanent", "temporary"]) if kind == "tp" else None,
            "complies": rnd.random() < 0.6 if kind == "tp" else None,
            "supplier": supplier.id if supplier else None, "comment_html": f"<p>{comment}</p>",
            "last_status": status, "last_status_kind": status_kind,
            "created_at": created, "updated_at": updated,
            "sent_at": None if state == "draft" else created,
            "staff_activity_at": staff_at if not unread else updated,
            "applicant_seen_at": None if unread else (updated + dt.timedelta(minutes=5)
                                                      if staff_at else None),
            "new_status_for_applicant": unread and rnd.random() < 0.5,
            "new_post_for_applicant": unread and rnd.random() < 0.5,
            "search_text": "", "applicant_activity_at": None,
        })
        texts.append((reg_number or "", subject, comment, status,
                      supplier.name if supplier else "", org.name))
    # Posts are part of the search text: draw them first.
    post_plan = []
    for i, row in enumerate(rows):
        count = 0 if row["state"] == "draft" else rnd.randrange(1, 4)
        bodies = [rnd.choice(PHRASES) for _ in range(count)]
        post_plan.append(bodies)
        row["search_text"] = identity_of[row["applicant"]] + IDENTITY_END + fold(
            " ".join(filter(None, [*texts[i], *bodies])))
        if row["state"] != "draft":
            # Sending is the applicant's first data; their posts are the even ones.
            last_own = (count - 1) // 2 * 2 if count else 0
            row["applicant_activity_at"] = row["created_at"] + dt.timedelta(minutes=7 * last_own)
            row["updated_at"] = max(row["updated_at"], row["applicant_activity_at"])
    _insert(Appeal, rows, batch // 2)
    appeal_ids = [a.id for a in Appeal.select(Appeal.id)
                  .where(Appeal.applicant.in_(user_ids)).order_by(Appeal.id)]
    seen = read_marks(appeal_ids, rows, grid, {s.id for s in suppliers})
    _insert(AppealSeen, seen, batch)
    posts, events, documents = [], [], []
    type_codes = {name: code for code, name in APPLICANT_DOC_TYPES}
    for appeal_id, row, bodies in zip(appeal_ids, rows, post_plan):
        at = row["created_at"]
        for k, body in enumerate(bodies):
            staff = k % 2 == 1
            posts.append({"appeal": appeal_id, "author": None if staff else row["applicant"],
                          "side": "grid" if staff else "applicant",
                          "organization": row["organization"] if staff else None,
                          "body_html": f"<p>{body}</p>",
                          "created_at": at + dt.timedelta(minutes=k * 7)})
        if row["state"] != "draft":
            events.append({"appeal": appeal_id, "kind": "sent", "text": "Заявка создана и "
                           "отправлена в сетевую" if row["kind"] == "tp" else
                           "Сообщение отправлено", "author": row["applicant"],
                           "organization": None, "created_at": at})
            if row["reg_number"]:
                events.append({"appeal": appeal_id, "kind": "number",
                               "text": f"Присвоен регистрационный номер: {row['reg_number']}",
                               "author": None, "organization": row["organization"],
                               "created_at": at + dt.timedelta(minutes=30)})
        for k in range(rnd.randrange(0, 3)):
            doc_type, name = rnd.choice(DOC_FILES)
            documents.append({"appeal": appeal_id, "party": "applicant", "organization": None,
                              "doc_type": doc_type, "type_code": type_codes[doc_type],
                              "file_name": name,
                              "content_type": "application/octet-stream",
                              "size": rnd.randrange(10_000, 3_000_000), "sha256": "0" * 64,
                              "storage_key": secrets.token_hex(20),
                              "needs_applicant_signature": False, "created_at": at})
    _insert(Post, posts, batch)
    _insert(StatusEvent, events, batch)
    _insert(Document, documents, batch)
    seed_appeal_terms(rnd, appeal_ids, rows, now, batch, grid.id)
    rebuild_unread()
    optimize_search_index()
    # PostgreSQL: VACUUM too, as autovacuum would have by now: it sets the visibility map
    # that lets index-only scans skip the table (fresh bulk-loaded pages are not all-visible).
    db.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
    report.note(f"[appeals] seeded {len(rows):,} appeals, {len(users):,} applicants, {len(posts):,} posts, "
           f"{len(events):,} statuses, {len(documents):,} documents in "
           f"{time.perf_counter() - started:.1f} s")
    heavy_page = (Appeal.select(Appeal.id).where((Appeal.applicant == heavy_id)
                                                 & (Appeal.state == "active"))
                  .order_by(Appeal.id).first())
    typical_page = (Appeal.select(Appeal.id).where(Appeal.applicant == typical_id)
                    .order_by(Appeal.id).first())
    emails = {u.id: u.email for u in User.select(User.id, User.email)
              .where(User.id.in_([heavy_id, typical_id]))}
    return {"heavy": (emails[heavy_id], heavy_page.id),
            "typical": (emails[typical_id], typical_page.id)}


def seed_appeal_terms(rnd, appeal_ids, rows, now, batch, grid_id: int) -> int:
    """AppealTerm rows in a realistic mix: every active appeal has an open term (one in ten
    a second: an unanswered message), due mostly in the next weeks, one in ten overdue and
    a few today or on the next working day; the applicant's move on a third of the ТП
    applications, the supplier's on some of those naming one; archived appeals' terms are
    done. Then the appeals' copies of their earliest (clocks.summarise, in bulk)."""
    from domain.deadlines import calendar, clocks
    from models import AppealTerm
    today = calendar.moscow_date(now)
    in_force = calendar.current()
    next_day = in_force.next_working_day(today + dt.timedelta(days=1))

    def due_at(offset_days: int):
        day = in_force.next_working_day(today + dt.timedelta(days=offset_days)) \
            if offset_days > 0 else today + dt.timedelta(days=offset_days)
        return calendar.end_of_day_utc(day)
    terms = []
    for appeal_id, row in zip(appeal_ids, rows):
        if row["state"] == "draft":
            continue
        kind = row["kind"]
        if kind == "message":
            who = "grid" if row["organization"] == grid_id else "supplier"
            plan = [(clocks.ANSWER_MESSAGE, who)]
        elif row["supplier"] and rnd.random() < 0.2:
            plan = [(clocks.POST_SUPPLY_CONTRACT, "supplier")]
        elif rnd.random() < 0.33:
            plan = [(clocks.SIGN_CONTRACT, "applicant")]
        else:
            plan = [(clocks.SEND_CONTRACT, "grid")]
        if rnd.random() < 0.1:
            plan.append((clocks.ANSWER_MESSAGE, "grid"))
        for code, who in plan:
            draw = rnd.random()
            offset = (-rnd.randrange(1, 40) if draw < 0.1 else 0 if draw < 0.12
                      else (next_day - today).days if draw < 0.14 else rnd.randrange(2, 60))
            open_ = row["state"] == "active"
            terms.append({"appeal": appeal_id, "rule_code": code, "who": who,
                          "organization": (row["supplier"] if kind == "tp" else
                                           row["organization"]) if who == "supplier" else None,
                          "started_at": row["created_at"], "due_at": due_at(offset),
                          "ended_at": None if open_ else row["updated_at"],
                          "state": AppealTerm.OPEN if open_ else AppealTerm.DONE})
    _insert(AppealTerm, terms, batch)
    clocks.summarise_many()
    return len(terms)


# ---- measuring ----------------------------------------------------------------------------

def scenarios(appeal_id: int) -> list[tuple[str, str]]:
    """(label, path) of every measured view of one applicant."""
    q = urllib.parse.quote
    return [
        ("list Активные (default ↑ Дата обновления)", "/appeals"),
        ("list Черновики", "/appeals?state=draft"),
        ("list Архив", "/appeals?state=archive"),
        ("list Заявки ТП", "/appeals?kind=tp"),
        ("list Сообщения", "/appeals?kind=message"),
        ("list Непрочитанные", "/appeals?read=unread"),
        ("list Прочитанные", "/appeals?read=read"),
        ("list ↓ Дата создания", "/appeals?sort=created_asc"),
        ("list ↑ Дата создания", "/appeals?sort=created_desc"),
        ("list ↓ Дата обновления", "/appeals?sort=updated_asc"),
        ("list ↑ Дата обновления", "/appeals?sort=updated_desc"),
        ("list search «изменение условий»", "/appeals?q=" + q("изменение условий")),
        ("list search «собственника»", "/appeals?q=" + q("собственника")),
        ("list Архив+Сообщения+Непрочитанные+search+↓создания",
         "/appeals?state=archive&kind=message&read=unread&sort=created_asc&q=" + q("договор")),
        ("appeal page", f"/appeals/{appeal_id}"),
    ]


def seeded_targets(appeals: int, applicants: int, report) -> dict:
    """The measured applicants: from an earlier run on this database, or seeded now."""
    from models import Setting
    kept = Setting.get_or_none(Setting.key == BENCH_MARK)
    if kept:
        report.note("[appeals] reused the appeals seeded earlier in this database")
        return {who: tuple(value) for who, value in json.loads(kept.value).items()}
    targets = seed(appeals, applicants, report)
    Setting.put(BENCH_MARK, json.dumps(targets))
    return targets


def run(report, appeals: int = 100_000, applicants: int = 20_000):
    """Seed (once) and measure every view for a typical and a heavy applicant."""
    from bench.common import measure
    from models import db
    server = report.server()
    with server.app.app_context(), db.connection_context():
        targets = seeded_targets(appeals, applicants, report)
    bare = "bare route /bench/bare"
    report.add(bare, measure(server.client(), "/bench/bare"))
    for who, (email, appeal_id) in targets.items():
        client = server.client().login(email, PASSWORD)
        paths = scenarios(appeal_id)
        status, _, body = client.get("/appeals")
        match = re.search(rb'rel="next" href="([^"]+)"', body)
        if match:
            paths.append(("list Следующая страница", match.group(1).decode().replace("&amp;", "&")))
        for name, path in paths:
            report.add(f"{who} ({'5,000' if who == 'heavy' else '5'} appeals): {name}",
                       measure(client, path), baseline=bare)


if __name__ == "__main__":
    from bench.common import script_main
    script_main(run, "appeals", __doc__, sized=True)
