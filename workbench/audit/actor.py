"""Who is acting: the person the audit history records as having made a change.

In a request it is the signed-in user (set by the request hooks in app_setup). Work done on
someone's behalf sets it explicitly with ``acting_user(user)``: event handlers act for the
event's actor, a CLI command for the operator it names. When nobody set it, the data scope
decides: a job running in its creator's scope acts for the creator, system work (the SYSTEM
scope) for nobody (recorded as the system).
"""
from __future__ import annotations

import contextlib
import contextvars

from workbench.org.scope import current_scope

_UNSET = object()

_current_actor: contextvars.ContextVar = contextvars.ContextVar("workbench_actor", default=_UNSET)


def current_actor_id() -> int | None:
    """The id of the user acting now, or None for the system."""
    actor = _current_actor.get()
    if actor is not _UNSET:
        return actor
    return current_scope().user_id


def set_actor(user) -> contextvars.Token:
    """Make `user` (a User, an id, or None for the system) the actor until reset_actor()."""
    return _current_actor.set(getattr(user, "id", user))


def reset_actor(token: contextvars.Token) -> None:
    _current_actor.reset(token)


@contextlib.contextmanager
def acting_user(user):
    """Run the block with `user` (a User, an id, or None for the system) as the actor."""
    token = set_actor(user)
    try:
        yield
    finally:
        reset_actor(token)
