"""The contract work order's rules, tested without HTTP: generating from an opportunity,
filling in, each transition with its handler and to-do, each refusal, leased-line
construction with fill-back, confirmation marking the opportunity signed, audit and events."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.contract import services
from plugins.contract.models import Contract
from plugins.opportunity import services as opportunities
from tests.plugins.contract.conftest import (PDF, PNG, act, fill, load, new_contract, pre_execution, to_state,
                                             upload)
from workbench.audit.models import AuditEntry
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.records import EditConflict
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("contract", "opportunity"), pytest.mark.locale("en")]


def open_todos(contract_id):
    with system_scope():
        return db.session.execute(select(TodoItem).where(
            TodoItem.source_type == services.SOURCE, TodoItem.source_id == str(contract_id),
            TodoItem.status == "open")).scalars().all()


def refused(user, contract_id, action, *args, exc=ServiceError, **kwargs) -> str:
    with acting_as(user.scope), pytest.raises(exc) as error:
        getattr(services, action)(user, services.get_contract(contract_id), *args, **kwargs)
    db.session.rollback()
    return str(error.value.message)


def test_a_contract_is_generated_from_an_opportunity_in_the_pre_execution_pool(cw):
    cid = new_contract(cw)
    contract = load(cid)
    assert contract.state == "draft"
    assert contract.code.startswith("HT")
    assert contract.owner_id == cw.am1.id and contract.handler_id == cw.am1.id
    assert contract.party_a == cw.customers["am1"].name
    assert contract.amount == Decimal("86000.00")
    assert contract.is_leased_line
    [todo] = open_todos(cid)
    assert todo.kind == "contract.fill" and todo.owner_id == cw.am1.id


def test_generating_closes_the_opportunitys_raise_the_contract_todo(cw):
    oid = pre_execution(cw)
    with acting_as(cw.am1.scope):
        services.create_contract(cw.am1, oid)
        db.session.commit()
    with system_scope():
        still_open = db.session.execute(select(TodoItem).where(
            TodoItem.source_type == opportunities.SOURCE, TodoItem.source_id == str(oid),
            TodoItem.kind == opportunities.TODO_CONTRACT, TodoItem.status == "open")).scalars().all()
    assert still_open == []


def test_an_opportunity_not_yet_confirmed_cannot_get_a_contract(cw):
    with acting_as(cw.am1.scope):
        opportunity = opportunities.create_opportunity(
            cw.am1, customer=cw.customers["am1"], kind="demand", category_code="cloud", title="上云",
            details={"product": "云主机"})
        db.session.commit()
        with pytest.raises(ServiceError, match="pre-execution pool"):
            services.create_contract(cw.am1, opportunity.id)


def test_an_opportunity_gets_only_one_live_contract(cw):
    oid = pre_execution(cw)
    with acting_as(cw.am1.scope):
        services.create_contract(cw.am1, oid)
        db.session.commit()
        with pytest.raises(Conflict):
            services.create_contract(cw.am1, oid)


def test_a_withdrawn_contract_frees_the_opportunity_for_a_new_one(cw):
    cid = new_contract(cw)
    act(cw.am1, cid, "cancel", "客户暂缓")
    oid = load(cid).opportunity_id
    with acting_as(cw.am1.scope):
        again = services.create_contract(cw.am1, oid)
        db.session.commit()
    assert again.id != cid and load(cid).state == "cancelled"


def test_an_account_manager_of_another_county_cannot_generate_the_contract(cw):
    oid = pre_execution(cw)
    with acting_as(cw.outsider.scope), pytest.raises(NotFound):
        services.create_contract(cw.outsider, oid)


def test_an_account_manager_of_another_county_cannot_see_the_contract(cw):
    cid = new_contract(cw)
    with acting_as(cw.outsider.scope), pytest.raises(NotFound):
        services.get_contract(cid)


@pytest.mark.parametrize("values, field", [
    ({"amount": "abc"}, "amount"), ({"amount": "-5"}, "amount"), ({"amount": "0"}, "amount"),
    ({"amount": "1.234"}, "amount"), ({"amount": "NaN"}, "amount"), ({"start_date": "2026-13-01"}, "start_date"),
    ({"start_date": "2027-01-01", "end_date": "2026-01-01"}, "end_date"), ({"title": ""}, "title"),
    ({"party_a": "甲" * 201}, "party_a"),
])
def test_bad_fields_are_refused_beside_the_field(cw, values, field):
    cid = new_contract(cw)
    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        with pytest.raises(ServiceError) as error:
            services.update_contract(cw.am1, contract, values, contract.version)
    assert error.value.field == field


def test_a_stale_form_is_refused_with_a_conflict(cw):
    cid = new_contract(cw)
    from workbench.records import EditConflict

    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        services.update_contract(cw.am1, contract, {"notes": "第一次"}, contract.version)
        db.session.commit()
        with pytest.raises(EditConflict):
            services.update_contract(cw.am1, contract, {"notes": "旧表单"}, contract.version - 1)


def test_submitting_an_incomplete_contract_names_the_first_missing_field(cw):
    cid = new_contract(cw)
    with acting_as(cw.am1.scope), pytest.raises(ServiceError) as error:
        services.submit(cw.am1, services.get_contract(cid))
    assert error.value.field == "start_date"


def test_submitting_without_a_contract_file_is_refused(cw):
    cid = new_contract(cw)
    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        services.update_contract(cw.am1, contract, {"party_b": "乙方", "start_date": "2027-01-01",
                                                    "end_date": "2028-01-01", "products": "专线",
                                                    "payment_terms": "月付"}, contract.version)
        with pytest.raises(ServiceError) as error:
            services.submit(cw.am1, contract)
    assert error.value.field == "file"


def test_submit_sends_the_contract_to_the_business_supervisor_with_a_todo(cw):
    cid = fill(cw, new_contract(cw))
    act(cw.am1, cid, "submit")
    contract = load(cid)
    assert contract.state == "business_review" and contract.handler_id == cw.lead.id
    [todo] = open_todos(cid)
    assert (todo.kind, todo.owner_id) == ("contract.review", cw.lead.id)


def test_only_the_account_manager_submits(cw):
    cid = fill(cw, new_contract(cw))
    assert "Only the account manager" in refused(cw.lead, cid, "submit", exc=NotAllowed)


def test_business_approval_moves_it_to_the_branch_reviewer(cw):
    cid = to_state(cw, "branch_review")
    contract = load(cid)
    assert contract.handler_id == cw.citymgr.id
    [todo] = open_todos(cid)
    assert todo.owner_id == cw.citymgr.id


def test_an_account_manager_cannot_approve(cw):
    cid = to_state(cw, "business_review")
    refused(cw.am1, cid, "approve", exc=NotAllowed)


def test_branch_approval_asks_the_account_manager_for_the_signed_copy(cw):
    cid = to_state(cw, "signing")
    assert load(cid).handler_id == cw.am1.id
    [todo] = open_todos(cid)
    assert todo.kind == "contract.upload_signed"


def test_sending_back_needs_a_reason(cw):
    cid = to_state(cw, "business_review")
    message = refused(cw.lead, cid, "send_back", "  ")
    assert "why" in message
    assert load(cid).state == "business_review"


def test_sending_back_with_a_reason_returns_it_to_the_account_manager_with_a_todo(cw):
    cid = to_state(cw, "branch_review")
    act(cw.citymgr, cid, "send_back", "金额与报价单不符")
    contract = load(cid)
    assert contract.state == "returned" and contract.return_reason == "金额与报价单不符"
    [todo] = open_todos(cid)
    assert (todo.kind, todo.owner_id, todo.priority) == ("contract.fill", cw.am1.id, 2)
    assert todo.description == "金额与报价单不符"


def test_a_returned_contract_can_be_corrected_and_resubmitted(cw):
    cid = to_state(cw, "business_review")
    act(cw.lead, cid, "send_back", "补充付款条款")
    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        services.update_contract(cw.am1, contract, {"payment_terms": "季度支付"}, contract.version)
        services.submit(cw.am1, contract)
        db.session.commit()
    assert load(cid).state == "business_review" and load(cid).return_reason == ""


def test_the_business_approver_cannot_also_approve_for_the_branch(cw):
    from tests.support.factories import make_user

    both = make_user(["lead", "city_manager"], cw.county, "both")
    db.session.commit()
    cid = fill(cw, new_contract(cw))
    act(cw.am1, cid, "submit")
    act(both, cid, "approve")
    assert "someone else" in refused(both, cid, "approve", exc=NotAllowed)


def test_the_signed_copy_must_be_a_scan_or_photo(cw):
    cid = to_state(cw, "signing")
    from tests.plugins.contract.conftest import docx_bytes

    message = refused(cw.am1, cid, "upload_signed_copy", upload(docx_bytes(), "signed.docx"))
    assert "not accepted" in message
    assert load(cid).state == "signing"


def test_a_signed_copy_renamed_from_an_executable_is_refused(cw):
    cid = to_state(cw, "signing")
    refused(cw.am1, cid, "upload_signed_copy", upload(b"MZ" + b"\x00" * 300, "scan.pdf"))


def test_a_leased_line_goes_to_survey_and_construction_after_the_signed_copy(cw):
    cid = to_state(cw, "signing")
    act(cw.am1, cid, "upload_signed_copy", upload(PNG, "盖章件.png"))
    contract = load(cid)
    assert contract.state == "construction" and contract.signed_file.kind == "png"
    [todo] = open_todos(cid)
    assert todo.kind == "contract.construction"


def test_other_contracts_go_straight_to_the_contract_manager(cw):
    cid = to_state(cw, "signing", category="cloud")
    act(cw.am1, cid, "upload_signed_copy", upload(PDF, "signed.pdf"))
    contract = load(cid)
    assert contract.state == "confirmation" and contract.handler_id == cw.contractmgr.id


@pytest.mark.parametrize("values, field", [
    ({"bandwidth": "0"}, "bandwidth"), ({"bandwidth": "fast"}, "bandwidth"), ({"sites": "0"}, "sites"),
    ({"circuit_ids": " "}, "circuit_ids"), ({"completed_on": ""}, "completed_on"),
    ({"completed_on": (date.today() + timedelta(days=30)).isoformat()}, "completed_on"),
])
def test_bad_construction_results_are_refused(cw, values, field):
    cid = to_state(cw, "construction")
    good = {"bandwidth": "100", "sites": "2", "circuit_ids": "JC-1", "completed_on": date.today().isoformat()}
    with acting_as(cw.am1.scope), pytest.raises(ServiceError) as error:
        services.record_construction(cw.am1, services.get_contract(cid), dict(good, **values))
    assert error.value.field == field


def test_construction_fills_the_opportunity_fields_back(cw):
    cid = to_state(cw, "construction")
    act(cw.am1, cid, "record_construction", {"bandwidth": "200", "sites": "3", "circuit_ids": "JC-1\nJC-2，JC-3",
                                             "completed_on": date.today().isoformat()})
    contract = load(cid)
    assert contract.state == "confirmation"
    assert contract.construction["circuit_ids"] == ["JC-1", "JC-2", "JC-3"]
    with system_scope():
        details = opportunities.get_opportunity(contract.opportunity_id).details
    assert details["bandwidth"] in (200, "200", 200.0) and details["sites"] in (3, "3")
    assert "JC-3" in details["survey"]["circuit_ids"]


def test_confirmation_closes_the_order_and_marks_the_opportunity_signed(cw):
    cid = to_state(cw, "confirmed", category="cloud")
    contract = load(cid)
    assert contract.state == "confirmed" and contract.handler_id is None and contract.confirmed_at
    assert open_todos(cid) == []
    with system_scope():
        opportunity = opportunities.get_opportunity(contract.opportunity_id)
    assert opportunity.stage == "signed" and opportunity.contract_id == cid
    assert opportunity.signed_revenue == Decimal("86000.00")


def test_only_a_contract_manager_confirms(cw):
    cid = to_state(cw, "confirmation", category="cloud")
    refused(cw.lead, cid, "confirm", exc=NotAllowed)


def test_the_contract_manager_can_ask_for_the_signed_copy_again(cw):
    cid = to_state(cw, "confirmation", category="cloud")
    act(cw.contractmgr, cid, "send_back", "扫描件不清晰")
    assert load(cid).state == "signing" and load(cid).handler_id == cw.am1.id


def test_a_confirmed_contract_cannot_be_withdrawn(cw):
    cid = to_state(cw, "confirmed", category="cloud")
    refused(cw.am1, cid, "cancel", "不要了")


def test_withdrawing_needs_a_reason(cw):
    cid = new_contract(cw)
    assert "why" in refused(cw.am1, cid, "cancel", "")


def test_approving_a_draft_is_refused_as_an_illegal_transition(cw):
    cid = new_contract(cw)
    assert "cannot be done now" in refused(cw.lead, cid, "approve")


def test_two_reviewers_approving_at_once_one_wins(cw):
    cid = to_state(cw, "business_review")
    from tests.support.factories import make_user

    second = make_user("lead", cw.county, "lead2")
    db.session.commit()
    with acting_as(cw.lead.scope):
        stale = services.get_contract(cid)
        seen_version = stale.version
    act(second, cid, "approve")
    db.session.expire_all()
    with acting_as(cw.lead.scope), pytest.raises(EditConflict):
        services.approve(cw.lead, services.get_contract(cid), version=seen_version)
    assert load(cid).state == "branch_review" and load(cid).business_approved_by_id == second.id


def test_a_concurrent_writer_makes_the_transition_fail_with_a_conflict(cw):
    cid = to_state(cw, "business_review")
    with acting_as(cw.lead.scope):
        contract = services.get_contract(cid)
        # another session moves it on between our read and our write
        db.session.execute(Contract.__table__.update().where(Contract.__table__.c.id == cid)
                           .values(version=Contract.__table__.c.version + 1))
        with pytest.raises(Conflict, match="at the same time"):
            services.approve(cw.lead, contract)


def test_every_state_change_is_audited(cw):
    cid = to_state(cw, "branch_review")
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(
            AuditEntry.model_key == "contract_contract", AuditEntry.record_id == cid).order_by(AuditEntry.id)).scalars().all()
    moves = [(entry.changes["state"][1], entry.actor_id) for entry in entries if "state" in (entry.changes or {})]
    assert moves == [("draft", cw.am1.id), ("business_review", cw.am1.id), ("branch_review", cw.lead.id)]


def test_events_are_emitted_for_other_modules(cw, app):
    from workbench.contracts import Event

    seen: list[Event] = []
    import workbench.events as events

    original = events.emit

    def spy(name, actor=None, **payload):
        seen.append(name)
        return original(name, actor=actor, **payload)

    import plugins.contract.services as contract_services

    contract_services.emit = spy
    try:
        cid = to_state(cw, "confirmed", category="cloud")
        act_cid = new_contract(cw)
        act(cw.am1, act_cid, "cancel", "客户取消")
    finally:
        contract_services.emit = original
    for name in ("contract.created", "contract.submitted", "contract.approved", "contract.signed_copy_uploaded",
                 "contract.confirmed", "contract.cancelled"):
        assert name in seen
    assert load(cid).state == "confirmed"
