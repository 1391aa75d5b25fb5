"""The solution library's JSON API: products, proposals in scope, generating, the document."""
from __future__ import annotations

import io

import pytest
from docx import Document

from tests.plugins.solutions.conftest import generate

pytestmark = [pytest.mark.plugins("solutions"), pytest.mark.locale("en")]


def test_products_are_listed_with_filters(app, world, library, client_for):
    client = client_for(world.am1)
    body = client.get("/api/v1/solutions/products").get_json()
    assert body["total"] == 3
    body = client.get(f"/api/v1/solutions/products?industry_id={library.health.id}").get_json()
    assert [p["name"] for p in body["items"]] == ["集团专线"]


def test_a_product_comes_with_its_published_material(app, world, library, client_for):
    body = client_for(world.am1).get(f"/api/v1/solutions/products/{library.line.id}").get_json()
    kinds = sorted({m["kind"] for m in body["material"]})
    assert kinds == ["case", "functions", "intro", "prices", "technical"]


def test_a_proposal_is_generated_over_the_api(app, world, library, client_for):
    client = client_for(world.am1)
    response = client.post("/api/v1/solutions/proposals", json={
        "product_ids": [library.line.id, library.cloud.id], "customer_id": world.customers["am1"].id})
    assert response.status_code == 201
    body = response.get_json()
    assert body["state"] == "ready" and body["total"] == "9045.50"
    assert [s["heading"] for s in body["sections"]] == ["集团专线", "云电脑"]
    document = client.get(f"/api/v1/solutions/proposals/{body['id']}/document")
    assert document.status_code == 200 and Document(io.BytesIO(document.data)).paragraphs


@pytest.mark.parametrize("payload, status", [
    ({"product_ids": [], "prospect_name": "x"}, 400),
    ({"product_ids": [999999], "prospect_name": "x"}, 400),
    ({"product_ids": "abc", "prospect_name": "x"}, 422),
    ({"product_ids": [1], "prospect_name": ""}, 400),
    ({"product_ids": [1], "prospect_name": "长" * 500}, 400),
])
def test_bad_input_over_the_api_is_refused(app, world, library, client_for, payload, status):
    response = client_for(world.am1).post("/api/v1/solutions/proposals", json=payload)
    assert response.status_code == status
    assert client_for(world.am1).get("/api/v1/solutions/proposals").get_json()["total"] == 0


def test_a_customer_out_of_scope_answers_404_over_the_api(app, world, library, client_for):
    response = client_for(world.am1).post("/api/v1/solutions/proposals", json={
        "product_ids": [library.cloud.id], "customer_id": world.customers["am3"].id})
    assert response.status_code == 404


def test_the_api_lists_only_proposals_in_scope(app, world, library, client_for):
    generate(world.am1, [library.cloud], prospect_name="甲")
    generate(world.outsider, [library.cloud], prospect_name="乙")
    titles = [p["title"] for p in client_for(world.am1).get("/api/v1/solutions/proposals").get_json()["items"]]
    assert len(titles) == 1 and "甲" in titles[0]


def test_the_api_appears_in_the_openapi_document(app, world, client_for):
    paths = client_for(world.am1).get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/solutions/proposals" in paths and "/api/v1/solutions/products/{product_id}" in paths
