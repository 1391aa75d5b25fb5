"""The work log in a real browser (demo data, with the opportunity plugin so its events write
real system logs): am1 writes a customer-service log from the homepage's quick-entry widget —
picking the customer and a contact, a next step with a follow-up date — without leaving the
homepage, then finds it on the customer's service trail next to the system entries, looks at
the week's visit plans and the month calendar, and does the same at 375 px. Every page stays
clean (no console error, no CSP violation, nothing off the machine).

Screenshots: /tmp/shots/worklog-*.png and test-artifacts/worklog-*.png."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (REPORT_CSP_VIOLATIONS, browser, browser_page,  # noqa: F401
                                    database_url, live_server)
from tests.browser.pages import TIMEOUT_MS, assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("worklog", "opportunity")]

SHOTS = Path("/tmp/shots")
LAYOUT = """async () => {
  const r = await fetch('/homepage/layout', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': window.workbench.csrfToken},
    body: JSON.stringify({widgets: [{key: 'worklog.quick_entry', width: 6}, {key: 'worklog.week_visits', width: 6}]})});
  return r.status;
}"""


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
    page.screenshot(path=str(SHOTS / f"worklog-{name}"), full_page=True)
    screenshot(page, f"worklog-{name}")


def test_an_account_manager_logs_from_the_homepage_and_finds_it_on_the_trail(browser, live_server):
    am1 = page_for(browser, live_server, "am1")
    am1.goto(am1.base_url + "/")
    assert am1.evaluate(LAYOUT) == 200
    am1.goto(am1.base_url + "/")
    quick = am1.locator("[data-testid=worklog-quick]")
    expect(quick).to_be_visible()
    quick.locator("label[for=wlq-kind-service]").click()
    quick.locator("[data-testid=worklog-customer-search]").fill("人民医院")
    option = quick.locator("[data-testid=worklog-suggestions] [role=option]").first
    expect(option).to_contain_text("滨江县人民医院")
    shot(am1, "quick-suggestions.png")
    option.click()
    expect(quick.locator("[data-testid=worklog-chosen-customer]")).to_have_text("滨江县人民医院")
    contacts = quick.locator("[data-testid=worklog-contacts] input[type=checkbox]")
    if contacts.count():
        contacts.first.check()
    quick.locator("[data-testid=worklog-quick-content]").fill("浏览器测试：协助客户处理专线故障，已恢复")
    quick.locator("summary").click()
    quick.locator("#wlq-next").fill("下周回访确认稳定性")
    quick.locator("#wlq-follow").fill((date.today() + timedelta(days=3)).isoformat())
    quick.locator("[data-testid=worklog-quick-save]").click()
    expect(am1.locator("[data-testid=worklog-quick-saved]")).to_contain_text("滨江县人民医院")
    assert am1.url.rstrip("/") == am1.base_url.rstrip("/")  # never left the homepage
    shot(am1, "quick-saved.png")

    am1.locator("[data-testid=worklog-quick-saved] a").click()
    expect(am1.locator("[data-testid=worklog-detail]")).to_contain_text("协助客户处理专线故障")
    am1.locator("[data-testid=worklog-detail] a", has_text="滨江县人民医院").click()
    trail = am1.locator("[data-testid=worklog-trail]")
    expect(trail).to_contain_text("协助客户处理专线故障")
    shot(am1, "customer-trail.png")

    am1.goto(am1.base_url + "/worklog/plans")
    expect(am1.locator("[data-testid=worklog-plan]").first).to_be_visible()
    shot(am1, "plans.png")
    am1.goto(am1.base_url + "/worklog/calendar?view=month")
    expect(am1.locator("[data-testid=worklog-calendar-grid]")).to_be_visible()
    shot(am1, "calendar-month.png")
    am1.goto(am1.base_url + "/worklog/?origin=system")
    expect(am1.locator("[data-testid=worklog-list]")).to_be_visible()  # opportunity events → system entries
    shot(am1, "system-entries.png")
    assert_clean(am1)

    phone = page_for(browser, live_server, "am1", width=375)
    phone.goto(phone.base_url + "/")
    expect(phone.locator("[data-testid=worklog-quick]")).to_be_visible()
    shot(phone, "phone-home.png")
    phone.goto(phone.base_url + "/worklog/calendar")
    expect(phone.locator("[data-testid=worklog-calendar-list]")).to_be_visible()
    expect(phone.locator("[data-testid=worklog-calendar-grid]")).to_be_hidden()
    shot(phone, "phone-calendar.png")
    phone.goto(phone.base_url + "/worklog/")
    shot(phone, "phone-list.png")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the list is {width}px wide on a phone"
    assert_clean(phone)
