"""The warning loop in a real browser (demo data): am1 opens "my warnings", a revenue warning
with its indicator chart, is refused beside the note for "lost" without one, records what
was done and closes the loop; the lead reads the report; the admin refuses a bad threshold.
Every page stays clean (no console error, no CSP violation) and works at 375 px.

Screenshots: /tmp/shots/warning-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (REPORT_CSP_VIOLATIONS, browser, browser_page,  # noqa: F401
                                    database_url, live_server)
from tests.browser.pages import TIMEOUT_MS, assert_clean, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("warning")]

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
    page.screenshot(path=str(SHOTS / f"warning-{name}"), full_page=True)


def test_an_account_manager_closes_the_loop_of_a_warning(browser, live_server):
    am1 = page_for(browser, live_server, "am1")
    am1.goto(am1.base_url + "/warning/?mine=1")
    expect(am1.locator("[data-testid=warning-table] tbody tr").first).to_be_visible()
    shot(am1, "list.png")
    am1.goto(am1.base_url + "/warning/?mine=1&rule=revenue_change")
    am1.locator("[data-testid=warning-table] tbody tr a").first.click()
    expect(am1.locator(".warning-chart[data-rendered=true]")).to_be_visible()
    am1.select_option("#action", "visited")
    am1.select_option("#outcome", "lost")
    am1.click("[data-testid=handle-submit]")
    expect(am1.locator("#note ~ .invalid-feedback")).to_be_visible()
    shot(am1, "handle-error.png")
    am1.fill("#note", "客户已转网，已上报挽留方案")
    am1.click("[data-testid=handle-submit]")
    expect(am1.locator("[data-testid=warning-handling]")).to_be_visible()
    shot(am1, "handled.png")
    am1.goto(am1.base_url + "/")
    expect(am1.locator(".spinner-border")).to_have_count(0)
    assert_clean(am1)

    lead = page_for(browser, live_server, "lead")
    lead.goto(lead.base_url + "/warning/report")
    expect(lead.locator("[data-testid=report-table]")).to_be_visible()
    shot(lead, "report.png")
    assert_clean(lead)

    admin = page_for(browser, live_server, "admin")
    admin.goto(admin.base_url + "/warning/settings")
    admin.fill("[id='revenue_change.drop_pct']", "500")
    admin.click("[data-testid=thresholds-save]")
    expect(admin.locator("[id='revenue_change.drop_pct'] ~ .invalid-feedback")).to_be_visible()
    shot(admin, "settings-error.png")
    assert_clean(admin)


def test_the_warning_pages_work_on_a_phone(browser, live_server):
    page = page_for(browser, live_server, "am1", width=375)
    page.goto(page.base_url + "/warning/?mine=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "list-phone.png")
    page.locator("[data-testid=warning-table] tbody tr a").first.click()
    expect(page.locator(".warning-chart[data-rendered=true]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "detail-phone.png")
    assert_clean(page)
