"""Search obeys the data scope: an account manager finds their own customers and nothing of
another county's — not a title, a snippet, a count, a suggestion or an API item; a lead finds
the unit's; an admin finds all. A stale index (ownership changed behind the ORM's back) hides
a result but never shows one."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope
from workbench.search import services

from tests.support.factories import make_customer

ELSEWHERE = "海州港务集团"     # the outsider's (county X2)
MINE = "海州港务滨江分公司"     # am1's (grid G1 of county X1)
NEIGHBOUR = "海州港务开发区站"  # am2's (grid G2 of county X1)


@pytest.fixture
def port_customers(world):
    made = {
        "am1": make_customer(world.am1, name=MINE, notes="港口物流专线"),
        "am2": make_customer(world.am2, name=NEIGHBOUR, notes="港口物流专线"),
        "am3": make_customer(world.outsider, name=ELSEWHERE, notes="港口物流专线"),
    }
    db.session.commit()
    return made


def customer_count(outcome) -> int:
    return next(count.count for count in outcome.counts if count.source.key == "customer")


def test_an_account_manager_finds_only_their_own_customers(port_customers, world, titles_for, search_as):
    assert titles_for(world.am1, "海州港务") == [MINE]
    assert customer_count(search_as(world.am1, "海州港务")) == 1
    assert titles_for(world.am1, "集团") == []  # the other county's name alone finds nothing
    assert customer_count(search_as(world.am1, "集团")) == 0


def test_a_lead_finds_the_customers_of_the_unit_and_below(port_customers, world, titles_for):
    assert sorted(titles_for(world.lead, "海州港务")) == sorted([MINE, NEIGHBOUR])


def test_an_admin_finds_every_customer(port_customers, world, titles_for):
    assert sorted(titles_for(world.admin, "海州港务")) == sorted([MINE, NEIGHBOUR, ELSEWHERE])


def test_the_other_countys_customer_is_absent_from_suggestions(port_customers, world):
    with acting_as(world.am1.scope):
        assert [item.title for item in services.suggest(world.am1, "hzgw", "customer")] == [MINE]
        assert services.suggest(world.am1, "海州港务集", "customer") == []


def test_the_results_page_shows_nothing_of_another_county(port_customers, world, client_for):
    page = client_for(world.am1).get("/search/?q=海州港务 专线").get_data(as_text=True)
    assert "滨江分公司" in page
    assert "集团" not in page and "开发区站" not in page


def test_the_api_returns_and_counts_only_what_the_caller_may_see(port_customers, world, client_for):
    answer = client_for(world.am1).get("/api/v1/search?q=海州港务").get_json()
    assert [item["title"] for item in answer["items"]] == [MINE]
    assert answer["total"] == 1
    assert {count["type"]: count["count"] for count in answer["counts"]}["customer"] == 1


def test_suggest_over_http_is_scoped(port_customers, world, client_for):
    answer = client_for(world.am1).get("/search/suggest?type=customer&q=海州").get_json()
    assert [item["title"] for item in answer["items"]] == [MINE]


def test_a_stale_index_never_shows_a_customer_that_was_handed_away(port_customers, world, client_for, search_as):
    handed = port_customers["am1"]
    with system_scope():
        # A bulk UPDATE: no ORM event, so the index still says am1 owns it in unit G1.
        db.session.execute(update(Customer).where(Customer.id == handed.id)
                           .values(owner_id=world.outsider.id, org_unit_id=world.other_county.id))
        db.session.commit()
    outcome = search_as(world.am1, "海州港务")
    assert outcome.hits == [] and customer_count(outcome) == 0
    lead_outcome = search_as(world.lead, "海州港务")
    assert [hit.record_id for hit in lead_outcome.hits] == [port_customers["am2"].id]

    client = client_for(world.am1)
    page = client.get("/search/?q=海州港务").get_data(as_text=True)
    assert "滨江分公司" not in page
    assert client.get("/search/suggest?type=customer&q=海州").get_json()["items"] == []
    answer = client.get("/api/v1/search?q=海州港务").get_json()
    assert answer["items"] == [] and answer["total"] == 0


def test_without_a_scope_nothing_is_found(port_customers, world):
    # Outside a request and outside acting_as: the central rule fails closed.
    outcome = services.search(world.admin, "海州港务")
    assert outcome.hits == []
