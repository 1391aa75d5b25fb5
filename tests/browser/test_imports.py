"""Importing in a real browser: upload a small .xlsx whose name column has a header the
workbench does not know, map it on the column page, start, watch the jobs progress bar finish
and read the result with the row that was not imported; the same at 375 px. Screenshots are
kept in test-artifacts/."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.pages import assert_clean, screenshot, sign_in

pytestmark = pytest.mark.csrf


def workbook_file(tmp_path) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户编码", "单位全称", "客户级别", "客户经理"])  # 单位全称: not a known header
    sheet.append(["B9001", "滨江县新材料研究院", "B", "am1"])
    sheet.append(["B9002", "滨江县智慧农业合作社", "Z", "am1"])  # a bad level: reported
    path = tmp_path / "新客户.xlsx"
    output = io.BytesIO()
    workbook.save(output)
    path.write_bytes(output.getvalue())
    return str(path)


@pytest.mark.parametrize("width", [1280, 375])
def test_upload_map_a_header_start_and_see_the_result(browser_page, tmp_path, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "admin")
    page.goto(page.base_url + "/imports/")
    page.select_option("#kind", "customers")
    page.set_input_files("#file", workbook_file(tmp_path))
    with page.expect_navigation():
        page.click("#wb-import-submit")

    # The column page: a preview of the rows, the unknown header flagged, the name missing.
    expect(page.locator("#wb-import-preview tbody tr")).to_have_count(2)
    expect(page.locator("#wb-import-missing")).to_be_visible()
    unknown = page.locator("#wb-import-mapping li", has_text="单位全称")
    expect(unknown.locator(".badge.text-bg-warning")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"import-columns-{width}.png")

    unknown.locator("select").select_option("name")
    with page.expect_navigation():
        page.click("#wb-import-start")

    # In the embedded default the job ran right after the start: the bar shows it finished.
    bar = page.locator("#wb-import-progress .wb-job-progress")
    expect(bar).to_have_attribute("data-job-state", "done")
    expect(bar.locator(".progress-bar")).to_have_text("100%")
    expect(page.locator("#wb-import-state")).to_be_visible()
    expect(page.locator("#wb-import-summary .wb-count").first).to_have_text("1")
    expect(page.locator("#wb-import-errors tbody tr")).to_have_count(1)
    expect(page.locator("#wb-import-errors")).to_contain_text("客户级别")
    expect(page.locator("#wb-import-report")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"import-result-{width}.png")

    with page.expect_download() as download:
        page.click("#wb-import-report")
    assert download.value.suggested_filename == "新客户-errors.xlsx"

    # The history lists the run; the page still fits the screen.
    page.goto(page.base_url + "/imports/")
    expect(page.locator("#wb-import-history tbody tr")).to_have_count(1)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"import-page-{width}.png")
    assert_clean(page)
