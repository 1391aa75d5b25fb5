"""The inbox service API, without HTTP: opening, closing, marking done, snoozing,
reassigning, dispatching (派单), hand-over and reminder settings."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.factories import make_todo, make_user
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox import services
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.org.scope import acting_as, system_scope
from workbench.records import EditConflict, utcnow

SAMPLE = pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"sample": "tests.support.sample_plugin"})


def test_open_todo_refuses_an_unknown_kind(world):
    with pytest.raises(ServiceError):
        services.open_todo(kind="no.such.kind", title="x", assignee=world.am1)
    with system_scope():
        assert db.session.execute(select(TodoItem)).first() is None


def test_open_todo_needs_a_title(world):
    with pytest.raises(ServiceError):
        services.open_todo(kind="task", title="   ", assignee=world.am1)


def test_open_todo_goes_to_exactly_one_person_or_unit(world):
    with pytest.raises(ServiceError):
        services.open_todo(kind="task", title="x", assignee=world.am1, unit=world.grid1)
    with pytest.raises(ServiceError):
        services.open_todo(kind="task", title="x")


def test_open_todo_refuses_an_inactive_assignee(world):
    world.am2.active = False
    with pytest.raises(ServiceError):
        services.open_todo(kind="task", title="x", assignee=world.am2)


def test_close_todos_for_a_source_closes_only_that_source(world):
    make_todo(world.am1, source=("opportunity", 7))
    make_todo(world.am1, source=("opportunity", 8))
    closed = services.close_todos_for(("opportunity", 7))
    assert closed == 1
    with system_scope():
        statuses = dict(db.session.execute(select(TodoItem.source_id, TodoItem.status)).all())
    assert statuses == {"7": TodoStatus.DONE, "8": TodoStatus.OPEN}


def test_assignee_marks_a_task_done_with_a_note(world):
    item = make_todo(world.am1)
    with acting_as(world.am1.scope):
        services.mark_done(item, world.am1, "called the customer")
    assert item.status == TodoStatus.DONE and item.result_note == "called the customer"
    assert item.closed_by_id == world.am1.id


def test_someone_else_cannot_mark_a_todo_done(world):
    item = make_todo(world.am1)
    with pytest.raises(NotAllowed):
        services.mark_done(item, world.am2)
    assert item.is_open


@SAMPLE
def test_a_kind_closed_by_its_flow_cannot_be_ticked_off(world):
    item = make_todo(world.am1, kind="sample.review")
    with pytest.raises(NotAllowed):
        services.mark_done(item, world.am1)
    assert item.is_open


def test_marking_done_with_a_stale_version_is_a_conflict(world):
    item = make_todo(world.am1)
    db.session.commit()
    stale = item.version
    services.update_todo(item, title="renamed")
    db.session.commit()
    with pytest.raises(EditConflict):
        services.mark_done(item, world.am1, version=stale)
    assert item.is_open


def test_snooze_must_be_in_the_future(world):
    item = make_todo(world.am1)
    with pytest.raises(ServiceError):
        services.snooze(item, world.am1, utcnow() - timedelta(hours=1))
    assert item.snoozed_until is None


def test_snoozed_items_leave_the_inbox_until_the_time_comes(world):
    item = make_todo(world.am1)
    services.snooze(item, world.am1, utcnow() + timedelta(days=1))
    with acting_as(world.am1.scope):
        default = db.session.execute(services.inbox_query(world.am1)).scalars().all()
        snoozed = db.session.execute(services.inbox_query(world.am1, services.InboxFilter(due="snoozed"))).scalars().all()
    assert item not in default and item in snoozed


def test_inbox_puts_overdue_first_and_filters_by_due(world):
    later = make_todo(world.am1, title="later", due_in=timedelta(days=5))
    overdue = make_todo(world.am1, title="overdue", due_in=timedelta(hours=-3))
    make_todo(world.am2, title="not mine")
    with acting_as(world.am1.scope):
        titles = [t.title for t in db.session.execute(services.inbox_query(world.am1)).scalars()]
        only_overdue = db.session.execute(
            services.inbox_query(world.am1, services.InboxFilter(due="overdue"))).scalars().all()
    assert titles == ["overdue", "later"]
    assert only_overdue == [overdue]
    assert later not in only_overdue


def test_counts_by_kind_include_overdue(world):
    make_todo(world.am1, due_in=timedelta(hours=-1))
    make_todo(world.am1, due_in=timedelta(days=1))
    with acting_as(world.am1.scope):
        counts = services.counts_by_kind(world.am1)
    assert [(c.kind, c.total, c.overdue) for c in counts] == [("task", 2, 1)]


def test_unit_queue_item_can_be_taken_by_a_member(world):
    item = make_todo(unit=world.grid1)
    with acting_as(world.am1.scope):
        assert item in db.session.execute(services.inbox_query(world.am1)).scalars().all()
        services.take(item, world.am1)
    assert item.owner_id == world.am1.id
    with pytest.raises(ServiceError):
        services.take(item, world.am1)


def test_lead_reassigns_within_the_county(world):
    item = make_todo(world.am1)
    services.reassign(item, world.lead, world.am2)
    assert item.owner_id == world.am2.id and item.org_unit_id == world.grid2.id


def test_lead_cannot_reassign_to_someone_outside_the_county(world):
    item = make_todo(world.am1)
    with pytest.raises(NotFound):
        services.reassign(item, world.lead, world.outsider)
    assert item.owner_id == world.am1.id


def test_an_account_manager_cannot_reassign(world):
    item = make_todo(world.am1)
    with pytest.raises(NotAllowed):
        services.reassign(item, world.am1, world.am2)


def test_dispatch_to_a_unit_gives_every_member_a_task_and_tracks_progress(world):
    dispatch = services.dispatch_task(world.lead, title="走访重点客户", unit=world.county,
                                      due_at=utcnow() + timedelta(days=2))
    items = db.session.execute(
        select(TodoItem).where(TodoItem.dispatch_id == dispatch.id).execution_options(skip_scope=True)
    ).scalars().all()
    assert {i.owner_id for i in items} == {world.am1.id, world.am2.id}
    services.mark_done(next(i for i in items if i.owner_id == world.am1.id), world.am1)
    progress = services.dispatch_progress([dispatch.id])[dispatch.id]
    assert (progress.total, progress.done, progress.percent) == (2, 1, 50)


def test_dispatch_needs_the_permission_and_a_target(world):
    with pytest.raises(NotAllowed):
        services.dispatch_task(world.am1, title="x", users=[world.am2])
    with pytest.raises(ServiceError):
        services.dispatch_task(world.lead, title="x")
    with pytest.raises(ServiceError):
        services.dispatch_task(world.lead, title="x", users=[world.am1], due_at=utcnow() - timedelta(days=1))


def test_dispatch_outside_the_leads_scope_is_refused(world):
    with pytest.raises(NotFound):
        services.dispatch_task(world.lead, title="x", unit=world.other_county)
    with pytest.raises(NotFound):
        services.dispatch_task(world.lead, title="x", users=[world.outsider])


def test_cancelling_a_dispatch_cancels_the_open_tasks(world):
    dispatch = services.dispatch_task(world.lead, title="x", users=[world.am1, world.am2])
    assert services.cancel_dispatch(dispatch, world.lead) == 2
    with pytest.raises(NotAllowed):
        services.cancel_dispatch(dispatch, world.am1)


def test_hand_over_moves_open_todos_and_customers_to_the_successor(world):
    make_todo(world.am1)
    done = make_todo(world.am1)
    services.mark_done(done, world.am1)
    result = services.hand_over(world.lead, world.am1, world.am2)
    assert (result.todos, result.customers) == (1, 1)
    assert world.customers["am1"].owner_id == world.am2.id
    assert done.owner_id == world.am1.id  # history stays with who did it
    assert not world.am1.active and world.am1.successor_id == world.am2.id


def test_hand_over_to_oneself_or_outside_scope_is_refused(world):
    with pytest.raises(ServiceError):
        services.hand_over(world.lead, world.am1, world.am1)
    with pytest.raises(NotFound):
        services.hand_over(world.lead, world.am1, world.outsider)
    with pytest.raises(NotAllowed):
        services.hand_over(world.am2, world.am1, world.am2)
    assert world.customers["am1"].owner_id == world.am1.id


def test_reminder_settings_default_per_kind_and_are_kept(world):
    assert services.reminder_settings(world.am1)["task"] == ["in_app", "sms"]
    services.save_reminder_settings(world.am1, {"task": ["email", "in_app"]})
    assert services.reminder_settings(world.am1)["task"] == ["in_app", "email"]


def test_reminder_settings_refuse_unknown_channels_and_kinds(world):
    with pytest.raises(ServiceError):
        services.save_reminder_settings(world.am1, {"task": ["pigeon"]})
    with pytest.raises(ServiceError):
        services.save_reminder_settings(world.am1, {"nope": ["sms"]})
    assert services.reminder_settings(world.am1)["task"] == ["in_app", "sms"]


def test_a_second_user_is_independent(app, world):
    other = make_user("account_manager", world.grid1)
    services.save_reminder_settings(world.am1, {"task": []})
    assert services.reminder_settings(other)["task"] == ["in_app", "sms"]


def test_a_lead_may_hand_work_only_to_the_county(world):
    names = {user.username for user in services.team_members(world.lead)}
    assert names == {"lead", "am1", "am2"}
    assert {unit.code for unit in services.team_units(world.lead)} == {"X1", "G1", "G2"}
    assert services.team_members(world.am1) == []
