"""Core events are delivered after the emitting transaction commits, never when it rolls back;
each handler runs in its own transaction, so a failing one harms neither the emitter nor the
other handlers; a slow handler gets each event once, as a background job."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.support.factories import make_customer
from workbench.audit.actor import current_actor_id
from workbench.contracts import Event
from workbench.customers.models import Customer
from workbench.events import DELIVER_JOB, deliver, delivery_key, emit
from workbench.extensions import db
from workbench.jobs import job_for_key
from workbench.jobs.services import run_job
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.org.scope import current_scope, system_scope


def names(events) -> list[str]:
    return [event.name for event in events]


def unit_codes() -> set[str]:
    db.session.expire_all()
    return set(db.session.execute(select(OrgUnit.code)).scalars())


def test_an_event_waits_for_the_commit_of_its_transaction(app, world, listen):
    seen = []
    listen(seen.append)
    make_customer(world.am1, name="Waiting")  # the transaction is under way
    emit("test.happened", thing=1)
    assert seen == []
    db.session.commit()
    assert names(seen) == ["test.happened"] and seen[0].payload == {"thing": 1}


def test_a_rolled_back_transaction_delivers_nothing(app, world, listen):
    seen = []
    listen(seen.append)
    make_customer(world.am1, name="Never saved")
    emit("test.happened")
    db.session.rollback()
    db.session.commit()
    assert seen == []


def test_an_event_of_a_rolled_back_savepoint_is_dropped_and_the_others_are_delivered(app, world, listen):
    seen = []
    listen(seen.append)
    make_customer(world.am1)
    emit("test.before")
    savepoint = db.session.begin_nested()
    emit("test.undone")
    savepoint.rollback()
    with db.session.begin_nested():
        emit("test.kept")  # released, not yet committed
    assert seen == []
    db.session.commit()
    assert names(seen) == ["test.before", "test.kept"]


def test_a_session_closed_without_commit_delivers_nothing(app, world, listen):
    seen = []
    listen(seen.append)
    make_customer(world.am1)
    emit("test.abandoned")
    db.session.close()
    db.session.commit()
    assert seen == []


def test_with_no_transaction_in_progress_the_event_is_delivered_at_once(app, listen):
    seen = []
    listen(seen.append)
    with app.app_context():  # a fresh session that has not begun anything
        event = emit("test.now", actor=7)
    assert seen == [event] and event.actor_id == 7


def test_emitting_outside_an_app_context_is_refused_with_a_clear_message():
    with pytest.raises(RuntimeError, match="app context"):
        emit("test.nowhere")


def test_an_event_carries_an_id_and_the_time_it_happened_and_old_style_construction_still_works():
    first, second = Event("a.b"), Event("a.b", {"x": 1}, 3)
    assert first.id != second.id and len(first.id) == 32
    assert second.occurred_at is not None and (second.payload, second.actor_id) == ({"x": 1}, 3)


def test_a_raising_handler_is_rolled_back_alone_and_neither_the_emitter_nor_later_handlers_notice(
        app, world, listen, caplog):
    city_id = world.city.id  # handlers get ids, never the emitter's objects

    def failing(event):
        org.create_unit(code="FAIL", name="written, then the handler raised", level="county",
                        parent=db.session.get(OrgUnit, city_id))
        db.session.flush()
        raise RuntimeError("handler down")

    def working(event):
        org.create_unit(code="WORK", name="written by a working handler", level="county",
                        parent=db.session.get(OrgUnit, city_id))

    listen(failing, name="failing")
    listen(working, name="working")
    customer = make_customer(world.am1, name="Saved whatever the handlers do")
    emit("test.happened")
    with caplog.at_level(logging.ERROR, logger="workbench.events"):
        db.session.commit()
    assert "event handler failing failed for test.happened" in caplog.text
    assert "FAIL" not in unit_codes() and "WORK" in unit_codes()
    with system_scope():
        assert db.session.get(Customer, customer.id).name == "Saved whatever the handlers do"


def test_a_handler_runs_in_its_own_session_sees_the_committed_change_and_acts_for_the_event_s_actor(
        app, world, listen):
    observed = {}

    def handler(event):
        customer = db.session.get(Customer, event.payload["customer_id"])
        observed.update(name=customer.name, same_session=db.session() is emitting_session,
                        actor=current_actor_id(), scope=current_scope().level)

    listen(handler)
    emitting_session = db.session()
    customer = make_customer(world.am1, name="Seen by the handler")
    emit("customer.created", actor=world.am1, customer_id=customer.id)
    db.session.commit()
    assert observed == {"name": "Seen by the handler", "same_session": False, "actor": world.am1.id,
                        "scope": "all"}


def test_an_event_emitted_by_a_handler_is_delivered_after_the_handler_s_commit(app, world, listen):
    seen = []

    def chain(event):
        seen.append(event.name)
        if event.name == "test.first":
            emit("test.second")

    listen(chain)
    make_customer(world.am1)
    emit("test.first")
    db.session.commit()
    assert seen == ["test.first", "test.second"]


def test_a_slow_handler_receives_the_event_as_a_job_once_even_when_it_is_redelivered(app, world, listen):
    calls = []
    listen(lambda event: calls.append((event.id, event.name, event.payload, current_actor_id())),
           name="slowpoke", slow=True)
    customer = make_customer(world.am1)
    event = emit("customer.created", actor=world.am1, customer_id=customer.id)
    assert calls == []
    db.session.commit()  # without a broker the job runs right after the commit
    assert calls == [(event.id, "customer.created", {"customer_id": customer.id}, world.am1.id)]
    key = delivery_key(event, "slowpoke")
    with system_scope():
        job = job_for_key(key)
        assert (job.task, job.state) == (DELIVER_JOB, "done")
    assert run_job(key) == "skipped"  # the broker delivers the message a second time
    deliver(app, [event])  # or the event itself is delivered again
    assert len(calls) == 1


def test_a_raising_slow_handler_leaves_its_job_to_be_retried_and_the_emitter_is_unaffected(app, world, listen):
    def failing(event):
        raise RuntimeError("slow handler down")

    listen(failing, name="slowfail", slow=True)
    customer = make_customer(world.am1, name="Kept")
    event = emit("customer.created", customer_id=customer.id)
    db.session.commit()
    with system_scope():
        job = job_for_key(delivery_key(event, "slowfail"))
        assert job.state == "pending" and "slow handler down" in job.error
        assert db.session.get(Customer, customer.id).name == "Kept"


def test_an_in_process_handler_is_not_run_as_a_job(app, world, listen):
    seen = []
    listen(seen.append, name="quick")
    make_customer(world.am1)
    event = emit("test.happened")
    db.session.commit()
    with system_scope():
        assert seen == [event] and job_for_key(delivery_key(event, "quick")) is None
