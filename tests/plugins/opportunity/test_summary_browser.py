"""The opportunity summary in a real browser (demo data): every chart draws from its JSON on a
desktop and on a 375 px phone, the page stays clean (no console error, no CSP violation, no
request off the machine), and clicking through to the targets page works.

Screenshots: test-artifacts/opportunity-summary-*.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

# The browser fixtures (SQLite only, demo data, live server, Chromium).
from tests.browser.conftest import browser, browser_page, database_url, live_server  # noqa: F401
from tests.browser.pages import assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("opportunity")]

CATEGORIES = ["leased_line_internet", "leased_line_data", "cloud", "iot", "idc", "leased_line_voice",
              "enterprise_broadband", "industry_sms"]
STAGES = ["new", "assignment", "survey_review", "pre_execution", "signed", "confirmation", "closed"]


@pytest.fixture(autouse=True)
def figures(live_server):
    """On top of the demo: opportunities of the 江城 account managers spread over this and last
    month, and the demo targets, so every chart has something to draw."""
    from types import SimpleNamespace

    from sqlalchemy import select

    from plugins.opportunity import services, summary
    from tests.plugins.opportunity.test_summary import put
    from workbench.auth.models import User
    from workbench.customers.models import Customer
    from workbench.extensions import db
    from workbench.org.models import OrgUnit
    from workbench.org.scope import system_scope
    from workbench.records import utcnow

    today = summary.local_today()
    with system_scope():
        services.ensure_catalogue()  # the migration inserts it; tests build tables with create_all
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
        summary.seed_demo_targets(SimpleNamespace(users=users, units=units))
        for index in range(36):
            owner = users[("am1", "am2", "am3")[index % 3]]
            customer = db.session.execute(select(Customer).where(Customer.owner_id == owner.id)
                                          .order_by(Customer.id).limit(1)).scalar_one()
            created = summary.utc_start_of(today - timedelta(days=(index * 5) % 45)) + timedelta(hours=2)
            stage = STAGES[index % len(STAGES)]
            put(owner, customer, category=CATEGORIES[index % len(CATEGORIES)], stage=stage,
                kind="competitive" if index % 4 == 0 else "demand", created=created,
                converted=min(created + timedelta(days=2), utcnow()),
                signed=min(created + timedelta(days=3), utcnow()) if stage == "signed" else None,
                expected=str(20000 + 7500 * (index % 9)),
                signed_revenue=str(18000 + 7000 * (index % 9)) if stage == "signed" else None)
        db.session.commit()


def wait_for_charts(page) -> int:
    charts = page.locator("[data-chart]")
    count = charts.count()
    for index in range(count):
        expect(charts.nth(index)).to_have_attribute("data-rendered", "true")
        # ECharts drew into a canvas of the chart's size.
        expect(charts.nth(index).locator("canvas").first).to_be_visible()
    return count


@pytest.mark.parametrize("username", ["lead", "citymgr"])
def test_the_summary_draws_every_chart_on_a_desktop(browser_page, username):
    page = browser_page
    sign_in(page, username)
    page.goto(page.base_url + "/opportunity/summary")
    expect(page.locator('[data-testid="summary-figures"]')).to_be_visible()
    assert wait_for_charts(page) >= 3
    screenshot(page, f"opportunity-summary-{username}-desktop.png")
    assert_clean(page)


def test_the_summary_works_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "lead")
    page.goto(page.base_url + "/opportunity/summary")
    assert wait_for_charts(page) >= 3
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"
    screenshot(page, "opportunity-summary-lead-phone.png")
    assert_clean(page)


def test_an_account_manager_sees_their_month_against_the_target(browser_page):
    page = browser_page
    sign_in(page, "am1")
    page.goto(page.base_url + "/opportunity/summary")
    expect(page.locator('[data-testid="progress-revenue"]')).to_be_visible()
    wait_for_charts(page)
    screenshot(page, "opportunity-summary-am1-desktop.png")
    assert_clean(page)


def test_the_lead_sets_a_grid_target_and_sees_it_on_the_summary(browser_page):
    page = browser_page
    sign_in(page, "lead")
    page.goto(page.base_url + "/opportunity/summary")
    with page.expect_navigation():
        page.click('[data-testid="summary-targets-link"]')
    first_branch = page.locator('[data-testid^="target-row-u"]').nth(1)
    first_branch.locator('input[name$="-revenue"]').fill("-5")
    with page.expect_navigation():
        page.click('[data-testid="targets-save"]')
    expect(first_branch.locator(".invalid-feedback")).to_be_visible()
    # The refused form answers 400 on purpose; that is not a problem of the page.
    page.problems = [p for p in page.problems if "/opportunity/targets" not in p]
    first_branch.locator('input[name$="-revenue"]').fill("150000")
    first_branch.locator('input[name$="-leased_lines"]').fill("4")
    with page.expect_navigation():
        page.click('[data-testid="targets-save"]')
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, "opportunity-targets-lead.png")
    page.goto(page.base_url + "/opportunity/summary")
    expect(page.locator('[data-testid="table-targets"]')).to_contain_text("¥150,000")
    wait_for_charts(page)
    assert_clean(page)
