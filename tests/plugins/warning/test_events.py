"""Warnings from other modules' events: contract.expiring (one warning with the metric rule
for the same end date) and opportunity.overdue (a work warning); and the events this plugin
emits when a warning is handled or escalated."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning.models import CustomerWarning
from plugins.warning import services
from tests.plugins.warning.conftest import scan, soon, two_months
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as, system_scope
from workbench.records import utcnow

pytestmark = pytest.mark.plugins("warning")


def all_warnings():
    with system_scope():
        return db.session.execute(select(CustomerWarning).order_by(CustomerWarning.id)).unique().scalars().all()


def expiring(customer, end, days_left, contract_id=7):
    emit("contract.expiring", contract_id=contract_id, customer_id=customer.id, opportunity_id=1,
         org_unit_id=customer.org_unit_id, owner_id=customer.owner_id, code="HT202611-0007",
         end_date=end.isoformat(), days_left=days_left, threshold=30)
    db.session.commit()


@pytest.fixture
def captured(monkeypatch):
    from workbench import events

    seen = []
    original = events.deliver
    monkeypatch.setattr(events, "deliver", lambda app, items: (
        seen.extend(event for item in items for event in events.events_in(item)), original(app, items)))
    return seen


def test_contract_expiring_raises_a_warning_with_a_to_do(world, customers):
    end = soon(25)
    expiring(customers["am1"], end, 25)
    [warning] = all_warnings()
    assert (warning.rule, warning.period, warning.days, warning.source) == ("contract_expiring", end.isoformat(), 25, "event")
    assert warning.link == "/contract/7" and warning.owner_id == world.am1.id
    with system_scope():
        assert db.session.execute(select(TodoItem.owner_id).where(TodoItem.kind == "warning.handle")).scalar() == world.am1.id


def test_a_notice_beyond_the_units_days_raises_nothing(world, customers):
    expiring(customers["am1"], soon(85), 85)
    assert all_warnings() == []


def test_the_event_and_the_metric_rule_make_one_warning_for_the_same_end_date(world, customers):
    end = soon(25)
    expiring(customers["am1"], end, 25)
    expiring(customers["am1"], end, 7)  # the 7-day notice of the same contract
    two_months(customers["am1"], now={"contract_end": end})
    scan()
    assert [(w.rule, w.period) for w in all_warnings()] == [("contract_expiring", end.isoformat())]


def test_an_overdue_opportunity_raises_a_work_warning_once_per_step(world, customers):
    payload = dict(opportunity_id=12, customer_id=customers["am1"].id, title="政务专线", org_unit_id=world.grid1.id,
                   owner_id=world.am1.id, stage="survey_review", handler_id=world.lead.id)
    emit("opportunity.overdue", **payload)
    db.session.commit()
    emit("opportunity.overdue", **payload)
    db.session.commit()
    [warning] = all_warnings()
    assert warning.rule == "opportunity_overdue" and warning.period == "opp12:survey_review"
    assert warning.link == "/opportunity/12" and warning.owner_id == world.am1.id


def test_an_event_without_a_customer_is_ignored(world):
    emit("opportunity.overdue", opportunity_id=3, customer_id=None, title="x", org_unit_id=world.grid1.id,
         owner_id=world.am1.id, stage="new", handler_id=None)
    db.session.commit()
    assert all_warnings() == []


def test_handling_emits_warning_handled(world, customers, captured):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    [warning] = all_warnings()
    with acting_as(world.am1.scope):
        services.handle(world.am1, services.get_warning(warning.id), action="called", outcome="resolved")
        db.session.commit()
    [event] = [e for e in captured if e.name == "warning.handled"]
    assert event.payload == {"warning_id": warning.id, "customer_id": customers["am1"].id, "rule": "revenue_change",
                             "severity": "medium", "title": warning.title, "action": "called", "outcome": "resolved",
                             "owner_id": world.am1.id, "org_unit_id": warning.org_unit_id}
    assert event.actor_id == world.am1.id


def test_escalating_emits_warning_escalated_with_the_leads(world, customers, captured):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    services.escalate(now=utcnow() + timedelta(days=4))
    db.session.commit()
    [warning] = all_warnings()
    [event] = [e for e in captured if e.name == "warning.escalated"]
    assert event.payload == {"warning_id": warning.id, "customer_id": customers["am1"].id, "rule": "revenue_change",
                             "title": warning.title, "lead_ids": [world.lead.id], "owner_id": world.am1.id,
                             "org_unit_id": warning.org_unit_id}


def test_a_handed_over_account_managers_open_warnings_follow_to_the_successor(world, customers):
    from workbench.inbox import services as inbox

    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    with acting_as(world.admin.scope):
        inbox.hand_over(world.admin, world.am1, world.am2)
        db.session.commit()
    [warning] = all_warnings()
    assert warning.owner_id == world.am2.id
    with acting_as(world.am2.scope):
        assert services.get_warning(warning.id).id == warning.id
