"""Work logs and visit plans over JSON (/api/v1/worklog): list and read within the caller's
scope, write a log (a visit log may fulfil a plan), correct one's own log with conflict
detection, plan, reschedule and call off visits, and the team's weekly figures. Rules live in
services.py; out-of-scope records answer 404 like missing ones."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from plugins.worklog import services
from plugins.worklog.services import LogFilter, LogInput
from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound

bp = Blueprint("api_worklog", __name__, url_prefix="/api/v1/worklog",
               description="Work logs (日志): customer service, work, project and visit logs, system entries "
                           "written from other modules' events, and weekly visit plans.")


class WorklogListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100), metadata={"description": "Words in the log or customer."})
    kind = ma.fields.Str(validate=ma.validate.OneOf(services.KIND_VALUES))
    customer_id = ma.fields.Int()
    owner_id = ma.fields.Int(metadata={"description": "One person's logs (a lead's team)."})
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    origin = ma.fields.Str(validate=ma.validate.OneOf(["typed", "system"]))


class WorklogPersonSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    name = ma.fields.Str()


class WorklogContactSchema(ma.Schema):
    id = ma.fields.Int(allow_none=True, metadata={"description": "A customer contact, or null for free text."})
    name = ma.fields.Str()


class WorklogSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    kind = ma.fields.Str(metadata={"enum": list(services.KIND_VALUES)})
    customer_id = ma.fields.Int(allow_none=True)
    customer_name = ma.fields.Function(lambda log: log.customer.name if log.customer else None)
    happened_at = UtcDateTime()
    content = ma.fields.Str()
    text = ma.fields.Function(services.describe, metadata={
        "description": "What the log says in the caller's language (system entries: a sentence)."})
    contacts = ma.fields.List(ma.fields.Nested(WorklogContactSchema))
    next_step = ma.fields.Str()
    follow_up_on = ma.fields.Date(allow_none=True)
    plan_id = ma.fields.Int(allow_none=True)
    system = ma.fields.Bool()
    event_name = ma.fields.Str(allow_none=True)
    owner = ma.fields.Nested(WorklogPersonSchema, allow_none=True)
    editable = ma.fields.Function(lambda log: services.may_edit(current_user, log))
    created_at = UtcDateTime()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with a change."})


class WorklogPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(WorklogSchema), required=True)


class WorklogWriteSchema(ma.Schema):
    kind = ma.fields.Str(required=True, metadata={"enum": list(services.KIND_VALUES)})
    customer_id = ma.fields.Int(allow_none=True, metadata={"description": "Required for service and visit logs."})
    happened_at = ma.fields.Str(allow_none=True, metadata={
        "description": "Local time YYYY-MM-DDTHH:MM (or ISO with offset); default now."})
    content = ma.fields.Str(required=True)
    contact_ids = ma.fields.List(ma.fields.Int(), load_default=list)
    contacts_text = ma.fields.Str(load_default="", metadata={"description": "Other people met, comma separated."})
    next_step = ma.fields.Str(load_default="")
    follow_up_on = ma.fields.Str(allow_none=True, metadata={"description": "YYYY-MM-DD; opens a follow-up to-do."})


class WorklogCreateSchema(WorklogWriteSchema):
    plan_id = ma.fields.Int(allow_none=True, metadata={"description": "The visit plan this visit log fulfils."})


class WorklogPatchSchema(WorklogWriteSchema):
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed."})


class WorklogPlanSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    customer_id = ma.fields.Int()
    customer_name = ma.fields.Function(lambda plan: plan.customer.name if plan.customer else None)
    planned_on = ma.fields.Date()
    purpose = ma.fields.Str()
    status = ma.fields.Function(lambda plan: services.plan_state(plan), metadata={
        "enum": ["planned", "done", "cancelled", "missed"]})
    log_id = ma.fields.Function(lambda plan: plan.log.id if plan.log else None)
    cancel_reason = ma.fields.Str()
    owner = ma.fields.Nested(WorklogPersonSchema, allow_none=True)
    version = ma.fields.Int(required=True)


class WorklogPlanArgsSchema(ma.Schema):
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    owner_id = ma.fields.Int()
    customer_id = ma.fields.Int()
    status = ma.fields.Str(validate=ma.validate.OneOf(["planned", "done", "cancelled", "missed"]))


class WorklogPlanCreateSchema(ma.Schema):
    customer_id = ma.fields.Int(required=True)
    planned_on = ma.fields.Str(required=True, metadata={"description": "YYYY-MM-DD, today or later"})
    purpose = ma.fields.Str(required=True)


class WorklogPlanPatchSchema(ma.Schema):
    planned_on = ma.fields.Str(required=True)
    purpose = ma.fields.Str(required=True)
    version = ma.fields.Int(required=True)


class WorklogPlanCancelSchema(ma.Schema):
    reason = ma.fields.Str(load_default="", metadata={"description": "Required: why."})
    version = ma.fields.Int(required=True)


class WorklogTeamRowSchema(ma.Schema):
    user = ma.fields.Nested(WorklogPersonSchema)
    logs = ma.fields.Int()
    visits = ma.fields.Int()
    system = ma.fields.Int()


def _need(permission: str) -> None:
    if not current_user.can(permission):
        api_abort(403, permission)


def _log_or_404(log_id: int):
    try:
        return services.get_log(log_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _plan_or_404(plan_id: int):
    try:
        return services.get_plan(plan_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _input(body: dict) -> LogInput:
    return LogInput(kind=body.get("kind", ""), customer_id=body.get("customer_id"),
                    happened_at=body.get("happened_at"), content=body.get("content", ""),
                    contact_ids=body.get("contact_ids") or [], contacts_text=body.get("contacts_text", ""),
                    next_step=body.get("next_step", ""), follow_up_on=body.get("follow_up_on"),
                    plan_id=body.get("plan_id"))


@bp.route("/logs")
@api_login_required
@bp.arguments(WorklogListArgsSchema, location="query")
@bp.response(200, WorklogPageSchema)
@documents_errors(bp, 401, 403)
def list_logs(args):
    """Logs the caller may see (own; a lead's team; everything for admins), newest first."""
    _need(services.PERM_VIEW)
    filters = LogFilter(q=args.get("q"), kind=args.get("kind"), customer_id=args.get("customer_id"),
                        owner_id=args.get("owner_id"), date_from=args.get("date_from"), date_to=args.get("date_to"),
                        origin=args.get("origin"))
    return paginate(services.log_query(filters), args)


@bp.route("/logs/<int:log_id>")
@api_login_required
@bp.response(200, WorklogSchema)
@documents_errors(bp, 401, 403, 404)
def get_log(log_id: int):
    """One log."""
    _need(services.PERM_VIEW)
    return _log_or_404(log_id)


@bp.route("/logs", methods=["POST"])
@api_login_required
@bp.arguments(WorklogCreateSchema)
@bp.response(201, WorklogSchema)
@documents_errors(bp, 400, 401, 403, 409)
def create_log(body):
    """Write a log (400 names the field at fault)."""
    return commit_service_call(lambda: services.create_log(current_user, _input(body)))


@bp.route("/logs/<int:log_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(WorklogPatchSchema)
@bp.response(200, WorklogSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_log(body, log_id: int):
    """Correct one's own log within the edit window (403 after it or for system entries;
    409 when `version` is not the stored one). Send every field."""
    log = _log_or_404(log_id)
    return commit_service_call(lambda: services.update_log(current_user, log, _input(body), body["version"]))


@bp.route("/plans")
@api_login_required
@bp.arguments(WorklogPlanArgsSchema, location="query")
@bp.response(200, WorklogPlanSchema(many=True))
@documents_errors(bp, 401, 403)
def list_plans(args):
    """Visit plans in the caller's scope (at most 500), by day."""
    _need(services.PERM_VIEW)
    query = services.plan_query(args.get("date_from"), args.get("date_to"), owner_id=args.get("owner_id"),
                                customer_id=args.get("customer_id"), status=args.get("status"))
    from workbench.extensions import db

    return list(db.session.execute(query.limit(500)).unique().scalars())


@bp.route("/plans", methods=["POST"])
@api_login_required
@bp.arguments(WorklogPlanCreateSchema)
@bp.response(201, WorklogPlanSchema)
@documents_errors(bp, 400, 401, 403)
def create_plan(body):
    """Plan a visit (a to-do opens for that day)."""
    return commit_service_call(lambda: services.create_plan(current_user, body["customer_id"], body["planned_on"],
                                                            body["purpose"]))


@bp.route("/plans/<int:plan_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(WorklogPlanPatchSchema)
@bp.response(200, WorklogPlanSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_plan(body, plan_id: int):
    """Reschedule a planned visit or change its purpose."""
    plan = _plan_or_404(plan_id)
    return commit_service_call(lambda: services.update_plan(current_user, plan, body["planned_on"], body["purpose"],
                                                            body["version"]))


@bp.route("/plans/<int:plan_id>/cancel", methods=["POST"])
@api_login_required
@bp.arguments(WorklogPlanCancelSchema)
@bp.response(200, WorklogPlanSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def cancel_plan(body, plan_id: int):
    """Call a planned visit off with a reason."""
    plan = _plan_or_404(plan_id)
    return commit_service_call(lambda: services.cancel_plan(current_user, plan, body["reason"], body["version"]))


@bp.route("/team")
@api_login_required
@bp.response(200, WorklogTeamRowSchema(many=True))
@documents_errors(bp, 401, 403)
def team():
    """Logs per person this week, for everyone whose logs the caller sees."""
    _need(services.PERM_TEAM)
    return services.team_activity()
