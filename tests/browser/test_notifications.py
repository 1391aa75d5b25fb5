"""Notifications in a real browser: the header bell shows the unread count, the list opens
from it and marking read updates the bell; the bulk SMS page counts characters and SMS
segments as one types (notify_sms.js); both fit a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.pages import assert_clean, screenshot, sign_in
from workbench.auth.models import User
from workbench.extensions import db
from workbench.notify import services

pytestmark = pytest.mark.csrf


def unread_of(username: str) -> int:
    db.session.rollback()  # see what the server committed
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    return services.unread_count(user)


def test_an_account_manager_sees_the_bell_count_opens_the_list_and_reads_one(browser_page):
    page = browser_page
    sign_in(page, "am1")
    unread = unread_of("am1")
    assert unread > 0, "the demo's to-dos from the lead notified am1"
    bell = page.locator("#wb-bell [data-testid=bell-count]")
    expect(bell).to_have_text(str(unread))

    page.click("#wb-bell")
    expect(page).to_have_url(re.compile(r"/notifications/\?show=unread$"))
    rows = page.locator("#wb-notification-list li[data-unread='1']")
    expect(rows).to_have_count(min(unread, 20))
    screenshot(page, "notifications.png")

    rows.first.locator("button[type=submit]").click()
    expect(bell).to_have_text(str(unread - 1))
    assert unread_of("am1") == unread - 1

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(page.base_url + "/notifications/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    screenshot(page, "notifications-phone.png")
    assert_clean(page)


def test_the_bulk_sms_page_counts_characters_and_segments_while_typing(browser_page):
    page = browser_page
    sign_in(page, "lead")
    page.goto(page.base_url + "/notifications/sms/new")
    expect(page.locator("#wb-contacts tbody tr").first).to_be_visible()
    page.fill("#text", "短" * 80)
    counter = page.locator("#wb-sms-counter")
    expect(counter).to_contain_text("80")
    expect(page.locator("#wb-sms-preview li")).to_have_count(2)  # 80 characters: two parts of at most 67
    page.fill("#text", "短" * 250)
    expect(counter).to_have_class(re.compile(r"text-danger"))
    page.check("#wb-select-page")
    assert page.locator("input.wb-contact:checked").count() == page.locator("input.wb-contact").count()
    screenshot(page, "bulk-sms.png")
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert_clean(page)
