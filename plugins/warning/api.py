"""Warnings over JSON (/api/v1/warning): list and read within the caller's scope, handle one
(the closed loop), bulk-load customer indicators, and read a customer's indicator series.
Rules live in services.py; out-of-scope warnings and customers answer 404 like missing ones."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from plugins.warning import rules, services
from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.customers.models import Customer
from workbench.errors import NotFound
from workbench.extensions import db

bp = Blueprint("api_warning", __name__, url_prefix="/api/v1/warning",
               description="Customer warnings (预警): indicators in, warnings raised by rule, handled with a record "
                           "(闭环), escalated to the lead when unhandled past their due time.")


class WarningListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100), metadata={"description": "Part of the customer name or code."})
    status = ma.fields.Str(load_default="open", validate=ma.validate.OneOf(["open", "handled", "all"]))
    severity = ma.fields.Str(validate=ma.validate.OneOf(list(rules.SEVERITIES)))
    rule = ma.fields.Str(metadata={"description": "A rule key, e.g. revenue_change."})
    mine = ma.fields.Bool(load_default=False, metadata={"description": "Only my customers' warnings."})
    escalated = ma.fields.Bool(load_default=False)
    customer_id = ma.fields.Int()


class WarningPersonSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    name = ma.fields.Str()


class WarningSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    customer_id = ma.fields.Int()
    rule = ma.fields.Str()
    rule_label = ma.fields.Function(lambda w: str(rules.rule_label(w.rule)))
    period = ma.fields.Str()
    severity = ma.fields.Str(metadata={"enum": list(rules.SEVERITIES)})
    title = ma.fields.Str()
    figures = ma.fields.Function(services.describe, metadata={"description": "The figures in one sentence."})
    value = ma.fields.Decimal(as_string=True, allow_none=True)
    baseline = ma.fields.Decimal(as_string=True, allow_none=True)
    change_pct = ma.fields.Decimal(as_string=True, allow_none=True)
    threshold = ma.fields.Decimal(as_string=True, allow_none=True)
    days = ma.fields.Int(allow_none=True)
    source = ma.fields.Str()
    status = ma.fields.Str(metadata={"enum": list(services.STATUSES)})
    owner = ma.fields.Nested(WarningPersonSchema, allow_none=True)
    org_unit_id = ma.fields.Int()
    raised_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    escalated_at = UtcDateTime(allow_none=True)
    handled_at = UtcDateTime(allow_none=True)
    action = ma.fields.Str()
    outcome = ma.fields.Str()
    note = ma.fields.Str()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back when handling."})


class WarningPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(WarningSchema), required=True)


class HandleSchema(ma.Schema):
    action = ma.fields.Str(required=True, metadata={"enum": list(services.ACTIONS)})
    outcome = ma.fields.Str(required=True, metadata={"enum": list(services.OUTCOMES)})
    note = ma.fields.Str(load_default="", metadata={"description": "Required for other / lost / false_alarm."})
    version = ma.fields.Int(required=True, metadata={"description": "The version you read; 409 if it changed."})


class MetricRowSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    customer_code = ma.fields.Str(required=True)
    period = ma.fields.Str(required=True, metadata={"description": "YYYY-MM (month) or YYYY-MM-DD (day)"})
    granularity = ma.fields.Str(load_default="month", metadata={"enum": ["month", "day"]})
    revenue = ma.fields.Raw(allow_none=True, metadata={"description": "yuan"})
    traffic = ma.fields.Raw(allow_none=True, metadata={"description": "GB"})
    balance = ma.fields.Raw(allow_none=True, metadata={"description": "yuan"})
    arrears = ma.fields.Raw(allow_none=True, metadata={"description": "yuan"})
    arrears_days = ma.fields.Raw(allow_none=True)
    members = ma.fields.Raw(allow_none=True)
    contract_end = ma.fields.Str(allow_none=True, metadata={"description": "YYYY-MM-DD"})


class MetricsBodySchema(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(MetricRowSchema), required=True,
                          metadata={"description": f"At most {services.MAX_METRIC_ROWS} rows; all or nothing."})


class MetricsResultSchema(ma.Schema):
    saved = ma.fields.Int()


class SeriesSchema(ma.Schema):
    key = ma.fields.Str()
    name = ma.fields.Str()
    data = ma.fields.List(ma.fields.Float(allow_none=True))
    axis = ma.fields.Int()


class ChartSchema(ma.Schema):
    categories = ma.fields.List(ma.fields.Str())
    series = ma.fields.List(ma.fields.Nested(SeriesSchema))
    warnings = ma.fields.List(ma.fields.Dict())
    labels = ma.fields.Dict()


class RuleSchema(ma.Schema):
    key = ma.fields.Str()
    label = ma.fields.Function(lambda r: str(r.label))
    description = ma.fields.Function(lambda r: str(r.description))
    params = ma.fields.Function(lambda r: [{"key": p.key, "label": str(p.label), "default": str(p.default_value),
                                            "minimum": str(p.minimum), "maximum": str(p.maximum), "unit": p.unit}
                                           for p in r.params])


def _require(permission: str) -> None:
    if not current_user.can(permission):
        api_abort(403, permission)


@bp.route("/warnings")
@api_login_required
@bp.arguments(WarningListArgsSchema, location="query")
@bp.response(200, WarningPageSchema)
@documents_errors(bp, 401, 403)
def list_warnings(args):
    """Warnings the caller may see, most severe and newest first."""
    _require(services.PERM_VIEW)
    filters = services.warning_filter_from({**args, "mine": "1" if args.get("mine") else "",
                                            "escalated": "1" if args.get("escalated") else ""})
    return paginate(services.warning_query(filters, actor=current_user), args)


@bp.route("/warnings/<int:warning_id>")
@api_login_required
@bp.response(200, WarningSchema)
@documents_errors(bp, 401, 403, 404)
def get_warning(warning_id: int):
    """One warning with its figures."""
    _require(services.PERM_VIEW)
    try:
        return services.get_warning(warning_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@bp.route("/warnings/<int:warning_id>/handle", methods=["POST"])
@api_login_required
@bp.arguments(HandleSchema)
@bp.response(200, WarningSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def handle(body, warning_id: int):
    """Close the loop: what was done and the outcome (400 names the field)."""
    _require(services.PERM_HANDLE)
    try:
        warning = services.get_warning(warning_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    return commit_service_call(lambda: services.handle(current_user, warning, action=body["action"],
                                                       outcome=body["outcome"], note=body["note"],
                                                       version=body["version"]))


@bp.route("/metrics", methods=["POST"])
@api_login_required
@bp.arguments(MetricsBodySchema)
@bp.response(200, MetricsResultSchema)
@documents_errors(bp, 400, 401, 403)
def post_metrics(body):
    """Load customer indicators in bulk (all rows or none; a row for an existing customer and
    period replaces its figures). 400 lists every bad row under `errors` as "row N": {field: [message]}."""
    _require(services.PERM_METRICS)
    try:
        result = services.upsert_metrics(current_user, body["rows"])
        db.session.commit()
    except services.InvalidMetrics as exc:
        db.session.rollback()
        errors: dict = {}
        for number, field, message in exc.problems:
            errors.setdefault(f"row {number}", {}).setdefault(field or "_row", []).append(str(message))
        api_abort(400, str(exc.message), errors)
    except services.ServiceError as exc:
        db.session.rollback()
        api_abort(400, str(exc.message), {exc.field or "rows": [str(exc.message)]})
    return result


@bp.route("/customers/<int:customer_id>/metrics")
@api_login_required
@bp.response(200, ChartSchema)
@documents_errors(bp, 401, 403, 404)
def customer_metrics(customer_id: int):
    """A customer's monthly indicators for the last 12 months, and the months with a warning."""
    _require(services.PERM_VIEW)
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).unique().scalar_one_or_none()
    if customer is None:
        api_abort(404, "Customer not found.")
    return services.chart_data(customer)


@bp.route("/rules")
@api_login_required
@bp.response(200, RuleSchema(many=True))
@documents_errors(bp, 401)
def list_rules():
    """The warning rules with their parameters and defaults."""
    return [rule for rule in rules.all_rules().values()]
