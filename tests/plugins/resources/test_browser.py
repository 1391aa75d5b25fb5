"""Resource requests in a real browser (demo data): am1 finds a gift in the catalogue by its
pinyin, requests it for a customer chosen through the autocomplete; the lead and the city
manager approve (the last approval reserves the stock); the city manager issues it; am1
confirms the use. The pages stay clean (no console error, no CSP violation, no request off
the machine) on a desktop and on a 375 px phone.

Screenshots: test-artifacts/resources-*.png, copied to /tmp/shots/."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser, browser_page, database_url, live_server  # noqa: F401
from tests.browser.pages import assert_clean, screenshot, sign_in, wait_until_loaded

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("resources")]

SHOTS = Path("/tmp/shots")


def shot(page, name):
    path = screenshot(page, name)
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / name)


def switch_to(page, username):
    page.goto("about:blank")  # no lazy fragment of the last page may land after the cookies go
    page.context.clear_cookies()
    sign_in(page, username)


def test_an_am_requests_a_gift_and_it_is_approved_issued_and_used(browser_page):
    page = browser_page
    sign_in(page, "am1")
    page.goto(page.base_url + "/resources/?q=bwb")
    expect(page.locator("[data-testid=resources-catalogue]")).to_contain_text("定制保温杯")
    shot(page, "resources-catalogue-am1.png")
    page.locator("[data-testid=resources-request-item]").first.click()
    page.fill("[data-testid=resources-customer]", "滨江县人民医")
    expect(page.locator("#customer_suggestions [role=option]").first).to_contain_text("滨江县人民医院")
    page.locator("#customer_suggestions [role=option]").first.click()
    expect(page.locator("[data-testid=resources-customer-id]")).not_to_have_value("")
    page.fill("[data-testid=resources-title]", "院庆答谢礼品")
    page.fill("[data-testid=resources-purpose]", "医院院庆，拜访信息科答谢。")
    page.fill("#lines-0-quantity", "3")
    shot(page, "resources-new-am1.png")
    page.click("[data-testid=resources-submit]")
    expect(page.locator("[data-testid=resources-state]")).to_have_attribute("data-state", "pending")
    expect(page.locator("[data-testid=resources-chain] li").first).to_have_class("badge text-bg-primary")
    wait_until_loaded(page)
    assert_clean(page)
    request_url = page.url

    for approver in ("lead", "citymgr"):
        switch_to(page, approver)
        page.goto(request_url)
        page.click("[data-testid=resources-approve]")
        expect(page.locator(".alert-success")).to_be_visible()
        if approver == "lead":
            wait_until_loaded(page)
            shot(page, "resources-detail-lead.png")
    expect(page.locator("[data-testid=resources-state]")).to_have_attribute("data-state", "approved")
    page.click("[data-testid=resources-issue]")
    expect(page.locator("[data-testid=resources-state]")).to_have_attribute("data-state", "issued")
    assert_clean(page)

    switch_to(page, "am1")
    page.goto(request_url)
    page.fill("#use-note", "院庆当天已交付信息科，客户表示感谢。")
    page.click("[data-testid=resources-confirm]")
    expect(page.locator("[data-testid=resources-state]")).to_have_attribute("data-state", "used")
    wait_until_loaded(page)
    shot(page, "resources-detail-used-am1.png")
    assert_clean(page)


def test_the_resource_pages_work_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "am2")
    for path, name in (("/resources/", "catalogue"), ("/resources/requests/new", "new"),
                       ("/resources/requests", "requests")):
        page.goto(page.base_url + path)
        wait_until_loaded(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        shot(page, f"resources-{name}-phone-am2.png")
    page.locator("[data-testid=resources-requests] a").first.click()
    wait_until_loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "resources-detail-phone-am2.png")
    assert_clean(page)


def test_the_stock_keeper_sees_the_ledger_and_the_report(browser_page):
    page = browser_page
    sign_in(page, "citymgr")
    page.goto(page.base_url + "/resources/stock")
    page.locator("[data-testid=resources-stock] a", has_text="蓝牙音箱").click()
    expect(page.locator("[data-testid=resources-ledger]")).to_contain_text("期初入库")
    shot(page, "resources-stock-citymgr.png")
    page.goto(page.base_url + "/resources/report?group=type")
    expect(page.locator("[data-testid=resources-report]")).to_be_visible()
    shot(page, "resources-report-citymgr.png")
    assert_clean(page)
