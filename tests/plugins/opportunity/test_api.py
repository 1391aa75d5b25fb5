"""The opportunity JSON API: list, detail, create (with every bad category field named),
edit with conflict detection, transitions, follow-ups, the OpenAPI document, and scope."""
from __future__ import annotations

import pytest

from tests.plugins.opportunity.conftest import LEASED, create, load, to_stage

pytestmark = [pytest.mark.plugins("opportunity"), pytest.mark.locale("en")]


def body(opp, **overrides):
    return {"customer_id": opp.customers["am1"].id, "kind": "competitive", "category": "leased_line_data",
            "title": "农商行数据专线", "expected_revenue": "88000",
            "details": {**LEASED, "endpoints": "点对多点"}, **overrides}


def test_an_account_manager_reports_an_opportunity_over_the_api(opp, client_for):
    response = client_for(opp.am1).post("/api/v1/opportunity", json=body(opp))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert (data["stage"], data["kind"], data["details"]["endpoints"]) == ("new", "competitive", "点对多点")
    assert data["expected_revenue"] == "88000.00"


def test_every_bad_category_field_is_named_in_the_answer(opp, client_for):
    response = client_for(opp.am1).post("/api/v1/opportunity", json=body(
        opp, details={"bandwidth": "fast", "access_method": "信鸽"}))
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert {"details.bandwidth", "details.access_method", "details.sites", "details.endpoints"} <= set(errors)


def test_an_unknown_category_and_an_out_of_scope_customer_are_refused(opp, client_for):
    client = client_for(opp.am1)
    assert "category" in client.post("/api/v1/opportunity", json=body(opp, category="warp")).get_json()["errors"]
    refused = client.post("/api/v1/opportunity", json=body(opp, customer_id=opp.customers["am3"].id))
    assert refused.status_code == 400 and "customer_id" in refused.get_json()["errors"]


def test_the_list_and_detail_are_scoped(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    mine = client_for(opp.am1).get("/api/v1/opportunity").get_json()
    theirs = client_for(opp.outsider).get("/api/v1/opportunity").get_json()
    assert [item["id"] for item in mine["items"]] == [oid]
    assert theirs["total"] == 0
    assert client_for(opp.outsider).get(f"/api/v1/opportunity/{oid}").status_code == 404
    assert client_for(opp.outsider).post(f"/api/v1/opportunity/{oid}/transitions",
                                         json={"action": "close", "reason": "x"}).status_code == 404


def test_transitions_move_the_opportunity_and_refuse_the_wrong_person(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    manager = client_for(opp.oppmgr)
    denied = client_for(opp.am1).post(f"/api/v1/opportunity/{oid}/transitions",
                                      json={"action": "assign", "assignee_id": opp.am2.id})
    assert denied.status_code == 403
    moved = manager.post(f"/api/v1/opportunity/{oid}/transitions",
                         json={"action": "assign", "assignee_id": opp.am2.id, "version": load(oid).version})
    assert moved.status_code == 200 and moved.get_json()["stage"] == "assignment"
    illegal = manager.post(f"/api/v1/opportunity/{oid}/transitions", json={"action": "confirm"})
    assert illegal.status_code in (400, 403)


def test_a_stale_version_answers_409(opp, client_for):
    oid = to_stage(opp, "survey_review")
    stale = load(oid).version - 1
    response = client_for(opp.lead).post(f"/api/v1/opportunity/{oid}/transitions",
                                         json={"action": "approve_survey", "version": stale})
    assert response.status_code == 409
    assert load(oid).stage == "survey_review"


def test_editing_over_the_api_checks_the_version(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    client = client_for(opp.am1)
    version = load(oid).version
    assert client.patch(f"/api/v1/opportunity/{oid}", json={"title": "新标题", "version": version}).status_code == 200
    assert client.patch(f"/api/v1/opportunity/{oid}", json={"title": "再改", "version": version}).status_code == 409


def test_a_follow_up_is_recorded_over_the_api(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    response = client_for(opp.am1).post(f"/api/v1/opportunity/{oid}/followups", json={"kind": "call", "note": "电话"})
    assert response.status_code == 201
    assert client_for(opp.am1).get(f"/api/v1/opportunity/{oid}").get_json()["followups"][0]["note"] == "电话"


def test_the_categories_are_listed_with_their_fields(opp, client_for):
    rows = client_for(opp.am1).get("/api/v1/opportunity/categories").get_json()
    leased = next(row for row in rows if row["code"] == "leased_line_internet")
    assert {"bandwidth", "sites", "addresses", "access_method"} <= {f["key"] for f in leased["fields"]}


def test_the_api_is_in_the_openapi_document(opp, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/opportunity" in paths and "/api/v1/opportunity/{opportunity_id}/transitions" in paths
