"""Pages, fragments, widgets, the customer section, export, search and the JSON API — each
scoped: an account manager cannot see or act on another county's logs and plans."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from plugins.worklog import services
from plugins.worklog.models import VisitPlan, WorkLog
from tests.plugins.worklog.conftest import load_log, load_plan, local_text, plan, write
from workbench.events import emit
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = pytest.mark.plugins("worklog")


def count(model=WorkLog):
    db.session.expire_all()
    with system_scope():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def form(wl, **values):
    data = {"kind": "visit", "customer_id": str(wl.customers["am1"].id), "happened_at": local_text(),
            "content": "上门拜访信息科", "contact_ids": [str(wl.contact.id)], "contacts_text": "张工",
            "next_step": "", "follow_up_on": ""}
    data.update(values)
    return data


# -- list and detail --------------------------------------------------------------------------

def test_the_list_shows_own_logs_with_filters_and_an_empty_state(wl, client_for):
    client = client_for(wl.am1)
    assert "No logs yet" in client.get("/worklog/").get_data(as_text=True)
    write(wl.am1, wl.customers["am1"], content="介绍云桌面方案")
    write(wl.am1, None, kind="work", content="整理周报")
    page = client.get("/worklog/?type=work").get_data(as_text=True)
    assert "整理周报" in page and "介绍云桌面方案" not in page
    assert "No log matches" in client.get("/worklog/?q=不存在的词").get_data(as_text=True)


def test_an_account_manager_never_sees_another_countys_log(wl, client_for):
    theirs = write(wl.outsider, wl.customers["am3"], content="外县的拜访")
    client = client_for(wl.am1)
    assert "外县的拜访" not in client.get("/worklog/").get_data(as_text=True)
    assert client.get(f"/worklog/{theirs}").status_code == 404
    assert client.get(f"/worklog/{theirs}/edit").status_code == 404
    assert client.get(f"/api/v1/worklog/logs/{theirs}").status_code == 404
    assert client.get(f"/worklog/customer/{wl.customers['am3'].id}/trail").status_code == 404
    assert client.get(f"/worklog/pick/{wl.customers['am3'].id}?pid=p").status_code == 404
    assert "am3的客户" not in client.get("/worklog/pick?pid=p&customer_q=客户").get_data(as_text=True)


def test_a_lead_sees_the_team_and_filters_by_person(wl, client_for):
    write(wl.am1, wl.customers["am1"], content="甲的拜访")
    write(wl.am2, wl.customers["am2"], content="乙的拜访")
    write(wl.outsider, wl.customers["am3"], content="外县的拜访")
    client = client_for(wl.lead)
    page = client.get("/worklog/").get_data(as_text=True)
    assert "甲的拜访" in page and "乙的拜访" in page and "外县的拜访" not in page
    page = client.get(f"/worklog/?owner_id={wl.am2.id}").get_data(as_text=True)
    assert "乙的拜访" in page and "甲的拜访" not in page


def test_the_detail_page_shows_the_log_and_who_may_edit(wl, client_for):
    log_id = write(wl.am1, wl.customers["am1"], contact_ids=[str(wl.contact.id)])
    page = client_for(wl.am1).get(f"/worklog/{log_id}").get_data(as_text=True)
    assert "王主任" in page and 'data-testid="worklog-edit"' in page
    page = client_for(wl.lead).get(f"/worklog/{log_id}").get_data(as_text=True)
    assert "Only the author" in page and 'data-testid="worklog-edit"' not in page


# -- writing ----------------------------------------------------------------------------------

def test_writing_a_log_through_the_form(wl, client_for):
    response = client_for(wl.am1).post("/worklog/new", data=form(wl))
    assert response.status_code == 302
    with system_scope():
        log = db.session.execute(select(WorkLog)).unique().scalar_one()
    assert log.contacts == [{"id": wl.contact.id, "name": "王主任"}, {"id": None, "name": "张工"}]


def test_a_refused_form_keeps_what_was_typed_and_shows_the_message_beside_the_field(wl, client_for):
    response = client_for(wl.am1).post("/worklog/new", data=form(wl, content="", next_step="报价下周"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="worklog-error-content"' in page and "Write what happened." in page
    assert "报价下周" in page and "am1的客户" in page
    assert count() == 0


def test_the_new_form_prefills_the_customer_and_a_plan(wl, client_for):
    plan_id = plan(wl.am1, wl.customers["am1"])
    page = client_for(wl.am1).get(f"/worklog/new?plan_id={plan_id}").get_data(as_text=True)
    assert "Visit log for the plan" in page and f'name="plan_id" value="{plan_id}"' in page
    page = client_for(wl.am1).get(f"/worklog/new?customer_id={wl.customers['am1'].id}").get_data(as_text=True)
    assert "王主任" in page


def test_editing_with_a_stale_version_is_refused_clearly(wl, client_for):
    log_id = write(wl.am1, wl.customers["am1"])
    client = client_for(wl.am1)
    assert client.post(f"/worklog/{log_id}/edit", data=form(wl, content="第一次", version="1")).status_code == 302
    response = client.post(f"/worklog/{log_id}/edit", data=form(wl, content="第二次", version="1"))
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert load_log(log_id).content == "第一次"


def test_a_system_log_cannot_be_edited_through_the_page(wl, client_for):
    emit("contract.confirmed", contract_id=1, code="HT1", customer_id=wl.customers["am1"].id, owner_id=wl.am1.id,
         org_unit_id=wl.am1.org_unit_id)
    db.session.commit()
    with system_scope():
        log_id = db.session.execute(select(WorkLog.id)).scalar_one()
    client = client_for(wl.am1)
    response = client.post(f"/worklog/{log_id}/edit", data=form(wl, content="改写系统日志", version="1"))
    assert response.status_code == 302 and load_log(log_id).content == ""
    assert "cannot be edited" in client.get(f"/worklog/{log_id}").get_data(as_text=True)


# -- the homepage's quick entry ---------------------------------------------------------------

def test_the_quick_entry_widget_renders_a_form(wl, client_for):
    page = client_for(wl.am1).get("/homepage/widgets/worklog.quick_entry").get_data(as_text=True)
    assert 'hx-post="/worklog/quick"' in page and 'name="content"' in page


def test_the_quick_entry_saves_and_answers_the_widget_with_the_result(wl, client_for):
    response = client_for(wl.am1).post("/worklog/quick", data=form(wl, content="电话回访"),
                                       headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="worklog-quick-saved"' in page and "am1的客户" in page
    assert count() == 1


def test_the_quick_entry_shows_a_refusal_in_the_widget_and_writes_nothing(wl, client_for):
    response = client_for(wl.am1).post("/worklog/quick", data=form(wl, customer_id="", kind="service"),
                                       headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="worklog-error-customer_id"' in page
    assert "上门拜访信息科" in page and count() == 0


def test_the_quick_entry_without_htmx_goes_back_to_the_homepage(wl, client_for):
    response = client_for(wl.am1).post("/worklog/quick", data=form(wl))
    assert response.status_code == 302 and count() == 1


def test_the_customer_picker_suggests_and_chooses_with_contacts(wl, client_for):
    client = client_for(wl.am1)
    page = client.get("/worklog/pick?pid=wlq-picker&contacts=1&customer_q=am1").get_data(as_text=True)
    assert "am1的客户" in page and f"/worklog/pick/{wl.customers['am1'].id}" in page
    page = client.get(f"/worklog/pick/{wl.customers['am1'].id}?pid=wlq-picker&contacts=1").get_data(as_text=True)
    assert f'name="customer_id" value="{wl.customers["am1"].id}"' in page and "王主任" in page
    assert client.get("/worklog/pick?pid=<script>").status_code == 400


# -- widgets ----------------------------------------------------------------------------------

def test_the_week_widget_counts_my_plans(wl, client_for):
    plan(wl.am1, wl.customers["am1"])
    page = client_for(wl.am1).get("/homepage/widgets/worklog.week_visits").get_data(as_text=True)
    assert "am1的客户" in page and "Log visit" in page


def test_the_team_widget_counts_only_the_leads_team(wl, client_for):
    write(wl.am1, wl.customers["am1"])
    write(wl.outsider, wl.customers["am3"])
    page = client_for(wl.lead).get("/homepage/widgets/worklog.team_activity").get_data(as_text=True)
    assert wl.am1.name in page and wl.outsider.name not in page
    assert client_for(wl.am1).get("/homepage/widgets/worklog.team_activity").status_code in (403, 404)


# -- customer section -------------------------------------------------------------------------

def test_the_service_trail_section_shows_typed_and_system_logs_with_a_type_filter(wl, client_for):
    write(wl.am1, wl.customers["am1"], content="上门拜访")
    emit("warning.raised", warning_id=1, rule="arrears", severity="high", period="2026-11", title="欠费预警",
         customer_id=wl.customers["am1"].id, owner_id=wl.am1.id, org_unit_id=wl.am1.org_unit_id)
    db.session.commit()
    client = client_for(wl.am1)
    page = client.get(f"/customers/{wl.customers['am1'].id}/sections/worklog.trail").get_data(as_text=True)
    assert "上门拜访" in page and "Warning raised: 欠费预警" in page
    assert page.index("Warning raised") < page.index("上门拜访")  # newest first
    page = client.get(f"/worklog/customer/{wl.customers['am1'].id}/trail?kind=visit").get_data(as_text=True)
    assert "上门拜访" in page and "欠费预警" not in page


def test_the_trail_pages_ten_at_a_time(wl, client_for):
    for index in range(12):
        write(wl.am1, wl.customers["am1"], content=f"第{index}次", happened_at=local_text(-timedelta(hours=index + 1)))
    client = client_for(wl.am1)
    first = client.get(f"/worklog/customer/{wl.customers['am1'].id}/trail").get_data(as_text=True)
    second = client.get(f"/worklog/customer/{wl.customers['am1'].id}/trail?page=2").get_data(as_text=True)
    assert "第0次" in first and "第11次" not in first and "第11次" in second and "Page 1 of 2" in first


# -- plans, calendar, team --------------------------------------------------------------------

def test_planning_a_visit_through_the_page(wl, client_for):
    client = client_for(wl.am1)
    with acting_as(wl.am1.scope):
        day = services.today() + timedelta(days=1)
    response = client.post("/worklog/plans", data={"customer_id": wl.customers["am1"].id,
                                                   "planned_on": day.isoformat(), "purpose": "续约沟通"})
    assert response.status_code == 302 and count(VisitPlan) == 1
    response = client.post("/worklog/plans", data={"customer_id": wl.customers["am1"].id,
                                                   "planned_on": "2020-01-01", "purpose": "续约沟通"})
    assert response.status_code == 400 and "has passed" in response.get_data(as_text=True)


def test_a_plan_page_offers_the_visit_log_and_calling_off(wl, client_for):
    plan_id = plan(wl.am1, wl.customers["am1"])
    client = client_for(wl.am1)
    page = client.get(f"/worklog/plans/{plan_id}").get_data(as_text=True)
    assert "Write the visit log" in page and "Call the visit off" in page
    response = client.post(f"/worklog/plans/{plan_id}", data={"action": "cancel", "reason": "", "version": "1"})
    assert response.status_code == 400 and "Say why" in response.get_data(as_text=True)
    response = client.post(f"/worklog/plans/{plan_id}", data={"action": "cancel", "reason": "客户出差",
                                                              "version": "1"})
    assert response.status_code == 302 and load_plan(plan_id).status == "cancelled"
    assert client_for(wl.outsider).get(f"/worklog/plans/{plan_id}").status_code == 404


def test_the_calendar_shows_week_and_month(wl, client_for):
    write(wl.am1, wl.customers["am1"])
    plan(wl.am1, wl.customers["am1"])
    client = client_for(wl.am1)
    week = client.get("/worklog/calendar").get_data(as_text=True)
    month = client.get("/worklog/calendar?view=month").get_data(as_text=True)
    for page in (week, month):
        assert "am1的客户" in page and 'data-testid="worklog-calendar-grid"' in page
        assert 'data-testid="worklog-calendar-list"' in page
    assert client.get("/worklog/calendar?date=not-a-date").status_code == 200


def test_the_calendar_never_shows_another_countys_plans(wl, client_for):
    plan(wl.outsider, wl.customers["am3"])
    assert "am3的客户" not in client_for(wl.lead).get("/worklog/calendar").get_data(as_text=True)
    assert "am3的客户" in client_for(wl.admin).get("/worklog/calendar").get_data(as_text=True)


def test_the_team_page_is_for_leads(wl, client_for):
    write(wl.am2, wl.customers["am2"])
    assert wl.am2.name in client_for(wl.lead).get("/worklog/team").get_data(as_text=True)
    assert client_for(wl.am1).get("/worklog/team").status_code == 403


# -- export and search ------------------------------------------------------------------------

def test_the_export_holds_what_the_list_shows_within_scope(wl, client_for):
    write(wl.am1, wl.customers["am1"], content="甲的拜访")
    write(wl.am1, None, kind="work", content="甲的周报")
    write(wl.am2, wl.customers["am2"], content="乙的拜访")
    response = client_for(wl.am1).get("/exports/worklog.logs.xlsx?type=visit")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert "甲的拜访" in cells and "甲的周报" not in cells and "乙的拜访" not in cells


def test_search_finds_a_typed_log_for_its_author_and_not_for_another_county(wl):
    from workbench.search import services as search

    log_id = write(wl.am1, wl.customers["am1"], content="客户关注云桌面试点")
    with acting_as(wl.am1.scope):
        found = search.search(wl.am1, "云桌面", "worklog.log")
        assert [hit.record_id for hit in found.hits_of("worklog.log")] == [log_id]
    with acting_as(wl.outsider.scope):
        assert search.search(wl.outsider, "云桌面", "worklog.log").hits_of("worklog.log") == []


# -- API --------------------------------------------------------------------------------------

def test_the_api_writes_lists_and_corrects_a_log(wl, client_for):
    client = client_for(wl.am1)
    response = client.post("/api/v1/worklog/logs", json={"kind": "visit", "customer_id": wl.customers["am1"].id,
                                                         "content": "API 拜访", "contact_ids": [wl.contact.id]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["contacts"] == [{"id": wl.contact.id, "name": "王主任"}] and body["editable"] is True
    listing = client.get("/api/v1/worklog/logs?kind=visit").get_json()
    assert [item["id"] for item in listing["items"]] == [body["id"]]
    patch = {"kind": "visit", "customer_id": wl.customers["am1"].id, "content": "更正", "version": body["version"]}
    assert client.patch(f"/api/v1/worklog/logs/{body['id']}", json=patch).status_code == 200
    stale = client.patch(f"/api/v1/worklog/logs/{body['id']}", json=patch)
    assert stale.status_code == 409 and "version" in stale.get_json()["errors"]


def test_the_api_refuses_bad_input_naming_the_field(wl, client_for):
    response = client_for(wl.am1).post("/api/v1/worklog/logs", json={"kind": "service", "content": "x"})
    assert response.status_code == 400 and "customer_id" in response.get_json()["errors"]
    assert count() == 0


def test_the_api_lists_only_logs_in_scope_and_plans_by_status(wl, client_for):
    write(wl.am1, wl.customers["am1"])
    write(wl.outsider, wl.customers["am3"])
    plan(wl.outsider, wl.customers["am3"])
    client = client_for(wl.am1)
    assert client.get("/api/v1/worklog/logs").get_json()["total"] == 1
    assert client.get("/api/v1/worklog/plans").get_json() == []
    response = client.post("/api/v1/worklog/plans", json={"customer_id": wl.customers["am1"].id,
                                                          "planned_on": "2020-01-01", "purpose": "x"})
    assert response.status_code == 400 and "planned_on" in response.get_json()["errors"]


def test_the_api_team_figures_need_the_right(wl, client_for):
    write(wl.am1, wl.customers["am1"])
    assert client_for(wl.am1).get("/api/v1/worklog/team").status_code == 403
    rows = client_for(wl.lead).get("/api/v1/worklog/team").get_json()
    assert [(row["user"]["username"], row["logs"]) for row in rows] == [("am1", 1)]


def test_the_api_is_in_the_openapi_document(wl, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/worklog/logs" in paths and "/api/v1/worklog/plans/{plan_id}/cancel" in paths
