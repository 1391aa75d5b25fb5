"""The core pages load in a real browser without console errors, CSP violations or requests
off the machine, on a desktop and on a 375 px phone; screenshots are kept as artifacts."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import open_todos_of, assert_clean, screenshot, sign_in, wait_for_widgets, wait_until_loaded

pytestmark = pytest.mark.csrf


def open_first_customer(page) -> None:
    page.goto(page.base_url + "/customers/")
    page.locator("#wb-customer-table tbody a").first.click()
    page.wait_for_selector("#wb-customer-name")
    wait_until_loaded(page)


INBOX_PAGE_SIZE = 25


def test_homepage_inbox_and_customer_pages_load_cleanly(browser_page):
    page = browser_page
    page.goto(page.base_url + "/login")
    screenshot(page, "login.png")
    sign_in(page, "am1")
    wait_for_widgets(page)

    page.goto(page.base_url + "/inbox/")
    open_todos = open_todos_of("am1")
    # The inbox shows 25 to-dos a page; with every module's demo to-dos am1 has more.
    expect(page.locator("#wb-todo-list .todo-row")).to_have_count(min(open_todos, INBOX_PAGE_SIZE))
    if open_todos > INBOX_PAGE_SIZE:
        expect(page.locator(".pagination")).to_have_count(1)
    screenshot(page, "inbox.png")
    page.goto(page.base_url + "/customers/")
    expect(page.locator("#wb-customer-table tbody tr")).to_have_count(10)
    screenshot(page, "customers.png")
    open_first_customer(page)
    expect(page.locator(".wb-card .card-body .text-danger")).to_have_count(0)
    screenshot(page, "customer.png")

    assert_clean(page)
    assert len(page.requested) > 10  # the recording worked: pages, assets, fragments


@pytest.mark.parametrize("path", ["/login", "/inbox/", "/customers/", "customer"])
def test_core_pages_fit_a_phone(browser_page, path):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    if path != "/login":
        sign_in(page, "am1")
    if path == "customer":
        open_first_customer(page)
    else:
        page.goto(page.base_url + path)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    name = path.strip("/") or "home"
    screenshot(page, f"{name}-phone.png")
    assert_clean(page)
