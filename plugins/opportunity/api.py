"""Opportunities over JSON (/api/v1/opportunity): list and read within the caller's scope,
report one, edit it with conflict detection, move it along the flow, record follow-ups, and
read the category catalogue. Rules live in services.py; out-of-scope answers 404.
"""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import ApiError, api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.auth.models import User
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.org.models import OrgUnit
from plugins.opportunity import services
from plugins.opportunity.services import Stage

bp = Blueprint("api_opportunity", __name__, url_prefix="/api/v1/opportunity",
               description="Opportunities (商机) within the caller's data scope, and their flow.")

ACTIONS = ("publish", "claim", "award", "assign", "submit_survey", "approve_survey", "return_survey",
           "confirm", "return_confirmation", "close")


class ListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100), metadata={"description": "Title, code or customer name."})
    stage = ma.fields.Str(validate=ma.validate.OneOf([s.value for s in Stage] + ["open"]))
    kind = ma.fields.Str(validate=ma.validate.OneOf(list(services.KINDS)))
    category = ma.fields.Str(validate=ma.validate.Length(max=64), metadata={"description": "A category code."})
    customer_id = ma.fields.Int()
    mine = ma.fields.Bool(metadata={"description": "Only those waiting for the caller."})
    overdue = ma.fields.Bool()


class RefSchema(ma.Schema):
    id = ma.fields.Int()
    name = ma.fields.Str()


class CategoryRefSchema(ma.Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()


class OpportunitySummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str()
    title = ma.fields.Str()
    kind = ma.fields.Str(metadata={"enum": list(services.KINDS)})
    stage = ma.fields.Str(metadata={"enum": [s.value for s in Stage]})
    category = ma.fields.Nested(CategoryRefSchema)
    customer = ma.fields.Nested(RefSchema)
    owner = ma.fields.Nested(RefSchema, allow_none=True)
    handler = ma.fields.Nested(RefSchema, allow_none=True)
    stage_due_at = UtcDateTime(allow_none=True)
    expected_revenue = ma.fields.Decimal(as_string=True, allow_none=True)
    signed_revenue = ma.fields.Decimal(as_string=True, allow_none=True)
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with changes and transitions."})


class StepSchema(ma.Schema):
    from_stage = ma.fields.Str(allow_none=True)
    to_stage = ma.fields.Str()
    action = ma.fields.Str()
    actor_id = ma.fields.Int(allow_none=True)
    handler_id = ma.fields.Int(allow_none=True)
    note = ma.fields.Str()
    at = UtcDateTime()


class FollowUpSchema(ma.Schema):
    id = ma.fields.Int()
    kind = ma.fields.Str()
    note = ma.fields.Str()
    happened_at = UtcDateTime()
    author_id = ma.fields.Int(allow_none=True)


class OpportunitySchema(OpportunitySummarySchema):
    description = ma.fields.Str()
    details = ma.fields.Dict(metadata={"description": "The category's extra fields."})
    source = ma.fields.Str()
    contract_id = ma.fields.Int(allow_none=True)
    pool_closes_at = UtcDateTime(allow_none=True)
    closed_reason = ma.fields.Str()
    created_at = UtcDateTime()
    last_followup_at = UtcDateTime(allow_none=True)
    steps = ma.fields.Method("get_steps")
    followups = ma.fields.Method("get_followups")

    def get_steps(self, obj):
        return StepSchema(many=True).dump(services.steps_of(obj))

    def get_followups(self, obj):
        return FollowUpSchema(many=True).dump(services.followups_of(obj, limit=50))


class OpportunityPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(OpportunitySummarySchema), required=True)


class CreateSchema(ma.Schema):
    customer_id = ma.fields.Int(required=True)
    kind = ma.fields.Str(required=True, metadata={"enum": list(services.KINDS)})
    category = ma.fields.Str(required=True, metadata={"description": "A category code (GET /categories)."})
    title = ma.fields.Str(required=True)
    description = ma.fields.Str(load_default="")
    expected_revenue = ma.fields.Raw(load_default=None, metadata={"description": "Yuan, a number or a string."})
    details = ma.fields.Dict(load_default=dict)


class PatchSchema(ma.Schema):
    title = ma.fields.Str()
    description = ma.fields.Str()
    kind = ma.fields.Str()
    expected_revenue = ma.fields.Raw(allow_none=True)
    details = ma.fields.Dict()
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed since."})


class TransitionSchema(ma.Schema):
    action = ma.fields.Str(required=True, validate=ma.validate.OneOf(ACTIONS))
    version = ma.fields.Int(load_default=None, metadata={"description": "The version you read; 409 if it changed."})
    note = ma.fields.Str(load_default="")
    unit_id = ma.fields.Int(load_default=None, metadata={"description": "publish: the unit whose AMs may claim."})
    claim_hours = ma.fields.Int(load_default=None, metadata={"description": "publish: the claim window."})
    claim_id = ma.fields.Int(load_default=None, metadata={"description": "award: the claim chosen."})
    assignee_id = ma.fields.Int(load_default=None, metadata={"description": "assign: the account manager."})
    report = ma.fields.Str(load_default="", metadata={"description": "submit_survey: the survey report."})
    reason = ma.fields.Str(load_default="", metadata={"description": "close: why."})


class FollowUpInSchema(ma.Schema):
    kind = ma.fields.Str(required=True, metadata={"enum": list(services.FOLLOWUP_KINDS)})
    note = ma.fields.Str(required=True)


class FieldSchema(ma.Schema):
    key = ma.fields.Str()
    label = ma.fields.Str()
    label_zh = ma.fields.Str()
    type = ma.fields.Str()
    required = ma.fields.Bool()
    choices = ma.fields.List(ma.fields.Str())
    group = ma.fields.Str()


class CategorySchema(ma.Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    name_en = ma.fields.Str()
    parent_id = ma.fields.Int(allow_none=True)
    is_ict = ma.fields.Bool()
    is_leased_line = ma.fields.Bool()
    fields = ma.fields.List(ma.fields.Nested(FieldSchema))


def _item_or_404(opportunity_id: int):
    try:
        return services.get_opportunity(opportunity_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _need(permission: str):
    if not current_user.can(permission):
        api_abort(403, "Forbidden")


def _call(action):
    return commit_service_call(action)


def _details_errors(action):
    """Every bad category field at once, as details.<key> (a plain ServiceError names one)."""

    def run():
        try:
            return action()
        except services.DetailsInvalid as exc:
            db.session.rollback()
            raise ApiError(400, str(exc.message), {f"details.{k}": [str(v)] for k, v in exc.errors.items()}) from None
    return run


@bp.route("")
@api_login_required
@bp.arguments(ListArgsSchema, location="query")
@bp.response(200, OpportunityPageSchema)
@documents_errors(bp, 401, 403)
def list_opportunities(args):
    """Opportunities the caller may see, most urgent step first."""
    _need(services.PERM_VIEW)
    filters = services.OpportunityFilter(q=args.get("q"), stage=args.get("stage"), kind=args.get("kind"),
                                         category=args.get("category"), customer_id=args.get("customer_id"),
                                         mine=bool(args.get("mine")), overdue=bool(args.get("overdue")),
                                         user_id=current_user.id)
    return paginate(services.opportunity_query(filters), args)


@bp.route("", methods=["POST"])
@api_login_required
@bp.arguments(CreateSchema)
@bp.response(201, OpportunitySchema)
@documents_errors(bp, 400, 401, 403)
def create_opportunity(body):
    """Report an opportunity. 400 names the field that breaks a rule (category fields as
    details.<key>, all of them at once); a customer outside your scope is refused like an
    unknown one."""
    return _call(_details_errors(lambda: services.create_opportunity(
        current_user, customer=body["customer_id"], kind=body["kind"], category_code=body["category"],
        title=body["title"], description=body["description"], expected_revenue=body["expected_revenue"],
        details=body["details"], source="api")))


@bp.route("/categories")
@api_login_required
@bp.response(200, CategorySchema(many=True))
@documents_errors(bp, 401)
def list_categories():
    """The business categories offered, with the extra fields each one asks for."""
    return services.categories()


@bp.route("/<int:opportunity_id>")
@api_login_required
@bp.response(200, OpportunitySchema)
@documents_errors(bp, 401, 403, 404)
def get_opportunity(opportunity_id: int):
    """One opportunity with its category fields, flow steps and follow-ups."""
    return _item_or_404(opportunity_id)


@bp.route("/<int:opportunity_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(PatchSchema)
@bp.response(200, OpportunitySchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_opportunity(body, opportunity_id: int):
    """Change the title, description, kind, expected revenue or category fields; `version`
    must be the one read (409 otherwise, nothing saved)."""
    item = _item_or_404(opportunity_id)
    values = {key: value for key, value in body.items() if key != "version"}
    return _call(_details_errors(lambda: services.update_opportunity(current_user, item, values, body["version"])))


@bp.route("/<int:opportunity_id>/transitions", methods=["POST"])
@api_login_required
@bp.arguments(TransitionSchema)
@bp.response(200, OpportunitySchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def transition(body, opportunity_id: int):
    """Move the opportunity on: publish, claim, award, assign, submit_survey,
    approve_survey / return_survey, confirm / return_confirmation, close. 403 without the
    right for the step; 400 for a step that does not apply now (the message says why); 409
    when someone else moved it first."""
    item = _item_or_404(opportunity_id)
    action, version, note = body["action"], body["version"], body["note"]

    def run():
        if action == "publish":
            unit = db.session.get(OrgUnit, body["unit_id"]) if body["unit_id"] else None
            return services.publish_to_pool(item, current_user, unit=unit, claim_hours=body["claim_hours"],
                                            note=note, version=version)
        if action == "claim":
            services.claim(item, current_user, note=note)
            return item
        if action == "award":
            if not body["claim_id"]:
                raise ServiceError("claim_id is required.", field="claim_id")
            return services.award(item, current_user, claim_id=body["claim_id"], note=note, version=version)
        if action == "assign":
            assignee = db.session.get(User, body["assignee_id"]) if body["assignee_id"] else None
            if assignee is None:
                raise ServiceError("assignee_id is required.", field="assignee_id")
            return services.assign(item, current_user, assignee=assignee, note=note, version=version)
        if action == "submit_survey":
            return services.submit_survey(item, current_user, report=body["report"] or note, version=version)
        if action in ("approve_survey", "return_survey"):
            return services.review_survey(item, current_user, approve=action == "approve_survey", note=note,
                                          version=version)
        if action in ("confirm", "return_confirmation"):
            return services.confirm(item, current_user, approve=action == "confirm", note=note, version=version)
        return services.close(item, current_user, reason=body["reason"] or note, version=version)

    return _call(run)


@bp.route("/<int:opportunity_id>/followups", methods=["POST"])
@api_login_required
@bp.arguments(FollowUpInSchema)
@bp.response(201, FollowUpSchema)
@documents_errors(bp, 400, 401, 403, 404)
def add_followup(body, opportunity_id: int):
    """Record a visit, call, note or proposal on the opportunity."""
    item = _item_or_404(opportunity_id)
    return _call(lambda: services.record_followup(item, current_user, kind=body["kind"], note=body["note"]))
