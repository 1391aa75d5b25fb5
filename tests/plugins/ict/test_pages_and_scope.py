"""ICT project pages, API, widgets, customer section and search: what each person sees, and
the 404 for a project of another county to anyone not on its team."""
from __future__ import annotations

import pytest

from workbench.extensions import db
from workbench.org.scope import system_scope

from plugins.ict import services
from plugins.ict.models import IctProject
from tests.plugins.ict.helpers import PLUGINS, act, make_project, project

pytestmark = [pytest.mark.plugins(*PLUGINS), pytest.mark.locale("en")]


@pytest.fixture
def outsiders_project(world):
    """A project of the other county's AM."""
    return make_project(world.outsider, name="Harbour video platform")


# --- pages ---------------------------------------------------------------------------------

def test_the_list_shows_an_empty_state_that_says_what_to_do(app, world, client_for):
    page = client_for(world.am1).get("/ict/").get_data(as_text=True)
    assert "No ICT projects yet" in page and "/ict/new" in page


def test_the_form_starts_a_project_and_lands_on_its_page(app, world, client_for):
    client = client_for(world.am1)
    response = client.post("/ict/new", data={
        "customer_id": str(world.customers["am1"].id), "name": "Smart school", "scope_of_work": "Classrooms",
        "estimated_value": "300000", "expected_start": "2026-12-01", "expected_end": "2027-03-01"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Smart school" in page and "Submit for review" in page


def test_a_form_with_the_end_before_the_start_says_so_beside_the_field(app, world, client_for):
    response = client_for(world.am1).post("/ict/new", data={
        "customer_id": str(world.customers["am1"].id), "name": "Smart school",
        "expected_start": "2027-03-01", "expected_end": "2026-12-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "invalid-feedback" in page and "before the expected start" in page
    with system_scope():
        assert db.session.query(IctProject).count() == 0


def test_a_form_without_a_name_is_refused_beside_the_field(app, world, client_for):
    response = client_for(world.am1).post("/ict/new", data={"customer_id": str(world.customers["am1"].id), "name": ""})
    assert "invalid-feedback" in response.get_data(as_text=True)


def test_a_negative_value_in_the_form_is_refused(app, world, client_for):
    response = client_for(world.am1).post("/ict/new", data={
        "customer_id": str(world.customers["am1"].id), "name": "X", "estimated_value": "-1"})
    assert "cannot be negative" in response.get_data(as_text=True)


def test_the_list_filters_by_stage(app, world, client_for):
    make_project(world.am1, name="Kept in discovery")
    abandoned = make_project(world.am1, name="Dropped one")
    act(world.am1, services.abandon, abandoned, "No budget")
    page = client_for(world.am1).get("/ict/?stage=discovery").get_data(as_text=True)
    assert "Kept in discovery" in page and "Dropped one" not in page


def test_the_submit_button_moves_the_project_and_the_reviewer_sees_the_review_page(app, world, client_for):
    project_id = make_project(world.am1)
    assert client_for(world.am1).post(f"/ict/{project_id}/submit").status_code == 302
    assert project(project_id).stage == "review"
    review = client_for(world.lead).get(f"/ict/{project_id}/review").get_data(as_text=True)
    assert "Return for revision" in review


def test_returning_without_a_reason_shows_the_message_beside_the_field(app, world, client_for):
    project_id = make_project(world.am1)
    act(world.am1, services.submit_for_review, project_id)
    response = client_for(world.lead).post(f"/ict/{project_id}/review", data={"decision": "return", "return-reason": ""})
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert project(project_id).stage == "review"


# --- scope and team visibility -------------------------------------------------------------

def test_another_county_s_am_gets_404_for_the_page_the_actions_and_the_api(app, world, client_for, outsiders_project):
    client = client_for(world.am1)
    assert client.get(f"/ict/{outsiders_project}").status_code == 404
    assert client.get(f"/ict/{outsiders_project}/review").status_code == 404
    assert client.post(f"/ict/{outsiders_project}/submit").status_code == 404
    assert client.post(f"/ict/{outsiders_project}/notes", data={"body": "hi"}).status_code == 404
    assert client.get(f"/api/v1/ict/projects/{outsiders_project}").status_code == 404
    assert client.post(f"/api/v1/ict/projects/{outsiders_project}/abandon", json={"reason": "x"}).status_code == 404


def test_another_county_s_project_is_not_in_my_list_api_or_widget(app, world, client_for, outsiders_project):
    client = client_for(world.am1)
    assert "Harbour video platform" not in client.get("/ict/").get_data(as_text=True)
    assert client.get("/api/v1/ict/projects").get_json()["total"] == 0
    assert client.get("/ict/stage-counts.json").get_json()["values"] == [0, 0, 0, 0, 0]


def test_the_lead_sees_the_projects_of_their_county_but_not_of_another(app, world, client_for, outsiders_project):
    mine = make_project(world.am1, name="County project")
    client = client_for(world.lead)
    assert client.get(f"/ict/{mine}").status_code == 200
    assert client.get(f"/ict/{outsiders_project}").status_code == 404


def test_a_team_member_from_another_county_sees_the_project_and_may_write_notes(app, world, client_for):
    project_id = make_project(world.am1, name="Shared platform")
    act(world.am1, services.add_member, project_id, user_id=world.outsider.id, role="solution_engineer")
    client = client_for(world.outsider)
    page = client.get(f"/ict/{project_id}").get_data(as_text=True)
    assert "Shared platform" in page and world.customers["am1"].name in page
    assert client.get("/api/v1/ict/projects?mine=team").get_json()["total"] == 1
    assert client.post(f"/ict/{project_id}/notes", data={"body": "Design ready"}).status_code == 302


def test_team_membership_widens_nothing_else_for_the_member(app, world, client_for):
    project_id = make_project(world.am1)
    other = make_project(world.am1, name="Not shared")
    act(world.am1, services.add_member, project_id, user_id=world.outsider.id, role="delivery")
    client = client_for(world.outsider)
    assert client.get(f"/ict/{other}").status_code == 404
    assert client.get(f"/customers/{world.customers['am1'].id}").status_code == 404


def test_a_removed_member_loses_sight_of_the_project(app, world, client_for):
    project_id = make_project(world.am1)
    member = act(world.am1, services.add_member, project_id, user_id=world.outsider.id, role="delivery")
    act(world.am1, services.remove_member, project_id, member.id)
    assert client_for(world.outsider).get(f"/ict/{project_id}").status_code == 404


def test_the_team_form_refuses_an_unknown_user_name(app, world, client_for):
    project_id = make_project(world.am1)
    client = client_for(world.am1)
    client.post(f"/ict/{project_id}/members", data={"username": "nobody-here", "role": "delivery"})
    assert len(project(project_id).members) == 1


# --- API -----------------------------------------------------------------------------------

def test_the_api_starts_a_project_and_refuses_bad_input_with_the_field(app, world, client_for):
    client = client_for(world.am1)
    created = client.post("/api/v1/ict/projects", json={"customer_id": world.customers["am1"].id, "name": "API project",
                                                        "estimated_value": "1000"})
    assert created.status_code == 201 and created.get_json()["stage"] == "discovery"
    refused = client.post("/api/v1/ict/projects", json={"customer_id": world.customers["am1"].id, "name": "X",
                                                        "estimated_value": "-3"})
    assert refused.status_code == 400 and "estimated_value" in refused.get_json()["errors"]


def test_the_api_is_in_the_openapi_document(app, world, client_for):
    spec = client_for(world.am1).get("/api/v1/openapi.json").get_json()
    assert "/api/v1/ict/projects" in spec["paths"] and "/api/v1/ict/projects/{project_id}/approve" in spec["paths"]


# --- widgets, customer section, search -----------------------------------------------------

def test_the_widgets_render_for_their_owner(app, world, client_for):
    project_id = make_project(world.am1)
    act(world.am1, services.add_milestone, project_id, title="Design sign-off",
        planned_date=services.utcnow().date().isoformat())
    client = client_for(world.am1)
    assert 'data-stage="discovery">1<' in client.get("/homepage/widgets/ict.my_projects").get_data(as_text=True)
    assert "Design sign-off" in client.get("/homepage/widgets/ict.milestones_due").get_data(as_text=True)


def test_the_milestone_widget_hides_another_county_s_milestones(app, world, client_for, outsiders_project):
    act(world.outsider, services.add_milestone, outsiders_project, title="Harbour kick-off",
        planned_date=services.utcnow().date().isoformat())
    assert "Harbour kick-off" not in client_for(world.am1).get("/homepage/widgets/ict.milestones_due").get_data(as_text=True)


def test_the_customer_page_section_lists_the_customer_s_projects(app, world, client_for):
    make_project(world.am1, name="Section project")
    customer_id = world.customers["am1"].id
    page = client_for(world.am1).get(f"/customers/{customer_id}/sections/ict.projects").get_data(as_text=True)
    assert "Section project" in page


def test_search_finds_my_project_and_hides_another_county_s(app, world, client_for):
    make_project(world.am1, name="Reservoir telemetry")
    make_project(world.outsider, name="Reservoir sensors")
    titles = [item["title"] for item in
              client_for(world.am1).get("/api/v1/search?q=Reservoir").get_json()["items"]]
    assert "Reservoir telemetry" in titles and "Reservoir sensors" not in titles


def test_the_api_moves_a_project_and_refuses_an_am_approving(app, world, client_for):
    project_id = make_project(world.am1)
    am = client_for(world.am1)
    assert am.post(f"/api/v1/ict/projects/{project_id}/submit").get_json()["stage"] == "review"
    assert am.post(f"/api/v1/ict/projects/{project_id}/approve", json={}).status_code == 403
    returned = client_for(world.lead).post(f"/api/v1/ict/projects/{project_id}/return", json={"reason": "More detail"})
    assert returned.status_code == 200 and returned.get_json()["stage"] == "discovery"
    refused = am.post(f"/api/v1/ict/projects/{project_id}/abandon", json={"reason": " "})
    assert refused.status_code == 400 and "reason" in refused.get_json()["errors"]


def test_the_api_detail_shows_the_team_and_milestones(app, world, client_for):
    project_id = make_project(world.am1)
    act(world.am1, services.add_milestone, project_id, title="Kick-off", planned_date="2026-12-01")
    body = client_for(world.am1).get(f"/api/v1/ict/projects/{project_id}").get_json()
    assert [m["user_id"] for m in body["members"]] == [world.am1.id]
    assert [m["title"] for m in body["milestones"]] == ["Kick-off"] and body["work_order"] is None


def test_a_stale_edit_form_is_refused_with_a_conflict_message(app, world, client_for):
    project_id = make_project(world.am1)
    client = client_for(world.am1)
    assert client.get(f"/ict/{project_id}/edit").status_code == 200
    act(world.am1, services.update_project, project_id, {"name": "Changed elsewhere"}, 1)
    response = client.post(f"/ict/{project_id}/edit", data={"name": "My change", "version": "1",
                                                            "customer_id": str(world.customers["am1"].id)})
    assert "Someone else changed this project" in response.get_data(as_text=True)
    assert project(project_id).name == "Changed elsewhere"


def test_a_team_member_who_is_not_the_manager_cannot_open_the_edit_form(app, world, client_for):
    project_id = make_project(world.am1)
    act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="delivery")
    assert client_for(world.am2).get(f"/ict/{project_id}/edit").status_code == 403
