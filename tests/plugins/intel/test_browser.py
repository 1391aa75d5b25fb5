"""The intel flow in a real browser (demo data): am1 records intel about a customer chosen
with the autocomplete (a bad date is refused beside the field first), the intel admin rates
it and pushes it to am2 and the lead, am2 finds it under "pushed to me" and marks it read.
The summary draws its charts. Every page stays clean (no console error, no CSP violation,
nothing off the machine) and fits a 375 px phone.

Screenshots: /tmp/shots/intel-*.png and test-artifacts/intel-*.png."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (REPORT_CSP_VIOLATIONS, browser, browser_page,  # noqa: F401
                                    database_url, live_server)
from tests.browser.pages import TIMEOUT_MS, assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("intel", "opportunity")]

SHOTS = Path("/tmp/shots")


def page_for(browser, live_server, username, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.problems, page.requested = [], []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console error on {page.url}: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"uncaught error on {page.url}: {e}"))
    page.on("request", lambda r: page.requested.append(r.url))
    page.base_url = live_server.url
    sign_in(page, username)
    return page


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"intel-{name}"), full_page=True)
    screenshot(page, f"intel-{name}")


def fits_a_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 380


def test_intel_goes_from_an_account_manager_to_the_people_concerned(browser, live_server):
    am1 = page_for(browser, live_server, "am1")
    am1.goto(am1.base_url + "/intel/new")
    am1.fill("[data-testid=intel-title]", "浏览器测试：联通专线降价")
    am1.select_option("[data-testid=intel-competitor]", label="中国联通")
    am1.fill("[data-testid=intel-customer]", "滨江县人民医")
    expect(am1.locator("#customer_suggestions [role=option]").first).to_contain_text("滨江县人民医院")
    am1.locator("#customer_suggestions [role=option]").first.click()
    expect(am1.locator("[data-testid=intel-customer-id]")).not_to_have_value("")
    am1.fill("[data-testid=intel-product]", "互联网专线")
    am1.fill("[data-testid=intel-offer]", "200M 每月3000元")
    am1.fill("[data-testid=intel-date]", (date.today() + timedelta(days=3)).isoformat())   # in the future
    am1.click("[data-testid=intel-submit]")
    expect(am1.locator("#observed_on ~ .invalid-feedback")).to_be_visible()
    shot(am1, "form-error.png")
    am1.fill("[data-testid=intel-date]", date.today().isoformat())
    am1.click("[data-testid=intel-submit]")
    expect(am1.locator("[data-testid=intel-status] [data-status=new]")).to_be_visible()
    url = am1.url
    assert_clean(am1)

    admin = page_for(browser, live_server, "intel")
    admin.goto(admin.base_url + "/intel/?tab=screening")
    expect(admin.get_by_text("浏览器测试：联通专线降价")).to_be_visible()
    shot(admin, "screening-list.png")
    admin.goto(url)
    admin.check("#value-0")
    admin.fill("[data-testid=intel-rate-tags]", "专线, 价格战")
    admin.click("[data-testid=intel-rate]")
    expect(admin.locator("[data-testid=intel-status] [data-status=screened]")).to_be_visible()
    recipients = admin.locator("[data-testid=intel-push-recipients]")
    am2_value = recipients.locator("option", has_text="张伟").first.get_attribute("value")
    lead_value = recipients.locator("option", has_text="王建国").first.get_attribute("value")
    recipients.select_option([am2_value, lead_value])
    admin.click("[data-testid=intel-push]")
    expect(admin.locator("[data-testid=intel-pushes]")).to_contain_text("张伟")
    shot(admin, "detail-admin.png")
    assert_clean(admin)

    am2 = page_for(browser, live_server, "am2")
    am2.goto(am2.base_url + "/intel/?tab=pushed")
    am2.get_by_text("浏览器测试：联通专线降价").click()
    expect(am2.locator("[data-testid=intel-pushed-banner]")).to_be_visible()
    shot(am2, "detail-recipient.png")
    am2.click("[data-testid=intel-mark-read]")
    expect(am2.locator("[data-testid=intel-pushed-banner]")).to_have_count(0)
    assert_clean(am2)


def test_the_summary_draws_its_charts_and_the_pages_fit_a_phone(browser, live_server):
    lead = page_for(browser, live_server, "lead")
    lead.goto(lead.base_url + "/intel/summary")
    expect(lead.locator("[data-chart=competitors] canvas")).to_be_visible()
    expect(lead.locator("[data-chart=regions] canvas")).to_be_visible()
    shot(lead, "summary.png")
    assert_clean(lead)

    phone = page_for(browser, live_server, "am1", width=375)
    for path, name in (("/intel/", "list-phone.png"), ("/intel/new", "form-phone.png"),
                       ("/intel/summary", "summary-phone.png")):
        phone.goto(phone.base_url + path)
        if path == "/intel/summary":
            for chart in ("competitors", "products", "regions"):
                expect(phone.locator(f"[data-chart={chart}] canvas")).to_be_visible()
            phone.wait_for_timeout(600)  # let the bars finish their entry animation
        fits_a_phone(phone)
        shot(phone, name)
    phone.goto(phone.base_url + "/intel/?tab=mine")
    phone.locator("[data-testid=intel-table] tbody a").first.click()
    fits_a_phone(phone)
    shot(phone, "detail-phone.png")
    assert_clean(phone)
