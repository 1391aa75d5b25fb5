"""The caller's notifications over JSON: the list (all or unread), the unread count, marking
one or all read. A notification belongs to one person: anybody else's answers 404."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound
from workbench.extensions import db
from workbench.notify import services

bp = Blueprint(
    "api_notifications", __name__, url_prefix="/api/v1/notifications",
    description="The signed-in user's notifications (the list behind the header bell).",
)


class NotificationListArgsSchema(PageArgsSchema):
    unread = ma.fields.Bool(load_default=False, metadata={"description": "Only unread notifications."})


class NotificationSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    kind = ma.fields.Str(required=True, metadata={
        "description": "A to-do kind, or announcement / digest / notice."})
    kind_label = ma.fields.Str(required=True)
    title = ma.fields.Str(required=True)
    message = ma.fields.Str(required=True)
    link = ma.fields.Str(allow_none=True, metadata={"description": "Page of the workbench it is about."})
    created_at = UtcDateTime(required=True)
    read_at = UtcDateTime(allow_none=True)
    unread = ma.fields.Bool(required=True)


class NotificationPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(NotificationSchema), required=True)


class UnreadCountSchema(ma.Schema):
    unread = ma.fields.Int(required=True, metadata={"description": "The figure on the header bell."})


class MarkedSchema(ma.Schema):
    marked = ma.fields.Int(required=True, metadata={"description": "How many were unread and are now read."})


def _present(row) -> dict:
    return {"id": row.id, "kind": row.kind, "kind_label": services.kind_label(row.kind), "title": row.title,
            "message": row.message, "link": row.link, "created_at": row.created_at, "read_at": row.read_at,
            "unread": row.read_at is None}


@bp.route("")
@api_login_required
@bp.arguments(NotificationListArgsSchema, location="query")
@bp.response(200, NotificationPageSchema)
@documents_errors(bp, 401, 403)
def list_notifications(args):
    """The caller's notifications: unread first, then newest first."""
    page = paginate(services.list_query(current_user, unread_only=args["unread"]), args)
    page["items"] = [_present(row) for row in page["items"]]
    return page


@bp.route("/unread-count")
@api_login_required
@bp.response(200, UnreadCountSchema)
@documents_errors(bp, 401, 403)
def unread_count():
    """How many of the caller's notifications are unread."""
    return {"unread": services.unread_count(current_user)}


@bp.route("/<int:notification_id>/read", methods=["POST"])
@api_login_required
@bp.response(200, NotificationSchema)
@documents_errors(bp, 400, 401, 403, 404)
def mark_read(notification_id: int):
    """Mark one notification read (reading it twice changes nothing)."""
    try:
        row = services.mark_read(current_user, notification_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    db.session.commit()
    return _present(row)


@bp.route("/read-all", methods=["POST"])
@api_login_required
@bp.response(200, MarkedSchema)
@documents_errors(bp, 400, 401, 403)
def mark_all_read():
    """Mark every unread notification of the caller read."""
    marked = services.mark_all_read(current_user)
    db.session.commit()
    return {"marked": marked}
