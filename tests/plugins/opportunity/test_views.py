"""The opportunity pages, widgets, customer section and search: what people see and do
through HTTP, bad input shown beside the field, and the data scope (another county's AM
gets 404 and finds nothing)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.opportunity.models import Claim, Opportunity
from tests.plugins.opportunity.conftest import LEASED, act, create, load, to_stage
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("opportunity"), pytest.mark.locale("en")]


def count():
    with system_scope():
        return db.session.execute(select(func.count(Opportunity.id))).scalar_one()


def form_data(opp, **overrides):
    data = {"customer_id": str(opp.customers["am1"].id), "kind": "demand", "category": "leased_line_internet",
            "title": "医院互联网专线扩容", "description": "", "expected_revenue": "36000",
            **{f"x_{key}": value for key, value in LEASED.items()}}
    data.update(overrides)
    return data


def test_the_list_shows_an_empty_state_that_says_what_to_do(opp, client_for):
    page = client_for(opp.am1).get("/opportunity/").get_data(as_text=True)
    assert "Report the first need" in page


def test_the_form_reports_an_opportunity_and_shows_it(opp, client_for):
    client = client_for(opp.am1)
    response = client.post("/opportunity/new", data=form_data(opp))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "医院互联网专线扩容" in page and "PTN" in page
    assert "医院互联网专线扩容" in client.get("/opportunity/?q=专线").get_data(as_text=True)


def test_a_missing_required_category_field_is_shown_beside_it_and_nothing_is_saved(opp, client_for):
    response = client_for(opp.am1).post("/opportunity/new", data=form_data(opp, x_bandwidth=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="x_bandwidth"' in page and "invalid-feedback" in page and "is required" in page
    assert count() == 0


def test_a_choice_not_offered_is_refused_beside_the_field(opp, client_for):
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(opp, x_access_method="信鸽")).get_data(as_text=True)
    assert "not one of the choices" in page
    assert count() == 0


def test_a_negative_revenue_is_refused_beside_the_field(opp, client_for):
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(opp, expected_revenue="-5")).get_data(as_text=True)
    assert "cannot be negative" in page
    assert count() == 0


def test_a_customer_of_another_county_is_refused_on_the_form(opp, client_for):
    page = client_for(opp.am1).post("/opportunity/new", data=form_data(
        opp, customer_id=str(opp.customers["am3"].id))).get_data(as_text=True)
    assert "Choose a customer from your own book" in page
    assert count() == 0


def test_the_extra_fields_follow_the_category(opp, client_for):
    client = client_for(opp.am1)
    leased = client.get("/opportunity/fields?category=leased_line_data").get_data(as_text=True)
    iot = client.get("/opportunity/fields?category=iot").get_data(as_text=True)
    assert "x_bandwidth" in leased and "x_endpoints" in leased
    assert "x_cards" in iot and "x_bandwidth" not in iot


def test_a_lead_may_start_a_new_customer_from_the_form(opp, client_for):
    response = client_for(opp.lead).post("/opportunity/new", data=form_data(
        opp, customer_id="", new_customer="y", new_customer_name="滨江新建产业园", category="iot",
        **{"x_cards": "300"}))
    assert response.status_code == 302
    assert load(int(response.headers["Location"].rsplit("/", 1)[1])).customer.name == "滨江新建产业园"


def test_another_countys_account_manager_gets_404_for_the_page_and_its_actions(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    client = client_for(opp.outsider)
    assert client.get(f"/opportunity/{oid}").status_code == 404
    assert client.post(f"/opportunity/{oid}/followups", data={"kind": "call", "note": "x"}).status_code == 404
    assert client.post(f"/opportunity/{oid}/close", data={"reason": "x"}).status_code == 404
    assert "扩容互联网专线" not in client.get("/opportunity/").get_data(as_text=True)


def test_the_flow_through_the_pages(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    manager = client_for(opp.oppmgr)
    assert 'data-testid="opportunity-publish"' in manager.get(f"/opportunity/{oid}").get_data(as_text=True)
    version = load(oid).version
    assert manager.post(f"/opportunity/{oid}/publish", data={"unit_id": str(opp.county.id), "claim_hours": "24",
                                                             "version": version}).status_code == 302
    am2 = client_for(opp.am2)
    assert "扩容互联网专线" in am2.get("/opportunity/pool").get_data(as_text=True)
    assert am2.post(f"/opportunity/{oid}/claim", data={"note": "熟悉客户"}).status_code == 302
    page = manager.get(f"/opportunity/{oid}").get_data(as_text=True)
    assert 'data-testid="opportunity-award"' in page
    with system_scope():
        claim_id = db.session.execute(select(Claim.id)).scalar_one()
    assert manager.post(f"/opportunity/{oid}/award", data={"claim_id": str(claim_id),
                                                           "version": load(oid).version}).status_code == 302
    assert am2.post(f"/opportunity/{oid}/survey", data={"report": "已勘察", "version": load(oid).version}).status_code == 302
    lead = client_for(opp.lead)
    assert lead.post(f"/opportunity/{oid}/review", data={"decision": "approve", "version": load(oid).version}).status_code == 302
    assert manager.post(f"/opportunity/{oid}/confirm", data={"decision": "approve", "version": load(oid).version}).status_code == 302
    assert load(oid).stage == "pre_execution"


def test_a_refused_step_is_explained_beside_the_field(opp, client_for):
    oid = to_stage(opp, "survey_review")
    response = client_for(opp.lead).post(f"/opportunity/{oid}/review", data={
        "decision": "return", "note": "", "version": load(oid).version})
    assert response.status_code == 400
    assert "Say why the survey goes back" in response.get_data(as_text=True)
    assert load(oid).stage == "survey_review"


def test_a_stale_form_is_told_someone_else_moved_first(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    old = load(oid).version
    act(opp.oppmgr, oid, "assign", assignee=opp.am1)
    client = client_for(opp.oppmgr)
    response = client.post(f"/opportunity/{oid}/assign", data={"assignee_id": str(opp.am2.id), "version": old},
                           follow_redirects=True)
    assert "Someone else changed this opportunity" in response.get_data(as_text=True)
    assert load(oid).owner_id == opp.am1.id


def test_a_follow_up_is_recorded_from_the_page(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    client = client_for(opp.am1)
    assert client.post(f"/opportunity/{oid}/followups", data={"kind": "visit", "note": "拜访信息科"}).status_code == 302
    assert "拜访信息科" in client.get(f"/opportunity/{oid}").get_data(as_text=True)


def test_editing_refuses_a_bad_field_beside_it(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    client = client_for(opp.am1)
    item = load(oid)
    data = {"kind": "demand", "title": item.title, "description": "", "expected_revenue": "",
            "version": item.version, **{f"x_{k}": v for k, v in LEASED.items()}, "x_sites": "many"}
    page = client.post(f"/opportunity/{oid}/edit", data=data).get_data(as_text=True)
    assert "must be a whole number" in page


def test_the_catalogue_is_for_administrators_only(opp, client_for):
    assert client_for(opp.am1).get("/opportunity/catalogue").status_code == 403
    assert "Leased line" in client_for(opp.admin).get("/opportunity/catalogue").get_data(as_text=True)


def test_an_administrator_adds_a_field_through_the_page(opp, client_for):
    with system_scope():
        from plugins.opportunity import services
        category = services.get_category("idc")
        category_id, fields = category.id, list(category.fields)
    data = {"code": "idc", "name": "IDC", "name_en": "IDC", "parent_id": "", "order": "90", "active": "y"}
    for n, f in enumerate(fields + [{"key": "floor", "label": "Floor", "label_zh": "楼层", "type": "integer"}]):
        data.update({f"f-{n}-key": f["key"], f"f-{n}-label": f.get("label", ""), f"f-{n}-label_zh": f.get("label_zh", ""),
                     f"f-{n}-type": f["type"], f"f-{n}-choices": ",".join(f.get("choices") or [])})
    assert client_for(opp.admin).post(f"/opportunity/catalogue/{category_id}", data=data).status_code == 302
    page = client_for(opp.am1).get("/opportunity/fields?category=idc").get_data(as_text=True)
    assert "x_floor" in page


# --- widgets, section, search --------------------------------------------------------------------

def test_the_by_stage_widget_counts_only_what_the_reader_may_see(opp, client_for):
    create(opp.am1, opp.customers["am1"])
    mine = client_for(opp.am1).get("/homepage/widgets/opportunity.by_stage").get_data(as_text=True)
    other = client_for(opp.outsider).get("/homepage/widgets/opportunity.by_stage").get_data(as_text=True)
    assert 'class="wb-count">1<' in mine
    assert "You have no opportunities yet" in other


def test_the_pool_widget_lists_what_the_reader_may_claim(opp, client_for):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    assert "扩容互联网专线" in client_for(opp.am2).get("/homepage/widgets/opportunity.pool").get_data(as_text=True)
    assert "扩容互联网专线" not in client_for(opp.outsider).get("/homepage/widgets/opportunity.pool").get_data(as_text=True)


def test_the_overdue_widget_shows_the_county_to_the_lead_and_nothing_to_another_county(opp, client_for):
    oid = to_stage(opp, "assignment")
    with system_scope():
        from datetime import timedelta
        from workbench.records import utcnow
        load(oid).stage_due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    assert "扩容互联网专线" in client_for(opp.lead).get("/homepage/widgets/opportunity.overdue").get_data(as_text=True)
    assert "扩容互联网专线" not in client_for(opp.outsider).get("/homepage/widgets/opportunity.overdue").get_data(as_text=True)


def test_the_customer_page_section_lists_the_customers_opportunities(opp, client_for):
    create(opp.am1, opp.customers["am1"])
    customer = opp.customers["am1"]
    page = client_for(opp.am1).get(f"/customers/{customer.id}/sections/opportunity.list").get_data(as_text=True)
    assert "扩容互联网专线" in page


def test_search_finds_an_opportunity_only_within_scope(opp):
    from workbench.search import services as search

    create(opp.am1, opp.customers["am1"], title="滨江医院云专线")
    with acting_as(opp.am1.scope):
        mine = search.search(opp.am1, "云专线", "opportunity.opportunity")
        assert [item.title for item in search.present(mine.query, mine.hits_of("opportunity.opportunity"))] == ["滨江医院云专线"]
    with acting_as(opp.outsider.scope):
        theirs = search.search(opp.outsider, "云专线", "opportunity.opportunity")
        assert search.present(theirs.query, theirs.hits_of("opportunity.opportunity")) == []
