"""«Список обращений»: filters, text search, sorting, paging, rows, bounded queries."""
import datetime as dt
import re
from html import unescape

import pytest

from domain.appeals.listing.keyset import PAGE_SIZE
from models import Appeal, Post
from tests.appeal_factory import make_appeal, other_applicant, supplier
from tests.query_count import count_queries

BASE = dt.datetime(2020, 7, 30, 19, 49)  # 22:49 in Moscow


def rows(response):
    """The visible rows of the list: each as its text with whitespace collapsed."""
    html = response.get_data(as_text=True)
    items = re.findall(r'<li class="appeal-row[^"]*">(.*?)</li>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def subjects(response):
    """The «Тема: …» of each visible message row, in order."""
    return [re.search(r"Тема: (.*?)(?: Статус| Черновик| Регистрационный| Создано)", r).group(1)
            for r in rows(response)]


@pytest.fixture
def messages(applicant):
    """Four messages with distinct dates, states and read states, plus one ТП application."""
    items = {
        "first": make_appeal(applicant, Appeal.MESSAGE, subject="Первое",
                             created_at=BASE, updated_at=BASE + dt.timedelta(days=5)),
        "second": make_appeal(applicant, Appeal.MESSAGE, subject="Второе", unread=True,
                              created_at=BASE + dt.timedelta(days=1),
                              updated_at=BASE + dt.timedelta(days=2)),
        "third": make_appeal(applicant, Appeal.MESSAGE, subject="Третье",
                             created_at=BASE + dt.timedelta(days=2),
                             updated_at=BASE + dt.timedelta(days=3)),
        "draft": make_appeal(applicant, Appeal.MESSAGE, Appeal.DRAFT, subject="Черновое",
                             created_at=BASE + dt.timedelta(days=3)),
        "archived": make_appeal(applicant, Appeal.MESSAGE, Appeal.ARCHIVE, subject="Архивное",
                                created_at=BASE + dt.timedelta(days=4)),
    }
    items["tp"] = make_appeal(applicant, Appeal.TP, created_at=BASE + dt.timedelta(hours=1),
                              updated_at=BASE + dt.timedelta(hours=1))
    return items


def test_list_needs_login(client):
    response = client.get("/appeals")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_empty_list_says_no_appeals(client, applicant):
    page = client.get("/appeals").get_data(as_text=True)
    assert "Отсутствуют обращения" in page
    for word in ("Активные", "Черновики", "Архив", "Заявки ТП", "Сообщения", "Непрочитанные",
                 "Прочитанные", "↓ Дата создания", "↑ Дата создания", "↓ Дата обновления",
                 "↑ Дата обновления", "Список обращений"):
        assert word in page
    assert "Документооборот" in page  # the menu item appears once the list exists


def test_row_shows_kind_summary_status_number_and_moscow_times(client, applicant):
    make_appeal(applicant, Appeal.TP, Appeal.DRAFT, created_at=BASE, updated_at=BASE)
    make_appeal(applicant, Appeal.MESSAGE, subject="Изменение условий текущего договора на ТП",
                reg_number="899", last_status="Присвоен регистрационный номер: 899",
                created_at=BASE, updated_at=BASE + dt.timedelta(minutes=10))
    (draft,) = rows(client.get("/appeals?state=draft"))
    assert draft == ("Заявка на технологическое присоединение (в том числе временное) "
                     "≤15 кВт постоянная схема соответствует п.14 Правил Черновик "
                     "Создано: 30.07.2020, 22:49 Обновление: 30.07.2020, 22:49")
    (message,) = rows(client.get("/appeals"))
    assert message == ("Сообщение к ООО «Калиновские Электрические Сети» "
                       "Тема: Изменение условий текущего договора на ТП "
                       "Статус: Присвоен регистрационный номер: 899 "
                       "Регистрационный номер: 899 "
                       "Создано: 30.07.2020, 22:49 Обновление: 30.07.2020, 22:59")


def test_company_summary_names_point_12_1(client, auth):
    from tests.data import COMPANY
    auth.register(**COMPANY)
    from models import User
    make_appeal(User.by_email(COMPANY["email"]), Appeal.TP, power="15_150", scheme="temporary",
                complies=False)
    (row,) = rows(client.get("/appeals"))
    assert ">15 и ≤150 кВт временная схема не соответствует п.12(1) Правил" in row


def test_state_filters(client, messages):
    assert subjects(client.get("/appeals?kind=message")) == ["Первое", "Третье", "Второе"]
    assert subjects(client.get("/appeals?state=draft")) == ["Черновое"]
    assert subjects(client.get("/appeals?state=archive")) == ["Архивное"]


def test_kind_filters(client, messages):
    everything = rows(client.get("/appeals"))
    assert len(everything) == 4
    tp = rows(client.get("/appeals?kind=tp"))
    assert len(tp) == 1 and tp[0].startswith("Заявка на технологическое присоединение")
    assert len(rows(client.get("/appeals?kind=message"))) == 3


def test_read_filters_and_unread_mark(client, messages):
    assert subjects(client.get("/appeals?kind=message&read=unread")) == ["Второе"]
    assert subjects(client.get("/appeals?kind=message&read=read")) == ["Первое", "Третье"]
    html = client.get("/appeals?kind=message").get_data(as_text=True)
    marked = re.findall(r'<li class="appeal-row unread">.*?Тема: ([^<\s]+)', html, re.S)
    assert marked == ["Второе"]
    # Opening it marks it read.
    client.get(f"/appeals/{messages['second'].id}")
    assert subjects(client.get("/appeals?kind=message&read=unread")) == []
    assert "Второе" in subjects(client.get("/appeals?kind=message&read=read"))


def test_sorts(client, messages):
    url = "/appeals?kind=message&sort="
    assert subjects(client.get(url + "created_asc")) == ["Первое", "Второе", "Третье"]
    assert subjects(client.get(url + "created_desc")) == ["Третье", "Второе", "Первое"]
    assert subjects(client.get(url + "updated_asc")) == ["Второе", "Третье", "Первое"]
    assert subjects(client.get(url + "updated_desc")) == ["Первое", "Третье", "Второе"]
    # The default is the most recently updated first.
    assert subjects(client.get("/appeals?kind=message")) == ["Первое", "Третье", "Второе"]


def test_filter_links_keep_the_other_choices(client, messages):
    html = unescape(client.get("/appeals?kind=message&sort=created_asc&q=тема")
                    .get_data(as_text=True))
    link = re.search(r'href="([^"]*)">Непрочитанные', html).group(1)
    assert "kind=message" in link and "sort=created_asc" in link and "read=unread" in link
    assert "q=" in link
    # The search form carries the filters too.
    form = html[html.index('role="search"'):html.index("</form>", html.index('role="search"'))]
    assert 'name="kind" value="message"' in form and 'name="sort" value="created_asc"' in form


def test_search_is_case_insensitive_for_russian(client, applicant):
    make_appeal(applicant, Appeal.MESSAGE, subject="Изменение условий текущего договора на ТП")
    make_appeal(applicant, Appeal.MESSAGE, subject="Смена собственника")
    assert subjects(client.get("/appeals?q=изменение условий")) == [
        "Изменение условий текущего договора на ТП"]
    assert subjects(client.get("/appeals?q=ИЗМЕНЕНИЕ")) == [
        "Изменение условий текущего договора на ТП"]
    # Every word must match.
    assert subjects(client.get("/appeals?q=изменение собственника")) == []
    assert "Отсутствуют обращения" in client.get("/appeals?q=ничего").get_data(as_text=True)


def test_search_covers_number_status_messages_comment_and_supplier(client, applicant):
    make_appeal(applicant, Appeal.MESSAGE, subject="Номер", reg_number="899")
    make_appeal(applicant, Appeal.MESSAGE, subject="Статус", last_status="Заявка аннулирована")
    make_appeal(applicant, Appeal.MESSAGE, subject="Переписка",
                posts=[(Post.GRID, "<p>Просим направить <b>ПРАВОУСТАНАВЛИВАЮЩИЕ</b> документы</p>")])
    make_appeal(applicant, Appeal.TP, Appeal.ACTIVE, comment_html="<p>Ёлочная гирлянда</p>",
                supplier=supplier())
    assert subjects(client.get("/appeals?q=899")) == ["Номер"]
    assert subjects(client.get("/appeals?q=аннулирована")) == ["Статус"]
    assert subjects(client.get("/appeals?q=правоустанавливающие")) == ["Переписка"]
    found = rows(client.get("/appeals?q=елочная"))  # ё and е are the same letter here
    assert len(found) == 1 and found[0].startswith("Заявка на технологическое")
    assert len(rows(client.get("/appeals?q=калиновскэнергосбыт"))) == 1


def test_search_wildcards_are_literal(client, applicant):
    make_appeal(applicant, Appeal.MESSAGE, subject="Скидка 100% на счет")
    make_appeal(applicant, Appeal.MESSAGE, subject="Другое")
    assert subjects(client.get("/appeals?q=%25")) == ["Скидка 100% на счет"]
    assert subjects(client.get("/appeals?q=_")) == []


def test_search_combines_with_filters(client, messages):
    assert subjects(client.get("/appeals?q=черновое")) == []
    assert subjects(client.get("/appeals?q=черновое&state=draft")) == ["Черновое"]


def test_only_own_appeals_are_listed(client, applicant):
    stranger = other_applicant()
    make_appeal(stranger, Appeal.MESSAGE, subject="Чужое")
    make_appeal(applicant, Appeal.MESSAGE, subject="Своё")
    assert subjects(client.get("/appeals")) == ["Своё"]
    assert subjects(client.get("/appeals?q=чужое")) == []


def test_paging_keeps_filters_and_sort(client, applicant):
    total = PAGE_SIZE * 2 + 5
    for n in range(total):
        make_appeal(applicant, Appeal.MESSAGE, subject=f"Письмо {n:03d}",
                    created_at=BASE + dt.timedelta(minutes=n))
    make_appeal(applicant, Appeal.TP, created_at=BASE)
    seen, url, pages = [], "/appeals?kind=message&sort=created_asc", 0
    while url:
        response = client.get(url)
        seen += subjects(response)
        pages += 1
        html = unescape(response.get_data(as_text=True))
        match = re.search(r'rel="next" href="([^"]+)"', html)
        url = match.group(1) if match else None
        if url:
            assert "kind=message" in url and "sort=created_asc" in url
    assert pages == 3
    assert seen == [f"Письмо {n:03d}" for n in range(total)]
    # Back from the last page.
    html = unescape(response.get_data(as_text=True))
    prev = re.search(r'rel="prev" href="([^"]+)"', html).group(1)
    assert subjects(client.get(prev)) == [f"Письмо {n:03d}" for n in range(PAGE_SIZE, 2 * PAGE_SIZE)]


def test_paging_with_equal_times_loses_nothing(client, applicant):
    for n in range(PAGE_SIZE + 3):
        make_appeal(applicant, Appeal.MESSAGE, subject=f"Тот же миг {n}", created_at=BASE)
    first = client.get("/appeals?sort=created_desc")
    nxt = re.search(r'rel="next" href="([^"]+)"', unescape(first.get_data(as_text=True))).group(1)
    seen = subjects(first) + subjects(client.get(nxt))
    assert sorted(seen) == sorted(f"Тот же миг {n}" for n in range(PAGE_SIZE + 3))


def test_bad_parameters_fall_back_to_defaults(client, messages):
    response = client.get("/appeals?state=x&kind=y&read=z&sort=w&after=garbage&before=1-x")
    assert response.status_code == 200 and len(rows(response)) == 4


def test_rows_link_to_the_page_with_the_list_view(client, messages):
    html = unescape(client.get("/appeals?kind=message&sort=created_asc").get_data(as_text=True))
    link = re.search(r'href="(/appeals/\d+\?back=[^"]+)"', html).group(1)
    page = unescape(client.get(link).get_data(as_text=True))
    back = re.search(r'href="([^"]+)">← Вернуться к списку обращений', page).group(1)
    assert back.startswith("/appeals?") and "kind=message" in back and "sort=created_asc" in back


def test_script_in_subject_is_inert(client, applicant):
    make_appeal(applicant, Appeal.MESSAGE, subject='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = client.get("/appeals").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def _seed(applicant, n, start=0):
    for i in range(start, start + n):
        make_appeal(applicant, Appeal.MESSAGE if i % 2 else Appeal.TP, subject=f"Тема {i}",
                    reg_number=str(i) if i % 3 else None, unread=bool(i % 4),
                    supplier=supplier() if i % 5 == 0 else None)


def test_list_makes_the_same_number_of_queries_for_5_and_50_appeals(client, applicant):
    _seed(applicant, 5)
    with count_queries() as few:
        assert len(rows(client.get("/appeals"))) == 5
    _seed(applicant, 45, start=5)
    with count_queries() as many:
        assert len(rows(client.get("/appeals"))) == PAGE_SIZE
    assert len(few) == len(many), (few, many)
    with count_queries() as searched:
        client.get("/appeals?q=тема&read=unread&kind=message&sort=created_asc")
    # On SQLite a search may first probe the trigram index once (search_index.probe, cached).
    assert len(searched) <= len(few) + 1
    assert len(few) <= 5, few
