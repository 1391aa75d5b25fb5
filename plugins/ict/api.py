"""ICT projects over JSON (/api/v1/ict): list and read within the caller's scope (plus the
projects whose team they are on), start a project and move it through its stages. Rules live
in services.py; a project out of reach answers 404 like a missing one."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound

from plugins.ict import services

bp = Blueprint("api_ict", __name__, url_prefix="/api/v1/ict",
               description="ICT projects (ICT项目): discovery → review → monitoring → closed / abandoned.")

STAGES = list(services.STAGE_LABELS)


class ProjectListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100),
                      metadata={"description": "Part of the name, the code or the customer's name."})
    stage = ma.fields.Str(validate=ma.validate.OneOf(STAGES + ["open"]))
    customer_id = ma.fields.Int()
    mine = ma.fields.Str(validate=ma.validate.OneOf(["mine", "team"]),
                         metadata={"description": "mine: projects I own; team: projects I am on the team of."})


class MemberSchema(ma.Schema):
    id = ma.fields.Int()
    user_id = ma.fields.Int()
    name = ma.fields.Function(lambda m: m.user.name if m.user else "")
    role = ma.fields.Str()


class MilestoneSchema(ma.Schema):
    id = ma.fields.Int()
    title = ma.fields.Str()
    planned_date = ma.fields.Date()
    actual_date = ma.fields.Date(allow_none=True)
    done = ma.fields.Bool()


class ProjectSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str(required=True)
    name = ma.fields.Str(required=True)
    customer_id = ma.fields.Int()
    category_code = ma.fields.Str()
    stage = ma.fields.Str(metadata={"enum": STAGES})
    estimated_value = ma.fields.Decimal(as_string=True, allow_none=True)
    confirmed_value = ma.fields.Decimal(as_string=True, allow_none=True)
    expected_start = ma.fields.Date(allow_none=True)
    expected_end = ma.fields.Date(allow_none=True)
    owner_id = ma.fields.Int(allow_none=True)
    handler_id = ma.fields.Int(allow_none=True)
    opportunity_id = ma.fields.Int(allow_none=True, metadata={"description": "The linked opportunity work order."})
    outcome = ma.fields.Str()
    updated_at = UtcDateTime()
    version = ma.fields.Int()


class WorkOrderSchema(ma.Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    stage = ma.fields.Str()
    handler_name = ma.fields.Str()
    due_at = UtcDateTime(allow_none=True)


class ProjectSchema(ProjectSummarySchema):
    scope_of_work = ma.fields.Str()
    abandon_reason = ma.fields.Str()
    signed_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    members = ma.fields.Method("_members")
    milestones = ma.fields.Method("_milestones")
    work_order = ma.fields.Method("_work_order")

    def _members(self, project):
        return MemberSchema(many=True).dump(services.active_members(project))

    def _milestones(self, project):
        return MilestoneSchema(many=True).dump(services.milestones_of(project))

    def _work_order(self, project):
        order = services.work_order(project)
        return WorkOrderSchema().dump(order) if order else None


class ProjectPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProjectSummarySchema), required=True)


class ProjectCreateSchema(ma.Schema):
    customer_id = ma.fields.Int(required=True)
    name = ma.fields.Str(required=True, metadata={"maxLength": services.NAME_MAX})
    scope_of_work = ma.fields.Str(load_default="")
    estimated_value = ma.fields.Decimal(allow_none=True, load_default=None)
    expected_start = ma.fields.Date(allow_none=True, load_default=None)
    expected_end = ma.fields.Date(allow_none=True, load_default=None)
    category_code = ma.fields.Str(allow_none=True, load_default=None)
    opportunity_id = ma.fields.Int(allow_none=True, load_default=None)


class ReasonSchema(ma.Schema):
    reason = ma.fields.Str(required=True)


class ApproveSchema(ma.Schema):
    note = ma.fields.Str(load_default="")


def _project_or_404(project_id: int):
    if not current_user.can(services.PERM_VIEW):
        api_abort(403, "You may not see ICT projects.")
    try:
        return services.get_project(project_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@bp.route("/projects")
@api_login_required
@bp.arguments(ProjectListArgsSchema, location="query")
@bp.response(200, ProjectPageSchema)
@documents_errors(bp, 401, 403)
def list_projects(args):
    """Projects the caller may see (their scope, plus the teams they are on), latest change first."""
    if not current_user.can(services.PERM_VIEW):
        api_abort(403, "You may not see ICT projects.")
    filters = services.ProjectFilter(q=args.get("q"), stage=args.get("stage"), customer_id=args.get("customer_id"),
                                     mine=args.get("mine"))
    return paginate(services.project_query(current_user, filters), args)


@bp.route("/projects", methods=["POST"])
@api_login_required
@bp.arguments(ProjectCreateSchema)
@bp.response(201, ProjectSchema)
@documents_errors(bp, 400, 401, 403)
def create_project(body):
    """Start a project in discovery for a customer of the caller."""
    return commit_service_call(lambda: services.create_project(current_user, **body))


@bp.route("/projects/<int:project_id>")
@api_login_required
@bp.response(200, ProjectSchema)
@documents_errors(bp, 401, 403, 404)
def get_project(project_id: int):
    """One project with its team, milestones and the progress of its work order."""
    return _project_or_404(project_id)


@bp.route("/projects/<int:project_id>/submit", methods=["POST"])
@api_login_required
@bp.response(200, ProjectSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def submit(project_id: int):
    """Discovery → review (the nearest reviewer gets a to-do)."""
    project = _project_or_404(project_id)
    return commit_service_call(lambda: services.submit_for_review(current_user, project))


@bp.route("/projects/<int:project_id>/approve", methods=["POST"])
@api_login_required
@bp.arguments(ApproveSchema)
@bp.response(200, ProjectSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def approve(body, project_id: int):
    """Review → monitoring; creates and links the opportunity work order."""
    project = _project_or_404(project_id)
    return commit_service_call(lambda: services.approve(current_user, project, body.get("note", "")))


@bp.route("/projects/<int:project_id>/return", methods=["POST"])
@api_login_required
@bp.arguments(ReasonSchema)
@bp.response(200, ProjectSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def return_for_revision(body, project_id: int):
    """Review → discovery with a reason."""
    project = _project_or_404(project_id)
    return commit_service_call(lambda: services.return_for_revision(current_user, project, body["reason"]))


@bp.route("/projects/<int:project_id>/abandon", methods=["POST"])
@api_login_required
@bp.arguments(ReasonSchema)
@bp.response(200, ProjectSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def abandon(body, project_id: int):
    """Any open stage → abandoned, with a reason."""
    project = _project_or_404(project_id)
    return commit_service_call(lambda: services.abandon(current_user, project, body["reason"]))
