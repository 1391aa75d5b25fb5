"""Plain objects that hooks return. Hooks never return HTML strings or mixed None/generators.

Labels are lazy strings (flask_babel.lazy_gettext) so they follow the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Manifest:
    """Who a plugin is. `depends` names other plugins that must be enabled too."""

    name: str
    title: Any
    version: str
    depends: tuple[str, ...] = ()
    description: Any = ""


@dataclass(frozen=True)
class MenuItem:
    """An entry of the main navigation. Shown only when the user holds `permission`."""

    key: str
    label: Any
    endpoint: str
    icon: str = "bi-circle"
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class Permission:
    """A named right. `default_roles` receive it when the roles are first created."""

    name: str
    label: Any
    default_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class TodoKind:
    """A kind of to-do a module opens in the unified inbox."""

    key: str
    label: Any
    icon: str = "bi-check2-square"
    # Whether the assignee may tick the item off in the inbox, or only the source flow closes it.
    can_mark_done: bool = True
    default_channels: tuple[str, ...] = ("in_app",)


@dataclass(frozen=True)
class Widget:
    """A homepage card. `render` is called by the core's widget endpoint and returns the
    card body (a rendered template); the core wraps it and isolates its failures."""

    key: str
    title: Any
    render: Callable[[], Any]
    description: Any = ""
    default_width: int = 6  # Bootstrap columns out of 12 on a desktop; full width on a phone
    permission: str | None = None
    icon: str = "bi-grid"


@dataclass(frozen=True)
class CustomerSection:
    """A section of the customer page. `render(customer)` returns the section body."""

    key: str
    title: Any
    render: Callable[[Any], Any]
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class Event:
    """Something that happened, for other modules to react to (workbench_handle_event)."""

    name: str
    payload: dict = field(default_factory=dict)
    actor_id: int | None = None


@dataclass(frozen=True)
class SsoIdentity:
    """What a `resolve_sso_user` implementation derives from ID-token claims."""

    username: str
    org_unit_code: str
    roles: tuple[str, ...]
    display_name: str = ""
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ScheduledJob:
    """A job that beat (or the in-process scheduler) enqueues on a schedule.

    `job` names a job declared with workbench.jobs.job; `schedule` is seconds (30) or a
    five-field cron string in the workbench's time zone ("30 7 * * *" = 07:30 daily).
    """

    name: str
    job: str
    schedule: Any
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SearchSource:
    """A document type offered to the global search (see workbench.search).

    `model` is the SQLAlchemy model the documents come from; who may see a document follows
    the model's scope rule (ScopedMixin), checked again when results are shown. `document`
    turns a record into a dict of the index fields (title, body, and any of `fields`);
    `url` gives the link of a result. `query` optionally limits which records are indexed
    (e.g. not archived ones).
    """

    key: str
    label: Any
    model: Any
    document: Callable[[Any], dict]
    url: Callable[[Any], str]
    icon: str = "bi-search"
    query: Callable[[Any], Any] | None = None
    order: int = 100
