"""Rules of ICT projects, without HTTP: creating, the stage machine and its refusals, team,
milestones, notes, audit and events."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from workbench.audit.models import AuditEntry
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoStatus
from workbench.org.scope import acting_as, system_scope

from plugins.ict import services
from plugins.ict.models import IctMember, IctProject
from tests.plugins.ict.helpers import PLUGINS, act, make_project, project, todos
from tests.support.factories import make_user

pytestmark = [pytest.mark.plugins(*PLUGINS)]


def project_count() -> int:
    with system_scope():
        return db.session.execute(select(func.count(IctProject.id))).scalar_one()


def submitted(world):
    project_id = make_project(world.am1)
    act(world.am1, services.submit_for_review, project_id)
    return project_id


# --- creating ------------------------------------------------------------------------------

def test_an_am_starts_a_project_in_discovery_owned_by_them_with_themselves_on_the_team(app, world):
    created = project(make_project(world.am1))
    assert (created.stage, created.owner_id, created.org_unit_id) == ("discovery", world.am1.id, world.grid1.id)
    assert created.code.startswith("ICT-") and created.estimated_value == Decimal("1200000.00")
    assert [(m.user_id, m.role) for m in created.members] == [(world.am1.id, "account_manager")]


def test_project_codes_are_numbered_in_sequence(app, world):
    first, second = project(make_project(world.am1)), project(make_project(world.am1, name="Second"))
    assert int(second.code.rsplit("-", 1)[1]) == int(first.code.rsplit("-", 1)[1]) + 1


@pytest.mark.parametrize("values, field", [
    ({"name": "  "}, "name"),
    ({"expected_start": "2027-01-10", "expected_end": "2027-01-01"}, "expected_end"),
    ({"estimated_value": "-5"}, "estimated_value"),
    ({"estimated_value": "a lot"}, "estimated_value"),
    ({"expected_start": "next spring"}, "expected_start"),
    ({"category_code": "no_such_category"}, "category_code"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(app, world, values, field):
    with pytest.raises(ServiceError) as refused:
        make_project(world.am1, **values)
    assert refused.value.field == field
    db.session.rollback()
    assert project_count() == 0


def test_a_project_for_a_customer_outside_my_scope_is_refused(app, world):
    with pytest.raises(ServiceError) as refused:
        make_project(world.am1, customer=world.customers["am3"])
    assert refused.value.field == "customer_id"


def test_someone_without_the_manage_right_cannot_start_a_project(app, world):
    viewer = make_user("contract_manager", world.grid1)
    with acting_as(viewer.scope), pytest.raises(NotAllowed):
        services.create_project(viewer, customer_id=world.customers["am1"].id, name="X")


# --- the stage machine ---------------------------------------------------------------------

def test_submitting_moves_to_review_and_gives_the_nearest_reviewer_a_to_do(app, world):
    project_id = submitted(world)
    moved = project(project_id)
    assert (moved.stage, moved.handler_id) == ("review", world.lead.id)
    [todo] = todos(project_id, services.TODO_REVIEW)
    assert todo.owner_id == world.lead.id and todo.link == f"/ict/{project_id}"


def test_submitting_needs_a_scope_of_work_and_a_value(app, world):
    project_id = make_project(world.am1, scope_of_work="", estimated_value=None)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.submit_for_review, project_id)
    assert refused.value.field == "scope_of_work"


def test_submitting_twice_is_refused_with_a_clear_message(app, world):
    project_id = submitted(world)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.submit_for_review, project_id)
    assert "cannot be" in str(refused.value.message)


def test_another_am_of_the_same_county_cannot_submit_my_project(app, world):
    project_id = make_project(world.am1)
    with acting_as(world.am2.scope), pytest.raises(NotFound):
        services.get_project(project_id)


def test_the_owner_cannot_approve_their_own_project(app, world):
    lead_project = make_project(world.lead, customer=world.customers["am1"])
    act(world.lead, services.submit_for_review, lead_project)
    with pytest.raises(NotAllowed):
        act(world.lead, services.approve, lead_project)


def test_an_am_cannot_review(app, world):
    project_id = submitted(world)
    with pytest.raises(NotAllowed):
        act(world.am1, services.return_for_revision, project_id, "no")


def test_returning_needs_a_reason(app, world):
    project_id = submitted(world)
    with pytest.raises(ServiceError) as refused:
        act(world.lead, services.return_for_revision, project_id, "  ")
    assert refused.value.field == "reason"


def test_returning_sends_the_project_back_with_a_to_do_for_the_owner(app, world):
    project_id = submitted(world)
    act(world.lead, services.return_for_revision, project_id, "Add the network part")
    back = project(project_id)
    assert (back.stage, back.handler_id) == ("discovery", world.am1.id)
    assert todos(project_id, services.TODO_REVIEW) == []
    [revise] = todos(project_id, services.TODO_REVISE)
    assert revise.owner_id == world.am1.id and "network" in revise.description
    act(world.am1, services.submit_for_review, project_id)
    assert todos(project_id, services.TODO_REVISE) == []


def test_abandoning_needs_a_reason(app, world):
    project_id = make_project(world.am1)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.abandon, project_id, "")
    assert refused.value.field == "reason"
    assert project(project_id).stage == "discovery"


def test_abandoning_with_a_reason_closes_the_project_and_its_to_dos(app, world):
    project_id = submitted(world)
    act(world.am1, services.abandon, project_id, "The customer chose another supplier")
    gone = project(project_id)
    assert (gone.stage, gone.abandon_reason) == ("abandoned", "The customer chose another supplier")
    assert todos(project_id) == []
    assert [t.status for t in todos(project_id, status=None)] == [TodoStatus.DONE]


def test_an_abandoned_project_cannot_be_abandoned_again_or_edited(app, world):
    project_id = make_project(world.am1)
    act(world.am1, services.abandon, project_id, "Budget cut")
    with pytest.raises(ServiceError):
        act(world.am1, services.abandon, project_id, "Again")
    with pytest.raises(ServiceError):
        act(world.am1, services.update_project, project_id, {"name": "New"}, project(project_id).version)


def test_a_stale_version_is_a_conflict(app, world):
    project_id = make_project(world.am1)
    act(world.am1, services.update_project, project_id, {"name": "Renamed"}, 1)
    with pytest.raises(Exception) as refused:
        act(world.am1, services.update_project, project_id, {"name": "Again"}, 1)
    assert type(refused.value).__name__ == "EditConflict"


def test_every_move_is_in_the_stage_history_and_the_audit_history(app, world):
    project_id = submitted(world)
    act(world.am1, services.abandon, project_id, "Stopped")
    with system_scope():
        moves = [(c.from_stage, c.to_stage) for c in services.stage_history(project(project_id))]
        stage_changes = db.session.execute(
            select(AuditEntry).where(AuditEntry.model_key == "ict_project", AuditEntry.record_id == project_id)
        ).scalars().all()
    assert moves == [("", "discovery"), ("discovery", "review"), ("review", "abandoned")]
    recorded = [entry.changes.get("stage") for entry in stage_changes if "stage" in entry.changes]
    assert ["discovery", "review"] in recorded and ["review", "abandoned"] in recorded


def test_moves_emit_stage_changed_and_closing_emits_closed(app, world, emitted):
    project_id = submitted(world)
    act(world.am1, services.abandon, project_id, "Stopped")
    names = [name for name, _ in emitted]
    assert names.count("ict.project_stage_changed") == 2 and "ict.project_closed" in names
    payload = next(p for n, p in emitted if n == "ict.project_stage_changed")
    assert {"project_id", "customer_id", "from_stage", "to_stage", "opportunity_id"} <= set(payload)


def test_of_two_concurrent_moves_the_second_is_told_of_a_conflict(app, world):
    project_id = submitted(world)
    with acting_as(world.lead.scope):
        stale = services.get_project(project_id)
        # Someone else moves the project in between: the row's version goes up.
        with system_scope():
            db.session.execute(IctProject.__table__.update().where(IctProject.id == project_id)
                               .values(version=IctProject.version + 1))
        with pytest.raises(Conflict):
            services.return_for_revision(world.lead, stale, "Too vague")
    db.session.rollback()
    assert project(project_id).stage == "review"


# --- team, milestones, notes ---------------------------------------------------------------

def test_adding_an_unknown_member_is_refused(app, world):
    project_id = make_project(world.am1)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.add_member, project_id, user_id=999999, role="delivery")
    assert refused.value.field == "user_id"


def test_adding_a_member_twice_is_refused(app, world):
    project_id = make_project(world.am1)
    act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="delivery")
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="delivery")
    assert refused.value.field == "user_id"


def test_an_unknown_role_is_refused(app, world):
    project_id = make_project(world.am1)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="boss")
    assert refused.value.field == "role"


def test_a_removed_member_stays_in_the_history_and_can_come_back(app, world):
    project_id = make_project(world.am1)
    member = act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="delivery")
    act(world.am1, services.remove_member, project_id, member.id)
    with system_scope():
        assert db.session.get(IctMember, member.id).active is False
    act(world.am1, services.add_member, project_id, user_id=world.am2.id, role="solution_engineer")
    with system_scope():
        assert db.session.get(IctMember, member.id).role == "solution_engineer"


def test_the_owner_cannot_be_removed_from_the_team(app, world):
    project_id = make_project(world.am1)
    owner_member = project(project_id).members[0]
    with pytest.raises(ServiceError):
        act(world.am1, services.remove_member, project_id, owner_member.id)


def test_a_milestone_needs_a_title_and_date_and_is_ticked_off_once(app, world):
    project_id = make_project(world.am1)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.add_milestone, project_id, title="Kick-off", planned_date="")
    assert refused.value.field == "planned_date"
    milestone = act(world.am1, services.add_milestone, project_id, title="Kick-off", planned_date="2026-12-05")
    act(world.am1, services.complete_milestone, project_id, milestone.id)
    with pytest.raises(ServiceError):
        act(world.am1, services.complete_milestone, project_id, milestone.id)


def test_a_team_member_may_write_notes_but_not_change_the_team(app, world):
    project_id = make_project(world.am1)
    act(world.am1, services.add_member, project_id, user_id=world.outsider.id, role="solution_engineer")
    act(world.outsider, services.add_note, project_id, "Site survey booked for Monday")
    with pytest.raises(NotAllowed):
        act(world.outsider, services.add_member, project_id, user_id=world.am2.id, role="delivery")


def test_an_empty_note_is_refused(app, world):
    project_id = make_project(world.am1)
    with pytest.raises(ServiceError) as refused:
        act(world.am1, services.add_note, project_id, "   ")
    assert refused.value.field == "body"
