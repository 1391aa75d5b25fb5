"""Events emitted together (emit_batch): each is an ordinary Event, delivered after the commit
and never after a rollback; a @batch_handler receives them as one EventBatch per BATCH_SIZE
events in one transaction (one by one if it raises), the other handlers one by one, each in
its own transaction; a slow handler still gets one job per event."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.factories import make_customer
from workbench import events
from workbench.customers.models import Customer
from workbench.events import DELIVER_JOB, EventBatch, delivery_key, emit, emit_batch, events_in
from workbench.extensions import db
from workbench.jobs import job_for_key
from workbench.jobs.models import Job
from workbench.org.scope import system_scope


def payloads(count: int) -> list[dict]:
    return [{"number": number} for number in range(count)]


def test_a_batch_reaches_a_batch_handler_in_one_call_after_the_commit(app, world, listen):
    calls = []
    listen(calls.append, name="batcher", batch=True)
    make_customer(world.am1)
    emitted = emit_batch("test.counted", payloads(3), actor=world.am1)
    assert calls == []
    db.session.commit()
    [batch] = calls
    assert isinstance(batch, EventBatch) and batch.name == "test.counted" and batch.actor_id == world.am1.id
    assert [event.payload for event in events_in(batch)] == payloads(3)
    assert [event.id for event in batch.events] == [event.id for event in emitted]
    assert len({event.id for event in emitted}) == 3  # each its own event id (idempotent handlers rely on it)


def test_other_handlers_receive_each_event_of_a_batch_as_a_single_event(app, world, listen):
    seen = []
    listen(seen.append)
    make_customer(world.am1)
    emit_batch("test.counted", payloads(3))
    emit("test.single")
    db.session.commit()
    assert [event.name for event in seen] == ["test.counted"] * 3 + ["test.single"]
    assert [event.payload for event in seen[:3]] == payloads(3)
    assert not any(isinstance(event, EventBatch) for event in seen)


def test_a_batch_handler_still_receives_single_events_as_events(app, world, listen):
    calls = []
    listen(calls.append, name="batcher", batch=True)
    make_customer(world.am1)
    emit("test.single", thing=1)
    db.session.commit()
    [event] = calls
    assert not isinstance(event, EventBatch) and events_in(event) == (event,)


def test_a_big_batch_is_cut_into_calls_of_batch_size(app, world, listen, monkeypatch):
    monkeypatch.setattr(events, "BATCH_SIZE", 4)
    calls = []
    listen(calls.append, name="batcher", batch=True)
    make_customer(world.am1)
    emit_batch("test.counted", payloads(10))
    db.session.commit()
    assert [len(batch.events) for batch in calls] == [4, 4, 2]
    assert [event.payload for batch in calls for event in batch.events] == payloads(10)


def test_a_rolled_back_batch_delivers_nothing(app, world, listen):
    calls, seen = [], []
    listen(calls.append, name="batcher", batch=True)
    listen(seen.append)
    make_customer(world.am1)
    savepoint = db.session.begin_nested()
    emit_batch("test.undone", payloads(2))
    savepoint.rollback()
    emit_batch("test.dropped", payloads(2))
    db.session.rollback()
    db.session.commit()
    assert calls == [] and seen == []


def test_a_raising_batch_handler_gets_the_events_one_by_one_and_keeps_the_good_ones(app, world, listen):
    written = []

    def fussy(event):
        if isinstance(event, EventBatch):
            make_customer(world.am1, name="整批写入")  # rolled back with the failing batch
            db.session.flush()
            raise RuntimeError("the batch form failed")
        if event.payload["number"] == 1:
            raise RuntimeError("this one is bad")
        make_customer(world.am1, name=f"逐个写入{event.payload['number']}")
        written.append(event.payload["number"])

    listen(fussy, name="fussy", batch=True)
    make_customer(world.am1)
    emit_batch("test.counted", payloads(3))
    db.session.commit()
    with system_scope():
        names = set(db.session.execute(select(Customer.name)).scalars())
    assert written == [0, 2]
    assert {"逐个写入0", "逐个写入2"} <= names and "整批写入" not in names and "逐个写入1" not in names


def test_a_raising_single_handler_does_not_stop_the_rest_of_the_batch(app, world, listen):
    seen = []

    def picky(event):
        if event.payload["number"] == 0:
            raise RuntimeError("bad event")
        seen.append(event.payload["number"])

    listen(picky)
    make_customer(world.am1)
    emit_batch("test.counted", payloads(3))
    db.session.commit()
    assert seen == [1, 2]


def test_a_slow_handler_gets_one_job_per_event_of_a_batch(app, world, listen):
    seen = []
    listen(seen.append, name="slowpoke", slow=True)
    make_customer(world.am1)
    emitted = emit_batch("test.counted", payloads(2))
    db.session.commit()
    assert sorted(event.payload["number"] for event in seen) == [0, 1]
    with system_scope():
        for event in emitted:
            assert job_for_key(delivery_key(event, "slowpoke")).state == "done"
        assert len(db.session.execute(select(Job).where(Job.task == DELIVER_JOB)).scalars().all()) == 2


def test_the_statements_after_the_commit_do_not_grow_with_the_events_of_a_batch(app, world, listen, count_queries):
    batches = []
    listen(lambda event: None)  # the common case: an event of another module, ignored
    listen(batches.append, name="batcher", batch=True)

    def statements_for(count: int) -> int:
        make_customer(world.am1)
        emit_batch("test.counted", payloads(count))
        with count_queries() as counter:
            db.session.commit()
        return counter.count

    assert statements_for(3) == statements_for(300)
    assert [len(batch.events) for batch in batches] == [3, 300]
