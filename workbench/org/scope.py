"""The data-scope rule, applied centrally to every ORM query.

Records that belong to someone carry `org_unit_id` and `owner_id` (ScopedMixin). Whoever is
acting — the signed-in user in a request, or an explicit scope in a job or a test — is held in
a context variable; a `do_orm_execute` listener adds `with_loader_criteria` for every scoped
model to every ORM SELECT (lists, detail pages, counts, exports, lazy loads alike), so no view
has to remember to filter. The levels:

* ``own``  — an account manager sees records they own;
* ``unit`` — a lead sees the records of their unit and every unit below it (one indexed
  prefix match on the org path), plus their own;
* ``all``  — a province/system admin sees everything.

Outside any scope (no user, no explicit opt-out) nothing scoped is visible: forgetting to set
a scope fails closed. System jobs opt out explicitly with ``system_scope()``.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
from dataclasses import dataclass

from sqlalchemy import ForeignKey, event, false, or_, select, true
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria

from workbench.org.models import OrgUnit

SCOPE_LEVELS = ("none", "own", "unit", "all")


@dataclass(frozen=True)
class Scope:
    """Who is looking, and how far they may see."""

    level: str
    user_id: int | None = None
    unit_id: int | None = None
    unit_path: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.level == "all"


SYSTEM = Scope(level="all")
NOBODY = Scope(level="none")

_current_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "workbench_scope", default=None
)


def current_scope() -> Scope:
    return _current_scope.get() or NOBODY


def set_scope(scope: Scope | None) -> contextvars.Token:
    return _current_scope.set(scope)


def reset_scope(token: contextvars.Token) -> None:
    _current_scope.reset(token)


@contextlib.contextmanager
def acting_as(scope: Scope):
    """Run the block with `scope` as the data scope (tests, jobs acting for a user)."""
    token = _current_scope.set(scope)
    try:
        yield scope
    finally:
        _current_scope.reset(token)


def system_scope():
    """Explicit opt-out for system work (jobs, CLI, imports by admins, demo seeding)."""
    return acting_as(SYSTEM)


def wider(a: str, b: str) -> str:
    return a if SCOPE_LEVELS.index(a) >= SCOPE_LEVELS.index(b) else b


class ScopedMixin:
    """A record owned by a person within an org unit; visible according to the scope rule."""

    @declared_attr
    def org_unit_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("org_unit.id"), nullable=False, index=True)

    @declared_attr
    def owner_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("user.id"), nullable=True, index=True)

    @classmethod
    def scope_clause(cls, scope: Scope):
        """SQL criterion for the rows of this model that `scope` may see.

        Models override this to widen visibility (a to-do queued for a unit is visible to
        its members); they must never narrow the 'all' level.
        """
        if scope.level == "all":
            return true()
        if scope.level == "unit" and scope.unit_path:
            units_below = select(OrgUnit.id).where(OrgUnit.path.startswith(scope.unit_path))
            return or_(cls.org_unit_id.in_(units_below), cls.owner_id == scope.user_id)
        if scope.level in ("own", "unit") and scope.user_id is not None:
            return cls.owner_id == scope.user_id
        return false()


_scoped_cache: tuple[int, list[type]] = (-1, [])


def scoped_models() -> list[type]:
    """Every mapped model carrying the scope columns (cached until new models are mapped)."""
    global _scoped_cache
    from workbench.extensions import db

    mappers = db.Model.registry.mappers
    if _scoped_cache[0] != len(mappers):
        _scoped_cache = (
            len(mappers),
            [m.class_ for m in mappers if issubclass(m.class_, ScopedMixin)],
        )
    return _scoped_cache[1]


def _add_scope_criteria(execute_state) -> None:
    if not execute_state.is_select:
        return
    if execute_state.execution_options.get("skip_scope"):
        return
    scope = current_scope()
    if scope.level == "all":
        return
    models = scoped_models()
    execute_state.statement = execute_state.statement.options(*_scope_options(scope, len(models)))


@functools.lru_cache(maxsize=4096)
def _scope_options(scope: Scope, model_count: int) -> tuple:
    """The loader criteria for `scope`, built once per scope rather than per statement.

    A request runs several statements under one scope, and a busy worker serves the same
    few thousand users all morning; building ~30 models' clauses anew for each statement cost
    more than running the statement. The clauses are immutable SQL constructs and depend only
    on the scope, so they are safe to share. `model_count` keys the cache on the mapped models,
    so a model mapped later (a plugin loaded in a test) gets its criterion too."""
    return tuple(
        with_loader_criteria(model, model.scope_clause(scope), include_aliases=True)
        for model in scoped_models()[:model_count]
    )


def install_scope_rule() -> None:
    """Register the listener once per process (it applies to every Session)."""
    if not event.contains(Session, "do_orm_execute", _add_scope_criteria):
        event.listen(Session, "do_orm_execute", _add_scope_criteria)
