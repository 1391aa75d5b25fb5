"""Pages, the JSON API, widgets, the customer section, search and the report — each scoped:
an account manager of another county gets 404 (or nothing) for am1's request, and figures
count only what the reader may see."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from plugins.resources import services
from tests.plugins.resources.conftest import PNG, act, load, new_request, stock, to_state, upload
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.org.scope import acting_as

pytestmark = [pytest.mark.plugins("resources")]


def text(response):
    return response.get_data(as_text=True)


# -- lists and detail pages -------------------------------------------------------------------

def test_the_request_list_shows_am1s_request_and_hides_it_from_another_county(rw, client_for):
    code = load(new_request(rw)).code
    assert code in text(client_for(rw.am1).get("/resources/requests"))
    assert code in text(client_for(rw.lead).get("/resources/requests"))
    other = client_for(rw.outsider).get("/resources/requests")
    assert other.status_code == 200 and code not in text(other)
    assert "No resource requests yet" in text(other)


def test_the_list_filters_by_state_search_and_waiting_for_me(rw, client_for):
    code = load(new_request(rw, title="年终答谢")).code
    client = client_for(rw.lead)
    assert code in text(client.get("/resources/requests?state=pending"))
    assert code not in text(client.get("/resources/requests?state=used"))
    assert code in text(client.get("/resources/requests?q=年终"))
    assert code in text(client.get("/resources/requests?waiting=1"))
    assert code not in text(client_for(rw.citymgr).get("/resources/requests?waiting=1"))
    assert "No request matches" in text(client.get("/resources/requests?q=nothing-like-this"))


def test_the_detail_page_and_photo_answer_404_outside_the_scope(rw, client_for):
    rid = to_state(rw, "issued")
    act(rw.am1, rid, "confirm_use", photo=upload(PNG, "现场.png"))
    other = client_for(rw.outsider)
    assert other.get(f"/resources/requests/{rid}").status_code == 404
    assert other.get(f"/resources/requests/{rid}/photo").status_code == 404
    assert other.post(f"/resources/requests/{rid}/cancel", data={"cancel-reason": "x"}).status_code == 404
    mine = client_for(rw.am1).get(f"/resources/requests/{rid}/photo")
    assert mine.status_code == 200 and mine.data == PNG


def test_the_lead_sees_the_approve_form_and_approves_from_the_page(rw, client_for):
    rid = new_request(rw)
    client = client_for(rw.lead)
    page = text(client.get(f"/resources/requests/{rid}"))
    assert 'data-testid="resources-approve"' in page
    response = client.post(f"/resources/requests/{rid}/approve",
                           data={"approve-note": "同意", "approve-version": load(rid).version})
    assert response.status_code == 302
    assert load(rid).step_index == 1
    assert 'data-testid="resources-approve"' not in text(client.get(f"/resources/requests/{rid}"))


def test_a_rejection_without_reason_shows_the_message_beside_the_field(rw, client_for):
    rid = new_request(rw)
    response = client_for(rw.lead).post(f"/resources/requests/{rid}/reject",
                                        data={"reject-reason": " ", "reject-version": load(rid).version})
    assert response.status_code == 400
    assert "Say why the request is rejected." in text(response)
    assert load(rid).state == "pending"


def test_a_stale_form_is_told_someone_else_acted(rw, client_for):
    rid = new_request(rw)
    version = load(rid).version
    act(rw.lead, rid, "approve")
    response = client_for(rw.citymgr).post(f"/resources/requests/{rid}/approve",
                                           data={"approve-version": version})
    assert response.status_code == 400 and "Someone else acted" in text(response)


def test_the_use_is_confirmed_from_the_page_with_a_photo(rw, client_for):
    rid = to_state(rw, "issued")
    response = client_for(rw.am1).post(f"/resources/requests/{rid}/confirm", data={
        "use-version": load(rid).version, "use-note": "",
        "use-photo": (io.BytesIO(PNG), "现场.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert load(rid).state == "used"


# -- the request form ----------------------------------------------------------------------------

def test_the_new_request_form_offers_the_drawable_stock_and_submits(rw, client_for):
    client = client_for(rw.am1)
    page = text(client.get(f"/resources/requests/new?stock_id={rw.cups}"))
    assert "定制保温杯" in page and "宣传折页" in page
    response = client.post("/resources/requests/new", data={
        "customer_id": rw.customers["am1"].id, "customer_search": "am1的客户", "title": "答谢礼品",
        "purpose": "年终走访", "lines-0-stock_id": rw.cups, "lines-0-quantity": "2",
        "lines-1-stock_id": "", "lines-1-quantity": "", "lines-2-stock_id": "", "lines-2-quantity": ""})
    assert response.status_code == 302
    with acting_as(rw.am1.scope):
        request = db.session.execute(services.request_query()).unique().scalar_one()
    assert (request.title, request.lines[0].quantity) == ("答谢礼品", 2)


@pytest.mark.parametrize("data, message", [
    ({"customer_id": ""}, "Choose one of your customers from the list."),
    ({"title": ""}, "Give the request a short title."),
    ({"purpose": ""}, "Say what the resources are for"),
    ({"lines-0-quantity": "0"}, "Enter a quantity above zero."),
    ({"lines-0-quantity": "11"}, "Only 10 个 of 定制保温杯 are available now."),
    ({"lines-0-stock_id": ""}, "Choose items from the catalogue of your unit."),
])
def test_a_bad_request_form_is_answered_400_with_the_message(rw, client_for, data, message):
    form = {"customer_id": rw.customers["am1"].id, "title": "答谢礼品", "purpose": "年终走访",
            "lines-0-stock_id": rw.cups, "lines-0-quantity": "2"}
    form.update(data)
    response = client_for(rw.am1).post("/resources/requests/new", data=form)
    assert response.status_code == 400 and message in text(response)


def test_the_catalogue_page_searches_by_pinyin_and_hides_other_counties(rw, client_for):
    page = text(client_for(rw.am1).get("/resources/?q=bwb"))
    assert "定制保温杯" in page and "宣传折页" not in page
    assert "X2" not in text(client_for(rw.am1).get("/resources/"))
    assert "Nothing in the catalogue matches" in text(client_for(rw.am1).get("/resources/?q=zzzz"))


# -- stock administration ---------------------------------------------------------------------

def test_the_stock_keeper_records_goods_in_from_the_page(rw, client_for):
    client = client_for(rw.citymgr)
    response = client.post(f"/resources/stock/{rw.cups}", data={"move-kind": "in", "move-quantity": "5",
                                                                "move-reason": "送货单 118"})
    assert response.status_code == 302
    assert stock(rw.cups).on_hand == 15
    page = text(client.get(f"/resources/stock/{rw.cups}"))
    assert "送货单 118" in page and "Goods in" in page


def test_a_movement_without_reason_is_refused_on_the_page(rw, client_for):
    response = client_for(rw.citymgr).post(f"/resources/stock/{rw.cups}", data={
        "move-kind": "out", "move-quantity": "1", "move-reason": ""})
    assert response.status_code == 400 and "Say why the stock changes" in text(response)
    assert stock(rw.cups).on_hand == 10


def test_account_managers_cannot_open_the_stock_pages(rw, client_for):
    client = client_for(rw.am1)
    assert client.get("/resources/stock").status_code == 403
    assert client.get(f"/resources/stock/{rw.cups}").status_code == 403
    assert client.get("/resources/items").status_code == 403
    assert client.get("/resources/types").status_code == 403


def test_an_administrator_edits_the_approval_chain_of_a_type(rw, client_for):
    client = client_for(rw.admin)
    response = client.post(f"/resources/types/{rw.gift.id}", data={
        "code": "GIFT", "name": "礼品", "description": "", "active": "y", "version": rw.gift.version,
        "step_role": ["lead", "city_manager", "province_admin"], "step_level": ["county", "city", "province"]})
    assert response.status_code == 302
    db.session.expire_all()
    with acting_as(rw.admin.scope):
        assert [s["role"] for s in services.get_type(rw.gift.id).steps] == ["lead", "city_manager", "province_admin"]


# -- widgets, customer section, search ------------------------------------------------------

def test_the_widgets_show_my_requests_and_what_waits_for_me(rw, client_for):
    rid = new_request(rw, title="年终答谢")
    assert "年终答谢" in text(client_for(rw.am1).get("/homepage/widgets/resources.my_requests"))
    assert "年终答谢" in text(client_for(rw.lead).get("/homepage/widgets/resources.waiting"))
    assert "No resource request is waiting" in text(client_for(rw.outsider).get("/homepage/widgets/resources.waiting"))
    assert "年终答谢" not in text(client_for(rw.outsider).get("/homepage/widgets/resources.my_requests"))
    assert load(rid).state == "pending"


def test_the_low_stock_widget_shows_the_managers_low_stock(rw, client_for):
    to_state(rw, "approved", quantity=9)
    assert "定制保温杯" in text(client_for(rw.citymgr).get("/homepage/widgets/resources.low_stock"))


def test_the_customer_section_lists_requests_and_issued_value_in_scope(rw, client_for):
    to_state(rw, "issued", quantity=2)
    customer = rw.customers["am1"]
    page = text(client_for(rw.am1).get(f"/customers/{customer.id}/sections/resources.requests"))
    assert "年终答谢礼品" in page and "136.00" in page
    assert client_for(rw.outsider).get(f"/customers/{customer.id}/sections/resources.requests").status_code == 404


def test_search_finds_the_request_for_the_owner_and_not_for_another_county(rw):
    from workbench.search import services as search

    rid = new_request(rw, title="园区沙龙礼品")
    code = load(rid).code
    with acting_as(rw.am1.scope):
        found = search.search(rw.am1, code, "resources.request")
        assert [hit.record_id for hit in found.hits_of("resources.request")] == [rid]
    with acting_as(rw.outsider.scope):
        assert search.search(rw.outsider, code, "resources.request").hits_of("resources.request") == []


# -- the report ------------------------------------------------------------------------------

def test_the_report_counts_only_what_the_reader_sees(rw, client_for):
    lead2 = make_user("lead", rw.other_county, "lead_x2")
    db.session.commit()
    to_state(rw, "used", quantity=2)           # am1, county X1 (grid G1): 136.00
    other = new_request(rw, owner=rw.outsider, stock=rw.other_cups, quantity=1)
    act(lead2, other, "approve")
    act(rw.citymgr, other, "approve")
    act(rw.citymgr, other, "issue")            # am3, county X2: 68.00
    with acting_as(rw.lead.scope):
        assert [(r.key, r.value) for r in services.issued_report("unit")] == [(rw.grid1.id, 136)]
    with acting_as(rw.citymgr.scope):
        assert sorted(r.value for r in services.issued_report("unit")) == [68, 136]
        assert [(r.label, r.quantity, r.value) for r in services.issued_report("type")] == [("礼品", 3, 204)]
    with acting_as(rw.am1.scope):
        assert [r.value for r in services.issued_report("month")] == [136]
    page = text(client_for(rw.lead).get("/resources/report?group=type"))
    assert "136.00" in page and "204.00" not in page


def test_the_report_exports_the_same_figures_to_xlsx(rw, client_for):
    to_state(rw, "used", quantity=2)
    response = client_for(rw.citymgr).get("/resources/report.xlsx?group=type")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Resource type", "Requests", "Items", "Issued value (yuan)")
    assert rows[1][:4] == ("礼品", 1, 2, 136.0)


@pytest.mark.parametrize("query, message", [
    ("group=owner", "Group by unit, resource type or month."),
    ("from=2026-13", "Enter a month as YYYY-MM."),
    ("from=2026-10&to=2026-01", "The first month must not be after the last."),
])
def test_a_bad_report_filter_is_answered_400_with_the_message(rw, client_for, query, message):
    response = client_for(rw.citymgr).get(f"/resources/report?{query}")
    assert response.status_code == 400 and message in text(response)


def test_account_managers_do_not_see_the_report(rw, client_for):
    assert client_for(rw.am1).get("/resources/report").status_code == 403


# -- the JSON API ------------------------------------------------------------------------------

def test_the_api_creates_a_request_and_walks_it_through_the_flow(rw, client_for):
    am1 = client_for(rw.am1)
    created = am1.post("/api/v1/resources/requests", json={
        "customer_id": rw.customers["am1"].id, "title": "答谢", "purpose": "走访",
        "lines": [{"stock_id": rw.cups, "quantity": 1}]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["state"] == "pending" and body["lines"][0]["quantity"] == 1
    rid = body["id"]
    lead = client_for(rw.lead)
    approved = lead.post(f"/api/v1/resources/requests/{rid}/approve", json={"version": body["version"]})
    assert approved.status_code == 200 and approved.get_json()["step_index"] == 1
    stale = client_for(rw.citymgr).post(f"/api/v1/resources/requests/{rid}/approve", json={"version": body["version"]})
    assert stale.status_code == 409


def test_the_api_refuses_bad_input_with_the_message(rw, client_for):
    response = client_for(rw.am1).post("/api/v1/resources/requests", json={
        "customer_id": rw.customers["am1"].id, "title": "答谢", "purpose": "走访",
        "lines": [{"stock_id": rw.cups, "quantity": 99}]})
    assert response.status_code == 400
    assert "Only 10" in response.get_json()["message"]


def test_the_api_answers_404_for_another_countys_request(rw, client_for):
    rid = new_request(rw)
    other = client_for(rw.outsider)
    assert other.get(f"/api/v1/resources/requests/{rid}").status_code == 404
    assert other.post(f"/api/v1/resources/requests/{rid}/cancel", json={"version": 1, "reason": "x"}).status_code == 404
    listed = other.get("/api/v1/resources/requests").get_json()
    assert listed["total"] == 0


def test_the_api_stock_lists_only_drawable_stock_and_managers_record_movements(rw, client_for):
    listed = client_for(rw.am1).get("/api/v1/resources/stock").get_json()
    assert sorted(item["org_unit"]["id"] for item in listed["items"]) == sorted([rw.city.id, rw.county.id])
    response = client_for(rw.citymgr).post(f"/api/v1/resources/stock/{rw.cups}/movements",
                                           json={"kind": "in", "quantity": 4, "reason": "补货"})
    assert response.status_code == 201 and response.get_json()["on_hand_after"] == 14
    refused = client_for(rw.am1).post(f"/api/v1/resources/stock/{rw.cups}/movements",
                                      json={"kind": "in", "quantity": 4, "reason": "补货"})
    assert refused.status_code == 403


def test_the_api_is_in_the_openapi_document(rw, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/resources/requests/{request_id}/approve" in spec["paths"]
    assert "/api/v1/resources/report" in spec["paths"]
