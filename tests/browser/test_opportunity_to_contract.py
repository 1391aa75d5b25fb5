"""The whole path in a real browser, with the people who do each step signed in in their own
browser: an account manager reports an opportunity, the opportunity manager publishes it to
the pool, the account manager claims it and the manager awards it, the survey is submitted
and reviewed by the lead, the manager confirms it into the contract pre-execution pool; the
account manager generates the contract work order, fills it in, generates the draft from a
standard template, submits it; the lead (business) and the city manager (branch) approve;
the signed scan is uploaded; the contract manager confirms — and the opportunity shows
"signed". Screenshots of each step go to /tmp/shots/contract/."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import TIMEOUT_MS, assert_clean, sign_in
from plugins.contract.demo import _pdf

pytestmark = [pytest.mark.browser, pytest.mark.plugins("opportunity", "contract")]

SHOTS = Path("/tmp/shots/contract")
TITLE = "浏览器测试：市档案馆上云"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def person(browser, live_server):
    """person(username) → a signed-in page in its own browser context."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.problems, page.requested = [], []
        page.on("pageerror", lambda error: page.problems.append(f"uncaught error on {page.url}: {error}"))
        page.on("console", lambda message: message.type == "error" and page.problems.append(
            f"console error on {page.url}: {message.text}"))
        page.on("request", lambda request: page.requested.append(request.url))
        page.base_url = live_server.url
        sign_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_an_opportunity_goes_from_report_to_a_confirmed_contract(person):
    am = person("am1")
    manager = person("oppmgr")
    lead = person("lead")

    # 1. The account manager reports the opportunity.
    am.goto(am.base_url + "/opportunity/new")
    am.fill("[data-testid=opportunity-customer]", "滨江县人民医")  # the customer autocomplete
    am.locator("#customer_suggestions [role=option]").first.click()
    am.check("input[name=kind][value=demand]")
    with am.expect_response(re.compile(r"/opportunity/fields")):
        am.select_option("[data-testid=opportunity-category]", "cloud")
    am.select_option("#x_product", "云主机")
    am.fill("[data-testid=opportunity-title]", TITLE)
    am.fill("#expected_revenue", "150000")
    shoot(am, "01-report")
    with am.expect_navigation():
        am.click("[data-testid=opportunity-submit]")
    opportunity_url = am.url
    assert re.search(r"/opportunity/\d+$", opportunity_url), opportunity_url

    # 2. The opportunity manager publishes it to the pool; the AM claims; the manager awards.
    manager.goto(opportunity_url)
    with manager.expect_navigation():
        manager.click("[data-testid=opportunity-publish]")
    shoot(manager, "02-published")
    am.goto(opportunity_url)
    with am.expect_navigation():
        am.click("[data-testid=opportunity-claim]")
    expect(am.locator("[data-testid=opportunity-claimed]")).to_be_visible()
    manager.goto(opportunity_url)
    claim = manager.locator("[data-testid=opportunity-award-claim] option:not([value=''])").first.get_attribute("value")
    manager.select_option("[data-testid=opportunity-award-claim]", claim)
    with manager.expect_navigation():
        manager.click("[data-testid=opportunity-award]")
    shoot(manager, "03-awarded")

    # 3. The AM submits the survey; the lead approves it; the manager confirms.
    am.goto(opportunity_url)
    am.fill("[data-testid=opportunity-survey-report]", "已现场勘察：机房条件具备，客户预算已落实。")
    with am.expect_navigation():
        am.click("[data-testid=opportunity-submit-survey]")
    lead.goto(opportunity_url)
    lead.check("[data-testid=opportunity-review-approve]")
    with lead.expect_navigation():
        lead.click("[data-testid=opportunity-review]")
    shoot(lead, "04-survey-reviewed")
    manager.goto(opportunity_url)
    manager.check("[data-testid=opportunity-confirm-approve]")
    with manager.expect_navigation():
        manager.click("[data-testid=opportunity-confirm]")
    shoot(manager, "05-confirmed")

    # 4. The AM generates the contract work order from the opportunity page and fills it in.
    am.goto(opportunity_url)
    with am.expect_navigation():
        am.click("[data-testid=opportunity-generate-contract]")
    shoot(am, "06-generate")
    with am.expect_navigation():
        am.click("[data-testid=contract-generate]")
    assert am.url.endswith("/edit")
    start = date.today() + timedelta(days=7)
    am.fill("#party_b", "中国电信股份有限公司江城分公司")
    am.fill("#start_date", start.isoformat())
    am.fill("#end_date", (start + timedelta(days=3 * 365)).isoformat())
    am.fill("#payment_terms", "合同签订后支付30%，验收后支付70%。")
    with am.expect_navigation():
        am.click("[data-testid=contract-save]")
    am.select_option("#generate-template_id", label="通用信息化服务合同")
    with am.expect_navigation():
        am.click("[data-testid=contract-generate-draft]")
    expect(am.locator("[data-testid=contract-file-download]")).to_contain_text("通用信息化服务合同")
    shoot(am, "07-filled")
    with am.expect_navigation():
        am.click("[data-testid=contract-save-submit]")
    contract_url = am.url
    expect(am.locator("[data-testid=contract-state]")).to_have_attribute("data-state", "business_review")
    shoot(am, "08-submitted")

    # 5. The lead (business) and the city manager (branch) approve.
    lead.goto(contract_url)
    lead.fill("#approve-note", "业务条款无误")
    with lead.expect_navigation():
        lead.click("[data-testid=contract-approve]")
    shoot(lead, "09-business-approved")
    branch = person("citymgr")
    branch.goto(contract_url)
    with branch.expect_navigation():
        branch.click("[data-testid=contract-approve]")
    expect(branch.locator("[data-testid=contract-state]")).to_have_attribute("data-state", "signing")

    # 6. The AM uploads the signed scan; the contract manager confirms.
    am.goto(contract_url)
    am.set_input_files("#signed-file", files=[{"name": "盖章扫描件.pdf", "mimeType": "application/pdf",
                                               "buffer": _pdf("signed")}])
    shoot(am, "10-signed-copy")
    with am.expect_navigation():
        am.click("[data-testid=contract-signed-upload]")
    expect(am.locator("[data-testid=contract-state]")).to_have_attribute("data-state", "confirmation")
    contracts = person("contractmgr")
    contracts.goto(contract_url)
    with contracts.expect_navigation():
        contracts.click("[data-testid=contract-confirm]")
    expect(contracts.locator("[data-testid=contract-state]")).to_have_attribute("data-state", "confirmed")
    shoot(contracts, "11-confirmed")

    # 7. The opportunity is signed.
    am.goto(opportunity_url)
    expect(am.locator("[data-testid=opportunity-stage] [data-stage]")).to_have_attribute("data-stage", "signed")
    shoot(am, "12-opportunity-signed")

    # The pages at phone width, and the homepage widgets.
    am.set_viewport_size({"width": 375, "height": 800})
    for name, path in (("13-list-375", "/contract/"), ("14-detail-375", contract_url.replace(am.base_url, "")),
                       ("15-templates-375", "/contract/templates")):
        am.goto(am.base_url + path)
        shoot(am, name)
    am.set_viewport_size({"width": 1280, "height": 900})
    am.goto(am.base_url + "/")
    expect(am.locator(".spinner-border")).to_have_count(0)
    shoot(am, "16-homepage")
    from plugins.opportunity.models import Opportunity
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    with system_scope():
        db.session.expire_all()
        signed = db.session.query(Opportunity).filter_by(title=TITLE).one()
        assert signed.stage == "signed" and signed.contract_id is not None
    for page in (am, manager, lead, branch, contracts):
        assert_clean(page)
