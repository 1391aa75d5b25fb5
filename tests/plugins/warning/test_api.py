"""The warning JSON API: list and read within scope, handle with conflict detection, bulk
indicators (all or nothing, every bad row named), a customer's series, the rules, OpenAPI."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning.models import CustomerWarning, Metric
from tests.plugins.warning.conftest import scan, two_months
from workbench.extensions import db
from workbench.org.scope import system_scope

pytestmark = pytest.mark.plugins("warning")


@pytest.fixture
def raised(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    two_months(customers["am3"], now={"revenue": Decimal("10000")})
    scan()
    with system_scope():
        rows = db.session.execute(select(CustomerWarning).order_by(CustomerWarning.id)).unique().scalars().all()
    return {row.owner.username: row for row in rows}


def test_the_list_holds_only_the_callers_scope(world, raised, client_for):
    data = client_for(world.am1).get("/api/v1/warning/warnings").get_json()
    assert [item["id"] for item in data["items"]] == [raised["am1"].id]
    assert data["items"][0]["rule_label"] == "Revenue change"
    assert data["items"][0]["figures"].startswith("From 100,000.00")
    everything = client_for(world.admin).get("/api/v1/warning/warnings?status=all").get_json()
    assert everything["total"] == 2


def test_another_countys_warning_is_404(world, raised, client_for):
    client = client_for(world.am1)
    assert client.get(f"/api/v1/warning/warnings/{raised['am3'].id}").status_code == 404
    response = client.post(f"/api/v1/warning/warnings/{raised['am3'].id}/handle",
                           json={"action": "visited", "outcome": "resolved", "version": 1})
    assert response.status_code == 404
    assert client.get(f"/api/v1/warning/customers/{raised['am3'].customer_id}/metrics").status_code == 404


def test_handling_over_the_api_closes_the_loop(world, raised, client_for):
    warning = raised["am1"]
    response = client_for(world.am1).post(f"/api/v1/warning/warnings/{warning.id}/handle",
                                          json={"action": "called", "outcome": "resolved", "version": warning.version})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "handled"


def test_a_stale_version_is_409(world, raised, client_for):
    warning = raised["am1"]
    response = client_for(world.am1).post(f"/api/v1/warning/warnings/{warning.id}/handle",
                                          json={"action": "called", "outcome": "resolved",
                                                "version": warning.version + 5})
    assert response.status_code == 409


def test_a_missing_note_is_400_naming_the_field(world, raised, client_for):
    warning = raised["am1"]
    response = client_for(world.am1).post(f"/api/v1/warning/warnings/{warning.id}/handle",
                                          json={"action": "other", "outcome": "resolved", "version": warning.version})
    assert response.status_code == 400 and "note" in response.get_json()["errors"]


def test_indicators_are_loaded_in_bulk(world, customers, client_for):
    rows = [{"customer_code": customers["am1"].code, "period": f"2026-{month:02d}", "revenue": 1000 * month,
             "members": 10} for month in range(1, 11)]
    response = client_for(world.admin).post("/api/v1/warning/metrics", json={"rows": rows})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"saved": 10}
    with system_scope():
        assert len(db.session.execute(select(Metric)).scalars().all()) == 10


def test_bad_rows_are_all_named_and_nothing_is_saved(world, customers, client_for):
    rows = [{"customer_code": customers["am1"].code, "period": "2026-10", "revenue": "1"},
            {"customer_code": customers["am1"].code, "period": "2026-99", "revenue": "1"},
            {"customer_code": "NOPE", "period": "2026-10", "revenue": "1"}]
    response = client_for(world.admin).post("/api/v1/warning/metrics", json={"rows": rows})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) == {"row 2", "row 3"}
    assert "period" in errors["row 2"] and "customer_code" in errors["row 3"]
    with system_scope():
        assert db.session.execute(select(Metric)).scalars().all() == []


def test_an_account_manager_may_not_load_indicators(world, customers, client_for):
    response = client_for(world.am1).post("/api/v1/warning/metrics", json={"rows": [
        {"customer_code": customers["am1"].code, "period": "2026-10", "revenue": "1"}]})
    assert response.status_code == 403


def test_the_customer_series_and_the_rules_are_served(world, raised, client_for):
    client = client_for(world.am1)
    series = client.get(f"/api/v1/warning/customers/{raised['am1'].customer_id}/metrics").get_json()
    assert series["categories"] == ["2026-09", "2026-10"]
    rules = client.get("/api/v1/warning/rules").get_json()
    assert {"revenue_change", "churn_risk", "opportunity_overdue"} <= {rule["key"] for rule in rules}


def test_the_api_is_in_the_openapi_document(world, client_for):
    paths = client_for(world.am1).get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/warning/warnings", "/api/v1/warning/warnings/{warning_id}/handle",
            "/api/v1/warning/metrics"} <= set(paths)
