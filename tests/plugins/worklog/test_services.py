"""Rules of the worklog plugin, tested without HTTP: writing logs (each bad input refused with
its field and nothing written), follow-up to-dos, the edit window and version check, visit
plans and their to-dos, the week's figures, the calendar and the team figures by scope."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugins.worklog import services
from plugins.worklog.models import VisitPlan, WorkLog
from plugins.worklog.services import LogInput
from tests.plugins.worklog.conftest import load_log, load_plan, local_text, plan, write
from tests.support.factories import make_customer
from workbench.audit.models import AuditEntry
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as, system_scope
from workbench.records import EditConflict, utcnow

pytestmark = pytest.mark.plugins("worklog")


def count(model=WorkLog):
    db.session.expire_all()
    with system_scope():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def todos(kind, status="open"):
    db.session.expire_all()
    with system_scope():
        return db.session.execute(select(TodoItem).where(TodoItem.kind == kind, TodoItem.status == status)
                                  ).scalars().all()


# -- writing ----------------------------------------------------------------------------------

def test_a_visit_log_records_customer_contacts_and_time(wl):
    log_id = write(wl.am1, wl.customers["am1"], contact_ids=[str(wl.contact.id)], contacts_text="张工, 李工")
    log = load_log(log_id)
    assert log.kind == "visit" and log.customer_id == wl.customers["am1"].id
    assert [c["name"] for c in log.contacts] == ["王主任", "张工", "李工"]
    assert log.contacts[0]["id"] == wl.contact.id and log.contacts[1]["id"] is None
    assert log.owner_id == wl.am1.id and log.org_unit_id == wl.am1.org_unit_id and not log.system


def test_a_work_log_needs_no_customer(wl):
    log = load_log(write(wl.am1, None, kind="work", content="整理周报"))
    assert log.customer_id is None


def test_writing_a_log_is_in_the_audit_history(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "worklog_log",
                                                              AuditEntry.record_id == log_id)).scalars().all()
    assert [entry.action for entry in entries] == ["create"]


@pytest.mark.parametrize("values, field", [
    (dict(kind="meeting"), "kind"),
    (dict(kind="service", customer=None), "customer_id"),
    (dict(kind="visit", customer=None), "customer_id"),
    (dict(customer="not-a-number"), "customer_id"),
    (dict(content="   "), "content"),
    (dict(content="字" * 4001), "content"),
    (dict(happened_at="yesterday"), "happened_at"),
    (dict(happened_at="future"), "happened_at"),
    (dict(happened_at="ancient"), "happened_at"),
    (dict(next_step="步" * 1001), "next_step"),
    (dict(follow_up_on="2026-13-40", next_step="报价"), "follow_up_on"),
    (dict(follow_up_on="past", next_step="报价"), "follow_up_on"),
    (dict(follow_up_on="far", next_step="报价"), "follow_up_on"),
    (dict(follow_up_on="tomorrow"), "next_step"),
    (dict(contact_ids=["x"]), "contact_ids"),
    (dict(contacts_text="名" * 101), "contacts_text"),
    (dict(contacts_text=",".join(f"人{i}" for i in range(21))), "contacts_text"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(wl, values, field):
    values = dict(values)  # the parameters are shared by both database runs
    customer = values.pop("customer", wl.customers["am1"])
    happened = {"yesterday": "昨天", "future": local_text(timedelta(hours=3)),
                "ancient": local_text(-timedelta(days=400))}.get(values.get("happened_at"))
    if happened:
        values["happened_at"] = happened
    with acting_as(wl.am1.scope):
        resolved = {"past": (services.today() - timedelta(days=1)).isoformat(),
                    "far": (services.today() + timedelta(days=400)).isoformat(),
                    "tomorrow": (services.today() + timedelta(days=1)).isoformat()}
        if values.get("follow_up_on") in resolved:
            values["follow_up_on"] = resolved[values["follow_up_on"]]
        with pytest.raises(ServiceError) as refused:
            services.create_log(wl.am1, LogInput(**{"kind": "visit", "customer_id": getattr(customer, "id", customer),
                                                     "content": "拜访", "happened_at": local_text(), **values}))
        db.session.rollback()
    assert refused.value.field == field
    assert count() == 0


def test_a_customer_outside_the_writers_scope_is_refused_as_if_absent(wl):
    with acting_as(wl.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_log(wl.am1, LogInput(kind="visit", customer_id=wl.customers["am2"].id, content="拜访"))
    assert refused.value.field == "customer_id"
    assert "your own customers" in str(refused.value.message)


def test_a_contact_of_another_customer_is_refused(wl):
    with system_scope():
        other = make_customer(wl.am1, name="第二个客户")
        db.session.commit()
    with acting_as(wl.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_log(wl.am1, LogInput(kind="visit", customer_id=other.id, content="拜访",
                                             contact_ids=[wl.contact.id]))
    assert refused.value.field == "contact_ids"


def test_an_archived_customer_is_refused(wl):
    with system_scope():
        wl.customers["am1"].archived = True
        db.session.commit()
    with acting_as(wl.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_log(wl.am1, LogInput(kind="visit", customer_id=wl.customers["am1"].id, content="拜访"))
    assert refused.value.field == "customer_id"


def test_someone_without_the_right_cannot_write(wl):
    from tests.support.factories import make_user

    with system_scope():
        viewer = make_user("opportunity_manager", wl.city, "oppviewer")
        db.session.commit()
    with acting_as(viewer.scope), pytest.raises(NotAllowed):
        services.create_log(viewer, LogInput(kind="work", content="x"))


def test_a_follow_up_date_opens_a_to_do_for_that_day(wl):
    day = services.today() + timedelta(days=3)
    log_id = write(wl.am1, wl.customers["am1"], next_step="提交报价", follow_up_on=day.isoformat())
    [todo] = todos(services.TODO_FOLLOW_UP)
    assert todo.owner_id == wl.am1.id and todo.customer_id == wl.customers["am1"].id
    assert todo.source_type == "worklog_log" and todo.source_id == str(log_id)
    assert "提交报价" in todo.title and services.to_local(todo.due_at).date() == day


def test_a_new_log_about_the_customer_closes_the_authors_earlier_follow_ups(wl):
    write(wl.am1, wl.customers["am1"], next_step="提交报价",
          follow_up_on=(services.today() + timedelta(days=3)).isoformat())
    write(wl.am1, wl.customers["am1"], kind="service", content="已提交报价")
    assert todos(services.TODO_FOLLOW_UP) == []
    assert len(todos(services.TODO_FOLLOW_UP, "done")) == 1


def test_a_log_about_another_customer_leaves_the_follow_up_open(wl):
    with system_scope():
        other = make_customer(wl.am1, name="另一客户")
        db.session.commit()
    write(wl.am1, wl.customers["am1"], next_step="提交报价",
          follow_up_on=(services.today() + timedelta(days=3)).isoformat())
    write(wl.am1, other, kind="service", content="别的事")
    assert len(todos(services.TODO_FOLLOW_UP)) == 1


# -- editing ----------------------------------------------------------------------------------

def _update(user, log_id, version=None, **values):
    with acting_as(user.scope):
        log = services.get_log(log_id)
        data = dict(kind=log.kind, customer_id=log.customer_id, happened_at=local_text(), content=log.content)
        data.update(values)
        services.update_log(user, log, LogInput(**data), log.version if version is None else version)
        db.session.commit()


def test_the_author_can_correct_a_log_within_the_window(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    _update(wl.am1, log_id, content="更正后的内容")
    log = load_log(log_id)
    assert log.content == "更正后的内容" and log.version == 2


def test_a_stale_version_is_refused_and_nothing_changes(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    _update(wl.am1, log_id, content="第一次更正")
    with pytest.raises(EditConflict):
        _update(wl.am1, log_id, version=1, content="基于旧版本")
    db.session.rollback()
    assert load_log(log_id).content == "第一次更正"


def test_nobody_else_can_edit_a_log(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    with acting_as(wl.lead.scope):
        log = services.get_log(log_id)
        with pytest.raises(NotAllowed):
            services.update_log(wl.lead, log, LogInput(kind="visit", customer_id=log.customer_id, content="x"),
                                log.version)


def test_a_log_older_than_the_edit_window_is_locked(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    with system_scope():
        db.session.get(WorkLog, log_id).created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        _update(wl.am1, log_id, content="太晚了")
    assert "7 days" in str(refused.value.message)


def test_changing_the_follow_up_date_moves_the_to_do(wl):
    log_id = write(wl.am1, wl.customers["am1"], next_step="提交报价",
                   follow_up_on=(services.today() + timedelta(days=2)).isoformat())
    later = services.today() + timedelta(days=5)
    _update(wl.am1, log_id, next_step="提交报价", follow_up_on=later.isoformat())
    [todo] = todos(services.TODO_FOLLOW_UP)
    assert services.to_local(todo.due_at).date() == later
    assert len(todos(services.TODO_FOLLOW_UP, "done")) == 1


def test_removing_the_follow_up_date_closes_the_to_do(wl):
    log_id = write(wl.am1, wl.customers["am1"], next_step="提交报价",
                   follow_up_on=(services.today() + timedelta(days=2)).isoformat())
    _update(wl.am1, log_id, next_step="", follow_up_on=None)
    assert todos(services.TODO_FOLLOW_UP) == []


# -- visit plans ------------------------------------------------------------------------------

def test_planning_a_visit_opens_a_to_do_for_that_day(wl):
    day = services.today() + timedelta(days=2)
    plan_id = plan(wl.am1, wl.customers["am1"], day)
    [todo] = todos(services.TODO_VISIT)
    assert todo.source_id == str(plan_id) and todo.owner_id == wl.am1.id
    assert services.to_local(todo.due_at).date() == day


@pytest.mark.parametrize("case, field", [("past", "planned_on"), ("far", "planned_on"), ("bad", "planned_on"),
                                         ("empty_purpose", "purpose"), ("long_purpose", "purpose"),
                                         ("no_customer", "customer_id"), ("duplicate", "planned_on")])
def test_bad_plans_are_refused_beside_their_field(wl, case, field):
    customer = wl.customers["am1"]
    with acting_as(wl.am1.scope):
        today = services.today()
        if case == "duplicate":
            services.create_plan(wl.am1, customer.id, today.isoformat(), "第一次")
            db.session.commit()
        values = {"customer_id": customer.id, "planned_on": today.isoformat(), "purpose": "拜访"}
        values.update({"past": {"planned_on": (today - timedelta(days=1)).isoformat()},
                       "far": {"planned_on": (today + timedelta(days=120)).isoformat()},
                       "bad": {"planned_on": "下周一"}, "empty_purpose": {"purpose": " "},
                       "long_purpose": {"purpose": "长" * 301}, "no_customer": {"customer_id": None},
                       "duplicate": {}}[case])
        before = count(VisitPlan)
        with pytest.raises(ServiceError) as refused:
            services.create_plan(wl.am1, values["customer_id"], values["planned_on"], values["purpose"])
        db.session.rollback()
    assert refused.value.field == field
    assert count(VisitPlan) == before


def test_a_visit_log_naming_the_plan_marks_it_done_and_closes_its_to_do(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    log_id = write(wl.am1, wl.customers["am1"], plan_id=plan_id)
    visit = load_plan(plan_id)
    with system_scope():  # the plan's log loads lazily, under the reader's scope
        assert visit.status == "done" and visit.log.id == log_id
    assert todos(services.TODO_VISIT) == [] and len(todos(services.TODO_VISIT, "done")) == 1


@pytest.mark.parametrize("case, field", [("not_visit", "kind"), ("other_customer", "customer_id"),
                                         ("done", "plan_id"), ("unknown", "plan_id")])
def test_a_plan_can_only_be_fulfilled_by_a_visit_log_about_its_customer(wl, case, field):
    plan_id = plan(wl.am1, wl.customers["am1"])
    if case == "done":
        write(wl.am1, wl.customers["am1"], plan_id=plan_id)
    with system_scope():
        other = make_customer(wl.am1, name="别的客户")
        db.session.commit()
    kind = "service" if case == "not_visit" else "visit"
    customer = other if case == "other_customer" else wl.customers["am1"]
    with pytest.raises(ServiceError) as refused:
        write(wl.am1, customer, kind=kind, plan_id=999999 if case == "unknown" else plan_id)
    db.session.rollback()
    assert refused.value.field == field


def test_someone_elses_plan_cannot_be_fulfilled(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    with acting_as(wl.lead.scope), pytest.raises(ServiceError) as refused:
        services.create_log(wl.lead, LogInput(kind="visit", customer_id=wl.customers["am1"].id, content="x",
                                              plan_id=plan_id))
    assert refused.value.field == "plan_id"


def test_a_plan_still_open_after_its_day_is_missed(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    with system_scope():
        visit = db.session.get(VisitPlan, plan_id)
        visit.planned_on = services.today() - timedelta(days=1)
        db.session.commit()
        assert services.plan_state(visit) == "missed"


def test_cancelling_needs_a_reason_and_closes_the_to_do(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    with acting_as(wl.am1.scope):
        visit = services.get_plan(plan_id)
        with pytest.raises(ServiceError) as refused:
            services.cancel_plan(wl.am1, visit, " ", visit.version)
        assert refused.value.field == "reason"
        services.cancel_plan(wl.am1, visit, "客户临时出差", visit.version)
        db.session.commit()
    assert load_plan(plan_id).status == "cancelled"
    assert todos(services.TODO_VISIT) == []


def test_rescheduling_moves_the_to_do(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    later = services.today() + timedelta(days=4)
    with acting_as(wl.am1.scope):
        visit = services.get_plan(plan_id)
        services.update_plan(wl.am1, visit, later.isoformat(), "改期拜访", visit.version)
        db.session.commit()
    [todo] = todos(services.TODO_VISIT)
    assert services.to_local(todo.due_at).date() == later


def test_a_stale_plan_version_is_refused(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    with acting_as(wl.am1.scope):
        visit = services.get_plan(plan_id)
        with pytest.raises(EditConflict):
            services.cancel_plan(wl.am1, visit, "原因", visit.version - 1)


def test_only_the_planner_can_change_a_plan(wl):
    plan_id = plan(wl.am1, wl.customers["am1"])
    with acting_as(wl.lead.scope):
        visit = services.get_plan(plan_id)
        with pytest.raises(NotAllowed):
            services.cancel_plan(wl.lead, visit, "原因", visit.version)


def test_the_week_counts_planned_done_missed_and_unplanned_visits(wl):
    customer = wl.customers["am1"]
    done = plan(wl.am1, customer, purpose="A")
    write(wl.am1, customer, plan_id=done)
    missed = plan(wl.am1, customer, services.today() + timedelta(days=1), purpose="B")
    with system_scope():
        db.session.get(VisitPlan, missed).planned_on = services.today() - timedelta(days=1)
        db.session.commit()
    write(wl.am1, customer, content="顺路拜访")
    with acting_as(wl.am1.scope):
        week = services.week_visits(owner_id=wl.am1.id, start=services.week_start(services.today()))
    if services.today().weekday() == 0:  # yesterday was last week
        assert (week.planned, week.done, week.missed) == (1, 1, 0)
    else:
        assert (week.planned, week.done, week.missed) == (2, 1, 1)
    assert week.unplanned_visits == 1


# -- reading, by scope ------------------------------------------------------------------------

def test_an_account_manager_sees_only_their_own_logs_and_a_lead_the_teams(wl):
    mine = write(wl.am1, wl.customers["am1"])
    theirs = write(wl.am2, wl.customers["am2"])
    outside = write(wl.outsider, wl.customers["am3"])
    with acting_as(wl.am1.scope):
        assert [log.id for log in db.session.execute(services.log_query()).unique().scalars()] == [mine]
        with pytest.raises(NotFound):
            services.get_log(theirs)
    with acting_as(wl.lead.scope):
        seen = {log.id for log in db.session.execute(services.log_query()).unique().scalars()}
    assert seen == {mine, theirs} and outside not in seen


def test_team_figures_count_only_logs_in_the_readers_scope(wl):
    write(wl.am1, wl.customers["am1"])
    write(wl.am1, wl.customers["am1"], kind="service")
    write(wl.am2, wl.customers["am2"], kind="work")
    write(wl.outsider, wl.customers["am3"])
    with acting_as(wl.lead.scope):
        rows = {row.user.username: (row.logs, row.visits) for row in services.team_activity()}
    assert rows == {"am1": (2, 1), "am2": (1, 0)}
    with acting_as(wl.am1.scope):
        assert {row.user.username for row in services.team_activity()} == {"am1"}


def test_history_filters_by_type_customer_person_dates_and_words(wl):
    visit = write(wl.am1, wl.customers["am1"], content="介绍云桌面方案")
    service = write(wl.am1, wl.customers["am1"], kind="service", content="处理账单问题")
    old = write(wl.am1, None, kind="work", content="周报", happened_at=local_text(-timedelta(days=10)))
    with acting_as(wl.am1.scope):
        def ids(**filters):
            return [log.id for log in db.session.execute(services.log_query(services.LogFilter(**filters)))
                    .unique().scalars()]
        assert ids(kind="service") == [service]
        assert ids(q="云桌面") == [visit]
        assert set(ids(q="am1的客户")) == {visit, service}
        assert old not in ids(date_from=services.today() - timedelta(days=2))
        assert ids(date_to=services.today() - timedelta(days=5)) == [old]
        assert set(ids(owner_id=wl.am1.id)) == {visit, service, old}


def test_the_calendar_puts_plans_and_logs_on_their_local_days(wl):
    log_id = write(wl.am1, wl.customers["am1"])
    plan_id = plan(wl.am1, wl.customers["am1"], services.today() + timedelta(days=1))
    with acting_as(wl.am1.scope):
        start = services.today() - timedelta(days=1)
        days = {day.day: day for day in services.calendar_days(start, start + timedelta(days=6))}
        logged_day = services.to_local(services.get_log(log_id).happened_at).date()
        assert [log.id for log in days[logged_day].logs] == [log_id]
        assert [p.id for p in days[services.today() + timedelta(days=1)].plans] == [plan_id]
        grid = services.month_grid(services.today().year, services.today().month)
        assert all(len(week) == 7 for week in grid) and grid[0][0].day.weekday() == 0
