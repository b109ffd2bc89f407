"""«Список обращений» in a real browser: every filter, the search and each sort on a seeded
set of appeals, the back link and the browser's back button, and the appeal page's reply."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from domain.accounts.credentials import hash_password
from models import Appeal, Post, User
from tests.appeal_factory import make_appeal
from tests.browser.conftest import login_via_page

pytestmark = pytest.mark.browser

BASE = dt.datetime(2020, 7, 27, 6, 54)
EMAIL, PASSWORD = "list@example.ru", "Secret-pass1"


@pytest.fixture
def seeded():
    """A person with three active messages, a ТП application, a draft and an archived one."""
    user = User.create(email=EMAIL, legal_form=User.PERSON, last_name="Сергеев",
                       first_name="Петр", password_hash=hash_password(PASSWORD), confirmed=True)
    day = dt.timedelta(days=1)
    make_appeal(user, Appeal.MESSAGE, subject="Изменение условий текущего договора на ТП",
                created_at=BASE + 2 * day, updated_at=BASE + 2 * day)
    make_appeal(user, Appeal.MESSAGE, subject="Изменения условий текущего договора", reg_number="899",
                last_status="Присвоен регистрационный номер: 899", unread=True, new_post=True,
                created_at=BASE, updated_at=BASE + 3 * day,
                posts=[(Post.APPLICANT, "<p>Здравствуйте, необходимо внести изменения</p>"),
                       (Post.GRID, "<p>Просим направить документы</p>")])
    make_appeal(user, Appeal.MESSAGE, subject="Смена собственника",
                created_at=BASE + day, updated_at=BASE + day)
    make_appeal(user, Appeal.TP, created_at=BASE + 4 * day, updated_at=BASE + 4 * day)
    make_appeal(user, Appeal.MESSAGE, Appeal.DRAFT, subject="Недописанное письмо",
                created_at=BASE + 5 * day)
    make_appeal(user, Appeal.MESSAGE, Appeal.ARCHIVE, subject="Старый вопрос",
                created_at=BASE - day)
    return user


def summaries(page):
    """The summaries of the visible rows, top to bottom."""
    return page.locator(".appeal-row .appeal-summary").all_inner_texts()


def tab(page, group, name):
    """A filter or sort link inside its labelled group."""
    return page.get_by_role("navigation", name=group).get_by_role("link", name=name, exact=True)


def click(page, locator):
    with page.expect_navigation():
        locator.click()


def test_filters_search_and_sorts(live_server, page, seeded):
    login_via_page(page, live_server.url, EMAIL, PASSWORD)
    click(page, page.get_by_role("navigation", name="Главное меню")
          .get_by_role("link", name="Документооборот"))
    expect(page.get_by_role("heading", name="Список обращений")).to_be_visible()
    # Default: Активные, newest update first (↑ Дата обновления).
    assert summaries(page) == ["≤15 кВт постоянная схема соответствует п.14 Правил",
                               "Тема: Изменения условий текущего договора",
                               "Тема: Изменение условий текущего договора на ТП",
                               "Тема: Смена собственника"]
    unread = page.locator(".appeal-row.unread")
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text("Статус: Присвоен регистрационный номер: 899")
    expect(unread).to_contain_text("Создано: 27.07.2020, 09:54")

    click(page, tab(page, "По статусу обращения", "Черновики"))
    assert summaries(page) == ["Тема: Недописанное письмо"]
    expect(page.locator(".appeal-row")).to_contain_text("Черновик")
    click(page, tab(page, "По статусу обращения", "Архив"))
    assert summaries(page) == ["Тема: Старый вопрос"]
    click(page, tab(page, "По статусу обращения", "Активные"))

    click(page, tab(page, "По типу обращения", "Заявки ТП"))
    assert summaries(page) == ["≤15 кВт постоянная схема соответствует п.14 Правил"]
    click(page, tab(page, "По типу обращения", "Сообщения"))
    assert len(summaries(page)) == 3

    click(page, tab(page, "По статусу осведомления", "Непрочитанные"))
    assert summaries(page) == ["Тема: Изменения условий текущего договора"]
    click(page, tab(page, "По статусу осведомления", "Прочитанные"))
    assert summaries(page) == ["Тема: Изменение условий текущего договора на ТП",
                               "Тема: Смена собственника"]
    click(page, tab(page, "По статусу осведомления", "Все"))
    assert "kind=message" in page.url  # the other choices stayed

    # Each sort (the manual: ↓ ascending, ↑ descending).
    expected = {
        "↓ Дата создания": ["Изменения условий текущего договора", "Смена собственника",
                            "Изменение условий текущего договора на ТП"],
        "↑ Дата создания": ["Изменение условий текущего договора на ТП", "Смена собственника",
                            "Изменения условий текущего договора"],
        "↓ Дата обновления": ["Смена собственника", "Изменение условий текущего договора на ТП",
                              "Изменения условий текущего договора"],
        "↑ Дата обновления": ["Изменения условий текущего договора",
                              "Изменение условий текущего договора на ТП", "Смена собственника"],
    }
    for name, order in expected.items():
        click(page, tab(page, "Сортировка", name))
        expect(tab(page, "Сортировка", name)).to_have_attribute("aria-current", "true")
        assert summaries(page) == [f"Тема: {s}" for s in order], name

    # The search, lower case, keeps the filters and the sort.
    box = page.get_by_label("Поиск по обращениям")
    box.fill("изменение условий")
    with page.expect_navigation():
        box.press("Enter")
    assert summaries(page) == ["Тема: Изменение условий текущего договора на ТП"]
    assert "sort=updated_desc" not in page.url and "kind=message" in page.url
    box = page.get_by_label("Поиск по обращениям")
    expect(box).to_have_value("изменение условий")
    box.fill("899")
    with page.expect_navigation():
        page.get_by_role("button", name="Найти").click()
    assert summaries(page) == ["Тема: Изменения условий текущего договора"]
    box = page.get_by_label("Поиск по обращениям")
    box.fill("нет такого")
    with page.expect_navigation():
        box.press("Enter")
    expect(page.get_by_text("Отсутствуют обращения")).to_be_visible()


def test_open_read_reply_and_come_back(live_server, page, seeded):
    login_via_page(page, live_server.url, EMAIL, PASSWORD)
    page.goto(f"{live_server.url}/appeals?kind=message&sort=created_asc")
    listed = page.url
    click(page, page.get_by_role("link", name="Тема: Изменения условий текущего договора"))
    expect(page.get_by_text("Новое сообщение от Сетевой")).to_be_visible()
    expect(page.get_by_text("Регистрационный номер: 899", exact=True)).to_be_visible()
    expect(page.locator(".thread")).to_contain_text("Просим направить документы")
    # Reply through the rich-text editor.
    page.get_by_role("textbox", name="Новое сообщение").fill("Документы направлю завтра")
    click(page, page.get_by_role("button", name="Отправить", exact=True))
    expect(page.get_by_text("Сообщение отправлено")).to_be_visible()
    expect(page.locator(".thread .post").last).to_contain_text("Документы направлю завтра")
    expect(page.get_by_text("Новое сообщение от Сетевой")).to_have_count(0)
    # Back to the same filtered, sorted list; the row is read now.
    click(page, page.get_by_role("link", name="← Вернуться к списку обращений"))
    assert page.url == listed
    expect(page.locator(".appeal-row.unread")).to_have_count(0)
    click(page, tab(page, "По статусу осведомления", "Непрочитанные"))
    expect(page.get_by_text("Отсутствуют обращения")).to_be_visible()
    page.go_back()
    assert page.url == listed
    assert summaries(page)[0] == "Тема: Изменения условий текущего договора"
