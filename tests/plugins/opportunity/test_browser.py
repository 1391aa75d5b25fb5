"""The opportunity flow in a real browser (demo data): an account manager reports a leased
line (the category's fields appear as the category changes), the opportunity manager
publishes it to the pool, another account manager claims it and is awarded it, submits the
survey, the lead approves it and the manager confirms it into the contract pre-execution
pool. Every page stays clean (no console error, no CSP violation, nothing off the machine);
the pages are also checked at 375 px.

Screenshots: /tmp/shots/opportunity/ and test-artifacts/opportunity-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (REPORT_CSP_VIOLATIONS, browser, browser_page,  # noqa: F401
                                    database_url, live_server)
from tests.browser.pages import TIMEOUT_MS, assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("opportunity")]

SHOTS = Path("/tmp/shots/opportunity")


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
    page.screenshot(path=str(SHOTS / name), full_page=True)
    screenshot(page, f"opportunity-{name}")


def test_an_opportunity_goes_from_report_to_the_pre_execution_pool(browser, live_server):
    am1 = page_for(browser, live_server, "am1")
    am1.goto(am1.base_url + "/opportunity/new")
    am1.fill("[data-testid=opportunity-customer]", "滨江县人民医")   # the autocomplete: only am1's customers
    expect(am1.locator("#customer_suggestions [role=option]").first).to_contain_text("滨江县人民医院")
    shot(am1, "customer-suggestions.png")
    am1.locator("#customer_suggestions [role=option]").first.click()
    expect(am1.locator("[data-testid=opportunity-customer-id]")).not_to_have_value("")
    am1.select_option("[data-testid=opportunity-category]", "leased_line_internet")
    expect(am1.locator("#x_bandwidth")).to_be_visible()
    am1.fill("[data-testid=opportunity-title]", "浏览器测试互联网专线")
    am1.fill("#x_bandwidth", "200")
    am1.fill("#x_sites", "two")                      # not a number: refused beside the field
    am1.fill("#x_addresses", "滨江路1号")
    am1.select_option("#x_access_method", "PTN")
    am1.click("[data-testid=opportunity-submit]")
    expect(am1.locator("#x_sites + .invalid-feedback, #x_sites ~ .invalid-feedback")).to_be_visible()
    shot(am1, "form-error.png")
    am1.fill("#x_sites", "2")
    am1.click("[data-testid=opportunity-submit]")
    expect(am1.locator("[data-testid=opportunity-stage] [data-stage=new]")).to_be_visible()
    url = am1.url
    assert_clean(am1)

    manager = page_for(browser, live_server, "oppmgr")
    manager.goto(url)
    manager.click("[data-testid=opportunity-publish]")
    expect(manager.locator("[data-testid=opportunity-stage] [data-stage=pool]")).to_be_visible()

    am2 = page_for(browser, live_server, "am2")
    am2.goto(am2.base_url + "/opportunity/pool")
    expect(am2.get_by_text("浏览器测试互联网专线")).to_be_visible()
    shot(am2, "pool.png")
    am2.goto(url)
    am2.click("[data-testid=opportunity-claim]")
    expect(am2.locator("[data-testid=opportunity-claimed]")).to_be_visible()

    manager.goto(url)
    manager.select_option("[data-testid=opportunity-award-claim]", index=1)
    manager.click("[data-testid=opportunity-award]")
    expect(manager.locator("[data-testid=opportunity-stage] [data-stage=assignment]")).to_be_visible()

    am2.goto(url)
    am2.fill("[data-testid=opportunity-survey-report]", "机房具备接入条件")
    am2.click("[data-testid=opportunity-submit-survey]")
    expect(am2.locator("[data-testid=opportunity-stage] [data-stage=survey_review]")).to_be_visible()

    lead = page_for(browser, live_server, "lead")
    lead.goto(url)
    shot(lead, "survey-review.png")
    lead.click("[data-testid=opportunity-review]")
    expect(lead.locator("[data-testid=opportunity-stage] [data-stage=confirmation]")).to_be_visible()

    manager.goto(url)
    manager.click("[data-testid=opportunity-confirm]")
    expect(manager.locator("[data-testid=opportunity-stage] [data-stage=pre_execution]")).to_be_visible()
    shot(manager, "detail-pre-execution.png")
    for page in (am1, manager, am2, lead):
        assert_clean(page)


def test_the_pages_work_on_a_phone(browser, live_server):
    page = page_for(browser, live_server, "am1", width=375)
    for path, name in (("/opportunity/", "list-phone.png"), ("/opportunity/new", "form-phone.png")):
        page.goto(page.base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 380
        shot(page, name)
    page.goto(page.base_url + "/opportunity/?stage=pre_execution")
    page.locator("#opportunity-table a").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "detail-phone.png")
    page.goto(page.base_url + "/")
    expect(page.locator(".spinner-border")).to_have_count(0)
    shot(page, "homepage-phone.png")
    assert_clean(page)


def test_the_desktop_list_and_the_catalogue(browser, live_server):
    page = page_for(browser, live_server, "lead")
    page.goto(page.base_url + "/opportunity/")
    expect(page.locator("#opportunity-table tbody tr").first).to_be_visible()
    shot(page, "list.png")
    assert_clean(page)
    admin = page_for(browser, live_server, "admin")
    admin.goto(admin.base_url + "/opportunity/catalogue")
    expect(admin.locator("[data-testid=sla-form]")).to_be_visible()
    shot(admin, "catalogue.png")
    assert_clean(admin)
