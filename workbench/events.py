"""Core events: modules announce what happened; others react through workbench_handle_event.

    from workbench.events import emit
    emit('site_visits.visit_done', actor=current_user, visit_id=visit.id)
    db.session.commit()          # the event is delivered only now

emit() records the Event on the current database session. When that transaction commits,
every workbench_handle_event implementation receives it, each in its own transaction in a
fresh app context, in the system scope and acting for the event's actor (so the audit
history names the person whose action caused the change). A transaction that rolls back —
or a SAVEPOINT that rolls back around the emit — delivers nothing: listeners never react to
something that did not happen. A handler that raises is logged and rolled back alone; the
emitter (already committed) and the other handlers are unaffected.

A handler marked ``@slow_handler`` receives events as a background job ("events.deliver")
instead of in the committing request; the job's key is made of the event id and the handler,
so a redelivered event does not run it twice.

Many events of one kind at once (a scan's 20,000 new warnings) are emitted together with
emit_batch(): each is still an ordinary Event with its own id and payload, but a handler
marked ``@batch_handler`` receives them as one EventBatch per BATCH_SIZE events — one call,
one transaction — so it can write its rows set-wise. Other handlers receive them one by one,
each in its own transaction as always, in one app context per handler and batch (not one per
event). If a batch handler raises, that batch is rolled back and handed to it again one event
at a time, so one bad event costs only its own work.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from workbench.contracts import Event
from workbench.jobs.registry import job

log = logging.getLogger(__name__)

PENDING_KEY = "workbench.events.pending"
DELIVER_JOB = "events.deliver"
SLOW_MARK = "workbench_slow_handler"
BATCH_MARK = "workbench_batch_handler"
BATCH_SIZE = 1000  # events per call of a batch handler


@dataclass(frozen=True)
class EventBatch:
    """Events of one name emitted together (emit_batch), as a batch handler receives them.
    `name` is theirs, so the usual `if event.name != ...: return` works unchanged; `events`
    are the Events themselves (ids, payloads, actors), in emission order."""

    name: str
    events: tuple[Event, ...]

    @property
    def actor_id(self):
        actors = {event.actor_id for event in self.events}
        return actors.pop() if len(actors) == 1 else None


def events_in(event) -> tuple[Event, ...]:
    """The Events a handler was given: a batch's events, or the one event itself."""
    return event.events if isinstance(event, EventBatch) else (event,)


def slow_handler(function):
    """Mark a workbench_handle_event implementation as slow: it then receives each event as a
    background job, after the emitting transaction committed, instead of in-process.

        @hookimpl
        @slow_handler
        def workbench_handle_event(event): ...
    """
    setattr(function, SLOW_MARK, True)
    return function


def is_slow(impl) -> bool:
    return bool(getattr(impl.function, SLOW_MARK, False))


def batch_handler(function):
    """Mark a workbench_handle_event implementation as taking batches: events emitted with
    emit_batch() then reach it as one EventBatch (`events_in(event)` gives them) per
    BATCH_SIZE events, in one transaction; single events still arrive as Events.

        @hookimpl
        @batch_handler
        def workbench_handle_event(event):
            if event.name == "warning.raised":
                services.record_all(events_in(event))
    """
    setattr(function, BATCH_MARK, True)
    return function


def is_batch(impl) -> bool:
    return bool(getattr(impl.function, BATCH_MARK, False))


def emit(name: str, actor=None, **payload) -> Event:
    """Announce `name` with `payload` (JSON values: ids, not objects); returns the Event.

    Inside a transaction the event waits for its commit; with no transaction in progress
    (nothing to wait for) it is delivered at once.
    """
    from workbench.extensions import db

    if not has_app_context():
        raise RuntimeError(f"emit({name!r}) needs an app context: the handlers belong to an app")
    event = Event(name=name, payload=payload, actor_id=getattr(actor, "id", actor))
    session = db.session()
    if session.in_transaction():
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING_KEY, []).append((event, transaction))
    else:
        deliver(current_app._get_current_object(), [event])
    return event


def emit_batch(name: str, payloads: Iterable[dict], actor=None) -> list[Event]:
    """Announce `name` once per payload, as emit() would, but as one batch: batch handlers
    receive them together (see the module docstring). Returns the Events; with no payloads
    nothing is emitted."""
    from workbench.extensions import db

    if not has_app_context():
        raise RuntimeError(f"emit_batch({name!r}) needs an app context: the handlers belong to an app")
    actor_id = getattr(actor, "id", actor)
    events = [Event(name=name, payload=payload, actor_id=actor_id) for payload in payloads]
    if not events:
        return events
    session = db.session()
    for start in range(0, len(events), BATCH_SIZE):
        batch = EventBatch(name=name, events=tuple(events[start:start + BATCH_SIZE]))
        if session.in_transaction():
            transaction = session.get_nested_transaction() or session.get_transaction()
            session.info.setdefault(PENDING_KEY, []).append((batch, transaction))
        else:
            deliver(current_app._get_current_object(), [batch])
    return events


def deliver(app, events: list) -> None:
    """Hand `events` (Events, or EventBatches from emit_batch) to every handler now:
    in-process ones in turn, slow ones as jobs (one per event and handler)."""
    hook = app.extensions["workbench.plugins"].pm.hook.workbench_handle_event
    implementations = hook.get_hookimpls()
    slow = []
    for item in events:
        for impl in implementations:
            if is_slow(impl):
                slow.extend((event, impl.plugin_name) for event in events_in(item))
            elif not isinstance(item, EventBatch):
                _run_handler(app, impl, item)
            elif is_batch(impl):
                _run_batch_handler(app, impl, item)
            else:
                _run_handler_for_each(app, impl, item.events)
    if slow:
        _enqueue_slow_deliveries(app, slow)


def _run_handler(app, impl, event: Event) -> None:
    from workbench.audit.actor import acting_user
    from workbench.extensions import db
    from workbench.org.scope import system_scope
    from workbench.plugins import call_impl

    with app.app_context(), system_scope(), acting_user(event.actor_id):
        try:
            call_impl(impl, event=event)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("event handler %s failed for %s (event %s)", impl.plugin_name, event.name, event.id)


def _run_batch_handler(app, impl, batch: EventBatch) -> None:
    from workbench.audit.actor import acting_user
    from workbench.extensions import db
    from workbench.org.scope import system_scope
    from workbench.plugins import call_impl

    with app.app_context(), system_scope(), acting_user(batch.actor_id):
        try:
            call_impl(impl, event=batch)
            db.session.commit()
            return
        except Exception:
            db.session.rollback()
            log.exception("event handler %s failed for a batch of %d %s; delivering them one by one",
                          impl.plugin_name, len(batch.events), batch.name)
    _run_handler_for_each(app, impl, batch.events)


def _run_handler_for_each(app, impl, events: Iterable[Event]) -> None:
    """Each event in its own transaction, as _run_handler, but in one app context for all:
    pushing a context per event was most of the cost of a batch for handlers that ignore it."""
    from workbench.audit.actor import acting_user
    from workbench.extensions import db
    from workbench.org.scope import system_scope
    from workbench.plugins import call_impl

    with app.app_context(), system_scope():
        for event in events:
            with acting_user(event.actor_id):
                try:
                    call_impl(impl, event=event)
                    if db.session().in_transaction():  # a handler that ignored the event did nothing
                        db.session.commit()
                except Exception:
                    db.session.rollback()
                    log.exception("event handler %s failed for %s (event %s)", impl.plugin_name, event.name,
                                  event.id)


def delivery_key(event: Event, handler: str) -> str:
    """The job key of one slow delivery: the same event to the same handler is one job."""
    return f"{DELIVER_JOB}:{event.id}:{handler}"


def _enqueue_slow_deliveries(app, deliveries: list[tuple[Event, str]]) -> None:
    from workbench.extensions import db
    from workbench.jobs import enqueue
    from workbench.org.scope import system_scope

    with app.app_context(), system_scope():
        try:
            for event, handler in deliveries:
                enqueue(DELIVER_JOB, key=delivery_key(event, handler), event=event_message(event),
                        handler=handler)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not enqueue %d slow event deliveries", len(deliveries))


def event_message(event: Event) -> dict:
    """The event as JSON values (job arguments); values JSON cannot hold become strings."""
    return {
        "id": event.id, "name": event.name, "actor_id": event.actor_id,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": json.loads(json.dumps(event.payload, default=str)),
    }


def event_from_message(message: dict) -> Event:
    return Event(name=message["name"], payload=message.get("payload") or {}, actor_id=message.get("actor_id"),
                 id=message["id"], occurred_at=datetime.fromisoformat(message["occurred_at"]))


@job(DELIVER_JOB, max_attempts=5)
def deliver_event_job(ctx, *, event: dict, handler: str) -> dict:
    """Give one event to one slow handler. A raising handler fails the job, which the jobs
    machinery retries; a handler whose plugin is no longer enabled is skipped."""
    from workbench.audit.actor import acting_user
    from workbench.plugins import call_impl

    hook = current_app.extensions["workbench.plugins"].pm.hook.workbench_handle_event
    impl = next((impl for impl in hook.get_hookimpls() if impl.plugin_name == handler), None)
    if impl is None:
        log.warning("event %s not delivered: handler %s is not enabled", event.get("id"), handler)
        return {"delivered": False}
    restored = event_from_message(event)
    with acting_user(restored.actor_id):
        call_impl(impl, event=restored)
    return {"delivered": True}


# --- the transaction's life ------------------------------------------------------------------

def _deliver_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released: its events wait for the real commit
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    try:
        deliver(current_app._get_current_object(), [item for item, _transaction in pending])
    except Exception:  # never let a listener's problem reach the code that committed
        log.exception("delivering %d event(s) failed", len(pending))


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _forget_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(PENDING_KEY)
    if pending:
        session.info[PENDING_KEY] = [(item, transaction) for item, transaction in pending
                                     if not _within(transaction, previous_transaction)]


def _forget_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session closed without committing
        session.info.pop(PENDING_KEY, None)


def install_delivery() -> None:
    """Register the session listeners once per process (they apply to every Session)."""
    if not sa_event.contains(Session, "after_commit", _deliver_after_commit):
        sa_event.listen(Session, "after_commit", _deliver_after_commit)
        sa_event.listen(Session, "after_soft_rollback", _forget_rolled_back)
        sa_event.listen(Session, "after_transaction_end", _forget_uncommitted)
