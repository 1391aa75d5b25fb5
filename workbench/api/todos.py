"""The to-do inbox over JSON: the user's open items, counts per kind, one item, done, snooze.

Everything goes through workbench.inbox.services, so the data-scope rule applies: an item
outside the caller's scope answers 404 exactly like one that does not exist.
"""
from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.customers.models import Customer
from workbench.errors import NotFound
from workbench.extensions import db
from workbench.inbox import services
from workbench.inbox.models import TodoItem
from workbench.plugins import registry
from workbench.records import utcnow

bp = Blueprint(
    "api_todos", __name__, url_prefix="/api/v1/todos",
    description="The unified to-do inbox (待办) of the signed-in user.",
)


class TodoListArgsSchema(PageArgsSchema):
    kind = ma.fields.Str(metadata={"description": "Only this kind (a key from GET /todos/counts)."})
    customer_id = ma.fields.Int(validate=ma.validate.Range(min=1))
    due = ma.fields.Str(
        validate=ma.validate.OneOf(services.DUE_FILTERS),
        metadata={"description": "today, overdue, due within a week, or the snoozed items "
                                 "(hidden from the other views until their time comes)."},
    )
    q = ma.fields.Str(validate=ma.validate.Length(max=100), metadata={"description": "Words in the title."})

    @ma.validates("kind")
    def validate_kind(self, value, **_kwargs):
        if value not in registry().todo_kinds:
            raise ma.ValidationError(_("Unknown to-do kind."))


class TodoCustomerSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    name = ma.fields.Str(required=True)


class TodoSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    kind = ma.fields.Str(required=True)
    kind_label = ma.fields.Str(required=True)
    title = ma.fields.Str(required=True)
    description = ma.fields.Str()
    priority = ma.fields.Int(metadata={"description": "0 low, 1 normal, 2 high, 3 urgent"})
    priority_label = ma.fields.Str()
    status = ma.fields.Str(metadata={"enum": ["open", "done", "cancelled"]})
    due_at = UtcDateTime(allow_none=True)
    overdue = ma.fields.Bool(metadata={"description": "Open and past its due time."})
    snoozed_until = UtcDateTime(allow_none=True)
    customer = ma.fields.Nested(TodoCustomerSchema, allow_none=True, metadata={
        "description": "The customer the item concerns, when the caller may see it."})
    owner_id = ma.fields.Int(allow_none=True, metadata={
        "description": "The assignee; null while the item waits in a unit's queue."})
    assignee_unit_id = ma.fields.Int(allow_none=True)
    link = ma.fields.Str(allow_none=True, metadata={"description": "Page of the source record."})
    can_mark_done = ma.fields.Bool(metadata={
        "description": "False for kinds that close only when their source record moves on."})
    result_note = ma.fields.Str()
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with changes."})


class TodoPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(TodoSchema), required=True)


class KindCountSchema(ma.Schema):
    kind = ma.fields.Str(required=True)
    label = ma.fields.Str(required=True)
    total = ma.fields.Int(required=True)
    overdue = ma.fields.Int(required=True)


class TodoCountsSchema(ma.Schema):
    total = ma.fields.Int(required=True, metadata={"description": "Open items, not snoozed."})
    overdue = ma.fields.Int(required=True)
    kinds = ma.fields.List(ma.fields.Nested(KindCountSchema), required=True)


class DoneSchema(ma.Schema):
    note = ma.fields.Str(load_default="", validate=ma.validate.Length(max=2000),
                         metadata={"description": "What was done (kept with the item)."})
    version = ma.fields.Int(required=True, metadata={"description": "The version you read."})


class SnoozeSchema(ma.Schema):
    until = UtcDateTime(required=True, metadata={
        "description": "ISO 8601 with an offset, e.g. 2025-05-01T09:00:00+08:00; in the future."})


def _customers_by_id(items: list[TodoItem]) -> dict[int, Customer]:
    """Customers of a page of items in one scoped query (no N+1; out-of-scope ones stay out)."""
    ids = {item.customer_id for item in items if item.customer_id}
    if not ids:
        return {}
    rows = db.session.execute(select(Customer).where(Customer.id.in_(ids))).scalars()
    return {customer.id: customer for customer in rows}


def _present(item: TodoItem, customers: dict[int, Customer], now: datetime) -> dict:
    kind = registry().todo_kinds.get(item.kind)
    customer = customers.get(item.customer_id)
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": str(kind.label) if kind else item.kind,
        "title": item.title,
        "description": item.description,
        "priority": item.priority,
        "priority_label": str(services.PRIORITIES.get(item.priority, item.priority)),
        "status": item.status,
        "due_at": item.due_at,
        "overdue": bool(item.is_open and item.due_at and item.due_at < now),
        "snoozed_until": item.snoozed_until,
        "customer": {"id": customer.id, "name": customer.name} if customer else None,
        "owner_id": item.owner_id,
        "assignee_unit_id": item.assignee_unit_id,
        "link": item.link,
        "can_mark_done": bool(kind and kind.can_mark_done),
        "result_note": item.result_note,
        "created_at": item.created_at,
        "closed_at": item.closed_at,
        "version": item.version,
    }


def _present_one(item: TodoItem) -> dict:
    return _present(item, _customers_by_id([item]), utcnow())


def _todo_or_404(todo_id: int) -> TodoItem:
    try:
        return services.get_todo(todo_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@bp.route("")
@api_login_required
@bp.arguments(TodoListArgsSchema, location="query")
@bp.response(200, TodoPageSchema)
@documents_errors(bp, 401, 403)
def list_todos(args):
    """The caller's open to-dos: overdue first, then by due time.

    Items assigned to the caller and items waiting in the queue of the caller's unit; snoozed
    items only with due=snoozed.
    """
    filters = services.InboxFilter(kind=args.get("kind"), customer_id=args.get("customer_id"),
                                   due=args.get("due"), q=args.get("q"))
    page = paginate(services.inbox_query(current_user, filters), args)
    customers = _customers_by_id(page["items"])
    now = utcnow()
    page["items"] = [_present(item, customers, now) for item in page["items"]]
    return page


@bp.route("/counts")
@api_login_required
@bp.response(200, TodoCountsSchema)
@documents_errors(bp, 401, 403)
def counts():
    """How many open, not snoozed to-dos the caller has per kind, and how many are overdue."""
    kinds = registry().todo_kinds
    rows = services.counts_by_kind(current_user)
    return {
        "total": sum(row.total for row in rows),
        "overdue": sum(row.overdue for row in rows),
        "kinds": [
            {"kind": row.kind, "label": str(kinds[row.kind].label) if row.kind in kinds else row.kind,
             "total": row.total, "overdue": row.overdue}
            for row in rows
        ],
    }


@bp.route("/<int:todo_id>")
@api_login_required
@bp.response(200, TodoSchema)
@documents_errors(bp, 401, 403, 404)
def get_todo(todo_id: int):
    """One to-do within the caller's scope (open or closed)."""
    return _present_one(_todo_or_404(todo_id))


@bp.route("/<int:todo_id>/done", methods=["POST"])
@api_login_required
@bp.arguments(DoneSchema)
@bp.response(200, TodoSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def mark_done(body, todo_id: int):
    """Mark a to-do done, with a note of what was done.

    409 when the item changed since the caller read `version`; 400 when it is already closed;
    403 for kinds that close only when their record moves on, or items of someone else.
    """
    item = _todo_or_404(todo_id)
    commit_service_call(lambda: services.mark_done(item, current_user, body["note"], body["version"]))
    return _present_one(item)


@bp.route("/<int:todo_id>/snooze", methods=["POST"])
@api_login_required
@bp.arguments(SnoozeSchema)
@bp.response(200, TodoSchema)
@documents_errors(bp, 400, 401, 403, 404)
def snooze(body, todo_id: int):
    """Hide an open to-do from the inbox until a time in the future."""
    item = _todo_or_404(todo_id)
    commit_service_call(lambda: services.snooze(item, current_user, body["until"]))
    return _present_one(item)
