"""Global search in a real browser: type in the header box, get results grouped by type with
the words highlighted — on a desktop and inside the collapsed menu of a 375 px phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_clean, screenshot, sign_in

pytestmark = pytest.mark.csrf


def test_typing_in_the_header_box_shows_grouped_highlighted_results(browser_page):
    page = browser_page
    sign_in(page, "am1")
    page.fill("#wb-search-q", "滨江 医院")
    with page.expect_navigation():
        page.press("#wb-search-q", "Enter")

    group = page.locator('.wb-search-group[data-type="customer"]')
    expect(group).to_be_visible()
    expect(group.locator(".wb-search-result").first).to_contain_text("滨江县人民医院")
    expect(group.locator(".wb-search-result mark").first).to_be_visible()
    expect(page.locator('#wb-search-types a[data-type="customer"] .badge')).to_have_text("2")
    expect(page.locator("#wb-search-q")).to_have_value("滨江 医院")
    screenshot(page, "search.png")

    group.locator(".wb-search-result a").first.click()
    page.wait_for_selector("#wb-customer-name")
    assert_clean(page)


def test_the_search_box_works_from_the_phone_menu(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "am1")
    page.click(".navbar-toggler")
    page.fill("#wb-search-q", "bjxrm")  # pinyin initials of 滨江县人民(医院)
    with page.expect_navigation():
        page.click("#wb-search-submit")

    results = page.locator(".wb-search-result")
    expect(results.first).to_contain_text("滨江县人民医院")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    screenshot(page, "search-phone.png")
    assert_clean(page)
