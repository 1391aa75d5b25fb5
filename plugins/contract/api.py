"""Contract work orders over JSON (/api/v1/contract): list and read within the caller's
scope, generate an order from an opportunity, fill it in with conflict detection, and each
step of the flow. Rules live in services.py; out-of-scope contracts answer 404 like missing
ones. Files are uploaded and downloaded through the pages (multipart forms)."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from plugins.contract import services
from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound

bp = Blueprint("api_contract", __name__, url_prefix="/api/v1/contract",
               description="Contract work orders (合同工单): draft → business review → branch review → "
                           "signed copy → (leased lines: survey and construction) → confirmation.")

STATES = [state.value for state in services.State]


class ContractListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100),
                      metadata={"description": "Part of the number, title or customer party."})
    state = ma.fields.Str(validate=ma.validate.OneOf(STATES + ["open"]))
    mine = ma.fields.Bool(load_default=False, metadata={"description": "Only those waiting for me."})
    expiring_days = ma.fields.Int(validate=ma.validate.OneOf([7, 30, 90]),
                                  metadata={"description": "Confirmed contracts ending within 7, 30 or 90 days."})


class ContractPersonSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    name = ma.fields.Str()


class ContractFileSchema(ma.Schema):
    id = ma.fields.Int()
    original_name = ma.fields.Str()
    kind = ma.fields.Str()
    size = ma.fields.Int()


class ContractSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str(required=True)
    title = ma.fields.Str()
    state = ma.fields.Str(metadata={"enum": STATES})
    opportunity_id = ma.fields.Int()
    customer_id = ma.fields.Int()
    party_a = ma.fields.Str()
    amount = ma.fields.Decimal(as_string=True, allow_none=True)
    start_date = ma.fields.Date(allow_none=True)
    end_date = ma.fields.Date(allow_none=True)
    is_leased_line = ma.fields.Bool()
    owner = ma.fields.Nested(ContractPersonSchema, allow_none=True)
    handler = ma.fields.Nested(ContractPersonSchema, allow_none=True)
    updated_at = UtcDateTime()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with changes and actions."})


class ContractStepSchema(ma.Schema):
    from_state = ma.fields.Str(allow_none=True)
    to_state = ma.fields.Str()
    action = ma.fields.Str()
    actor = ma.fields.Nested(ContractPersonSchema, allow_none=True)
    note = ma.fields.Str()
    at = UtcDateTime()


class ContractSchema(ContractSummarySchema):
    party_b = ma.fields.Str()
    products = ma.fields.Str()
    payment_terms = ma.fields.Str()
    notes = ma.fields.Str()
    construction = ma.fields.Dict()
    return_reason = ma.fields.Str()
    cancel_reason = ma.fields.Str()
    contract_file = ma.fields.Nested(ContractFileSchema, allow_none=True)
    signed_file = ma.fields.Nested(ContractFileSchema, allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    confirmed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    actions = ma.fields.List(ma.fields.Str(), metadata={"description": "What the caller may do now."})
    steps = ma.fields.List(ma.fields.Nested(ContractStepSchema))


class ContractPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ContractSummarySchema), required=True)


class ContractCreateSchema(ma.Schema):
    opportunity_id = ma.fields.Int(required=True, metadata={
        "description": "An opportunity in the contract pre-execution pool."})


class ContractPatchSchema(ma.Schema):
    title = ma.fields.Str()
    party_a = ma.fields.Str()
    party_b = ma.fields.Str()
    amount = ma.fields.Str(allow_none=True, metadata={"description": "Yuan, at most two decimals."})
    start_date = ma.fields.Str(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    end_date = ma.fields.Str(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    products = ma.fields.Str()
    payment_terms = ma.fields.Str()
    notes = ma.fields.Str()
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed."})


class ContractVersionSchema(ma.Schema):
    version = ma.fields.Int(required=True)


class ContractNoteSchema(ContractVersionSchema):
    note = ma.fields.Str(load_default="")


class ContractReasonSchema(ContractVersionSchema):
    reason = ma.fields.Str(load_default="", metadata={"description": "Required: why."})


class ContractConstructionSchema(ContractVersionSchema):
    bandwidth = ma.fields.Str(required=True, metadata={"description": "Mbps delivered"})
    sites = ma.fields.Str(required=True)
    circuit_ids = ma.fields.Str(required=True, metadata={"description": "One per line"})
    completed_on = ma.fields.Str(required=True, metadata={"description": "YYYY-MM-DD"})


class ContractStateCountSchema(ma.Schema):
    state = ma.fields.Str()
    label = ma.fields.Str()
    count = ma.fields.Int()


def _contract_or_404(contract_id: int):
    try:
        return services.get_contract(contract_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


def _full(contract):
    contract.actions = sorted(services.available_actions(current_user, contract))
    contract.steps = services.steps_of(contract)
    return contract


@bp.route("")
@api_login_required
@bp.arguments(ContractListArgsSchema, location="query")
@bp.response(200, ContractPageSchema)
@documents_errors(bp, 401, 403)
def list_contracts(args):
    """Contract work orders the caller may see, most recently changed first."""
    if not current_user.can(services.PERM_VIEW):
        api_abort(403, "contract.view")
    filters = services.ContractFilter(q=args.get("q"), state=args.get("state"), mine=args.get("mine", False),
                                      expiring_days=args.get("expiring_days"))
    return paginate(services.contract_query(filters, actor=current_user), args)


@bp.route("/states")
@api_login_required
@bp.response(200, ContractStateCountSchema(many=True))
@documents_errors(bp, 401)
def state_counts():
    """How many contracts are in each state, within the caller's scope (feeds charts)."""
    counts = services.counts_by_state()
    return [{"state": state.value, "label": str(services.STATE_LABELS[state]), "count": counts.get(state.value, 0)}
            for state in services.State]


@bp.route("/<int:contract_id>")
@api_login_required
@bp.response(200, ContractSchema)
@documents_errors(bp, 401, 404)
def get_contract(contract_id: int):
    """One contract with its steps and the actions the caller may take now."""
    return _full(_contract_or_404(contract_id))


@bp.route("", methods=["POST"])
@api_login_required
@bp.arguments(ContractCreateSchema)
@bp.response(201, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def create_contract(body):
    """Generate the work order of an opportunity in the pre-execution pool (409 if it has one)."""
    return _full(commit_service_call(lambda: services.create_contract(current_user, body["opportunity_id"])))


@bp.route("/<int:contract_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(ContractPatchSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_contract(body, contract_id: int):
    """Fill in fields of a draft or sent-back order. 409 when `version` is not the stored one."""
    contract = _contract_or_404(contract_id)
    values = {name: value for name, value in body.items() if name != "version"}
    return _full(commit_service_call(lambda: services.update_contract(current_user, contract, values, body["version"])))


def _action(contract_id: int, call):
    contract = _contract_or_404(contract_id)
    return _full(commit_service_call(lambda: call(contract)))


@bp.route("/<int:contract_id>/submit", methods=["POST"])
@api_login_required
@bp.arguments(ContractVersionSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def submit(body, contract_id: int):
    """Send the filled-in order to the business supervisor (400 names the first missing field)."""
    return _action(contract_id, lambda c: services.submit(current_user, c, version=body["version"]))


@bp.route("/<int:contract_id>/approve", methods=["POST"])
@api_login_required
@bp.arguments(ContractNoteSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def approve(body, contract_id: int):
    """Approve the business or the branch review."""
    return _action(contract_id, lambda c: services.approve(current_user, c, note=body["note"], version=body["version"]))


@bp.route("/<int:contract_id>/return", methods=["POST"])
@api_login_required
@bp.arguments(ContractReasonSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def send_back(body, contract_id: int):
    """Send the order back with a reason (required)."""
    return _action(contract_id, lambda c: services.send_back(current_user, c, body["reason"], version=body["version"]))


@bp.route("/<int:contract_id>/construction", methods=["POST"])
@api_login_required
@bp.arguments(ContractConstructionSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def construction(body, contract_id: int):
    """Record survey and construction of a leased line (fills the opportunity back)."""
    values = {name: body[name] for name in services.CONSTRUCTION_FIELDS}
    return _action(contract_id, lambda c: services.record_construction(current_user, c, values,
                                                                       version=body["version"]))


@bp.route("/<int:contract_id>/confirm", methods=["POST"])
@api_login_required
@bp.arguments(ContractVersionSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def confirm(body, contract_id: int):
    """Confirm the signed contract: the order closes and the opportunity is signed."""
    return _action(contract_id, lambda c: services.confirm(current_user, c, version=body["version"]))


@bp.route("/<int:contract_id>/cancel", methods=["POST"])
@api_login_required
@bp.arguments(ContractReasonSchema)
@bp.response(200, ContractSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def cancel(body, contract_id: int):
    """Withdraw an open order with a reason (kept, never deleted)."""
    return _action(contract_id, lambda c: services.cancel(current_user, c, body["reason"], version=body["version"]))
