"""A proposal in three steps in a real browser, as the demo's account manager: choose
products, pick the customer from the autocomplete, generate; then the second edit (move,
remove, edit the text) and the .docx download — on a desktop and at 375 px."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.browser.pages import assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.csrf, pytest.mark.plugins("solutions")]

SHOTS = Path("/tmp/shots/solutions")


def shot(page, name: str) -> None:
    path = screenshot(page, f"solutions-{name}.png")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


def choose_products(page, names):
    for name in names:
        page.locator("#wb-product-choices label", has_text=name).locator("input").check()


def test_an_account_manager_produces_a_proposal_in_three_steps_and_downloads_it(browser_page):
    page = browser_page
    sign_in(page, "am1")
    page.goto(page.base_url + "/solutions/")
    expect(page.locator("#wb-solution-products")).to_contain_text("5G行业专网")
    shot(page, "library")

    page.click("#wb-new-proposal")
    choose_products(page, ["智慧医疗", "集团专线"])
    shot(page, "step1")
    with page.expect_navigation():
        page.click("#wb-step1-next")

    page.fill("#customer_search", "滨江县人民")
    option = page.locator("#customer_suggestions [role=option]", has_text="滨江县人民医院")
    expect(option).to_be_visible()
    shot(page, "step2")
    option.click()
    with page.expect_navigation():
        page.click("#wb-step2-next")

    expect(page.locator("#wb-recipient")).to_contain_text("滨江县人民医院")
    shot(page, "step3")
    with page.expect_navigation():
        page.click("#wb-generate")

    sections = page.locator("#wb-sections [data-section-id]")
    expect(sections).to_have_count(2)
    # Chapters follow the order of the product list.
    expect(sections.first).to_contain_text("集团专线")
    expect(page.locator("#wb-price-total")).to_be_visible()
    shot(page, "proposal")

    # Second edit: move the second chapter up, remove the other one, edit the first one's text.
    with page.expect_navigation():
        sections.nth(1).locator("button[aria-label]").first.click()
    expect(sections.first).to_contain_text("智慧医疗")
    with page.expect_navigation():
        sections.nth(1).locator("form[action$='/remove'] button").click()
    expect(sections.nth(1).locator("form[action$='/restore']")).to_have_count(1)
    with page.expect_navigation():
        sections.first.locator("a[href$='/edit']").click()
    editor = page.locator("[contenteditable=true]")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type("为滨江县人民医院定制。")
    with page.expect_navigation():
        page.click("#wb-section-form button[type=submit]")
    expect(page.locator("#wb-sections")).to_contain_text("为滨江县人民医院定制。")

    with page.expect_download() as download_info:
        page.click("#wb-download-docx")
    data = Path(download_info.value.path()).read_bytes()
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "1  智慧医疗" and all("集团专线" not in h for h in headings)
    assert any("为滨江县人民医院定制" in p.text for p in document.paragraphs)
    assert_clean(page)


def test_the_proposal_pages_work_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "am1")
    page.goto(page.base_url + "/solutions/proposals")
    expect(page.locator("#wb-proposal-table")).to_be_visible()
    with page.expect_navigation():
        page.locator("#wb-proposal-table a").first.click()
    expect(page.locator("#wb-sections [data-section-id]").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width}px)"
    shot(page, "proposal-375")
    page.goto(page.base_url + "/solutions/new")
    shot(page, "step1-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_clean(page)
