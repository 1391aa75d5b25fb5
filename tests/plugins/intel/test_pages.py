"""Pages, downloads, exports, the JSON API, widgets, the customer section and search — each
scoped: an account manager of another county gets 404 (or nothing) for am1's intel until it
is pushed to them, and then sees that item only."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from plugins.intel import services
from plugins.intel.models import Intel
from tests.plugins.intel.conftest import PDF, act, load, pushed, rated, submit, upload, values
from workbench.extensions import db
from workbench.org.scope import acting_as

pytestmark = [pytest.mark.plugins("intel", "opportunity"), pytest.mark.locale("en")]


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_shows_am1s_intel_and_hides_it_from_another_county(iw, client_for):
    code = load(submit(iw)).code
    assert code in text(client_for(iw.am1).get("/intel/?tab=mine"))
    assert code in text(client_for(iw.lead).get("/intel/?tab=all"))
    other = client_for(iw.outsider).get("/intel/?tab=all")
    assert other.status_code == 200 and code not in text(other)
    assert "No intel yet" in text(other)


def test_the_list_searches_and_filters(iw, client_for):
    code = load(submit(iw)).code
    client = client_for(iw.am1)
    assert code in text(client.get("/intel/?tab=all&q=5G专网"))
    assert "No intel matches" in text(client.get("/intel/?tab=all&q=nothing-like-this"))
    mobile, unicom = iw.competitors["中国移动"].id, iw.competitors["中国联通"].id
    assert code in text(client.get(f"/intel/?tab=all&competitor={mobile}"))
    assert code not in text(client.get(f"/intel/?tab=all&competitor={unicom}"))


def test_the_pushed_tab_shows_what_was_pushed_and_the_item_opens_for_the_recipient(iw, client_for):
    intel_id = pushed(iw, [iw.outsider], uploads=[upload(PDF, "报价.pdf")])
    client = client_for(iw.outsider)
    assert load(intel_id).code in text(client.get("/intel/?tab=pushed"))
    page = client.get(f"/intel/{intel_id}")
    assert page.status_code == 200 and "Mark as read" in text(page)
    attachment = services.attachments_of(load(intel_id))[0]
    download = client.get(f"/intel/{intel_id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    # The customer is named but not linked: the recipient cannot open it.
    assert f"/customers/{iw.customers['am1'].id}" not in text(page)
    assert client.get(f"/customers/{iw.customers['am1'].id}").status_code == 404


def test_the_detail_page_and_downloads_answer_404_outside_the_scope(iw, client_for):
    intel_id = submit(iw, uploads=[upload(PDF, "报价.pdf")])
    attachment = services.attachments_of(load(intel_id))[0]
    other = client_for(iw.outsider)
    assert other.get(f"/intel/{intel_id}").status_code == 404
    assert other.get(f"/intel/{intel_id}/files/{attachment.id}").status_code == 404
    assert other.get(f"/intel/{intel_id}/edit").status_code == 404
    assert other.post(f"/intel/{intel_id}/rate", data={"value": "high"}).status_code == 404


def test_marking_read_from_the_page_closes_the_recipients_todo(iw, client_for):
    intel_id = pushed(iw, [iw.am2])
    client = client_for(iw.am2)
    response = client.post(f"/intel/{intel_id}/read")
    assert response.status_code == 302
    assert "read" in text(client.get(f"/intel/{intel_id}"))
    with acting_as(iw.am2.scope):
        assert services.my_push(iw.am2, services.get_intel(intel_id)).done_at is not None


def test_recording_from_the_form_and_a_refusal_beside_the_field(iw, client_for):
    client = client_for(iw.am1)
    form = values(iw)
    form["files"] = (io.BytesIO(PDF), "报价.pdf")
    response = client.post("/intel/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    intel_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert len(services.attachments_of(load(intel_id))) == 1
    bad = client.post("/intel/new", data=values(iw, customer_id=str(iw.customers["am3"].id)))
    assert bad.status_code == 200 and "Choose a customer from your own book" in text(bad)
    assert db.session.execute(select(func.count(Intel.id)).execution_options(skip_scope=True)).scalar() == 1


def test_the_form_preselects_a_customer_of_mine_but_not_of_another_county(iw, client_for):
    client = client_for(iw.am1)
    assert iw.customers["am1"].name in text(client.get(f"/intel/new?customer_id={iw.customers['am1'].id}"))
    assert iw.customers["am3"].name not in text(client.get(f"/intel/new?customer_id={iw.customers['am3'].id}"))


def test_the_opportunity_choices_are_the_customers_competitive_ones_in_scope(iw, client_for):
    from tests.plugins.intel.test_services import _opportunity

    competitive = _opportunity(iw, iw.am1, iw.customers["am1"])
    _opportunity(iw, iw.am1, iw.customers["am1"], kind="demand")
    body = client_for(iw.am1).get(f"/intel/opportunities?customer_id={iw.customers['am1'].id}").get_json()
    assert [item["id"] for item in body["items"]] == [competitive]
    other = client_for(iw.outsider).get(f"/intel/opportunities?customer_id={iw.customers['am1'].id}").get_json()
    assert other["items"] == []


def test_the_submitter_edits_with_a_stale_version_and_is_told(iw, client_for):
    intel_id = submit(iw)
    client = client_for(iw.am1)
    assert client.get(f"/intel/{intel_id}/edit").status_code == 200
    form = values(iw, offer="首年五折", version=str(load(intel_id).version))
    assert client.post(f"/intel/{intel_id}/edit", data=form).status_code == 302
    assert load(intel_id).offer == "首年五折"
    stale = client.post(f"/intel/{intel_id}/edit", data=values(iw, offer="x", version="1"), follow_redirects=True)
    assert "Someone else changed" in text(stale) and load(intel_id).offer == "首年五折"
    assert client_for(iw.am2).get(f"/intel/{intel_id}/edit").status_code in (403, 404)


def test_the_admin_rates_merges_and_pushes_from_the_page(iw, client_for):
    survivor, duplicate = submit(iw), submit(iw, owner=iw.am2)
    client = client_for(iw.admin)
    page = text(client.get(f"/intel/{survivor}"))
    assert "Save rating" in page and "Merge into it" in page
    bad = client.post(f"/intel/{survivor}/rate", data={"value": "great", "version": load(survivor).version})
    assert bad.status_code == 400
    assert client.post(f"/intel/{survivor}/rate", data={"value": "high", "tags": "5G, 价格战",
                                                        "version": load(survivor).version}).status_code == 302
    itself = client.post(f"/intel/{duplicate}/merge", data={"survivor": load(duplicate).code,
                                                            "version": load(duplicate).version})
    assert itself.status_code == 400 and "cannot be merged into itself" in text(itself)
    merged = client.post(f"/intel/{duplicate}/merge", data={"survivor": load(survivor).code,
                                                            "version": load(duplicate).version})
    assert merged.status_code == 302 and merged.headers["Location"].endswith(f"/intel/{survivor}")
    pushed_page = client.post(f"/intel/{survivor}/push", data={"recipients": [str(iw.am2.id), str(iw.lead.id)],
                                                               "version": load(survivor).version},
                              follow_redirects=True)
    assert "Pushed." in text(pushed_page) and load(survivor).push_count == 2
    nobody = client.post(f"/intel/{survivor}/push", data={"version": load(survivor).version})
    assert nobody.status_code == 400 and "at least one person" in text(nobody)


def test_opening_a_merged_item_redirects_to_the_survivor(iw, client_for):
    survivor, duplicate = submit(iw), submit(iw)
    act(iw.admin, duplicate, "merge", str(survivor))
    response = client_for(iw.am1).get(f"/intel/{duplicate}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/intel/{survivor}?merged_from={duplicate}")


def test_the_export_holds_what_the_list_shows(iw, client_for):
    mine = load(submit(iw)).code
    theirs = load(submit(iw, owner=iw.outsider)).code
    response = client_for(iw.am1).get("/intel/export.xlsx?tab=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert mine in codes and theirs not in codes


def test_widgets_show_pushed_waiting_and_activity_in_scope(iw, client_for):
    waiting = load(submit(iw))
    to_am2 = load(pushed(iw, [iw.am2], title="联通低价专线"))
    assert to_am2.title in text(client_for(iw.am2).get("/homepage/widgets/intel.pushed_to_me"))
    assert "Nothing has been pushed" in text(client_for(iw.am1).get("/homepage/widgets/intel.pushed_to_me"))
    assert waiting.title in text(client_for(iw.admin).get("/homepage/widgets/intel.waiting"))
    assert client_for(iw.far_admin).get("/homepage/widgets/intel.waiting").status_code == 200
    assert waiting.title not in text(client_for(iw.far_admin).get("/homepage/widgets/intel.waiting"))
    assert "中国移动" in text(client_for(iw.lead).get("/homepage/widgets/intel.activity"))
    assert "No intel about competitors" in text(client_for(iw.outsider).get("/homepage/widgets/intel.activity"))


def test_the_customer_section_lists_intel_about_the_customer(iw, client_for):
    item = load(submit(iw))
    url = f"/customers/{iw.customers['am1'].id}/sections/intel.customer"
    assert item.title in text(client_for(iw.am1).get(url))
    assert client_for(iw.outsider).get(url).status_code == 404


def test_search_finds_intel_for_the_owner_and_the_recipient_only(iw):
    from workbench.search import services as search

    intel_id = rated(iw)
    code = load(intel_id).code
    with acting_as(iw.am1.scope):
        assert [hit.record_id for hit in search.search(iw.am1, code, "intel.intel").hits_of("intel.intel")] == [intel_id]
    with acting_as(iw.outsider.scope):
        assert search.search(iw.outsider, code, "intel.intel").hits_of("intel.intel") == []
    act(iw.admin, intel_id, "push", [iw.outsider.id])
    with acting_as(iw.outsider.scope):
        assert [hit.record_id for hit in search.search(iw.outsider, code, "intel.intel").hits_of("intel.intel")] == [intel_id]


def test_competitor_administration_is_for_intel_admins(iw, client_for):
    assert client_for(iw.am1).get("/intel/competitors").status_code == 403
    client = client_for(iw.admin)
    assert "中国移动" in text(client.get("/intel/competitors"))
    added = client.post("/intel/competitors/new", data={"name": "本地小运营商", "kind": "local_isp", "order": "70",
                                                        "active": "y"})
    assert added.status_code == 302
    duplicate = client.post("/intel/competitors/new", data={"name": "本地小运营商", "kind": "local_isp", "order": "70"})
    assert duplicate.status_code == 200 and "already on the list" in text(duplicate)


def test_the_api_lists_reads_records_and_screens_within_scope(iw, client_for):
    am1 = client_for(iw.am1)
    created = am1.post("/api/v1/intel", json={**values(iw), "competitor_id": iw.competitors["中国联通"].id})
    assert created.status_code == 201
    intel_id = created.get_json()["id"]
    assert [row["id"] for row in am1.get("/api/v1/intel?tab=mine").get_json()["items"]] == [intel_id]
    bad = am1.post("/api/v1/intel", json=values(iw, observed_on="tomorrow"))
    assert bad.status_code == 400 and "observed_on" in bad.get_json()["errors"]
    assert client_for(iw.outsider).get(f"/api/v1/intel/{intel_id}").status_code == 404
    lead = client_for(iw.lead)
    assert lead.post(f"/api/v1/intel/{intel_id}/rate", json={"value": "high", "version": 1}).status_code == 403
    stale = am1.patch(f"/api/v1/intel/{intel_id}", json={"offer": "x", "version": 99})
    assert stale.status_code == 409


def test_the_api_summary_is_scoped(iw, client_for):
    submit(iw)
    mine = client_for(iw.am1).get("/api/v1/intel/summary?months=3").get_json()
    assert mine["figures"]["total"] == 1
    theirs = client_for(iw.outsider).get("/api/v1/intel/summary?months=3").get_json()
    assert theirs["figures"]["total"] == 0 and theirs["competitors"] == []


def test_the_openapi_document_lists_the_intel_endpoints(iw, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/intel", "/api/v1/intel/{intel_id}", "/api/v1/intel/{intel_id}/push",
            "/api/v1/intel/{intel_id}/merge", "/api/v1/intel/summary"} <= set(paths)


def test_the_list_page_costs_the_same_statements_for_few_and_many_items(iw, client_for, count_queries):
    client = client_for(iw.lead)
    for _ in range(2):
        submit(iw)
    client.get("/intel/?tab=all")
    with count_queries() as few:
        assert client.get("/intel/?tab=all").status_code == 200
    for n in range(18):
        submit(iw, owner=iw.am2 if n % 2 else iw.am1, uploads=[])
    with count_queries() as many:
        assert client.get("/intel/?tab=all").status_code == 200
    assert many.count == few.count
