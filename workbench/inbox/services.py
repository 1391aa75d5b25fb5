"""The inbox service API. Plugins open, update and close to-dos only through these functions.

Every function takes the acting user (or None for system work, which runs under
system_scope()) and applies the data-scope rule through the session, so a to-do outside the
actor's scope is simply not found.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from workbench.auth.models import User
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox.models import CHANNELS, Dispatch, ReminderSetting, TodoItem, TodoStatus
from workbench.org.models import OrgUnit
from workbench.plugins import registry
from workbench.records import utcnow

PRIORITIES = {0: _l("Low"), 1: _l("Normal"), 2: _l("High"), 3: _l("Urgent")}


def _todo_kind(kind: str):
    kinds = registry().todo_kinds
    if kind not in kinds:
        raise ServiceError(_l("Unknown to-do kind: %(kind)s", kind=kind))
    return kinds[kind]


def open_todo(
    *,
    kind: str,
    title: str,
    assignee: User | None = None,
    unit: OrgUnit | None = None,
    due_at: datetime | None = None,
    priority: int = 1,
    link: str | None = None,
    customer=None,
    source: tuple[str, object] | None = None,
    description: str = "",
    created_by: User | None = None,
    dispatch: Dispatch | None = None,
) -> TodoItem:
    """Open a to-do for a person (`assignee`) or for a unit's queue (`unit`).

    `source` is (record type, record id) so the source flow can close it later with
    close_todos_for(source). The item is added to the session; the caller commits.
    """
    _todo_kind(kind)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("A to-do needs a title."), field="title")
    if (assignee is None) == (unit is None):
        raise ServiceError(_l("A to-do goes to exactly one person or one unit."))
    if priority not in PRIORITIES:
        raise ServiceError(_l("Unknown priority."), field="priority")
    if assignee is not None and not assignee.active:
        raise ServiceError(_l("%(name)s is not active.", name=assignee.name))
    org_unit_id = unit.id if unit is not None else assignee.org_unit_id
    if org_unit_id is None:
        raise ServiceError(_l("%(name)s belongs to no org unit.", name=assignee.name))
    item = TodoItem(
        kind=kind,
        title=title[:300],
        description=description or "",
        owner_id=assignee.id if assignee else None,
        assignee_unit_id=unit.id if unit else None,
        org_unit_id=org_unit_id,
        customer_id=getattr(customer, "id", customer),
        due_at=due_at,
        priority=priority,
        link=link,
        source_type=source[0] if source else None,
        source_id=str(source[1]) if source else None,
        created_by_id=created_by.id if created_by else None,
        dispatch_id=dispatch.id if dispatch else None,
        status=TodoStatus.OPEN,
    )
    db.session.add(item)
    db.session.flush()
    emit("todo.opened", actor=created_by, todo_id=item.id, kind=kind, owner_id=item.owner_id)
    return item


def get_todo(todo_id: int) -> TodoItem:
    """A to-do within the current scope, or NotFound."""
    item = db.session.execute(select(TodoItem).where(TodoItem.id == todo_id)).scalar_one_or_none()
    if item is None:
        raise NotFound(_l("To-do not found."))
    return item


def update_todo(item: TodoItem, **changes) -> TodoItem:
    """Change title, due time, priority, description or link of an open item."""
    allowed = {"title", "due_at", "priority", "description", "link"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(f"cannot update {', '.join(sorted(unknown))}")
    if not item.is_open:
        raise ServiceError(_l("This to-do is already closed."))
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise ServiceError(_l("Unknown priority."), field="priority")
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def _close(item: TodoItem, status: str, actor: User | None, note: str = "") -> None:
    item.status = status
    item.closed_at = utcnow()
    item.closed_by_id = actor.id if actor else None
    item.result_note = note or ""
    emit("todo.closed", actor=actor, todo_id=item.id, kind=item.kind, status=status)


def close_todos_for(source: tuple[str, object], actor: User | None = None, note: str = "",
                    kind: str | None = None) -> int:
    """Close every open to-do of a source record (the source flow moved on). Returns the count.

    The caller has already been allowed to move the source record on, and the to-dos it
    closes may belong to other people (the next handler's predecessor), so this looks past
    the actor's scope on purpose.
    """
    query = select(TodoItem).where(
        TodoItem.source_type == source[0],
        TodoItem.source_id == str(source[1]),
        TodoItem.status == TodoStatus.OPEN,
    ).execution_options(skip_scope=True)
    if kind:
        query = query.where(TodoItem.kind == kind)
    items = db.session.execute(query).scalars().all()
    for item in items:
        _close(item, TodoStatus.DONE, actor, note)
    return len(items)


def mark_done(item: TodoItem, actor: User, note: str = "", version=None) -> TodoItem:
    """The assignee ticks an item off, where its kind allows it."""
    if version is not None:
        item.check_version(version)
    if not item.is_open:
        raise ServiceError(_l("This to-do is already closed."))
    if not _todo_kind(item.kind).can_mark_done:
        raise NotAllowed(_l("This kind of to-do closes when its record moves on; open it to act."))
    if item.owner_id not in (None, actor.id) and not actor.can("inbox.manage_team"):
        raise NotAllowed(_l("Only the assignee can mark this to-do done."))
    if item.owner_id is None:
        item.owner_id = actor.id
    _close(item, TodoStatus.DONE, actor, note)
    return item


def snooze(item: TodoItem, actor: User, until: datetime) -> TodoItem:
    """Hide an open item from the default inbox view until `until`."""
    if not item.is_open:
        raise ServiceError(_l("This to-do is already closed."))
    if until <= utcnow():
        raise ServiceError(_l("Snooze until a time in the future."), field="until")
    if item.owner_id not in (None, actor.id):
        raise NotAllowed(_l("Only the assignee can snooze this to-do."))
    item.snoozed_until = until
    return item


def take(item: TodoItem, actor: User) -> TodoItem:
    """A member of the unit takes an item from the unit's queue."""
    if item.owner_id is not None:
        raise ServiceError(_l("This to-do already has an assignee."))
    item.owner_id = actor.id
    item.org_unit_id = actor.org_unit_id or item.org_unit_id
    return item


def _ensure_in_actor_scope(actor: User, target: User) -> None:
    """The target user must work in a unit the actor manages."""
    scope = actor.scope
    if scope.sees_everything:
        return
    if scope.level == "unit" and target.org_unit and target.org_unit.path.startswith(scope.unit_path):
        return
    raise NotFound(_l("User not found."))


def _within_reach(actor: User, query):
    """Limit a query joined to OrgUnit to the units the actor manages (all for all-scope)."""
    scope = actor.scope
    if scope.sees_everything:
        return query
    # "-" matches no path: an account manager manages no unit.
    return query.where(OrgUnit.path.startswith(scope.unit_path if scope.level == "unit" else "-"))


def team_members(actor: User) -> list[User]:
    """Active people the actor may hand work to: their unit and everything below it."""
    query = select(User).join(OrgUnit, User.org_unit_id == OrgUnit.id).where(User.active.is_(True))
    return db.session.execute(_within_reach(actor, query).order_by(OrgUnit.path, User.username)).scalars().all()


def team_units(actor: User) -> list[OrgUnit]:
    """Active units the actor may dispatch to."""
    query = select(OrgUnit).where(OrgUnit.active.is_(True))
    return db.session.execute(_within_reach(actor, query).order_by(OrgUnit.path)).scalars().all()


def reassign(item: TodoItem, actor: User, new_assignee: User, version=None) -> TodoItem:
    """Move an open item to another person (a lead within their unit, or an admin)."""
    if version is not None:
        item.check_version(version)
    if not item.is_open:
        raise ServiceError(_l("This to-do is already closed."))
    if not actor.can("inbox.manage_team"):
        raise NotAllowed(_l("You may not reassign to-dos."))
    _ensure_in_actor_scope(actor, new_assignee)
    if not new_assignee.active:
        raise ServiceError(_l("%(name)s is not active.", name=new_assignee.name))
    previous = item.owner_id
    item.owner_id = new_assignee.id
    item.org_unit_id = new_assignee.org_unit_id
    item.assignee_unit_id = None
    emit("todo.reassigned", actor=actor, todo_id=item.id, from_user=previous, to_user=new_assignee.id)
    return item


def dispatch_task(
    actor: User,
    *,
    title: str,
    description: str = "",
    due_at: datetime | None = None,
    priority: int = 1,
    users: list[User] = (),
    unit: OrgUnit | None = None,
) -> Dispatch:
    """派单: hand a task to chosen people, or to every active member of a unit and below.

    Each target gets their own to-do of kind "task", so the dispatcher sees per-person progress.
    """
    if not actor.can("inbox.dispatch"):
        raise NotAllowed(_l("You may not dispatch tasks."))
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("A task needs a title."), field="title")
    if due_at is not None and due_at <= utcnow():
        raise ServiceError(_l("The due time must be in the future."), field="due_at")
    targets = list(users)
    if unit is not None:
        scope = actor.scope
        if not (scope.sees_everything or (scope.unit_path and unit.path.startswith(scope.unit_path))):
            raise NotFound(_l("Unit not found."))
        members = db.session.execute(
            select(User)
            .join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(OrgUnit.path.startswith(unit.path), User.active.is_(True), User.id != actor.id)
            .order_by(User.id)
        ).scalars().all()
        targets.extend(m for m in members if m not in targets)
    if not targets:
        raise ServiceError(_l("Choose at least one person or a unit with members."), field="targets")
    for target in targets:
        _ensure_in_actor_scope(actor, target)
    dispatch = Dispatch(
        title=title[:300],
        description=description,
        due_at=due_at,
        priority=priority,
        owner_id=actor.id,
        org_unit_id=actor.org_unit_id or (unit.id if unit else targets[0].org_unit_id),
        target_unit_id=unit.id if unit else None,
    )
    db.session.add(dispatch)
    db.session.flush()
    for target in targets:
        open_todo(
            kind="task",
            title=title,
            description=description,
            assignee=target,
            due_at=due_at,
            priority=priority,
            created_by=actor,
            dispatch=dispatch,
            source=("dispatch", dispatch.id),
        )
    emit("dispatch.created", actor=actor, dispatch_id=dispatch.id, targets=[t.id for t in targets])
    return dispatch


@dataclass
class DispatchProgress:
    total: int
    done: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def dispatch_progress(dispatch_ids: list[int]) -> dict[int, DispatchProgress]:
    """Progress of several dispatches in one query (the list page must not do N+1)."""
    if not dispatch_ids:
        return {}
    now = utcnow()
    rows = db.session.execute(
        select(
            TodoItem.dispatch_id,
            func.count(),
            func.sum(case((TodoItem.status == TodoStatus.DONE, 1), else_=0)),
            func.sum(case((and_(TodoItem.status == TodoStatus.OPEN, TodoItem.due_at < now), 1), else_=0)),
        )
        .where(TodoItem.dispatch_id.in_(dispatch_ids))
        .group_by(TodoItem.dispatch_id)
        .execution_options(skip_scope=True)  # the dispatcher sees progress of all its targets
    ).all()
    return {row[0]: DispatchProgress(int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in rows}


def cancel_dispatch(dispatch: Dispatch, actor: User) -> int:
    """Withdraw a task: its open to-dos are cancelled."""
    if dispatch.owner_id != actor.id and not actor.scope.sees_everything:
        raise NotAllowed(_l("Only the dispatcher can cancel this task."))
    items = db.session.execute(
        select(TodoItem)
        .where(TodoItem.dispatch_id == dispatch.id, TodoItem.status == TodoStatus.OPEN)
        .execution_options(skip_scope=True)
    ).scalars().all()
    for item in items:
        _close(item, TodoStatus.CANCELLED, actor, "")
    return len(items)


# --- the inbox query -------------------------------------------------------------------------

DUE_FILTERS = ("today", "overdue", "week", "snoozed")


@dataclass
class InboxFilter:
    kind: str | None = None
    customer_id: int | None = None
    due: str | None = None
    q: str | None = None


def _mine(user: User):
    """Open items assigned to the user or waiting in their unit's queue."""
    clause = TodoItem.owner_id == user.id
    if user.org_unit_id:
        clause = or_(clause, and_(TodoItem.owner_id.is_(None), TodoItem.assignee_unit_id == user.org_unit_id))
    return and_(clause, TodoItem.status == TodoStatus.OPEN)


def inbox_query(user: User, filters: InboxFilter | None = None, now: datetime | None = None):
    """SELECT of the user's open to-dos: overdue first, then by due time, then newest."""
    filters = filters or InboxFilter()
    now = now or utcnow()
    query = select(TodoItem).where(_mine(user))
    if filters.due == "snoozed":
        query = query.where(TodoItem.snoozed_until > now)
    else:
        query = query.where(or_(TodoItem.snoozed_until.is_(None), TodoItem.snoozed_until <= now))
    if filters.kind:
        query = query.where(TodoItem.kind == filters.kind)
    if filters.customer_id:
        query = query.where(TodoItem.customer_id == filters.customer_id)
    if filters.q:
        query = query.where(TodoItem.title.contains(filters.q.strip(), autoescape=True))
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if filters.due == "today":
        query = query.where(TodoItem.due_at >= start_of_day, TodoItem.due_at < start_of_day + timedelta(days=1))
    elif filters.due == "overdue":
        query = query.where(TodoItem.due_at < now)
    elif filters.due == "week":
        query = query.where(TodoItem.due_at >= start_of_day, TodoItem.due_at < start_of_day + timedelta(days=7))
    return query.order_by(
        case((TodoItem.due_at < now, 0), else_=1),
        TodoItem.due_at.is_(None),
        TodoItem.due_at,
        TodoItem.id.desc(),
    )


@dataclass
class KindCount:
    kind: str
    total: int
    overdue: int


def counts_by_kind(user: User, now: datetime | None = None) -> list[KindCount]:
    """Open, non-snoozed items per kind with how many are overdue — one grouped query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            TodoItem.kind,
            func.count(),
            func.sum(case((TodoItem.due_at < now, 1), else_=0)),
        )
        .where(_mine(user), or_(TodoItem.snoozed_until.is_(None), TodoItem.snoozed_until <= now))
        .group_by(TodoItem.kind)
        .order_by(TodoItem.kind)
    ).all()
    return [KindCount(kind, int(total), int(overdue or 0)) for kind, total, overdue in rows]


def total_from_counts(counts: list[KindCount], filters: InboxFilter) -> int | None:
    """The number of items `inbox_query` lists, when `counts_by_kind` (taken at the same
    moment) already says it: no filter, or only a kind. None when another filter applies."""
    if filters.customer_id or filters.due or filters.q:
        return None
    if filters.kind:
        return next((count.total for count in counts if count.kind == filters.kind), 0)
    return sum(count.total for count in counts)


# --- hand-over of a departing account manager -----------------------------------------------

@dataclass
class HandOverResult:
    todos: int
    customers: int


def hand_over(actor: User, departing: User, successor: User, deactivate: bool = True) -> HandOverResult:
    """Move a departing AM's open to-dos and customers to a successor in one action.

    Everything happens in the caller's transaction: either all moves, or nothing does.
    """
    from workbench.customers.models import Customer

    if not actor.can("admin.users") and not actor.can("inbox.manage_team"):
        raise NotAllowed(_l("You may not hand over another person's work."))
    if departing.id == successor.id:
        raise ServiceError(_l("Choose a different successor."), field="successor")
    _ensure_in_actor_scope(actor, departing)
    _ensure_in_actor_scope(actor, successor)
    if not successor.active:
        raise ServiceError(_l("%(name)s is not active.", name=successor.name), field="successor")
    todos = db.session.execute(
        select(TodoItem).where(TodoItem.owner_id == departing.id, TodoItem.status == TodoStatus.OPEN)
        .execution_options(skip_scope=True)
    ).scalars().all()
    for item in todos:
        item.owner_id = successor.id
        item.org_unit_id = successor.org_unit_id
    customers = db.session.execute(
        select(Customer).where(Customer.owner_id == departing.id).execution_options(skip_scope=True)
    ).scalars().all()
    for customer in customers:
        customer.owner_id = successor.id
        customer.org_unit_id = successor.org_unit_id
    departing.successor_id = successor.id
    if deactivate:
        departing.active = False
    emit("user.handed_over", actor=actor, user_id=departing.id, successor_id=successor.id,
         todos=len(todos), customers=len(customers))
    return HandOverResult(todos=len(todos), customers=len(customers))


# --- reminder settings (待办设置) ------------------------------------------------------------

def reminder_settings(user: User) -> dict[str, list[str]]:
    """Channels per to-do kind for the user; kinds without a stored row use their defaults."""
    stored = {
        row.kind: row.channels
        for row in db.session.execute(
            select(ReminderSetting).where(ReminderSetting.user_id == user.id)
        ).scalars()
    }
    return {
        key: stored.get(key, list(kind.default_channels))
        for key, kind in registry().todo_kinds.items()
    }


def save_reminder_settings(user: User, settings: dict[str, list[str]]) -> None:
    """Store the channels chosen per kind; unknown kinds or channels are refused whole."""
    kinds = registry().todo_kinds
    for kind, channels in settings.items():
        if kind not in kinds:
            raise ServiceError(_l("Unknown to-do kind: %(kind)s", kind=kind))
        bad = [c for c in channels if c not in CHANNELS]
        if bad:
            raise ServiceError(_l("Unknown reminder channel: %(channel)s", channel=bad[0]))
    existing = {
        row.kind: row
        for row in db.session.execute(
            select(ReminderSetting).where(ReminderSetting.user_id == user.id)
        ).scalars()
    }
    for kind, channels in settings.items():
        row = existing.get(kind) or ReminderSetting(user_id=user.id, kind=kind)
        row.channels = [c for c in CHANNELS if c in channels]
        db.session.add(row)
