"""Pages, downloads, the JSON API, widgets, the customer section and search — each scoped:
an account manager of another county gets 404 (or nothing) for am1's contract."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from plugins.contract import services
from tests.plugins.contract.conftest import PDF, fill, load, new_contract, pre_execution, to_state
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("contract", "opportunity"), pytest.mark.locale("en")]


def test_the_list_shows_the_account_managers_contract_and_hides_it_from_another_county(cw, client_for):
    cid = new_contract(cw)
    code = load(cid).code
    assert code in client_for(cw.am1).get("/contract/").get_data(as_text=True)
    other = client_for(cw.outsider).get("/contract/")
    assert other.status_code == 200 and code not in other.get_data(as_text=True)
    assert "No contract work orders yet" in other.get_data(as_text=True)


def test_the_list_filters_by_state_and_search(cw, client_for):
    cid = new_contract(cw)
    code = load(cid).code
    client = client_for(cw.am1)
    assert code in client.get("/contract/?state=draft").get_data(as_text=True)
    assert code not in client.get("/contract/?state=confirmed").get_data(as_text=True)
    assert code in client.get(f"/contract/?q={code}").get_data(as_text=True)
    assert "No contract matches" in client.get("/contract/?q=nothing-like-this").get_data(as_text=True)


def test_the_detail_page_and_downloads_answer_404_outside_the_scope(cw, client_for):
    cid = fill(cw, new_contract(cw))
    other = client_for(cw.outsider)
    assert other.get(f"/contract/{cid}").status_code == 404
    assert other.get(f"/contract/{cid}/files/contract").status_code == 404
    assert other.get(f"/contract/{cid}/edit").status_code == 404


def test_the_contract_file_downloads_as_an_attachment_for_the_account_manager(cw, client_for):
    cid = fill(cw, new_contract(cw))
    response = client_for(cw.am1).get(f"/contract/{cid}/files/contract")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_reviewer_can_download_the_file_of_a_contract_waiting_for_them(cw, client_for):
    cid = fill(cw, new_contract(cw))
    from tests.plugins.contract.conftest import act

    act(cw.am1, cid, "submit")
    assert client_for(cw.lead).get(f"/contract/{cid}/files/contract").status_code == 200


def test_generating_from_the_opportunity_page_creates_the_order_and_opens_the_form(cw, client_for):
    oid = pre_execution(cw)
    client = client_for(cw.am1)
    page = client.get(f"/contract/new?opportunity_id={oid}")
    assert page.status_code == 200 and "Generate work order" in page.get_data(as_text=True)
    response = client.post("/contract/new", data={"opportunity_id": oid})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    again = client.get(f"/contract/new?opportunity_id={oid}")
    assert again.status_code == 302  # the existing order opens instead


def test_another_county_cannot_open_the_generate_page(cw, client_for):
    oid = pre_execution(cw)
    assert client_for(cw.outsider).get(f"/contract/new?opportunity_id={oid}").status_code == 404


def test_a_bad_amount_is_shown_beside_the_field_and_nothing_is_saved(cw, client_for):
    cid = new_contract(cw)
    version = load(cid).version
    response = client_for(cw.am1).post(f"/contract/{cid}/edit", data={
        "title": "专线", "party_a": "甲", "amount": "12abc", "start_date": "", "end_date": "", "products": "",
        "payment_terms": "", "notes": "改了", "version": version, "then": "save"})
    assert response.status_code == 400
    assert "Enter the amount as a number" in response.get_data(as_text=True)
    assert load(cid).notes == ""


def test_a_stale_form_gets_the_conflict_message(cw, client_for):
    cid = new_contract(cw)
    response = client_for(cw.am1).post(f"/contract/{cid}/edit", data={
        "title": "专线", "notes": "x", "version": load(cid).version - 1, "then": "save"}, follow_redirects=True)
    assert "Someone else changed this contract" in response.get_data(as_text=True)


def test_save_and_submit_sends_the_filled_form_for_review(cw, client_for):
    cid = new_contract(cw)
    client = client_for(cw.am1)
    client.post(f"/contract/{cid}/upload", data={"upload-file": (__import__("io").BytesIO(PDF), "合同.pdf")},
                content_type="multipart/form-data")
    start = date.today() + timedelta(days=5)
    response = client.post(f"/contract/{cid}/edit", data={
        "title": "专线", "party_a": "甲方", "party_b": "乙方", "amount": "1000", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=365)).isoformat(), "products": "专线", "payment_terms": "月付",
        "notes": "", "version": load(cid).version, "then": "submit"})
    assert response.status_code == 302
    assert load(cid).state == "business_review"


def test_submitting_an_incomplete_form_marks_each_missing_field(cw, client_for):
    cid = new_contract(cw)
    response = client_for(cw.am1).post(f"/contract/{cid}/edit", data={
        "title": "专线", "party_a": "甲方", "party_b": "乙方", "amount": "1000", "version": load(cid).version,
        "then": "submit"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the date the term starts." in text and "Upload the contract file" in text
    assert load(cid).state == "draft"


def test_a_renamed_executable_upload_is_refused_beside_the_file_field(cw, client_for):
    import io

    cid = new_contract(cw)
    response = client_for(cw.am1).post(f"/contract/{cid}/upload", data={
        "upload-file": (io.BytesIO(b"MZ" + b"\x00" * 200), "contract.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not accepted" in response.get_data(as_text=True)
    assert load(cid).contract_file_id is None


def test_sending_back_without_a_reason_shows_the_message_beside_the_field(cw, client_for):
    cid = to_state(cw, "business_review")
    response = client_for(cw.lead).post(f"/contract/{cid}/return", data={"return-reason": "",
                                                                         "return-version": load(cid).version})
    assert response.status_code == 400
    assert "Say why the contract is sent back" in response.get_data(as_text=True)
    assert load(cid).state == "business_review"


def test_the_reviewer_approves_from_the_page(cw, client_for):
    cid = to_state(cw, "business_review")
    response = client_for(cw.lead).post(f"/contract/{cid}/approve", data={"approve-note": "同意",
                                                                          "approve-version": load(cid).version})
    assert response.status_code == 302 and load(cid).state == "branch_review"


def test_an_account_manager_sees_no_approve_button_and_cannot_approve(cw, client_for):
    cid = to_state(cw, "business_review")
    client = client_for(cw.am1)
    assert 'data-testid="contract-approve"' not in client.get(f"/contract/{cid}").get_data(as_text=True)
    client.post(f"/contract/{cid}/approve", data={"approve-version": load(cid).version})
    assert load(cid).state == "business_review"


def test_the_api_lists_and_reads_within_the_scope(cw, client_for):
    cid = new_contract(cw)
    mine = client_for(cw.am1).get("/api/v1/contract").get_json()
    assert [item["id"] for item in mine["items"]] == [cid]
    other = client_for(cw.outsider)
    assert other.get("/api/v1/contract").get_json()["items"] == []
    assert other.get(f"/api/v1/contract/{cid}").status_code == 404
    detail = client_for(cw.am1).get(f"/api/v1/contract/{cid}").get_json()
    assert detail["state"] == "draft" and "submit" in detail["actions"]


def test_the_api_walks_the_flow_with_versions(cw, client_for):
    cid = fill(cw, new_contract(cw))
    version = load(cid).version
    submitted = client_for(cw.am1).post(f"/api/v1/contract/{cid}/submit", json={"version": version})
    assert submitted.status_code == 200 and submitted.get_json()["state"] == "business_review"
    stale = client_for(cw.lead).post(f"/api/v1/contract/{cid}/approve", json={"version": version})
    assert stale.status_code == 409
    refused = client_for(cw.lead).post(f"/api/v1/contract/{cid}/return",
                                       json={"version": load(cid).version, "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.get_json()["errors"]


def test_the_api_creates_from_an_opportunity_and_refuses_a_second(cw, client_for):
    oid = pre_execution(cw)
    client = client_for(cw.am1)
    assert client.post("/api/v1/contract", json={"opportunity_id": oid}).status_code == 201
    assert client.post("/api/v1/contract", json={"opportunity_id": oid}).status_code == 409
    assert client_for(cw.outsider).post("/api/v1/contract", json={"opportunity_id": oid}).status_code in (403, 404)


def test_the_api_state_counts_follow_the_scope(cw, client_for):
    new_contract(cw)
    counts = {row["state"]: row["count"] for row in client_for(cw.am1).get("/api/v1/contract/states").get_json()}
    other = {row["state"]: row["count"] for row in client_for(cw.outsider).get("/api/v1/contract/states").get_json()}
    assert counts["draft"] == 1 and other["draft"] == 0


def test_the_api_is_in_the_openapi_document(cw, client_for):
    paths = client_for(cw.am1).get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/contract/{contract_id}/approve" in paths


def test_the_widgets_count_only_what_the_reader_may_see(cw, client_for):
    cid = to_state(cw, "confirmed", category="cloud")
    with system_scope():
        from plugins.contract.models import Contract

        db.session.execute(Contract.__table__.update().values(end_date=services.today() + timedelta(days=20)))
        db.session.commit()
    code = load(cid).code
    mine = client_for(cw.am1)
    assert load(cid).party_a in mine.get("/homepage/widgets/contract.expiring").get_data(as_text=True)
    assert "Confirmed" in mine.get("/homepage/widgets/contract.my_orders").get_data(as_text=True)
    other = client_for(cw.outsider)
    assert "No contract ends" in other.get("/homepage/widgets/contract.expiring").get_data(as_text=True)
    assert "no contract work orders" in other.get("/homepage/widgets/contract.my_orders").get_data(as_text=True)
    assert code  # the reader's own list is covered above


def test_the_waiting_widget_lists_reviews_for_the_reviewer_only(cw, client_for):
    cid = to_state(cw, "business_review")
    code = load(cid).code
    assert code in client_for(cw.lead).get("/homepage/widgets/contract.waiting").get_data(as_text=True)
    assert code not in client_for(cw.am1).get("/homepage/widgets/contract.waiting").get_data(as_text=True)


def test_the_customer_page_section_lists_its_contracts(cw, client_for):
    cid = new_contract(cw)
    customer = cw.customers["am1"]
    page = client_for(cw.am1).get(f"/customers/{customer.id}/sections/contract.contracts").get_data(as_text=True)
    assert load(cid).code in page


def test_search_finds_the_contract_for_the_owner_and_not_for_another_county(cw):
    from workbench.search import services as search

    cid = fill(cw, new_contract(cw))
    code = load(cid).code
    with acting_as(cw.am1.scope):
        found = search.search(cw.am1, code, "contract.contract")
        assert [hit.record_id for hit in found.hits_of("contract.contract")] == [cid]
    with acting_as(cw.outsider.scope):
        assert search.search(cw.outsider, code, "contract.contract").hits_of("contract.contract") == []


def test_the_template_library_lists_the_fields_and_offers_the_standard_templates(cw, client_for):
    page = client_for(cw.contractmgr).get("/contract/templates").get_data(as_text=True)
    assert "customer.name" in page and "Add the standard templates" in page
    response = client_for(cw.contractmgr).post("/contract/templates/standard")
    assert response.status_code == 302
    assert "集团专线业务合同" in client_for(cw.am1).get("/contract/templates").get_data(as_text=True)


def test_an_account_manager_cannot_upload_templates(cw, client_for):
    assert client_for(cw.am1).post("/contract/templates", data={"name": "x"}).status_code == 403
