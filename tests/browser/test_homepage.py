"""The homepage in a real browser: arranging widgets survives a reload, a broken widget stays
alone, the page fits a phone, and the language switch reaches the menu."""
from __future__ import annotations

import dataclasses
import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.browser.pages import open_todos_of, assert_clean, screenshot, sign_in, wait_for_widgets, widget_order

# CSRF stays on: the page's own JS must send the token from the meta tag, as in production.
pytestmark = pytest.mark.csrf

PHONE = {"width": 375, "height": 812}


def test_an_account_manager_moves_a_widget_and_the_layout_is_kept_after_a_reload(browser_page):
    page = browser_page
    sign_in(page, "am1")
    wait_for_widgets(page)
    before = widget_order(page)
    assert before[:2] == ["inbox.my_todos", "homepage.quick_links"]

    todo_link = page.locator('[data-key="inbox.my_todos"] .list-group a').first
    todo_title = todo_link.inner_text()
    todo_link.click()
    expect(page.locator("#wb-todo-title")).to_have_text(todo_title)

    page.locator('#wb-menu a.nav-link[href="/"]').click()
    wait_for_widgets(page)
    page.click("#wb-edit-toggle")
    expect(page.locator("#wb-edit-toggle")).to_have_attribute("aria-pressed", "true")
    move_down = page.locator('[data-key="inbox.my_todos"] .wb-move-widget[data-direction="down"]')
    with page.expect_response(lambda r: r.url.endswith("/homepage/layout") and r.request.method == "POST") as saved:
        move_down.click()
    assert saved.value.ok, saved.value.text()
    moved = widget_order(page)
    assert moved == [before[1], before[0], *before[2:]]

    page.reload()
    wait_for_widgets(page)

    assert widget_order(page) == moved
    screenshot(page, "homepage-am1.png")
    assert_clean(page)


def test_a_widget_that_fails_shows_an_error_card_and_the_rest_of_the_homepage_works(app, browser_page, monkeypatch):
    widgets = app.extensions["workbench.plugins"].widgets

    def broken():
        raise RuntimeError("the customer book is unavailable")

    monkeypatch.setitem(widgets, "customers.mine",
                        dataclasses.replace(widgets["customers.mine"], render=broken))
    page = browser_page
    sign_in(page, "am1")
    wait_for_widgets(page)

    expect(page.locator('[data-key="customers.mine"] .wb-widget-error')).to_be_visible()
    expect(page.locator('[data-key="inbox.my_todos"] [data-testid="todo-total"]')).to_have_text(str(open_todos_of("am1")))
    page.click("#wb-edit-toggle")
    with page.expect_response(lambda r: r.url.endswith("/homepage/layout") and r.request.method == "POST") as saved:
        page.locator('[data-key="customers.mine"] .wb-move-widget[data-direction="up"]').click()
    assert saved.value.ok
    assert_clean(page)


def test_a_widget_endpoint_that_errors_shows_a_message_in_its_card_only(browser_page):
    page = browser_page
    page.route("**/homepage/widgets/inbox.my_todos", lambda route: route.fulfill(status=500, body="Internal Server Error"))
    sign_in(page, "am1")
    wait_for_widgets(page)

    expect(page.locator('[data-key="inbox.my_todos"] .wb-fragment-error')).to_be_visible()
    expect(page.locator('[data-key="customers.mine"] .list-group a').first).to_be_visible()
    # The only problem reported is the failed request we made fail.
    assert all("500" in problem for problem in page.problems), page.problems
    page.problems.clear()
    assert_clean(page)


def test_the_homepage_fits_a_phone_and_its_menu_opens(browser_page):
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, "am1")
    wait_for_widgets(page)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "homepage-phone.png")
    menu_link = page.locator('#wb-menu a[data-menu-key="inbox"]')
    expect(menu_link).to_be_hidden()
    page.click(".navbar-toggler")
    expect(menu_link).to_be_visible()
    # Bootstrap ignores a toggle while the menu is still sliding open.
    expect(page.locator("#wb-menu")).to_have_class(re.compile(r"\bshow\b"))
    page.click(".navbar-toggler")
    expect(menu_link).to_be_hidden()
    page.click("#wb-edit-toggle")
    expect(page.locator('[data-key="inbox.my_todos"] .wb-move-widget[data-direction="down"]')).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "homepage-phone-arranging.png")
    assert_clean(page)


def test_switching_the_language_to_english_changes_the_menu(app, browser_page):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese_home, chinese_todos = gettext("Home"), gettext("To-dos")
    page = browser_page
    sign_in(page, "am1")
    home = page.locator('#wb-menu a.nav-link[href="/"]')
    todos = page.locator('#wb-menu a[data-menu-key="inbox"]')
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(home).to_have_text(chinese_home)
    expect(todos).to_have_text(chinese_todos)

    page.click("#wb-user-menu")
    with page.expect_navigation():
        page.click('#wb-menu button[lang="en"]')

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(home).to_have_text("Home")
    expect(todos).to_have_text("To-dos")
    page.reload()  # the choice is saved on the account, not just for this page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_clean(page)


def test_a_layout_change_the_server_refuses_is_reported_as_not_saved(browser_page):
    page = browser_page
    sign_in(page, "am1")
    wait_for_widgets(page)
    before = widget_order(page)
    # A stale page: its CSRF token no longer matches the session, so the server answers 400
    # with an HTML error page, which must not read as "saved".
    page.evaluate("() => { window.workbench.csrfToken = 'stale-token'; }")
    page.click("#wb-edit-toggle")
    with page.expect_response(lambda r: r.url.endswith("/homepage/layout") and r.request.method == "POST") as refused:
        page.locator('[data-key="inbox.my_todos"] .wb-move-widget[data-direction="down"]').click()
    assert refused.value.status == 400

    expect(page.locator("#wb-layout-status")).to_have_class(re.compile(r"\btext-danger\b"))
    expect(page.locator("#wb-layout-status")).to_have_text(
        page.locator("#wb-homepage").get_attribute("data-save-error"))
    page.reload()
    wait_for_widgets(page)
    assert widget_order(page) == before
