"""GET/PATCH /api/v1/customers: scope, search, paging, contacts, conflicts and validation."""
from __future__ import annotations

import pytest

from tests.support.factories import make_customer
from tests.workbench.api.expectations import assert_error_shape
from workbench.customers.models import Customer, CustomerContact
from workbench.extensions import db
from workbench.org.scope import system_scope

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")


def _reload(customer_id: int) -> Customer:
    db.session.expire_all()
    with system_scope():
        return db.session.get(Customer, customer_id)


def test_an_am_lists_only_their_own_customers(world, api_for):
    body = api_for(world.am1).get("/api/v1/customers").get_json()
    assert [item["id"] for item in body["items"]] == [world.customers["am1"].id]
    assert body["total"] == 1


def test_a_lead_lists_the_county_and_never_the_other_county(world, api_for):
    body = api_for(world.lead).get("/api/v1/customers").get_json()
    ids = {item["id"] for item in body["items"]}
    assert ids == {world.customers["am1"].id, world.customers["am2"].id}
    assert body["total"] == 2


def test_search_and_filters_narrow_the_list(world, api_for):
    make_customer(world.am1, name="城东医院", industry="Health", level="A")
    make_customer(world.am1, name="城西学校", industry="Education", level="B")
    db.session.commit()
    api = api_for(world.am1)
    assert [c["name"] for c in api.get("/api/v1/customers?q=医院").get_json()["items"]] == ["城东医院"]
    assert [c["name"] for c in api.get("/api/v1/customers?industry=Education").get_json()["items"]] == ["城西学校"]
    assert [c["name"] for c in api.get("/api/v1/customers?level=A").get_json()["items"]] == ["城东医院"]


def test_paging_is_reported_in_the_body(world, api_for):
    for n in range(4):
        make_customer(world.am1, name=f"Paged {n}")
    db.session.commit()
    body = api_for(world.am1).get("/api/v1/customers?q=Paged&per_page=3&page=2").get_json()
    assert body["total"] == 4 and body["pages"] == 2 and len(body["items"]) == 1


def test_a_bad_level_filter_or_page_size_is_refused_with_field_errors(world, api_for):
    body = assert_error_shape(api_for(world.am1).get("/api/v1/customers?level=Z&per_page=1000"), 422)
    assert set(body["errors"]) == {"level", "per_page"}


def test_one_customer_comes_with_its_contacts(world, api_for):
    customer = world.customers["am1"]
    with system_scope():
        db.session.add(CustomerContact(customer_id=customer.id, name="王经理", phone="138 0000 0000", is_key=True))
    db.session.commit()
    body = api_for(world.am1).get(f"/api/v1/customers/{customer.id}").get_json()
    assert body["code"] == customer.code and body["owner"]["id"] == world.am1.id
    assert [(c["name"], c["is_key"]) for c in body["contacts"]] == [("王经理", True)]


def test_an_am_cannot_read_another_countys_customer(world, api_for):
    assert_error_shape(api_for(world.am1).get(f"/api/v1/customers/{world.customers['am3'].id}"), 404)


def test_an_am_cannot_patch_another_countys_customer(world, api_for):
    theirs = world.customers["am3"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{theirs.id}",
                                        json={"name": "Taken over", "version": theirs.version})
    assert_error_shape(response, 404)
    assert _reload(theirs.id).name == "am3的客户"


def test_patch_changes_only_the_fields_sent_and_bumps_the_version(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{customer.id}",
                                        json={"address": "人民路 1 号", "version": customer.version})
    assert response.status_code == 200
    body = response.get_json()
    assert body["address"] == "人民路 1 号" and body["version"] == customer.version + 1
    stored = _reload(customer.id)
    assert stored.address == "人民路 1 号" and stored.name == "am1的客户"


def test_patch_with_a_stale_version_answers_409_and_changes_nothing(world, api_for):
    customer = world.customers["am1"]
    api = api_for(world.am1)
    read_version = customer.version
    assert api.patch(f"/api/v1/customers/{customer.id}",
                     json={"notes": "first", "version": read_version}).status_code == 200
    response = api.patch(f"/api/v1/customers/{customer.id}",
                         json={"notes": "second", "version": read_version})
    body = assert_error_shape(response, 409)
    assert "changed" in body["message"]
    assert body["errors"]["version"]
    assert _reload(customer.id).notes == "first"


def test_patch_breaking_a_rule_answers_400_naming_the_field(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{customer.id}",
                                        json={"level": "Z", "version": customer.version})
    body = assert_error_shape(response, 400)
    assert list(body["errors"]) == ["level"]
    assert _reload(customer.id).level == "C"


def test_patch_with_an_empty_name_answers_400_naming_the_field(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{customer.id}",
                                        json={"name": "   ", "version": customer.version})
    assert "name" in assert_error_shape(response, 400)["errors"]
    assert _reload(customer.id).name == "am1的客户"


def test_patch_with_a_wrong_type_or_unknown_field_answers_422_per_field(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{customer.id}",
                                        json={"name": 5, "colour": "red", "version": "latest"})
    body = assert_error_shape(response, 422)
    assert set(body["errors"]) == {"name", "colour", "version"}


def test_patch_without_any_change_is_refused(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(f"/api/v1/customers/{customer.id}", json={"version": customer.version})
    assert_error_shape(response, 422)


def test_patch_refuses_to_move_owner_unit_or_code(world, api_for):
    customer = world.customers["am1"]
    response = api_for(world.am1).patch(
        f"/api/v1/customers/{customer.id}",
        json={"owner_id": world.am2.id, "org_unit_id": world.grid2.id, "code": "X", "version": customer.version},
    )
    body = assert_error_shape(response, 403)
    assert set(body["errors"]) == {"owner_id", "org_unit_id", "code"}
    stored = _reload(customer.id)
    assert (stored.owner_id, stored.org_unit_id, stored.code) == (world.am1.id, world.grid1.id, customer.code)


def test_a_user_without_customers_edit_cannot_patch(world, api_for):
    from tests.support.factories import make_user

    viewer = make_user(["account_manager"], world.grid1, "viewer")
    for role in viewer.roles:
        role.permissions = [p for p in role.permissions if p != "customers.edit"]
    db.session.commit()
    customer = make_customer(viewer)
    db.session.commit()
    response = api_for(viewer).patch(f"/api/v1/customers/{customer.id}",
                                     json={"notes": "x", "version": customer.version})
    assert_error_shape(response, 403)
