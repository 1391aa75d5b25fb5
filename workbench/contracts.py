"""Plain objects that hooks return. Hooks never return HTML strings or mixed None/generators.

Labels are lazy strings (flask_babel.lazy_gettext) so they follow the reader's language.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
    """An entry of the main navigation. Shown only when the user holds `permission`.

    `group` puts the entry in a drop-down of the navigation bar with the other entries of
    that group, so the bar stays short as modules are added: "sales" (业务拓展: opportunities,
    projects, contracts, proposals), "care" (客户服务: warnings, intelligence, logs,
    resources), "knowledge" (知识: knowledge base, solution library), "manage" (管理: admin
    pages of modules). Unknown groups get their own drop-down titled by the group name;
    None keeps the entry on the bar itself.
    """

    key: str
    label: Any
    endpoint: str
    icon: str = "bi-circle"
    permission: str | None = None
    order: int = 100
    group: str | None = None


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
    # Opt-in cache of the rendered body per user (workbench/homepage/widget_cache.py): kept
    # at most `cache_seconds`, and dropped as soon as any table in `reads` changes.
    cache_seconds: int = 0
    reads: tuple[str, ...] = ()

    def __post_init__(self):
        if self.cache_seconds and not self.reads:
            raise ValueError(f"widget {self.key}: a cached widget must name the tables it reads")


@dataclass(frozen=True)
class CustomerSection:
    """A section of the customer page. `render(customer)` returns the section body."""

    key: str
    title: Any
    render: Callable[[Any], Any]
    order: int = 100
    permission: str | None = None


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _utcnow_naive() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Event:
    """Something that happened, for other modules to react to (workbench_handle_event).

    `id` is unique per emitted event (a slow handler's job key is made from it, so a
    redelivery is recognised); `occurred_at` is when it was emitted, naive UTC.
    """

    name: str
    payload: dict = field(default_factory=dict)
    actor_id: int | None = None
    id: str = field(default_factory=_new_event_id)
    occurred_at: datetime = field(default_factory=_utcnow_naive)


@dataclass(frozen=True)
class HelpContext:
    """A place in the product where related knowledge helps ("opportunity.survey_review").

    Pages that declare one call `{{ context_panels("opportunity.survey_review") }}`; curators
    pick from the declared contexts when they tag an article for them.
    """

    key: str
    label: Any


@dataclass(frozen=True)
class ContextPanel:
    """A side panel shown on the pages of a help context. `render()` returns its body."""

    key: str
    title: Any
    render: Callable[[], Any]
    order: int = 100


@dataclass
class DemoData:
    """What `workbench demo` created before calling workbench_seed_demo: the demo accounts by
    username, org units by code, customers by owner username, and a seeded random generator
    (use it, not `random`, so the demo is the same every time)."""

    users: dict
    units: dict
    customers: dict
    rng: Any


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
    """A document type offered to the global search (see workbench.search and docs/search.md).

    `model` is the SQLAlchemy model the documents come from (an integer primary key `id`).
    `document(record)` returns the record's search fields as a dict: "title" (required;
    shown and searched first), and any of "body" (searched; gives the snippet), "keywords"
    (searched, never shown: codes, numbers), "pinyin" (text, usually a name, that can also
    be found by its pinyin or initials), "detail" (a short line shown under the title),
    "facets" (a dict of exact filter values, e.g. {"space": "business", "tag": [3, 5]}, that
    `search.services.search_type` filters on) and "public" (True: a scoped record everyone
    may see, such as a published article; the database check still decides).
    `url(record)` is where a result links to.

    Who may see a result: the model's data scope (ScopedMixin), checked against the database
    for every hit before anything of it is shown, and `permission` when set. `query`
    optionally narrows the records that are indexed and shown (`lambda stmt:
    stmt.where(Model.archived.is_(False))`). Records are re-indexed after every commit that
    inserts, updates or deletes a row of `model`.
    """

    key: str
    label: Any
    model: Any
    document: Callable[[Any], dict]
    url: Callable[[Any], str]
    icon: str = "bi-search"
    query: Callable[[Any], Any] | None = None
    order: int = 100
    permission: str | None = None
