"""GET /api/v1/search: the same results as the page, as JSON, documented in the OpenAPI
document; bad parameters answer 422 with the stable error shape."""
from __future__ import annotations

import pytest

from workbench.extensions import db

from tests.support.factories import make_customer


def test_the_api_returns_highlighted_results_counts_and_paging(app, world, client_for):
    customer = make_customer(world.am1, name="华为技术有限公司", code="GC1230001")
    db.session.commit()
    answer = client_for(world.am1).get("/api/v1/search?q=hwjs").get_json()
    assert answer["items"] == [{
        "type": "customer", "type_label": answer["items"][0]["type_label"], "id": customer.id,
        "title": "华为技术有限公司", "title_html": "华为技术有限公司", "snippet_html": "",
        "detail": "GC1230001 · C", "url": f"/customers/{customer.id}",
    }]
    assert (answer["total"], answer["page"], answer["pages"], answer["query"]) == (1, 1, 1, "hwjs")
    assert answer["counts"][0]["type"] == "customer" and answer["counts"][0]["count"] == 1


def test_the_api_filters_by_type_and_pages(app, world, client_for):
    for number in range(5):
        make_customer(world.am1, name=f"物联网卡客户{number}")
    db.session.commit()
    answer = client_for(world.am1).get("/api/v1/search?q=物联网卡&type=customer&per_page=2&page=3").get_json()
    assert (answer["total"], answer["pages"], len(answer["items"])) == (5, 3, 1)
    assert "<mark>物联网卡</mark>" in answer["items"][0]["title_html"]


@pytest.mark.locale("en")
@pytest.mark.parametrize("query_string, field", [
    ("", "q"), ("q=", "q"), ("q=%20%20", "q"), ("q=客户&type=secret", "type"), ("q=客户&per_page=1000", "per_page"),
])
def test_bad_parameters_answer_422_naming_the_field(app, world, client_for, query_string, field):
    response = client_for(world.am1).get(f"/api/v1/search?{query_string}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and field in body["errors"]


@pytest.mark.locale("en")
def test_a_query_without_words_answers_an_empty_list_with_a_notice(app, world, client_for):
    answer = client_for(world.am1).get("/api/v1/search?q=*").get_json()
    assert answer["items"] == [] and answer["total"] == 0
    assert "has no words to search for" in answer["notices"][0]


def test_a_long_query_is_cut(app, world, client_for):
    answer = client_for(world.am1).get("/api/v1/search?q=" + "客户" * 1000).get_json()
    assert len(answer["query"]) == 100 and answer["notices"]


def test_the_api_needs_credentials(app, world, client):
    assert client.get("/api/v1/search?q=客户").status_code == 401


def test_the_openapi_document_describes_the_search(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/search"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"q", "type", "page", "per_page"}
    assert {"200", "401", "422"} <= set(operation["responses"])
