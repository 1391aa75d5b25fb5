"""The opportunity flow's rules, without HTTP: creation and per-category validation, every
transition and its refusals, the pool, follow-ups, the scans, audit entries and events."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.opportunity import services
from plugins.opportunity.models import Claim, FollowUp, Opportunity, StepLog
from plugins.opportunity.services import Stage
from tests.plugins.opportunity.conftest import LEASED, act, create, load, to_stage
from tests.support.factories import make_customer, make_user
from workbench.audit.models import AuditEntry
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.notify.models import Notification
from workbench.org.scope import acting_as, system_scope
from workbench.records import utcnow

pytestmark = [pytest.mark.plugins("opportunity")]


def open_todos(opportunity_id, kind=None):
    db.session.expire_all()
    with system_scope():
        query = select(TodoItem).where(TodoItem.source_type == services.SOURCE,
                                       TodoItem.source_id == str(opportunity_id),
                                       TodoItem.status == TodoStatus.OPEN)
        if kind:
            query = query.where(TodoItem.kind == kind)
        return list(db.session.execute(query).scalars())


def opportunity_count():
    with system_scope():
        return db.session.execute(select(func.count(Opportunity.id))).scalar_one()


# --- the catalogue ----------------------------------------------------------------------

def test_the_catalogue_ships_nineteen_categories_with_leased_line_sub_types(opp):
    with system_scope():
        rows = services.categories()
        assert len(rows) == 19
        sub_types = [row.code for row in rows if row.parent is not None and row.parent.code == "leased_line"]
        assert len(sub_types) >= 3
        assert all(row.is_leased_line for row in rows if row.code in sub_types)


def test_every_leased_line_category_carries_the_basic_situation_block(opp):
    with system_scope():
        for row in services.categories():
            keys = {field["key"] for field in row.fields if field["group"] == "basic"}
            assert (keys == {"bandwidth", "sites", "addresses", "access_method"}) == row.is_leased_line


def test_ensuring_the_catalogue_twice_adds_nothing_and_keeps_edits(opp):
    with system_scope():
        category = services.get_category("iot")
        category.name = "物联网（改）"
        db.session.commit()
        assert services.ensure_catalogue() == 0
        assert services.get_category("iot").name == "物联网（改）"


# --- creating ---------------------------------------------------------------------------

def test_an_account_manager_reports_an_opportunity_that_waits_for_the_opportunity_manager(opp):
    oid = create(opp.am1, opp.customers["am1"], expected_revenue="12000.50")
    item = load(oid)
    assert (item.stage, item.handler_id, item.owner_id) == ("new", opp.oppmgr.id, opp.am1.id)
    assert item.expected_revenue == Decimal("12000.50")
    assert item.details["access_method"] == "PTN" and item.details["sites"] == 2
    assert item.code.startswith("SJ")
    [todo] = open_todos(oid)
    assert (todo.kind, todo.owner_id) == (services.TODO_DISPATCH, opp.oppmgr.id)


def test_an_information_reporter_may_report_for_a_customer_in_their_book(opp):
    customer = make_customer(opp.reporter, name="信息人的客户")
    oid = create(opp.reporter, customer, category="cloud", details={"product": "云主机"})
    assert load(oid).created_by_id == opp.reporter.id


def test_creating_emits_an_event_and_an_audit_entry(opp, events):
    oid = create(opp.am1, opp.customers["am1"])
    created = [event for event in events if event.name == "opportunity.created"]
    assert created and created[0].payload["opportunity_id"] == oid
    assert {"customer_id", "title", "org_unit_id", "owner_id"} <= set(created[0].payload)
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "opportunity_opportunity",
                                                             AuditEntry.record_id == oid)).scalars().all()
    assert [entry.action for entry in entries] == ["create"]


def test_a_customer_outside_the_actors_scope_is_refused(opp):
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am3"], kind="demand",
                                    category_code="iot", title="越界", details={"cards": 10})
    assert refused.value.field == "customer_id"
    db.session.rollback()
    assert opportunity_count() == 0


def test_an_unknown_category_is_refused(opp):
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am1"], kind="demand",
                                    category_code="teleportation", title="x")
    assert refused.value.field == "category"


def test_an_unknown_kind_is_refused(opp):
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am1"], kind="maybe",
                                    category_code="iot", title="x", details={"cards": 1})
    assert refused.value.field == "kind"


@pytest.mark.parametrize("details, field", [
    ({**LEASED, "bandwidth": ""}, "bandwidth"),                # a required field missing
    ({**LEASED, "access_method": "信鸽"}, "access_method"),     # a choice not offered
    ({**LEASED, "sites": "two"}, "sites"),                      # not a number
    ({**LEASED, "sites": "1.5"}, "sites"),                      # not a whole number
    ({**LEASED, "bandwidth": "-10"}, "bandwidth"),              # negative
])
def test_bad_category_fields_are_refused_with_the_field_named(opp, details, field):
    with acting_as(opp.am1.scope), pytest.raises(services.DetailsInvalid) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am1"], kind="demand",
                                    category_code="leased_line_internet", title="专线", details=details)
    assert field in refused.value.errors
    db.session.rollback()
    assert opportunity_count() == 0


def test_every_bad_field_is_listed_not_just_the_first(opp):
    with acting_as(opp.am1.scope), pytest.raises(services.DetailsInvalid) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am1"], kind="demand",
                                    category_code="leased_line_internet", title="专线", details={})
    assert {"bandwidth", "sites", "addresses", "access_method"} <= set(refused.value.errors)


def test_fields_another_category_declares_are_dropped(opp):
    oid = create(opp.am1, opp.customers["am1"], category="iot", details={"cards": "500", "bandwidth": "100"})
    assert load(oid).details == {"cards": 500}


@pytest.mark.parametrize("revenue", ["-1", "lots", "1e40"])
def test_a_bad_expected_revenue_is_refused(opp, revenue):
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.create_opportunity(opp.am1, customer=opp.customers["am1"], kind="demand",
                                    category_code="iot", title="x", details={"cards": 1}, expected_revenue=revenue)
    assert refused.value.field == "expected_revenue"


def test_someone_without_the_right_cannot_report(opp):
    nobody = make_user("contract_manager", opp.city)
    with acting_as(nobody.scope), pytest.raises(NotAllowed):
        services.create_opportunity(nobody, customer=opp.customers["am1"], kind="demand",
                                    category_code="iot", title="x", details={"cards": 1})


# --- the pool -------------------------------------------------------------------------------

def test_publishing_offers_the_opportunity_to_the_countys_account_managers(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool", claim_hours=24)
    item = load(oid)
    assert (item.stage, item.pool_unit_id, item.handler_id) == ("pool", opp.county.id, opp.oppmgr.id)
    with system_scope():
        told = {row.user_id for row in db.session.execute(
            select(Notification).where(Notification.kind == services.NOTICE_POOL)).scalars()}
    assert told == {opp.am1.id, opp.am2.id}
    [todo] = open_todos(oid)
    assert todo.kind == services.TODO_AWARD


def test_an_account_manager_of_the_unit_sees_and_claims_a_pooled_opportunity(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    with acting_as(opp.am2.scope):
        assert [item.id for item in services.pool_open_for(opp.am2)] == [oid]
    act(opp.am2, oid, "claim", note="我熟悉这个客户")
    with acting_as(opp.am2.scope):
        assert services.pool_open_for(opp.am2) == []


def test_claiming_twice_is_refused(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    act(opp.am2, oid, "claim")
    with pytest.raises(ServiceError, match="already claimed"):
        act(opp.am2, oid, "claim")


def test_claiming_after_the_window_closed_is_refused(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool", claim_hours=1)
    with system_scope():
        load(oid).pool_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with pytest.raises(ServiceError, match="closed"):
        act(opp.am2, oid, "claim")


def test_another_countys_account_manager_neither_sees_nor_claims_the_pool(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    with acting_as(opp.outsider.scope):
        assert services.pool_open_for(opp.outsider) == []
        with pytest.raises(NotFound):
            services.get_opportunity(oid)


def test_awarding_gives_the_opportunity_to_the_claimant_and_tells_the_others(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    act(opp.am1, oid, "claim")
    act(opp.am2, oid, "claim")
    with system_scope():
        chosen = db.session.execute(select(Claim).where(Claim.user_id == opp.am2.id)).scalar_one()
    act(opp.oppmgr, oid, "award", claim_id=chosen.id)
    item = load(oid)
    assert (item.stage, item.owner_id, item.handler_id, item.org_unit_id) == (
        "assignment", opp.am2.id, opp.am2.id, opp.grid2.id)
    with system_scope():
        statuses = dict(db.session.execute(select(Claim.user_id, Claim.status)).all())
    assert statuses == {opp.am1.id: "declined", opp.am2.id: "awarded"}
    [todo] = open_todos(oid)
    assert (todo.kind, todo.owner_id) == (services.TODO_SURVEY, opp.am2.id)


def test_an_account_manager_cannot_award(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    act(opp.am2, oid, "claim")
    with pytest.raises(NotAllowed):
        act(opp.am2, oid, "award", claim_id=1)


def test_a_stale_version_is_told_instead_of_overwriting(opp):
    oid = create(opp.am1, opp.customers["am1"])
    version = load(oid).version
    act(opp.oppmgr, oid, "publish_to_pool", version=version)
    with pytest.raises(Conflict):
        act(opp.oppmgr, oid, "assign", assignee=opp.am1, version=version)


# --- the rest of the flow ---------------------------------------------------------------------

def test_assigning_directly_skips_the_pool(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "assign", assignee=opp.am2)
    item = load(oid)
    assert (item.stage, item.owner_id, item.handler_id) == ("assignment", opp.am2.id, opp.am2.id)


def test_assigning_to_someone_who_is_not_an_account_manager_is_refused(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with pytest.raises(ServiceError) as refused:
        act(opp.oppmgr, oid, "assign", assignee=opp.lead)
    assert refused.value.field == "assignee_id"


def test_the_survey_goes_to_the_lead_for_review(opp):
    oid = to_stage(opp, "survey_review")
    item = load(oid)
    assert (item.stage, item.handler_id) == ("survey_review", opp.lead.id)
    assert item.details["survey_report"]
    assert [todo.kind for todo in open_todos(oid)] == [services.TODO_REVIEW]


def test_only_the_assigned_account_manager_submits_the_survey(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "assign", assignee=opp.am1)
    with pytest.raises(NotAllowed):
        act(opp.oppmgr, oid, "submit_survey", report="x")


def test_a_survey_without_a_report_is_refused(opp):
    oid = to_stage(opp, "assignment")
    with pytest.raises(ServiceError) as refused:
        act(opp.am1, oid, "submit_survey", report="  ")
    assert refused.value.field == "report"


def test_a_returned_survey_goes_back_to_the_account_manager_with_the_reason(opp):
    oid = to_stage(opp, "survey_review")
    act(opp.lead, oid, "review_survey", approve=False, note="缺少站点照片")
    item = load(oid)
    assert (item.stage, item.handler_id) == ("assignment", opp.am1.id)
    with system_scope():
        assert services.steps_of(item)[-1].note == "缺少站点照片"


def test_sending_a_survey_back_needs_a_reason(opp):
    oid = to_stage(opp, "survey_review")
    with pytest.raises(ServiceError) as refused:
        act(opp.lead, oid, "review_survey", approve=False, note="")
    assert refused.value.field == "note"


def test_an_account_manager_cannot_review_a_survey(opp):
    oid = to_stage(opp, "survey_review")
    with pytest.raises(NotAllowed):
        act(opp.am1, oid, "review_survey", approve=True)


def test_confirmation_puts_the_opportunity_into_the_pre_execution_pool(opp, events):
    oid = to_stage(opp, "pre_execution")
    item = load(oid)
    assert (item.stage, item.handler_id) == ("pre_execution", opp.am1.id)
    assert [todo.kind for todo in open_todos(oid)] == [services.TODO_CONTRACT]
    moves = [(e.payload["from_stage"], e.payload["to_stage"]) for e in events if e.name == "opportunity.stage_changed"]
    assert moves == [("new", "assignment"), ("assignment", "survey_review"),
                     ("survey_review", "confirmation"), ("confirmation", "pre_execution")]


def test_signing_closes_the_flow_and_emits_signed(opp, events):
    oid = to_stage(opp, "pre_execution")
    with system_scope():
        services.mark_signed(load(oid), actor=opp.am1, contract_id=77, signed_revenue="50000")
        db.session.commit()
    item = load(oid)
    assert (item.stage, item.contract_id, item.signed_revenue, item.handler_id) == ("signed", 77, Decimal("50000.00"), None)
    assert open_todos(oid) == []
    [signed] = [event for event in events if event.name == "opportunity.signed"]
    assert signed.payload["contract_id"] == 77


@pytest.mark.parametrize("stage, action, kwargs", [
    ("new", "review_survey", {"approve": True}),
    ("new", "confirm", {"approve": True}),
    ("assignment", "publish_to_pool", {}),
    ("survey_review", "confirm", {"approve": True}),
    ("pre_execution", "assign", {}),
])
def test_an_illegal_transition_is_refused_with_a_clear_message(opp, stage, action, kwargs):
    oid = to_stage(opp, stage)
    if action == "assign":
        kwargs = {"assignee": opp.am2}
    with pytest.raises(ServiceError) as refused:
        act(opp.admin, oid, action, **kwargs)
    assert "step" in str(refused.value.message)
    assert load(oid).stage == stage


def test_signing_an_opportunity_that_is_not_confirmed_is_refused(opp):
    oid = to_stage(opp, "confirmation")
    with system_scope(), pytest.raises(ServiceError):
        services.mark_signed(load(oid), actor=None, contract_id=1)


def test_closing_needs_a_reason_and_closes_every_to_do(opp):
    oid = to_stage(opp, "assignment")
    with pytest.raises(ServiceError) as refused:
        act(opp.am1, oid, "close", reason="")
    assert refused.value.field == "reason"
    act(opp.am1, oid, "close", reason="客户预算取消")
    item = load(oid)
    assert (item.stage, item.closed_reason) == ("closed", "客户预算取消")
    assert open_todos(oid) == []


def test_a_colleague_cannot_close_someone_elses_opportunity(opp):
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    with pytest.raises(NotAllowed):
        act(opp.am2, oid, "close", reason="不要了")


def test_every_transition_is_in_the_step_log_and_the_audit_history(opp):
    oid = to_stage(opp, "confirmation")
    with system_scope():
        actions = [row.action for row in db.session.execute(
            select(StepLog).where(StepLog.opportunity_id == oid).order_by(StepLog.id)).scalars()]
        stages = [entry.changes.get("stage") for entry in db.session.execute(
            select(AuditEntry).where(AuditEntry.model_key == "opportunity_opportunity", AuditEntry.record_id == oid,
                                     AuditEntry.action == "update").order_by(AuditEntry.id)).scalars()]
    assert actions == ["create", "assign", "submit_survey", "approve_survey"]
    assert [change for change in stages if change] == [["new", "assignment"], ["assignment", "survey_review"],
                                                       ["survey_review", "confirmation"]]


# --- editing and the survey results -------------------------------------------------------------

def test_editing_with_a_stale_version_is_a_conflict(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with acting_as(opp.am1.scope):
        item = services.get_opportunity(oid)
        services.update_opportunity(opp.am1, item, {"title": "新标题"}, version=item.version)
        db.session.commit()
        with pytest.raises(Conflict):
            services.update_opportunity(opp.am1, services.get_opportunity(oid), {"title": "再改"}, version=1)


def test_survey_results_fill_the_fields_back(opp, events):
    oid = to_stage(opp, "pre_execution")
    with system_scope():
        services.fill_from_survey(load(oid), actor=opp.am1,
                                  fields={"bandwidth": "200", "circuit_id": "JC-0001", "completed_on": "2026-11-20"})
        db.session.commit()
    item = load(oid)
    assert item.details["bandwidth"] == 200
    assert item.details["survey"] == {"circuit_id": "JC-0001", "completed_on": "2026-11-20"}
    assert any(event.name == "opportunity.updated" for event in events)


def test_survey_results_that_break_a_field_rule_are_refused(opp):
    oid = to_stage(opp, "pre_execution")
    with system_scope(), pytest.raises(services.DetailsInvalid):
        services.fill_from_survey(load(oid), actor=opp.am1, fields={"access_method": "信鸽"})


# --- follow-ups and the scans ---------------------------------------------------------------------

def test_a_follow_up_is_recorded_without_making_open_forms_stale(opp):
    oid = create(opp.am1, opp.customers["am1"])
    version = load(oid).version
    with acting_as(opp.am1.scope):
        services.record_followup(services.get_opportunity(oid), opp.am1, kind="visit", note="上门拜访信息科")
        db.session.commit()
    item = load(oid)
    assert item.version == version and item.last_followup_at is not None
    with system_scope():
        assert [row.kind for row in services.followups_of(item)] == ["visit"]


@pytest.mark.parametrize("kind, note, field", [("dance", "x", "kind"), ("call", " ", "note")])
def test_a_bad_follow_up_is_refused(opp, kind, note, field):
    oid = create(opp.am1, opp.customers["am1"])
    with acting_as(opp.am1.scope), pytest.raises(ServiceError) as refused:
        services.record_followup(services.get_opportunity(oid), opp.am1, kind=kind, note=note)
    assert refused.value.field == field


def test_an_overdue_step_warns_its_handler_and_the_lead_once(opp, events):
    oid = to_stage(opp, "assignment")
    later = utcnow() + timedelta(days=30)
    assert services.scan_overdue(now=later) == 1
    db.session.commit()
    assert services.scan_overdue(now=later) == 0
    db.session.commit()
    [todo] = open_todos(oid, services.TODO_OVERDUE)
    assert todo.owner_id == opp.am1.id
    with system_scope():
        warned = db.session.execute(select(Notification.user_id).where(
            Notification.kind == services.TODO_OVERDUE)).scalars().all()
    # the handler through their overdue to-do, the lead by a warning
    assert sorted(warned) == sorted([opp.lead.id, opp.am1.id])
    assert [event.payload["stage"] for event in events if event.name == "opportunity.overdue"] == ["assignment"]


def test_moving_on_closes_the_overdue_to_do(opp):
    oid = to_stage(opp, "assignment")
    services.scan_overdue(now=utcnow() + timedelta(days=30))
    db.session.commit()
    act(opp.am1, oid, "submit_survey", report="完成")
    assert open_todos(oid, services.TODO_OVERDUE) == []


def test_an_opportunity_without_follow_up_for_a_month_gets_one_to_do_per_month(opp):
    oid = create(opp.am1, opp.customers["am1"])
    later = utcnow() + timedelta(days=31)
    assert services.scan_stale(now=later) == 1
    db.session.commit()
    assert services.scan_stale(now=later) == 0
    db.session.commit()
    [todo] = open_todos(oid, services.TODO_FOLLOWUP)
    assert todo.owner_id == opp.am1.id
    with acting_as(opp.am1.scope):
        services.record_followup(services.get_opportunity(oid), opp.am1, kind="call", note="电话沟通")
        db.session.commit()
    assert open_todos(oid, services.TODO_FOLLOWUP) == []


def test_a_recent_follow_up_keeps_the_opportunity_off_the_stale_list(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with acting_as(opp.am1.scope):
        services.record_followup(services.get_opportunity(oid), opp.am1, kind="note", note="需求确认")
        db.session.commit()
    assert services.scan_stale(now=utcnow() + timedelta(days=10)) == 0


# --- scope and events from others -------------------------------------------------------------------

def test_another_countys_account_manager_cannot_load_the_opportunity(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with acting_as(opp.outsider.scope), pytest.raises(NotFound):
        services.get_opportunity(oid)


def test_the_lead_sees_the_opportunities_of_the_county(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with acting_as(opp.lead.scope):
        assert services.get_opportunity(oid).id == oid
        assert services.counts_by_stage() == {"new": 1}
    with acting_as(opp.outsider.scope):
        assert services.counts_by_stage() == {}


def test_a_generated_proposal_is_recorded_as_a_follow_up_when_the_customer_matches(opp):
    oid = create(opp.am1, opp.customers["am1"])
    with system_scope():
        assert services.on_proposal_generated({"proposal_id": 5, "customer_id": opp.customers["am2"].id,
                                               "opportunity_id": oid}, opp.am1.id) is None
        row = services.on_proposal_generated({"proposal_id": 5, "customer_id": opp.customers["am1"].id,
                                              "opportunity_id": oid}, opp.am1.id)
        db.session.commit()
        assert row.kind == "proposal"
        # delivered twice: recorded once
        assert services.on_proposal_generated({"proposal_id": 5, "customer_id": opp.customers["am1"].id,
                                               "opportunity_id": oid}, opp.am1.id) is None
        assert db.session.execute(select(func.count(FollowUp.id))).scalar_one() == 1


# --- catalogue administration ---------------------------------------------------------------------

def test_an_administrator_adds_a_field_to_a_category(opp):
    with acting_as(opp.admin.scope):
        category = services.get_category("iot")
        fields = category.fields + [{"key": "apn", "label": "APN", "label_zh": "APN", "type": "text"}]
        services.save_category(opp.admin, category, code="iot", name=category.name, fields=fields)
        db.session.commit()
        assert services.get_category("iot").fields[-1]["key"] == "apn"


@pytest.mark.parametrize("fields", [
    [{"key": "Bad Key", "label": "x", "type": "text"}],
    [{"key": "a", "label": "x", "type": "choice", "choices": []}],
    [{"key": "a", "label": "x", "type": "colour"}],
    [{"key": "a", "label": "x"}, {"key": "a", "label": "y"}],
])
def test_bad_field_definitions_are_refused(opp, fields):
    with acting_as(opp.admin.scope), pytest.raises(ServiceError) as refused:
        services.save_category(opp.admin, None, code="new_thing", name="新业务", fields=fields)
    assert refused.value.field == "fields"


def test_an_account_manager_cannot_edit_the_catalogue(opp):
    with acting_as(opp.am1.scope), pytest.raises(NotAllowed):
        services.save_category(opp.am1, None, code="x_y", name="x", fields=[])


def test_step_deadlines_are_configurable(opp):
    with acting_as(opp.admin.scope):
        services.save_sla(opp.admin, {"assignment": "12"})
        db.session.commit()
        assert services.sla_hours(Stage.ASSIGNMENT) == 12
        with pytest.raises(ServiceError):
            services.save_sla(opp.admin, {"assignment": "0"})
