"""ICT projects in a real browser (demo data): the AM plans a milestone, adds a colleague to
the team and submits the project; the lead approves it on the review page, which creates the
work order; the pages stay clean (no console error, no CSP violation, no request off the
machine) on a desktop and on a 375 px phone.

Screenshots: test-artifacts/ict-*.png (copied to /tmp/shots/ict/ when that folder exists)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser, browser_page, database_url, live_server  # noqa: F401
from tests.browser.pages import assert_clean, screenshot, sign_in, wait_until_loaded

pytestmark = [pytest.mark.browser, pytest.mark.csrf, pytest.mark.plugins("ict", "opportunity")]

SHOTS = Path("/tmp/shots/ict")


def shot(page, name):
    path = screenshot(page, name)
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / name)


def sign_out(page):
    page.context.clear_cookies()


def test_an_am_submits_a_project_and_the_lead_approves_it_in_the_browser(browser_page):
    page = browser_page
    sign_in(page, "am1")
    page.goto(page.base_url + "/ict/")
    expect(page.locator("#ict-projects")).to_be_visible()
    shot(page, "ict-list-am1.png")
    page.locator("#ict-projects a", has_text="智慧园区综合管理平台").click()
    expect(page.locator("#ict-submit")).to_be_visible()
    page.fill("#milestones input[name=title]", "现场勘察")
    page.fill("#milestones input[name=planned_date]", "2026-12-20")
    page.locator("#milestones button[type=submit]").last.click()
    expect(page.locator("#milestones")).to_contain_text("现场勘察")
    page.fill("#team input[name=username]", "am2")
    page.locator("#team select[name=role]").select_option("delivery")
    page.locator("#team button[type=submit]").last.click()
    expect(page.locator('#team [data-member="am2"]')).to_be_visible()
    page.click("#ict-submit")
    expect(page.locator(".ict-stage-bar [aria-current=step]")).to_contain_text("2.")
    wait_until_loaded(page)
    shot(page, "ict-detail-review-am1.png")
    assert_clean(page)
    project_url = page.url

    sign_out(page)
    sign_in(page, "lead")
    page.goto(project_url)
    page.click("#ict-review")
    expect(page.locator("#ict-approve")).to_be_visible()
    shot(page, "ict-review-lead.png")
    page.click("#ict-approve")
    expect(page.locator(".ict-stage-bar [aria-current=step]")).to_contain_text("3.")
    expect(page.locator("#ict-order-stage")).to_be_visible()
    wait_until_loaded(page)
    shot(page, "ict-detail-monitoring-lead.png")
    assert_clean(page)


def test_the_project_pages_work_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "am2")
    page.goto(page.base_url + "/ict/")
    expect(page.locator("#ict-projects")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#ict-projects a", has_text="工业园区5G专网").click()
    expect(page.locator("#work-order")).to_be_visible()
    wait_until_loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "ict-detail-phone-am2.png")
    assert_clean(page)


def test_the_homepage_widgets_draw_the_stage_chart_and_list_the_milestones(browser_page, app):
    from sqlalchemy import select

    from workbench.auth.models import User
    from workbench.extensions import db
    from workbench.homepage import services as homepage

    am1 = db.session.execute(select(User).where(User.username == "am1")).scalar_one()
    homepage.save_layout(am1, [{"key": "ict.my_projects", "width": 6}, {"key": "ict.milestones_due", "width": 6}])
    db.session.commit()
    page = browser_page
    sign_in(page, "am1")
    wait_until_loaded(page)
    expect(page.locator(".ict-stage-chart canvas").first).to_be_visible()
    expect(page.locator(".ict-stage-chart")).to_have_attribute("data-rendered", "true")
    expect(page.locator(".ict-milestones-due li").first).to_be_visible()
    shot(page, "ict-widgets-am1.png")
    assert_clean(page)
