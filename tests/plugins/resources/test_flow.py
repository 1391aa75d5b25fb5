"""Requests along their flow, without HTTP: submission with every bad input named, approval
step by step with to-dos for the next approvers, reservation at the last step (refused with
the figures when stock ran out), reject, cancel (releasing a reservation), issue, confirmed
use with a photo or a note, conflicts, events and the audit history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.resources import services
from tests.plugins.resources.conftest import PNG, act, load, new_request, stock, to_state, upload
from tests.support.factories import make_customer, make_user
from workbench.audit.models import AuditEntry
from workbench.errors import Conflict, NotAllowed, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.notify.models import Notification
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("resources")]


@pytest.fixture
def events(monkeypatch):
    captured = []
    original = services.emit

    def capture(name, actor=None, **payload):
        captured.append((name, payload))
        return original(name, actor=actor, **payload)

    monkeypatch.setattr(services, "emit", capture)
    return captured


def open_todos(request_id, kind=None):
    with system_scope():
        query = select(TodoItem).where(TodoItem.source_type == "resources_request",
                                       TodoItem.source_id == str(request_id), TodoItem.status == "open")
        if kind:
            query = query.where(TodoItem.kind == kind)
        return [(item.kind, item.owner_id) for item in db.session.execute(query).scalars()]


def test_a_submitted_request_waits_for_the_lead_with_a_to_do(rw):
    rid = new_request(rw)
    request = load(rid)
    assert (request.state, request.step_index, request.total_value) == ("pending", 0, 136)
    assert [step["unit_id"] for step in request.steps] == [rw.county.id, rw.city.id]
    assert open_todos(rid) == [("resources.approve", rw.lead.id)]


def make_request(rw, **overrides):
    values = dict(customer_id=rw.customers["am1"].id, title="礼品", purpose="答谢",
                  lines=[{"stock_id": rw.cups, "quantity": 1}])
    values.update(overrides)
    with acting_as(rw.am1.scope):
        return services.create_request(rw.am1, **values)


@pytest.mark.parametrize("overrides, field", [
    ({"customer_id": None}, "customer_id"),
    ({"customer_id": "abc"}, "customer_id"),
    ({"customer_id": 999999}, "customer_id"),
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"purpose": ""}, "purpose"),
    ({"lines": []}, "lines"),
    ({"lines": [{"stock_id": None, "quantity": 1}]}, "lines"),
    ({"lines": [{"stock_id": 1, "quantity": 0}]}, "lines"),
    ({"lines": [{"stock_id": 1, "quantity": "two"}]}, "lines"),
    ({"lines": [{"stock_id": 1, "quantity": 11}]}, "lines"),
    ({"lines": [{"stock_id": 1, "quantity": 6}, {"stock_id": 1, "quantity": 5}]}, "lines"),
    ({"lines": [{"stock_id": 1, "quantity": 1}, {"stock_id": 2, "quantity": 1}]}, "lines"),
    ({"lines": [{"stock_id": 3, "quantity": 1}]}, "lines"),
])
def test_a_bad_request_is_refused_beside_its_field_and_nothing_is_saved(rw, overrides, field):
    with pytest.raises(ServiceError) as refused:
        make_request(rw, **overrides)
    db.session.rollback()
    assert refused.value.field == field
    with system_scope():
        assert db.session.execute(services.request_query()).first() is None


def test_a_customer_of_another_county_cannot_be_chosen(rw):
    with pytest.raises(ServiceError) as refused:
        make_request(rw, customer_id=rw.customers["am3"].id)
    assert refused.value.field == "customer_id"


def test_the_stock_of_another_county_cannot_be_requested(rw):
    with pytest.raises(ServiceError) as refused:
        make_request(rw, lines=[{"stock_id": rw.other_cups, "quantity": 1}])
    assert "catalogue of your unit" in str(refused.value.message)


def test_items_of_two_resource_types_go_in_two_requests(rw):
    with pytest.raises(ServiceError) as refused:
        make_request(rw, lines=[{"stock_id": rw.cups, "quantity": 1}, {"stock_id": rw.leaflets, "quantity": 1}])
    assert "one resource type" in str(refused.value.message)


def test_someone_without_the_right_cannot_request(rw):
    citymgr = rw.citymgr
    with acting_as(citymgr.scope), pytest.raises(NotAllowed):
        services.create_request(citymgr, customer_id=rw.customers["am1"].id, title="t", purpose="p",
                                lines=[{"stock_id": rw.cups, "quantity": 1}])


def test_a_step_nobody_can_decide_stops_the_submission_with_its_name(rw):
    am = make_user("account_manager", rw.other_county, "am9")  # X2 has no lead
    customer = make_customer(am)
    db.session.commit()
    with acting_as(am.scope), pytest.raises(ServiceError) as refused:
        services.create_request(am, customer_id=customer.id, title="t", purpose="p",
                                lines=[{"stock_id": rw.other_cups, "quantity": 1}])
    assert "Nobody can decide" in str(refused.value.message)


def test_the_lead_approves_and_the_city_manager_gets_the_next_to_do(rw, events):
    rid = to_state(rw, "pending_city")
    assert load(rid).step_index == 1
    assert open_todos(rid) == [("resources.approve", rw.citymgr.id)]
    assert stock(rw.cups).reserved == 0
    name, payload = events[-1]
    assert name == "resources.request_approved" and payload["step"] == 1


def test_the_last_approval_reserves_the_stock_and_hands_the_issue_to_the_stock_keeper(rw):
    rid = to_state(rw, "approved", quantity=3)
    assert load(rid).state == "approved"
    assert (stock(rw.cups).on_hand, stock(rw.cups).reserved) == (10, 3)
    assert open_todos(rid) == [("resources.issue", rw.citymgr.id)]
    with system_scope():
        notices = db.session.execute(select(Notification.message).where(Notification.user_id == rw.am1.id)).scalars()
        assert any("approved" in message for message in notices)


def test_the_last_approval_is_refused_with_the_figures_when_the_stock_ran_out(rw):
    first = to_state(rw, "pending_city", quantity=6)
    second = to_state(rw, "pending_city", quantity=6)
    act(rw.citymgr, first, "approve")
    with acting_as(rw.citymgr.scope), pytest.raises(ServiceError) as refused:
        services.approve(rw.citymgr, services.get_request(second))
    db.session.rollback()
    assert "4 个 available, 6 requested" in str(refused.value.message)
    assert (load(second).state, load(second).step_index) == ("pending", 1)
    assert (stock(rw.cups).on_hand, stock(rw.cups).reserved) == (10, 6)
    assert open_todos(second) == [("resources.approve", rw.citymgr.id)]


def test_someone_not_at_the_step_cannot_decide(rw):
    rid = new_request(rw)
    for user in (rw.am2, rw.am1, rw.citymgr):
        with acting_as(user.scope), pytest.raises(NotAllowed):
            services.approve(user, services.get_request(rid) if user is not rw.am2 else load(rid))
        db.session.rollback()


def test_a_decision_on_a_version_someone_else_moved_on_is_a_conflict(rw):
    rid = new_request(rw)
    seen = load(rid).version
    act(rw.lead, rid, "approve")
    with acting_as(rw.citymgr.scope), pytest.raises(Conflict):
        services.approve(rw.citymgr, services.get_request(rid), version=seen)


def test_a_rejection_needs_a_reason_and_closes_the_request(rw, events):
    rid = new_request(rw)
    with acting_as(rw.lead.scope), pytest.raises(ServiceError) as refused:
        services.reject(rw.lead, services.get_request(rid), "  ")
    assert refused.value.field == "reason"
    db.session.rollback()
    act(rw.lead, rid, "reject", "本月礼品额度已用完")
    request = load(rid)
    assert (request.state, request.reject_reason) == ("rejected", "本月礼品额度已用完")
    assert open_todos(rid) == []
    name, payload = events[-1]
    assert name == "resources.request_rejected"
    assert payload["reason"] == "本月礼品额度已用完" and payload["step"] == 1


def test_cancelling_an_approved_request_releases_the_reservation(rw, events):
    rid = to_state(rw, "approved", quantity=4)
    act(rw.am1, rid, "cancel", "活动取消")
    assert load(rid).state == "cancelled"
    assert (stock(rw.cups).on_hand, stock(rw.cups).reserved) == (10, 0)
    assert open_todos(rid) == []
    name, payload = events[-1]
    assert name == "resources.request_cancelled" and payload["reason"] == "活动取消"


def test_only_the_requester_cancels_and_only_before_issue(rw):
    rid = new_request(rw)
    with acting_as(rw.lead.scope), pytest.raises(NotAllowed):
        services.cancel(rw.lead, services.get_request(rid), "x")
    db.session.rollback()
    issued = to_state(rw, "issued")
    with acting_as(rw.am1.scope), pytest.raises(ServiceError) as refused:
        services.cancel(rw.am1, services.get_request(issued), "太晚了")
    assert "not issued yet" in str(refused.value.message)
    with acting_as(rw.am1.scope), pytest.raises(ServiceError) as refused:
        services.cancel(rw.am1, services.get_request(rid), "")
    assert refused.value.field == "reason"


def test_issue_takes_the_items_off_hand_and_asks_the_requester_to_confirm_use(rw):
    rid = to_state(rw, "issued", quantity=3)
    assert (stock(rw.cups).on_hand, stock(rw.cups).reserved) == (7, 0)
    assert load(rid).issued_month is not None
    assert open_todos(rid) == [("resources.confirm_use", rw.am1.id)]


def test_only_a_manager_of_the_stock_issues(rw):
    rid = to_state(rw, "approved")
    with acting_as(rw.lead.scope), pytest.raises(NotAllowed):
        services.issue(rw.lead, services.get_request(rid))


def test_use_is_confirmed_with_a_photo(rw, events):
    rid = to_state(rw, "issued")
    act(rw.am1, rid, "confirm_use", photo=upload(PNG, "现场.png"))
    request = load(rid)
    assert request.state == "used" and request.use_photo_id is not None
    assert open_todos(rid) == []
    assert events[-1][0] == "resources.use_confirmed"


def test_use_needs_a_photo_or_a_note_and_a_photo_must_be_an_image(rw):
    rid = to_state(rw, "issued")
    with acting_as(rw.am1.scope), pytest.raises(ServiceError) as refused:
        services.confirm_use(rw.am1, services.get_request(rid), note=" ")
    assert refused.value.field == "note"
    db.session.rollback()
    with acting_as(rw.am1.scope), pytest.raises(ServiceError):
        services.confirm_use(rw.am1, services.get_request(rid), photo=upload(b"%PDF-1.4 nope", "x.png"))
    db.session.rollback()
    assert load(rid).state == "issued"


def test_only_the_requester_confirms_use(rw):
    rid = to_state(rw, "issued")
    with acting_as(rw.lead.scope), pytest.raises(NotAllowed):
        services.confirm_use(rw.lead, services.get_request(rid), note="代确认")


def test_a_type_without_approval_is_approved_and_reserved_as_submitted(rw):
    with system_scope():
        rw.material.steps = []
        db.session.commit()
    rid = new_request(rw, stock=rw.leaflets, quantity=50)
    assert load(rid).state == "approved"
    assert stock(rw.leaflets).reserved == 50


def test_every_event_carries_the_agreed_keys(rw, events):
    to_state(rw, "used")
    names = [name for name, _payload in events]
    assert names == ["resources.request_submitted", "resources.request_approved", "resources.request_approved",
                     "resources.request_issued", "resources.use_confirmed"]
    for _name, payload in events:
        assert {"request_id", "customer_id", "title", "owner_id", "org_unit_id", "purpose", "items"} <= set(payload)
        assert payload["items"] == [{"name": "定制保温杯", "quantity": 2}]
        assert payload["owner_id"] == rw.am1.id and payload["org_unit_id"] == rw.grid1.id


def test_every_state_change_is_in_the_audit_history(rw):
    rid = to_state(rw, "used")
    with system_scope():
        changes = db.session.execute(select(AuditEntry.changes).where(AuditEntry.model_key == "resources_request",
                                                                      AuditEntry.record_id == rid)).scalars()
        states = [change["state"][1] for change in changes if "state" in change]
    assert states[-3:] == ["approved", "issued", "used"]


def test_more_than_ten_lines_are_refused(rw):
    with pytest.raises(ServiceError) as refused:
        make_request(rw, lines=[{"stock_id": rw.cups, "quantity": 1}] * 11)
    assert "At most 10 items" in str(refused.value.message)
