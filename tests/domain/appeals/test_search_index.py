"""The trigram index behind the appeal text search: same results as LIKE, index really used,
kept in sync on every change, created for fresh and upgraded databases (SQLite and
PostgreSQL: the suite runs on whichever TEST_DATABASE_URL names)."""
import random

import pytest

from domain.appeals import search_index
from domain.appeals.listing import search
from domain.appeals.listing.search import text_condition, text_search, words_of
from domain.setup.migrations import LATEST, SchemaVersion, upgrade
from models import Appeal, Post, db, fold, is_postgres
from tests.appeal_factory import make_appeal, other_applicant


@pytest.fixture(autouse=True)
def fresh_hints():
    """Plan hints are per process; each test starts without them."""
    search_index._hints.clear()
    yield
    search_index._hints.clear()


@pytest.fixture
def person(database):
    return other_applicant("search@example.ru")


def expected(text):
    """The LIKE semantics, computed in Python: every folded word is a substring."""
    words = words_of(text)
    return {a.id for a in Appeal.select(Appeal.id, Appeal.search_text)
            if all(w in a.search_text for w in words)}


def found_all_ways(text, monkeypatch):
    """Ids found by every plan the search can take; asserts they agree and returns them."""
    results = {}
    for limit in (1, 10_000):  # 1: every word counts as common; 10,000: as selective
        monkeypatch.setattr(search_index, "PROBE_LIMIT", limit)
        search_index._hints.clear()
        condition = text_condition(Appeal.search_text, text)
        results[f"condition/{limit}"] = {a.id for a in Appeal.select(Appeal.id).where(condition)}
        page = text_search(Appeal.select(Appeal.id), text)
        results[f"page/{limit}"] = {a.id for a in page}
        count = text_search(Appeal.select(Appeal.id), text, counting=True)
        results[f"count/{limit}"] = {a.id for a in count}
        # The page plan that walks the date index (LIKE) and the one that takes ids.
        for cost in ((0.0, 1e9), (1e9, 0.0)):
            monkeypatch.setattr(search, "_SCAN_ROW_US", cost[0])
            monkeypatch.setattr(search, "_MATCH_US", cost[1])
            search_index._hints.clear()
            results[f"page/{limit}/{cost}"] = {
                a.id for a in text_search(Appeal.select(Appeal.id), text)}
    reference = expected(text)
    for name, ids in results.items():
        assert ids == reference, (text, name)
    return reference


def test_russian_words_are_found_whatever_their_case(person, monkeypatch):
    contract = make_appeal(person, Appeal.MESSAGE,
                           subject="Изменение условий текущего договора на ТП")
    signed = make_appeal(person, Appeal.MESSAGE, subject="Вопрос по счету",
                         posts=[(Post.APPLICANT, "<p>С уважением, Иванов</p>")])
    make_appeal(person, Appeal.MESSAGE, subject="Смена собственника объекта")
    assert found_all_ways("изменение условий", monkeypatch) == {contract.id}
    assert found_all_ways("ИЗМЕНЕНИЕ Условий", monkeypatch) == {contract.id}
    assert found_all_ways("ИВАНОВ", monkeypatch) == {signed.id}


def test_yo_and_ye_are_the_same_letter(person, monkeypatch):
    bill = make_appeal(person, Appeal.MESSAGE, subject="Счёт на оплату")
    other = make_appeal(person, Appeal.MESSAGE, subject="Счет-фактура")
    assert found_all_ways("счет", monkeypatch) == {bill.id, other.id}
    assert found_all_ways("СЧЁТ на", monkeypatch) == {bill.id}


def test_part_of_a_word_and_short_words(person, monkeypatch):
    contract = make_appeal(person, Appeal.MESSAGE, subject="Проект договора")
    grid = make_appeal(person, Appeal.MESSAGE, subject="Присоединение к сети ТП")
    assert found_all_ways("говор", monkeypatch) == {contract.id}
    # Two letters: LIKE only («тп» is also inside «отправлено» of the status).
    assert found_all_ways("тп", monkeypatch) == {grid.id, contract.id}
    assert found_all_ways("тп присоед", monkeypatch) == {grid.id}
    assert found_all_ways("к присоединение", monkeypatch) == {grid.id}
    assert found_all_ways("ек дог", monkeypatch) == {contract.id}


def test_wildcards_and_quotes_are_literal(person, monkeypatch):
    percent = make_appeal(person, Appeal.MESSAGE, subject="Скидка 100% на счет")
    plain = make_appeal(person, Appeal.MESSAGE, subject="Мощность 1000 кВт")
    under = make_appeal(person, Appeal.MESSAGE, subject="Файл a_b.pdf")
    quoted = make_appeal(person, Appeal.MESSAGE, subject='ООО "Ромашка" AND OR NEAR')
    assert found_all_ways("100%", monkeypatch) == {percent.id}
    assert found_all_ways("00%", monkeypatch) == {percent.id}
    assert found_all_ways("a_b", monkeypatch) == {under.id}
    assert found_all_ways("1000", monkeypatch) == {plain.id}
    assert found_all_ways('"ромашка"', monkeypatch) == {quoted.id}
    assert found_all_ways('ка"', monkeypatch) == {quoted.id}
    assert found_all_ways("and near", monkeypatch) == {quoted.id}
    assert found_all_ways("%", monkeypatch) == {percent.id}
    assert found_all_ways("*", monkeypatch) == set()


def test_results_equal_like_on_a_random_corpus(person, monkeypatch):
    rnd = random.Random(7)
    vocabulary = ["договор", "Договора", "условий", "ТП", "счёт", "счет", "изменение",
                  "собственник", "Иванов", "кВт", "15", "150", "на", "по", "ё", "е",
                  "присоединение", "заявка", "Заявки", "мощность", "a%b", "x_y"]
    for _ in range(40):
        make_appeal(person, rnd.choice([Appeal.TP, Appeal.MESSAGE]),
                    subject=" ".join(rnd.choices(vocabulary, k=rnd.randrange(1, 6))),
                    posts=[(Post.APPLICANT, "<p>" + " ".join(rnd.choices(vocabulary, k=3))
                            + "</p>")])
    queries = ["договор", "ДОГОВОР условий", "ор", "счет", "ё", "иванов ТП", "присоед",
               "a%b", "x_y", "15 кВт", "150", "мощность заявк", "нет-такого"]
    queries += [" ".join(rnd.choices(vocabulary, k=2)) for _ in range(8)]
    queries += [rnd.choice(vocabulary)[1:4] for _ in range(6)]
    for query in queries:
        found_all_ways(query, monkeypatch)


def test_index_follows_every_change(person, monkeypatch):
    monkeypatch.setattr(search_index, "PROBE_LIMIT", 10_000)  # always answer from the index
    appeal = make_appeal(person, Appeal.MESSAGE, subject="Перенос точки присоединения")
    assert found_all_ways("перенос", monkeypatch) == {appeal.id}
    with db.atomic():
        appeal.subject = "Увеличение мощности"
        search_index.refresh_search_text(appeal)
        appeal.save()
    assert found_all_ways("перенос", monkeypatch) == set()
    assert found_all_ways("увеличение", monkeypatch) == {appeal.id}
    with db.atomic():
        Post.create(appeal=appeal, side=Post.APPLICANT, body_html="<p>Кадастровый номер</p>")
        search_index.refresh_search_text(appeal)
        appeal.save()
    assert found_all_ways("кадастров", monkeypatch) == {appeal.id}
    appeal.delete_instance(recursive=True)
    assert found_all_ways("увеличение", monkeypatch) == set()
    if not is_postgres():
        # External content: the FTS5 index matches the table row for row.
        db.execute_sql("INSERT INTO appeal_fts(appeal_fts, rank) VALUES ('integrity-check', 1)")


def test_the_index_is_used(person):
    for n in range(30):
        make_appeal(person, Appeal.MESSAGE, subject=f"Тема {n} договор")
    if is_postgres():
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")
            sql, params = Appeal.select(Appeal.id).where(
                text_condition(Appeal.search_text, "договор")).sql()
            plan = "\n".join(r[0] for r in db.execute_sql("EXPLAIN " + sql, params))
        assert search_index.PG_INDEX in plan or "Bitmap Index Scan" in plan, plan
    else:
        sql, params = text_search(Appeal.select(Appeal.id), "отсутствует").sql()
        plan = " ".join(r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "VIRTUAL TABLE" in plan and "appeal_fts" in sql, plan
        sql, params = text_search(Appeal.select(Appeal.id), "договор", counting=True).sql()
        plan = " ".join(r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "VIRTUAL TABLE" in plan and "appeal_fts" in sql, plan


def _drop_search_index():
    if is_postgres():
        db.execute_sql(f"DROP INDEX IF EXISTS {search_index.PG_INDEX}")
    else:
        for suffix in ("ai", "ad", "au"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {search_index.FTS_TABLE}_{suffix}")
        db.execute_sql(f"DROP TABLE IF EXISTS {search_index.FTS_TABLE}")


def test_upgrade_from_version_1_builds_the_index_from_existing_appeals(person, monkeypatch):
    assert LATEST >= 2 and search_index.has_search_index()
    with db.atomic():
        _drop_search_index()
        SchemaVersion.update(version=1).execute()
    try:
        old = make_appeal(person, Appeal.MESSAGE, subject="Продление срока технических условий")
        assert not search_index.has_search_index()
        assert upgrade() == (1, LATEST)
        assert search_index.has_search_index()
        assert SchemaVersion.select().first().version == LATEST
        monkeypatch.setattr(search_index, "PROBE_LIMIT", 10_000)
        assert found_all_ways("продление", monkeypatch) == {old.id}
        assert upgrade() == (LATEST, LATEST)  # idempotent
    finally:
        if not search_index.has_search_index():
            search_index.create_search_index()
            SchemaVersion.update(version=LATEST).execute()


def test_fts_query_quotes_every_trigram():
    assert search_index.covering_trigrams("договор") == ["дог", "ово", "вор"]
    assert search_index.covering_trigrams("дом") == ["дом"]
    assert search_index.fts_query(['a"bc']) == '"a""b" """bc"'
    assert fold("ЁЖ") == "еж"
