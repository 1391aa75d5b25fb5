"""Who the history names: the signed-in user in a request, the creator of a job that acts for
its creator, nobody for system work, the event's actor for an event handler, and whoever
acting_user() names (a CLI command, a test)."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.factories import make_customer
from workbench.audit.actor import acting_user, current_actor_id
from workbench.audit.models import AuditEntry
from workbench.customers.models import Customer
from workbench.events import emit
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.jobs import enqueue, job
from workbench.org.scope import acting_as, system_scope


@job("audit_test.rename_for_creator", scope="creator")
def rename_for_creator(ctx, *, customer_id: int, name: str):
    db.session.get(Customer, customer_id).name = name
    # The actor is read when the change is flushed; the runner commits after leaving the
    # creator's scope, so the job flushes its work while it still acts for the creator.
    db.session.flush()


@job("audit_test.rename_as_system")
def rename_as_system(ctx, *, customer_id: int, name: str):
    db.session.get(Customer, customer_id).name = name


def last_change_of(customer_id: int) -> AuditEntry:
    db.session.expire_all()
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.model_key == "customer", AuditEntry.record_id == customer_id)
        .order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one()


def test_a_job_acting_for_its_creator_is_recorded_as_the_creator_s_change(world):
    customer = world.customers["am1"]
    enqueue("audit_test.rename_for_creator", created_by=world.am1, customer_id=customer.id, name="By the job")
    db.session.commit()  # the job runs in-process after the commit
    entry = last_change_of(customer.id)
    assert entry.changes["name"][1] == "By the job" and entry.actor_id == world.am1.id


def test_a_system_job_is_recorded_as_the_system_s_change(world):
    customer = world.customers["am1"]
    enqueue("audit_test.rename_as_system", created_by=world.am1, customer_id=customer.id, name="By the system")
    db.session.commit()
    entry = last_change_of(customer.id)
    assert entry.changes["name"][1] == "By the system" and entry.actor_id is None


def test_an_event_handler_s_change_is_recorded_as_the_event_actor_s(app, world):
    class Renamer:
        @hookimpl
        def workbench_handle_event(self, event):
            if event.name == "test.rename":
                db.session.get(Customer, event.payload["customer_id"]).name = "By the handler"

    pm = app.extensions["workbench.plugins"].pm
    renamer = Renamer()
    pm.register(renamer, name="renamer")
    try:
        customer = make_customer(world.am1)
        emit("test.rename", actor=world.lead, customer_id=customer.id)
        db.session.commit()
    finally:
        pm.unregister(renamer)
    entry = last_change_of(customer.id)
    assert entry.changes["name"][1] == "By the handler" and entry.actor_id == world.lead.id


def test_acting_user_names_the_actor_even_in_the_system_scope_and_nests(world):
    assert current_actor_id() is None
    with acting_as(world.am1.scope):
        assert current_actor_id() == world.am1.id  # acting for someone's scope: that someone
        with acting_user(world.admin):
            assert current_actor_id() == world.admin.id
            with acting_user(None):
                assert current_actor_id() is None  # explicitly the system
        assert current_actor_id() == world.am1.id
    customer = world.customers["am2"]
    with system_scope(), acting_user(world.admin.id):
        db.session.get(Customer, customer.id).name = "By the operator"
        db.session.commit()
    assert last_change_of(customer.id).actor_id == world.admin.id
