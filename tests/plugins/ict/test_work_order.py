"""An approved project gets its opportunity work order by itself and then follows it: filled
in when the order reaches the contract pre-execution pool, closed as won when it is signed,
abandoned when the order is closed."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from workbench.events import emit
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

from plugins.ict import services
from tests.plugins.ict.helpers import PLUGINS, act, make_project, project, todos

pytestmark = [pytest.mark.plugins(*PLUGINS)]


@pytest.fixture
def catalogue(app):
    from plugins.opportunity import services as opportunities

    with system_scope():
        opportunities.ensure_catalogue()
        db.session.commit()


def approved(world, **values):
    project_id = make_project(world.am1, **values)
    act(world.am1, services.submit_for_review, project_id)
    act(world.lead, services.approve, project_id, "Good fit")
    return project_id


def order_of(project_id):
    from plugins.opportunity.models import Opportunity

    with system_scope():
        return db.session.execute(select(Opportunity).where(Opportunity.id == project(project_id).opportunity_id)).scalar_one()


def move_order(order_id, stage, event_name="opportunity.stage_changed", **payload):
    """Move the order as the opportunity flow would, and announce it (delivered on commit)."""
    from plugins.opportunity.models import Opportunity

    with system_scope():
        order = db.session.get(Opportunity, order_id)
        from_stage, order.stage = order.stage, stage
        if stage == "signed":
            order.signed_revenue = payload.get("signed_revenue")
            order.signed_at = services.utcnow()
        db.session.flush()
        emit(event_name, opportunity_id=order.id, customer_id=order.customer_id, title=order.title,
             org_unit_id=order.org_unit_id, owner_id=order.owner_id, from_stage=from_stage, to_stage=stage,
             **{k: str(v) for k, v in payload.items()})
        db.session.commit()


def test_approval_creates_the_work_order_with_source_ict_and_links_it(app, world, catalogue):
    project_id = approved(world)
    order = order_of(project_id)
    moved = project(project_id)
    assert (moved.stage, moved.handler_id) == ("monitoring", world.am1.id)
    assert (order.source, order.customer_id, order.owner_id) == ("ict", moved.customer_id, world.am1.id)
    assert order.category.is_ict and order.expected_revenue == Decimal("1200000.00")
    assert [t.owner_id for t in todos(project_id, services.TODO_MONITOR)] == [world.am1.id]
    assert todos(project_id, services.TODO_REVIEW) == []


def test_the_monitoring_step_shows_the_order_s_stage_handler_and_history(app, world, catalogue):
    project_id = approved(world)
    with system_scope():
        view = services.work_order(project(project_id))
    assert view.stage == "new" and view.handler_name and [step[2] for step in view.history] == ["new"]


def test_a_project_started_from_an_existing_opportunity_links_it_and_creates_none(app, world, catalogue):
    from plugins.opportunity import services as opportunities

    with acting_as(world.am1.scope):
        existing = opportunities.create_opportunity(
            world.am1, customer=world.customers["am1"], kind="demand", category_code="ict_integration",
            title="Campus network", details={"scope": "Network"})
        db.session.commit()
        existing_id = existing.id
    project_id = make_project(world.am1, opportunity_id=existing_id)
    act(world.am1, services.submit_for_review, project_id)
    act(world.lead, services.approve, project_id)
    assert project(project_id).opportunity_id == existing_id


def test_an_opportunity_that_is_not_ict_cannot_start_a_project(app, world, catalogue):
    from plugins.opportunity import services as opportunities

    with acting_as(world.am1.scope):
        cloud = opportunities.create_opportunity(world.am1, customer=world.customers["am1"], kind="demand",
                                                 category_code="industry_sms", title="Notices by SMS",
                                                 details={"monthly_volume": 10000})
        db.session.commit()
        cloud_id = cloud.id
    with pytest.raises(services.ServiceError) as refused:
        make_project(world.am1, opportunity_id=cloud_id)
    assert refused.value.field == "opportunity_id"


def test_the_pre_execution_pool_fills_the_project_in_and_keeps_it_monitoring(app, world, catalogue):
    project_id = approved(world)
    move_order(order_of(project_id).id, "pre_execution")
    filled = project(project_id)
    assert filled.stage == "monitoring" and filled.confirmed_value == Decimal("1200000.00")
    with system_scope():
        assert services.contract_can_be_generated(services.work_order(filled))


def test_signing_the_order_closes_the_project_as_won_by_itself(app, world, catalogue, emitted):
    project_id = approved(world)
    order_id = order_of(project_id).id
    move_order(order_id, "pre_execution")
    move_order(order_id, "signed", event_name="opportunity.signed", signed_revenue=Decimal("1150000.00"), contract_id=7)
    won = project(project_id)
    assert (won.stage, won.outcome, won.confirmed_value) == ("closed", "won", Decimal("1150000.00"))
    assert won.signed_at is not None and todos(project_id) == []
    with system_scope():
        last = services.stage_history(won)[-1]
    assert (last.to_stage, last.automatic) == ("closed", True)
    assert ("ict.project_closed") in [name for name, _ in emitted]


def test_a_closed_order_abandons_the_project_with_its_reason(app, world, catalogue):
    from plugins.opportunity.models import Opportunity

    project_id = approved(world)
    order_id = order_of(project_id).id
    with system_scope():
        db.session.get(Opportunity, order_id).closed_reason = "Customer postponed"
        db.session.commit()
    move_order(order_id, "closed")
    gone = project(project_id)
    assert gone.stage == "abandoned" and "Customer postponed" in gone.abandon_reason


def test_events_for_other_orders_leave_the_project_alone(app, world, catalogue):
    project_id = approved(world)
    with system_scope():
        emit("opportunity.signed", opportunity_id=987654, signed_revenue="1", contract_id=1)
        db.session.commit()
    assert project(project_id).stage == "monitoring"
