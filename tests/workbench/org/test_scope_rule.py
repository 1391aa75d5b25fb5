"""The central scope rule, checked without HTTP: own, unit-and-below, all, and fail-closed."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.support.factories import make_todo
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import NOBODY, acting_as, system_scope


def visible_customer_names(scope) -> set[str]:
    with acting_as(scope):
        return set(db.session.execute(select(Customer.name)).scalars())


def test_account_manager_sees_only_own_customers(world):
    assert visible_customer_names(world.am1.scope) == {"am1的客户"}


def test_lead_sees_unit_and_below_but_not_a_sibling_county(world):
    assert visible_customer_names(world.lead.scope) == {"am1的客户", "am2的客户"}


def test_province_admin_sees_everything(world):
    assert visible_customer_names(world.admin.scope) == {"am1的客户", "am2的客户", "am3的客户"}


def test_without_a_scope_nothing_scoped_is_visible(world):
    assert visible_customer_names(NOBODY) == set()


def test_counts_obey_the_scope(world):
    with acting_as(world.am2.scope):
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar_one() == 1
    with acting_as(world.lead.scope):
        assert db.session.execute(select(func.count(Customer.id))).scalar_one() == 2


def test_aggregates_grouped_by_unit_obey_the_scope(world):
    with acting_as(world.lead.scope):
        rows = db.session.execute(select(Customer.org_unit_id, func.count()).group_by(Customer.org_unit_id)).all()
    assert {unit for unit, _count in rows} == {world.grid1.id, world.grid2.id}


def test_session_get_of_an_out_of_scope_record_is_refused(world):
    customer_id, scope = world.customers["am3"].id, world.am1.scope
    db.session.expunge_all()  # the identity map must not serve what the scope forbids
    with acting_as(scope):
        assert db.session.execute(select(Customer).where(Customer.id == customer_id)).scalar_one_or_none() is None


def test_unit_queue_todos_are_visible_to_members_of_that_unit(world):
    queued = make_todo(unit=world.grid1, title="认领任务")
    db.session.commit()
    member, stranger, queued_id = world.am1.scope, world.am2.scope, queued.id
    db.session.expunge_all()
    with acting_as(member):
        assert db.session.execute(select(TodoItem).where(TodoItem.id == queued_id)).scalar_one_or_none()
    db.session.expunge_all()
    with acting_as(stranger):
        assert db.session.execute(select(TodoItem).where(TodoItem.id == queued_id)).scalar_one_or_none() is None


def test_relationship_loads_are_scoped_too(world):
    make_todo(world.am1, title="am1 task", customer=world.customers["am1"])
    make_todo(world.am2, title="am2 task about am1's customer", customer=world.customers["am1"])
    db.session.commit()
    customer_id, scope = world.customers["am1"].id, world.am1.scope
    db.session.expunge_all()
    with acting_as(scope):
        titles = set(db.session.execute(
            select(TodoItem.title).where(TodoItem.customer_id == customer_id)).scalars())
    assert titles == {"am1 task"}


def test_system_scope_sees_everything(world):
    with system_scope():
        assert db.session.execute(select(func.count(Customer.id))).scalar_one() == 3


def test_inactive_user_has_no_scope(world):
    world.am1.active = False
    assert world.am1.scope.level == "none"
