"""Competitive intelligence over JSON (/api/v1/intel): list and read within the caller's
scope (plus what was pushed to them), record and correct items, screen them (rate, merge,
push), mark a pushed item read, the competitor list and the summary. Rules live in
services.py; out-of-scope items answer 404 like missing ones. Attachments are uploaded and
downloaded through the pages (multipart forms)."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from plugins.intel import services, summary
from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound, ServiceError

bp = Blueprint("api_intel", __name__, url_prefix="/api/v1/intel",
               description="Competitive intelligence (竞争情报): recorded by account managers, screened "
                           "(rated, tagged, merged) and pushed by intel admins.")

STATUSES = [status.value for status in services.Status]


class IntelListArgsSchema(PageArgsSchema):
    tab = ma.fields.Str(validate=ma.validate.OneOf(services.TABS), load_default="all", metadata={
        "description": "mine: recorded by me; pushed: pushed to me; all: everything I see; screening: waiting "
                       "for screening."})
    q = ma.fields.Str(validate=ma.validate.Length(max=100))
    competitor_id = ma.fields.Int()
    status = ma.fields.Str(validate=ma.validate.OneOf(STATUSES))
    value = ma.fields.Str(validate=ma.validate.OneOf(list(services.VALUES)))
    customer_id = ma.fields.Int()
    tag = ma.fields.Str(validate=ma.validate.Length(max=30))
    unread = ma.fields.Bool(load_default=False, metadata={"description": "With tab=pushed: not yet marked read."})


class IntelPersonSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    name = ma.fields.Str()


class IntelCompetitorSchema(ma.Schema):
    id = ma.fields.Int()
    name = ma.fields.Str()
    kind = ma.fields.Str(metadata={"enum": list(services.COMPETITOR_KINDS)})
    active = ma.fields.Bool()


class IntelItemSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str(required=True)
    title = ma.fields.Str()
    competitor = ma.fields.Nested(IntelCompetitorSchema)
    customer_id = ma.fields.Int(allow_none=True)
    customer_name = ma.fields.Str()
    product = ma.fields.Str()
    offer = ma.fields.Str()
    observed_on = ma.fields.Date()
    status = ma.fields.Str(metadata={"enum": STATUSES})
    value = ma.fields.Str(allow_none=True, metadata={"enum": list(services.VALUES)})
    merged_into_id = ma.fields.Int(allow_none=True, metadata={"description": "The survivor of a merged item."})
    owner = ma.fields.Nested(IntelPersonSchema, allow_none=True)
    org_unit_id = ma.fields.Int()
    push_count = ma.fields.Int()
    updated_at = UtcDateTime()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with changes and actions."})


class IntelAttachmentSchema(ma.Schema):
    id = ma.fields.Int()
    name = ma.fields.Function(lambda row: row.file.original_name)
    kind = ma.fields.Function(lambda row: row.file.kind)
    size = ma.fields.Function(lambda row: row.file.size)


class IntelPushSchema(ma.Schema):
    recipient = ma.fields.Nested(IntelPersonSchema)
    pushed_by = ma.fields.Nested(IntelPersonSchema, allow_none=True)
    pushed_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)
    done_at = UtcDateTime(allow_none=True)
    note = ma.fields.Str()


class IntelSchema(IntelItemSchema):
    opportunity_id = ma.fields.Int(allow_none=True)
    source = ma.fields.Str(metadata={"enum": list(services.SOURCES)})
    source_detail = ma.fields.Str()
    description = ma.fields.Str()
    screening_note = ma.fields.Str()
    screened_at = UtcDateTime(allow_none=True)
    tags = ma.fields.List(ma.fields.Str())
    attachments = ma.fields.List(ma.fields.Nested(IntelAttachmentSchema))
    pushes = ma.fields.List(ma.fields.Nested(IntelPushSchema), metadata={
        "description": "Who it was pushed to (intel admins of the item's scope only)."})
    pushed_to_me = ma.fields.Nested(IntelPushSchema, allow_none=True)
    created_at = UtcDateTime()
    actions = ma.fields.List(ma.fields.Str(), metadata={"description": "What the caller may do now."})


class IntelPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(IntelItemSchema), required=True)


class IntelBodySchema(ma.Schema):
    title = ma.fields.Str(required=True)
    competitor_id = ma.fields.Int(required=True)
    customer_id = ma.fields.Int(allow_none=True, load_default=None, metadata={
        "description": "A customer in the caller's scope (optional)."})
    opportunity_id = ma.fields.Int(allow_none=True, load_default=None, metadata={
        "description": "A competitive opportunity of that customer (optional)."})
    product = ma.fields.Str(load_default="")
    offer = ma.fields.Str(load_default="", metadata={"description": "Price or offer, as text."})
    source = ma.fields.Str(required=True, metadata={"enum": list(services.SOURCES)})
    source_detail = ma.fields.Str(load_default="")
    observed_on = ma.fields.Str(required=True, metadata={"description": "YYYY-MM-DD, not in the future."})
    description = ma.fields.Str(load_default="")


class IntelPatchSchema(ma.Schema):
    title = ma.fields.Str()
    competitor_id = ma.fields.Int()
    customer_id = ma.fields.Int(allow_none=True)
    opportunity_id = ma.fields.Int(allow_none=True)
    product = ma.fields.Str()
    offer = ma.fields.Str()
    source = ma.fields.Str()
    source_detail = ma.fields.Str()
    observed_on = ma.fields.Str()
    description = ma.fields.Str()
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed."})


class IntelRateSchema(ma.Schema):
    value = ma.fields.Str(required=True, metadata={"enum": list(services.VALUES)})
    tags = ma.fields.List(ma.fields.Str(), load_default=list)
    note = ma.fields.Str(load_default="")
    version = ma.fields.Int(required=True)


class IntelMergeSchema(ma.Schema):
    survivor = ma.fields.Str(required=True, metadata={"description": "Id or number (QB…) of the surviving item."})
    version = ma.fields.Int(required=True)


class IntelPushBodySchema(ma.Schema):
    recipient_ids = ma.fields.List(ma.fields.Int(), required=True)
    note = ma.fields.Str(load_default="")
    version = ma.fields.Int(required=True)


class IntelSummaryArgsSchema(ma.Schema):
    months = ma.fields.Int(validate=ma.validate.OneOf(list(summary.MONTH_CHOICES)), load_default=summary.DEFAULT_MONTHS)
    competitor_id = ma.fields.Int()
    unit = ma.fields.Int(metadata={"description": "An org unit in the caller's scope (drill-down)."})
    value = ma.fields.Str(validate=ma.validate.OneOf(list(services.VALUES)))


class IntelSeriesSchema(ma.Schema):
    key = ma.fields.Str()
    name = ma.fields.Str()
    counts = ma.fields.List(ma.fields.Int())
    total = ma.fields.Int()


class IntelSummaryResponseSchema(ma.Schema):
    months = ma.fields.List(ma.fields.Str())
    unit = ma.fields.Dict(allow_none=True)
    figures = ma.fields.Dict()
    competitors = ma.fields.List(ma.fields.Nested(IntelSeriesSchema))
    products = ma.fields.List(ma.fields.Nested(IntelSeriesSchema))
    regions = ma.fields.List(ma.fields.Nested(IntelSeriesSchema))


def _intel_or_404(intel_id: int):
    try:
        return services.get_intel(intel_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _full(intel):
    intel.actions = sorted(services.available_actions(current_user, intel))
    intel.tags = services.tags_of(intel)
    intel.attachments = services.attachments_of(intel)
    screener = current_user.can(services.PERM_SCREEN) and services.within_own_scope(current_user, intel)
    intel.pushes = services.pushes_of(intel) if screener else []
    intel.pushed_to_me = services.my_push(current_user, intel)
    return intel


def _need(permission: str) -> None:
    if not current_user.can(permission):
        api_abort(403, permission)


@bp.route("")
@api_login_required
@bp.arguments(IntelListArgsSchema, location="query")
@bp.response(200, IntelPageSchema)
@documents_errors(bp, 401, 403)
def list_intel(args):
    """Items the caller may see, newest learned first (merged ones only with status=merged)."""
    _need(services.PERM_VIEW)
    filters = services.IntelFilter(tab=args["tab"], q=args.get("q"), competitor_id=args.get("competitor_id"),
                                   status=args.get("status"), value=args.get("value"),
                                   customer_id=args.get("customer_id"), tag=args.get("tag"),
                                   unread=args.get("unread", False), user_id=current_user.id)
    return paginate(services.intel_query(filters), args)


@bp.route("/<int:intel_id>")
@api_login_required
@bp.response(200, IntelSchema)
@documents_errors(bp, 401, 403, 404)
def get_intel(intel_id: int):
    """One item with its tags, attachments, pushes and the caller's possible actions. A merged
    item answers itself with `merged_into_id` naming the survivor."""
    _need(services.PERM_VIEW)
    return _full(_intel_or_404(intel_id))


@bp.route("", methods=["POST"])
@api_login_required
@bp.arguments(IntelBodySchema)
@bp.response(201, IntelSchema)
@documents_errors(bp, 400, 401, 403)
def create_intel(body):
    """Record an item (the intel admins above the caller's unit get a screening to-do)."""
    return _full(commit_service_call(lambda: services.submit_intel(current_user, body)))


@bp.route("/<int:intel_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(IntelPatchSchema)
@bp.response(200, IntelSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_intel(body, intel_id: int):
    """Correct one's own item while it waits for screening. 409 when `version` is stale."""
    intel = _intel_or_404(intel_id)
    values = {name: value for name, value in body.items() if name != "version"}
    return _full(commit_service_call(lambda: services.update_intel(current_user, intel, values, body["version"])))


@bp.route("/<int:intel_id>/rate", methods=["POST"])
@api_login_required
@bp.arguments(IntelRateSchema)
@bp.response(200, IntelSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def rate(body, intel_id: int):
    """Rate (screen) an item: its value, tags and a note."""
    intel = _intel_or_404(intel_id)
    return _full(commit_service_call(lambda: services.rate(current_user, intel, value=body["value"], tags=body["tags"],
                                                           note=body["note"], version=body["version"])))


@bp.route("/<int:intel_id>/merge", methods=["POST"])
@api_login_required
@bp.arguments(IntelMergeSchema)
@bp.response(200, IntelSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def merge(body, intel_id: int):
    """Merge this item into the survivor; answers the survivor. Refused across scope, into
    itself, and into or of an already-merged item."""
    intel = _intel_or_404(intel_id)
    return _full(commit_service_call(lambda: services.merge(current_user, intel, body["survivor"],
                                                            version=body["version"])))


@bp.route("/<int:intel_id>/push", methods=["POST"])
@api_login_required
@bp.arguments(IntelPushBodySchema)
@bp.response(200, IntelSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def push(body, intel_id: int):
    """Push a rated item to people within the caller's scope (each gets a to-do)."""
    intel = _intel_or_404(intel_id)
    commit_service_call(lambda: services.push(current_user, intel, body["recipient_ids"], note=body["note"],
                                              version=body["version"]))
    return _full(_intel_or_404(intel_id))


@bp.route("/<int:intel_id>/read", methods=["POST"])
@api_login_required
@bp.response(200, IntelSchema)
@documents_errors(bp, 400, 401, 404)
def mark_read(intel_id: int):
    """Mark an item pushed to the caller as read (their to-do is done)."""
    intel = _intel_or_404(intel_id)
    commit_service_call(lambda: services.mark_read(current_user, intel))
    return _full(_intel_or_404(intel_id))


@bp.route("/competitors")
@api_login_required
@bp.response(200, IntelCompetitorSchema(many=True))
@documents_errors(bp, 401)
def list_competitors():
    """The maintained list of competitors (active ones first)."""
    return services.competitors(active_only=False)


@bp.route("/summary")
@api_login_required
@bp.arguments(IntelSummaryArgsSchema, location="query")
@bp.response(200, IntelSummaryResponseSchema)
@documents_errors(bp, 401, 403, 404)
def api_summary(args):
    """Items per month by competitor, product and region, in the caller's scope."""
    _need(services.PERM_SUMMARY)
    filters = summary.SummaryFilter(months=args["months"], competitor_id=args.get("competitor_id"),
                                    unit_id=args.get("unit"), value=args.get("value"))
    try:
        s = summary.build_summary(current_user, filters)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    except ServiceError as exc:  # pragma: no cover - the schema already checks the arguments
        api_abort(400, str(exc.message))

    def rows(series):
        return [{"key": row.key, "name": row.name, "counts": row.counts, "total": row.total} for row in series]

    return {"months": s.months, "unit": None if s.unit is None else {"id": s.unit.id, "name": s.unit.name},
            "figures": s.figures(), "competitors": rows(s.competitors), "products": rows(s.products),
            "regions": rows(s.regions)}
