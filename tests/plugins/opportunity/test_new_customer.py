"""The customer on the "report an opportunity" form: chosen with an autocomplete over the
customers in the reporter's scope (a forged out-of-scope id is refused beside the field), or
started there and then by account managers and information reporters, who lack the core
`customers.create`: the customer is created in their unit, owned by them, audited and
searchable, in one transaction with the opportunity (a refusal leaves nothing written)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.opportunity import services
from plugins.opportunity.models import Opportunity
from tests.plugins.opportunity.conftest import LEASED, load
from tests.support.factories import make_customer
from workbench.audit.models import AuditEntry
from workbench.customers.models import Customer
from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("opportunity"), pytest.mark.locale("en")]

OPPORTUNITY = {"kind": "demand", "category_code": "leased_line_internet", "title": "产业园互联网专线",
               "details": LEASED, "expected_revenue": "48000"}


def counts():
    with system_scope():
        return (db.session.execute(select(func.count(Opportunity.id))).scalar_one(),
                db.session.execute(select(func.count(Customer.id))).scalar_one())


def report_new(user, name, **values):
    with acting_as(user.scope):
        item = services.report_with_new_customer(user, customer_name=name, **{**OPPORTUNITY, **values})
        db.session.commit()
        return item.id


def form_data(opp, **overrides):
    data = {"customer_id": str(opp.customers["am1"].id), "customer_search": "", "kind": "demand",
            "category": "leased_line_internet", "title": "医院互联网专线扩容", "description": "",
            "expected_revenue": "36000", **{f"x_{key}": value for key, value in LEASED.items()}}
    data.update(overrides)
    return data


# --- services, without HTTP -----------------------------------------------------------------------

def test_an_account_manager_without_customers_create_starts_a_customer_and_its_opportunity_in_one_go(opp):
    assert not opp.am1.can("customers.create")
    item = load(report_new(opp.am1, "  滨江 新建产业园  ", customer_code="", customer_industry="园区"))
    customer = item.customer
    assert customer.name == "滨江 新建产业园"
    assert (customer.owner_id, customer.org_unit_id) == (opp.am1.id, opp.am1.org_unit_id)
    assert customer.industry == "园区" and customer.code.startswith("QZ")
    assert (item.owner_id, item.stage) == (opp.am1.id, "new")


def test_an_information_reporter_starts_a_customer_owned_by_them(opp):
    item = load(report_new(opp.reporter, "江城新材料科技"))
    assert (item.customer.owner_id, item.customer.org_unit_id) == (opp.reporter.id, opp.reporter.org_unit_id)
    assert item.created_by_id == opp.reporter.id


def test_the_started_customer_is_audited_like_any_customer(opp):
    customer_id = load(report_new(opp.am1, "江城新材料科技")).customer_id
    with system_scope():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "customer",
                                                            AuditEntry.record_id == customer_id)).scalar_one()
    assert entry.action == "create" and entry.changes["name"] in ("江城新材料科技", [None, "江城新材料科技"])


def test_a_name_the_reporter_can_already_choose_is_refused_and_nothing_is_written(opp):
    before = counts()
    existing = opp.customers["am1"].name
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.report_with_new_customer(opp.am1, customer_name=f" {existing.upper()} ", **OPPORTUNITY)
    db.session.rollback()
    assert refused.value.field == "new_customer_name"
    assert "already a customer" in str(refused.value.message) and opp.customers["am1"].code in str(refused.value.message)
    assert counts() == before


def test_an_empty_name_is_refused_beside_the_name_field(opp):
    before = counts()
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.report_with_new_customer(opp.am1, customer_name="   ", **OPPORTUNITY)
    db.session.rollback()
    assert refused.value.field == "new_customer_name"
    assert counts() == before


def test_a_refused_opportunity_leaves_no_customer_behind(opp):
    before = counts()
    with acting_as(opp.am1.scope), pytest.raises(services.DetailsInvalid):
        services.report_with_new_customer(opp.am1, customer_name="江城新材料科技",
                                          **{**OPPORTUNITY, "details": {**LEASED, "bandwidth": ""}})
    db.session.commit()  # even a caller that commits after the refusal writes nothing
    assert counts() == before


def test_a_code_already_taken_is_refused_beside_the_code_field(opp):
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.report_with_new_customer(opp.am1, customer_name="江城新材料科技",
                                          customer_code=opp.customers["am3"].code, **OPPORTUNITY)
    db.session.rollback()
    assert refused.value.field == "new_customer_code"


def test_someone_who_may_not_report_opportunities_may_not_start_a_customer_this_way(opp):
    before = counts()
    assert not opp.oppmgr.can(services.PERM_CREATE)
    with acting_as(opp.oppmgr.scope), pytest.raises(ServiceError):
        services.start_customer(opp.oppmgr, name="江城新材料科技")
    db.session.rollback()
    assert counts() == before


# --- the page -------------------------------------------------------------------------------------

def test_the_form_offers_an_autocomplete_instead_of_a_drop_down(opp, client_for):
    page = client_for(opp.am1).get("/opportunity/new").get_data(as_text=True)
    assert "data-customer-picker" in page and "/search/suggest" in page and "customer_picker.js" in page
    assert '<select class="form-select" id="customer_id"' not in page
    assert "<script>" not in page


def test_the_customer_page_link_preselects_the_customer(opp, client_for):
    mine = opp.customers["am1"]
    page = client_for(opp.am1).get(f"/opportunity/new?customer_id={mine.id}").get_data(as_text=True)
    assert f'value="{mine.id}"' in page and f"{mine.name} · {mine.code}" in page


def test_a_preselected_customer_out_of_scope_is_not_shown(opp, client_for):
    theirs = opp.customers["am3"]
    page = client_for(opp.am1).get(f"/opportunity/new?customer_id={theirs.id}").get_data(as_text=True)
    assert theirs.name not in page and f'value="{theirs.id}"' not in page


def test_the_autocomplete_offers_the_customer_and_the_form_reports_for_it(opp, client_for):
    mine = make_customer(opp.am1, name="滨江智慧港口集团", code="GC7770001")
    make_customer(opp.outsider, name="滨江智慧港务公司", code="GC7770002")
    db.session.commit()
    client = client_for(opp.am1)
    items = client.get("/search/suggest?type=customer&q=滨江智慧").get_json()["items"]
    assert [item["id"] for item in items] == [mine.id]
    response = client.post("/opportunity/new", data=form_data(opp, customer_id=str(items[0]["id"]),
                                                              customer_search=items[0]["title"]))
    assert response.status_code == 302
    assert load(int(response.headers["Location"].rsplit("/", 1)[1])).customer_id == mine.id


def test_a_forged_out_of_scope_customer_id_is_refused_beside_the_customer_field(opp, client_for):
    before = counts()
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(
        opp, customer_id=str(opp.customers["am3"].id), customer_search="whatever")).get_data(as_text=True)
    assert "Choose a customer from your own book" in page
    assert page.index("Choose a customer from your own book") > page.index('id="customer_search"')
    assert page.index("Choose a customer from your own book") < page.index('id="customer_help"')
    assert counts() == before


def test_typing_a_name_without_choosing_a_suggestion_is_refused(opp, client_for):
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(
        opp, customer_id="", customer_search="滨江")).get_data(as_text=True)
    assert "Choose a customer from the suggestions" in page
    assert 'value="滨江"' in page


def test_an_account_manager_starts_a_customer_from_the_form(opp, client_for):
    client = client_for(opp.am1)
    page = client.get("/opportunity/new").get_data(as_text=True)
    assert "ask your lead" not in page.lower() and 'name="new_customer_name"' in page
    response = client.post("/opportunity/new", data=form_data(
        opp, customer_id="", new_customer="y", new_customer_name="滨江新建产业园"))
    assert response.status_code == 302
    item = load(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (item.customer.name, item.customer.owner_id) == ("滨江新建产业园", opp.am1.id)
    items = client.get("/search/suggest?type=customer&q=滨江新建").get_json()["items"]
    assert [entry["id"] for entry in items] == [item.customer_id]


def test_a_duplicate_new_customer_is_refused_on_the_form_and_nothing_is_written(opp, client_for):
    before = counts()
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(
        opp, customer_id="", new_customer="y", new_customer_name=opp.customers["am1"].name)).get_data(as_text=True)
    assert "is already a customer" in page and "<details class=\"mb-3\" open" in page
    assert counts() == before


def test_an_empty_new_customer_name_is_refused_on_the_form(opp, client_for):
    before = counts()
    page = client_for(opp.reporter).post("/opportunity/new", data=form_data(
        opp, customer_id="", new_customer="y", new_customer_name="")).get_data(as_text=True)
    assert "Enter the new customer&#39;s name." in page or "Enter the new customer's name." in page
    assert counts() == before
