"""First checks of the scope rule through HTTP: own, unit-and-below, everything, 404 outside."""
from __future__ import annotations


def test_account_manager_sees_own_customer_and_not_a_colleagues(world, client_for):
    client = client_for(world.am1)
    assert client.get(f"/customers/{world.customers['am1'].id}").status_code == 200
    assert client.get(f"/customers/{world.customers['am2'].id}").status_code == 404


def test_lead_sees_the_county_but_not_the_other_county(world, client_for):
    client = client_for(world.lead)
    assert client.get(f"/customers/{world.customers['am1'].id}").status_code == 200
    assert client.get(f"/customers/{world.customers['am2'].id}").status_code == 200
    assert client.get(f"/customers/{world.customers['am3'].id}").status_code == 404


def test_province_admin_sees_everything(world, client_for):
    client = client_for(world.admin)
    for customer in world.customers.values():
        assert client.get(f"/customers/{customer.id}").status_code == 200
