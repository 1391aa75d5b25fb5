"""The solution library's pages: the three steps through the browser's requests, the second
edit, downloads, the widgets and the customer section, and scope (404 out of scope)."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document
from sqlalchemy import select

from tests.plugins.solutions.conftest import generate
from workbench.extensions import db
from workbench.org.scope import system_scope

from plugins.solutions.models import Proposal

pytestmark = [pytest.mark.plugins("solutions"), pytest.mark.locale("en")]


def proposals() -> list[Proposal]:
    with system_scope():
        return list(db.session.execute(select(Proposal).order_by(Proposal.id)).scalars())


def test_the_library_lists_products_with_search_and_filters(app, world, library, client_for):
    client = client_for(world.am1)
    page = client.get("/solutions/").get_data(as_text=True)
    assert "集团专线" in page and "智慧校园" in page
    page = client.get("/solutions/?q=校园").get_data(as_text=True)
    assert "智慧校园" in page and "集团专线" not in page
    page = client.get(f"/solutions/?industry={library.health.id}").get_data(as_text=True)
    assert "集团专线" in page and "云电脑" not in page


def test_an_empty_search_says_what_to_do_next(app, world, library, client_for):
    page = client_for(world.am1).get("/solutions/?q=不存在的产品").get_data(as_text=True)
    assert "No product matches" in page


def test_a_product_page_shows_its_published_material_and_prices(app, world, library, client_for):
    page = client_for(world.am1).get(f"/solutions/products/{library.line.id}").get_data(as_text=True)
    assert "集团专线介绍" in page and "医院专线案例" in page and "2,800.00" in page


def test_the_three_steps_generate_a_proposal_for_a_customer(app, world, library, client_for):
    client = client_for(world.am1)
    customer = world.customers["am1"]
    step1 = client.get("/solutions/new")
    assert step1.status_code == 200 and "集团专线" in step1.get_data(as_text=True)
    step2 = client.get(f"/solutions/new/customer?product={library.line.id}&product={library.cloud.id}")
    assert step2.status_code == 200 and "/search/suggest" in step2.get_data(as_text=True)
    query = f"product={library.line.id}&product={library.cloud.id}&customer_id={customer.id}"
    step3 = client.get(f"/solutions/new/generate?{query}")
    assert step3.status_code == 200 and customer.name in step3.get_data(as_text=True)
    response = client.post("/solutions/new/generate", data={"product": [library.line.id, library.cloud.id],
                                                            "customer_id": customer.id})
    assert response.status_code == 302
    [proposal] = proposals()
    assert response.headers["Location"].endswith(f"/solutions/proposals/{proposal.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "集团专线" in page and "云电脑" in page and "8,600.50" in page


def test_step_one_without_a_product_says_so(app, world, library, client_for):
    response = client_for(world.am1).get("/solutions/new/customer")
    assert response.status_code == 400 and "Choose at least one product" in response.get_data(as_text=True)


def test_an_unknown_product_sends_back_to_step_one(app, world, library, client_for):
    response = client_for(world.am1).post("/solutions/new/generate", data={"product": "999999", "prospect_name": "x"})
    assert response.status_code == 400 and "does not exist" in response.get_data(as_text=True)
    assert proposals() == []


def test_neither_customer_nor_prospect_is_shown_beside_the_customer_field(app, world, library, client_for):
    response = client_for(world.am1).post("/solutions/new/generate",
                                          data={"product": library.cloud.id, "prospect_name": "  "})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "invalid-feedback" in text and "Choose a customer" in text
    assert proposals() == []


def test_a_prospect_name_of_500_characters_is_refused_beside_the_field(app, world, library, client_for):
    response = client_for(world.am1).post("/solutions/new/generate",
                                          data={"product": library.cloud.id, "prospect_name": "长" * 500})
    assert response.status_code == 400 and "at most 200 characters" in response.get_data(as_text=True)
    assert proposals() == []


def test_a_customer_out_of_scope_is_refused_and_nothing_is_saved(app, world, library, client_for):
    response = client_for(world.am1).post("/solutions/new/generate", data={
        "product": library.cloud.id, "customer_id": world.customers["am3"].id})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Customer not found" in text
    assert world.customers["am3"].name not in text
    assert proposals() == []


def test_the_customer_autocomplete_offers_only_customers_in_scope(app, world, library, client_for):
    # Customers are indexed after each commit (the world fixture's): no rebuild needed.
    client = client_for(world.am1)
    mine = client.get("/search/suggest?type=customer&q=am1").get_json()["items"]
    theirs = client.get("/search/suggest?type=customer&q=am3").get_json()["items"]
    assert [i["title"] for i in mine] == ["am1的客户"]
    assert theirs == []


def test_a_proposal_its_download_and_its_api_answer_404_to_another_countys_manager(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id)
    outsider = client_for(world.outsider)
    for path in (f"/solutions/proposals/{proposal_id}", f"/solutions/proposals/{proposal_id}/download.docx",
                 f"/solutions/proposals/{proposal_id}/download.pdf", f"/api/v1/solutions/proposals/{proposal_id}",
                 f"/api/v1/solutions/proposals/{proposal_id}/document"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.post(f"/solutions/proposals/{proposal_id}/regenerate", data={"version": 1}).status_code == 404
    listing = outsider.get("/solutions/proposals").get_data(as_text=True)
    assert "am1的客户" not in listing
    assert outsider.get("/api/v1/solutions/proposals").get_json()["total"] == 0


def test_the_lead_sees_the_proposals_of_the_team(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id)
    assert client_for(world.lead).get(f"/solutions/proposals/{proposal_id}").status_code == 200


def test_removing_a_section_on_the_page_takes_it_out_of_the_download(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.line, library.cloud], prospect_name="某单位")
    [proposal] = proposals()
    cloud = proposal.sections[1]
    client = client_for(world.am1)
    response = client.post(f"/solutions/proposals/{proposal_id}/sections/{cloud.id}/remove",
                           data={"version": proposal.version})
    assert response.status_code == 302
    document = Document(io.BytesIO(client.get(f"/solutions/proposals/{proposal_id}/download.docx").data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["1  集团专线", "2  Price list"]


def test_editing_a_section_on_the_page_sanitizes_it(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], prospect_name="某单位")
    [proposal] = proposals()
    section = proposal.sections[0]
    client = client_for(world.am1)
    response = client.post(f"/solutions/proposals/{proposal_id}/sections/{section.id}/edit", data={
        "heading": "云电脑（定制）", "body_html": '<p>改写<img src=x onerror="alert(1)"><script>alert(2)</script></p>',
        "version": proposal.version})
    assert response.status_code == 302
    page = client.get(f"/solutions/proposals/{proposal_id}").get_data(as_text=True)
    assert "改写" in page and "onerror" not in page and "alert(2)" not in page


def test_a_stale_edit_on_the_page_shows_a_conflict_and_saves_nothing(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud, library.line], prospect_name="某单位")
    [proposal] = proposals()
    client = client_for(world.am1)
    client.post(f"/solutions/proposals/{proposal_id}/sections/{proposal.sections[1].id}/down",
                data={"version": proposal.version})
    response = client.post(f"/solutions/proposals/{proposal_id}/sections/{proposal.sections[0].id}/edit",
                           data={"heading": "新标题", "body_html": "<p>x</p>", "version": proposal.version})
    assert response.status_code == 200 and "Someone else changed" in response.get_data(as_text=True)


def test_dragging_sections_saves_the_new_order(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.line, library.cloud], prospect_name="某单位")
    [proposal] = proposals()
    first, second = [s.id for s in proposal.sections]
    client = client_for(world.am1)
    response = client.post(f"/solutions/proposals/{proposal_id}/order",
                           json={"sections": [second, first], "version": proposal.version})
    assert response.status_code == 200 and response.get_json()["version"] > proposal.version
    stale = client.post(f"/solutions/proposals/{proposal_id}/order",
                        json={"sections": [first, second], "version": proposal.version})
    assert stale.status_code == 409


def test_the_widgets_show_my_proposals_and_new_material(app, world, library, client_for):
    generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id)
    client = client_for(world.am1)
    mine = client.get("/homepage/widgets/solutions.my_proposals").get_data(as_text=True)
    assert "am1的客户" in mine
    assert "am1的客户" not in client_for(world.am2).get("/homepage/widgets/solutions.my_proposals").get_data(as_text=True)
    material = client.get("/homepage/widgets/solutions.new_material").get_data(as_text=True)
    assert "云电脑" in material


def test_the_customer_page_section_lists_the_customers_proposals(app, world, library, client_for):
    customer = world.customers["am1"]
    generate(world.am1, [library.cloud], customer_id=customer.id)
    page = client_for(world.am1).get(f"/customers/{customer.id}/sections/solutions.proposals").get_data(as_text=True)
    assert "am1的客户" in page and f"/solutions/new?customer_id={customer.id}" in page


def test_an_account_manager_cannot_open_curation_pages(app, world, library, client_for):
    client = client_for(world.am1)
    assert client.get("/solutions/review").status_code == 403
    assert client.get(f"/solutions/products/{library.line.id}/pieces/new").status_code == 403


def test_a_curator_writes_and_publishes_material_through_the_pages(app, world, library, client_for):
    client = client_for(library.curator)
    response = client.post(f"/solutions/products/{library.cloud.id}/pieces/new", data={
        "kind": "case", "title": "教育局云桌面", "industry_id": library.education.id,
        "body_html": "<p>全区教师云桌面<script>x</script></p>"})
    assert response.status_code == 302
    piece_id = int(re.search(r"/pieces/(\d+)", response.headers["Location"]).group(1))
    client.post(f"/solutions/pieces/{piece_id}/publish", data={"version": 1})
    page = client_for(world.am1).get(f"/solutions/products/{library.cloud.id}").get_data(as_text=True)
    assert "全区教师云桌面" in page and "<script>x" not in page


def test_a_price_table_with_a_bad_price_is_shown_beside_the_table(app, world, library, client_for):
    response = client_for(library.curator).post(f"/solutions/products/{library.cloud.id}/pieces/new", data={
        "kind": "prices", "title": "资费", "price-0-item": "云电脑", "price-0-unit_price": "贵"})
    assert response.status_code == 200 and "must be numbers" in response.get_data(as_text=True)


def test_proposals_search_finds_by_title(app, world, library, client_for):
    generate(world.am1, [library.cloud], prospect_name="甲单位")
    generate(world.am1, [library.cloud], prospect_name="乙单位")
    page = client_for(world.am1).get("/solutions/proposals?q=甲单位").get_data(as_text=True)
    assert "甲单位" in page and "乙单位" not in page
