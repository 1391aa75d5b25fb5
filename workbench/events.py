"""Core events: modules announce what happened; others react through workbench_handle_event."""
from __future__ import annotations

import logging

from flask import current_app

from workbench.contracts import Event

log = logging.getLogger(__name__)


def emit(name: str, actor=None, **payload) -> Event:
    """Deliver an Event to every workbench_handle_event implementation, in-process.

    A handler that raises is logged and does not stop the others or the caller: the emitting
    action has already happened and must not be undone by a listener's bug. Each handler runs
    in a SAVEPOINT, so a database error inside it is rolled back alone and the caller's
    transaction stays usable.
    """
    from workbench.extensions import db
    from workbench.plugins import call_impl

    event = Event(name=name, payload=payload, actor_id=getattr(actor, "id", actor))
    hook = current_app.extensions["workbench.plugins"].pm.hook.workbench_handle_event
    for impl in hook.get_hookimpls():
        savepoint = db.session.begin_nested()
        try:
            call_impl(impl, event=event)
        except Exception:
            savepoint.rollback()
            log.exception("event handler %s failed for %s", impl.plugin_name, name)
        else:
            savepoint.commit()
    return event
