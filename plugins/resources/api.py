"""Resources over JSON (/api/v1/resources): the catalogue an account manager can draw from,
requests (list, read, create) and each step of their flow with conflict detection, stock with
its ledger movements for administrators, and the issued-value report. Rules live in
services.py; out-of-scope records answer 404 like missing ones. The photo of use is
uploaded through the page (a multipart form); the API confirms use with a note."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from plugins.resources import services
from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound, ServiceError

bp = Blueprint("api_resources", __name__, url_prefix="/api/v1/resources",
               description="Resource requests (资源申请): catalogue and stock per unit, requests with configurable "
                           "approval steps, reservation at final approval, issue and confirmed use.")

STATES = [state.value for state in services.State]


def _require(permission: str) -> None:
    if not current_user.can(permission):
        api_abort(403, permission)


class ResourcesCatalogueArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100),
                      metadata={"description": "Part of the name or code, or pinyin initials (lp)."})
    type_id = ma.fields.Int()
    available_only = ma.fields.Bool(load_default=False)
    managed = ma.fields.Bool(load_default=False, metadata={
        "description": "Stock of the units I manage (resources.manage) instead of the stock I draw from."})


class ResourcesItemSchema(ma.Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    measure = ma.fields.Str()
    unit_value = ma.fields.Decimal(as_string=True)
    type_id = ma.fields.Int()


class ResourcesUnitSchema(ma.Schema):
    id = ma.fields.Int()
    name = ma.fields.Str()


class ResourcesStockSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    item = ma.fields.Nested(ResourcesItemSchema)
    org_unit = ma.fields.Nested(ResourcesUnitSchema)
    on_hand = ma.fields.Int()
    reserved = ma.fields.Int()
    available = ma.fields.Int()
    low_threshold = ma.fields.Int()


class ResourcesStockPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ResourcesStockSchema), required=True)


class ResourcesPersonSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    name = ma.fields.Str()


class ResourcesLineSchema(ma.Schema):
    stock_id = ma.fields.Int()
    item_id = ma.fields.Int()
    name = ma.fields.Str()
    quantity = ma.fields.Int()
    unit_value = ma.fields.Decimal(as_string=True)
    value = ma.fields.Decimal(as_string=True)


class ResourcesRequestSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str()
    title = ma.fields.Str()
    state = ma.fields.Str(metadata={"enum": STATES})
    customer_id = ma.fields.Int()
    type_id = ma.fields.Int()
    total_value = ma.fields.Decimal(as_string=True)
    step_index = ma.fields.Int()
    owner = ma.fields.Nested(ResourcesPersonSchema, allow_none=True)
    submitted_at = UtcDateTime()
    updated_at = UtcDateTime()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with every action."})


class ResourcesStepSchema(ma.Schema):
    action = ma.fields.Str()
    step_index = ma.fields.Int(allow_none=True)
    to_state = ma.fields.Str()
    actor = ma.fields.Nested(ResourcesPersonSchema, allow_none=True)
    note = ma.fields.Str()
    at = UtcDateTime()


class ResourcesRequestSchema(ResourcesRequestSummarySchema):
    purpose = ma.fields.Str()
    steps = ma.fields.List(ma.fields.Dict(), metadata={"description": "The approval chain of this request."})
    lines = ma.fields.List(ma.fields.Nested(ResourcesLineSchema))
    reject_reason = ma.fields.Str()
    cancel_reason = ma.fields.Str()
    use_note = ma.fields.Str()
    approved_at = UtcDateTime(allow_none=True)
    issued_at = UtcDateTime(allow_none=True)
    used_at = UtcDateTime(allow_none=True)
    actions = ma.fields.List(ma.fields.Str(), metadata={"description": "What the caller may do now."})
    history = ma.fields.List(ma.fields.Nested(ResourcesStepSchema))


class ResourcesRequestPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ResourcesRequestSummarySchema), required=True)


class ResourcesRequestListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100))
    state = ma.fields.Str(validate=ma.validate.OneOf(STATES + ["open"]))
    mine = ma.fields.Bool(load_default=False)
    waiting = ma.fields.Bool(load_default=False, metadata={"description": "Waiting for my decision or issue."})
    customer_id = ma.fields.Int()


class ResourcesLineInSchema(ma.Schema):
    stock_id = ma.fields.Int(required=True)
    quantity = ma.fields.Int(required=True)


class ResourcesRequestCreateSchema(ma.Schema):
    customer_id = ma.fields.Int(required=True)
    title = ma.fields.Str(required=True)
    purpose = ma.fields.Str(required=True)
    lines = ma.fields.List(ma.fields.Nested(ResourcesLineInSchema), required=True)


class ResourcesVersionSchema(ma.Schema):
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed."})


class ResourcesNoteSchema(ResourcesVersionSchema):
    note = ma.fields.Str(load_default="")


class ResourcesReasonSchema(ResourcesVersionSchema):
    reason = ma.fields.Str(load_default="", metadata={"description": "Required: why."})


class ResourcesMovementSchema(ma.Schema):
    kind = ma.fields.Str(required=True, validate=ma.validate.OneOf(services.MOVEMENT_KINDS))
    quantity = ma.fields.Int(required=True, metadata={"description": "Above zero; an adjustment may be negative."})
    reason = ma.fields.Str(required=True)


class ResourcesEntrySchema(ma.Schema):
    id = ma.fields.Int()
    kind = ma.fields.Str()
    on_hand_delta = ma.fields.Int()
    reserved_delta = ma.fields.Int()
    on_hand_after = ma.fields.Int()
    reserved_after = ma.fields.Int()
    reason = ma.fields.Str()
    request_id = ma.fields.Int(allow_none=True)
    at = UtcDateTime()


class ResourcesReportArgsSchema(ma.Schema):
    group = ma.fields.Str(load_default="unit", validate=ma.validate.OneOf(services.REPORT_GROUPS))
    month_from = ma.fields.Str(metadata={"description": "YYYY-MM"})
    month_to = ma.fields.Str(metadata={"description": "YYYY-MM"})
    type_id = ma.fields.Int()


class ResourcesReportRowSchema(ma.Schema):
    key = ma.fields.Raw()
    label = ma.fields.Str()
    requests = ma.fields.Int()
    quantity = ma.fields.Int()
    value = ma.fields.Decimal(as_string=True)


def _request_or_404(request_id: int):
    try:
        return services.get_request(request_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _full(item):
    item.actions = sorted(services.available_actions(current_user, item))
    item.history = services.steps_of(item)
    return item


@bp.route("/stock")
@api_login_required
@bp.arguments(ResourcesCatalogueArgsSchema, location="query")
@bp.response(200, ResourcesStockPageSchema)
@documents_errors(bp, 401, 403)
def list_stock(args):
    """The catalogue with stock: what I can draw from (my unit and above), or what I manage."""
    _require(services.PERM_VIEW)
    if args.get("managed"):
        _require(services.PERM_MANAGE)
    filters = services.CatalogueFilter(q=args.get("q"), type_id=args.get("type_id"),
                                       available_only=args.get("available_only", False),
                                       managed_only=args.get("managed", False))
    return paginate(services.stock_query(current_user, filters), args)


@bp.route("/stock/<int:stock_id>/movements", methods=["GET"])
@api_login_required
@bp.response(200, ResourcesEntrySchema(many=True))
@documents_errors(bp, 401, 403, 404)
def list_movements(stock_id: int):
    """The ledger of one stock, newest first (stock administrators)."""
    _require(services.PERM_MANAGE)
    try:
        stock = services.get_stock(stock_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    return services.ledger_of(stock)


@bp.route("/stock/<int:stock_id>/movements", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesMovementSchema)
@bp.response(201, ResourcesEntrySchema)
@documents_errors(bp, 400, 401, 403, 404)
def record_movement(body, stock_id: int):
    """Goods in, goods out or an adjustment, with a reason (never below what is reserved)."""
    try:
        stock = services.get_stock(stock_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    return commit_service_call(lambda: services.record_movement(current_user, stock, body["kind"], body["quantity"],
                                                                body["reason"]))


@bp.route("/requests")
@api_login_required
@bp.arguments(ResourcesRequestListArgsSchema, location="query")
@bp.response(200, ResourcesRequestPageSchema)
@documents_errors(bp, 401, 403)
def list_requests(args):
    """Resource requests the caller may see, most recently changed first."""
    _require(services.PERM_VIEW)
    filters = services.RequestFilter(q=args.get("q"), state=args.get("state"), mine=args.get("mine", False),
                                     waiting=args.get("waiting", False), customer_id=args.get("customer_id"))
    return paginate(services.request_query(filters, actor=current_user), args)


@bp.route("/requests/<int:request_id>")
@api_login_required
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 401, 404)
def get_request(request_id: int):
    """One request with its lines, approval chain, history and the caller's actions."""
    return _full(_request_or_404(request_id))


@bp.route("/requests", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesRequestCreateSchema)
@bp.response(201, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403)
def create_request(body):
    """Request items (of one resource type, from stock my unit can draw from) for a customer."""
    return _full(commit_service_call(lambda: services.create_request(
        current_user, customer_id=body["customer_id"], title=body["title"], purpose=body["purpose"],
        lines=body["lines"])))


def _action(request_id: int, call):
    item = _request_or_404(request_id)
    return _full(commit_service_call(lambda: call(item)))


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesNoteSchema)
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def approve(body, request_id: int):
    """Approve the current step; the last step reserves the stock (400 when not enough is left)."""
    return _action(request_id, lambda r: services.approve(current_user, r, body["note"], version=body["version"]))


@bp.route("/requests/<int:request_id>/reject", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesReasonSchema)
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def reject(body, request_id: int):
    """Reject at the current step, with a reason (required)."""
    return _action(request_id, lambda r: services.reject(current_user, r, body["reason"], version=body["version"]))


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesReasonSchema)
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def cancel(body, request_id: int):
    """The requester cancels before issue (a reservation is released); reason required."""
    return _action(request_id, lambda r: services.cancel(current_user, r, body["reason"], version=body["version"]))


@bp.route("/requests/<int:request_id>/issue", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesNoteSchema)
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def issue(body, request_id: int):
    """Record the hand-over: on hand and reserved go down by each line's quantity."""
    return _action(request_id, lambda r: services.issue(current_user, r, body["note"], version=body["version"]))


@bp.route("/requests/<int:request_id>/confirm", methods=["POST"])
@api_login_required
@bp.arguments(ResourcesNoteSchema)
@bp.response(200, ResourcesRequestSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def confirm(body, request_id: int):
    """The requester confirms the use with a note (a photo goes through the page)."""
    return _action(request_id, lambda r: services.confirm_use(current_user, r, note=body["note"],
                                                              version=body["version"]))


@bp.route("/report")
@api_login_required
@bp.arguments(ResourcesReportArgsSchema, location="query")
@bp.response(200, ResourcesReportRowSchema(many=True))
@documents_errors(bp, 400, 401, 403)
def report(args):
    """Issued value by unit, resource type or month, within the caller's scope."""
    _require(services.PERM_REPORT)
    try:
        return services.issued_report(args["group"], args.get("month_from"), args.get("month_to"),
                                      args.get("type_id"))
    except ServiceError as exc:
        api_abort(400, str(exc.message))
