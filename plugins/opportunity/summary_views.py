"""Pages of the opportunity summary (商机汇总) and of the monthly targets, on the plugin's
blueprint: the summary page, one JSON endpoint per chart (ECharts renders them in the
browser), an .xlsx export of every table, the targets admin page, the "my month vs target"
widget, and the JSON API /api/v1/opportunity-summary (a flask-smorest blueprint, `api_bp`).

Views are thin: the figures come from plugins.opportunity.summary, computed in the reader's
data scope like every other query, so the page, the charts and the files always agree.
"""
from __future__ import annotations

import io
from decimal import Decimal

import marshmallow as ma
from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from flask_smorest import Blueprint as ApiBlueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, documents_errors

from workbench.auth.models import User
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.exports.writer import write_workbook
from workbench.extensions import db
from workbench.org.models import OrgUnit

from plugins.opportunity import summary
from plugins.opportunity.views import bp

CHARTS = ("business_types", "leased_lines", "departments", "per_capita", "targets")
TABLES = ("figures", "business_types", "leased_lines", "departments", "targets")


def _require_summary() -> None:
    if not current_user.can(summary.VIEW_SUMMARY):
        abort(403)


def _filters():
    filters, errors = summary.SummaryFilter.from_args(request.args)
    return filters, errors


def _build(filters) -> summary.Summary:
    try:
        return summary.build_summary(current_user, filters)
    except NotFound:
        abort(404)


def _money(value) -> float:
    return float(value or 0)


@bp.app_template_filter("summary_money")
def summary_money(value) -> str:
    """An amount in yuan for a card or a table: ¥1,234,567 (cents only when there are some)."""
    if value is None:
        return "—"
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"¥{amount:,.0f}"
    return f"¥{amount:,.2f}"


@bp.route("/summary")
@auth_required("session")
def summary_page():
    _require_summary()
    filters, errors = _filters()
    result = _build(filters)
    return render_template(
        "opportunity/summary.html", s=result, filters=filters, errors=errors,
        periods=summary.PERIODS, kinds=summary.KINDS, categories=summary.category_choices(),
        trail=summary.breadcrumb(current_user, result.unit), args=filters.as_args(),
        can_manage_targets=summary.can_manage_targets(current_user), charts=CHARTS, tables=TABLES,
    )


# --- JSON for the charts -----------------------------------------------------------------

def _chart_payload(chart: str, s: summary.Summary) -> dict:
    if chart == "business_types":
        return {
            "categories": [row.name for row in s.types],
            "series": [{"key": w.key, "name": str(w.label), "data": [row.counts[w.key] for row in s.types]}
                       for w in s.type_windows],
            "revenue": [{"key": w.key, "name": str(w.label), "data": [_money(row.revenue[w.key]) for row in s.types]}
                        for w in s.type_windows],
            "labels": {"count": _("Opportunities"), "revenue": _("Expected revenue (yuan)")},
        }
    if chart == "leased_lines":
        rows = s.leased_lines
        return {
            "categories": [row.name for row in rows],
            "series": [
                {"key": "reported", "name": _("Reported"), "type": "bar", "data": [row.reported for row in rows]},
                {"key": "converted", "name": _("Converted"), "type": "bar", "data": [row.converted for row in rows]},
                {"key": "expected_revenue", "name": _("Expected revenue (yuan)"), "type": "line", "axis": 1,
                 "data": [_money(row.expected_revenue) for row in rows]},
                {"key": "converted_revenue", "name": _("Converted revenue (yuan)"), "type": "line", "axis": 1,
                 "data": [_money(row.converted_revenue) for row in rows]},
            ],
            "labels": {"count": _("Opportunities"), "revenue": _("Yuan")},
        }
    branch_rows = s.branches if s.shows_branches else []
    names = [_unit_label(row) for row in branch_rows]
    if chart == "departments":
        return {
            "categories": names,
            "unit_ids": [None if row.is_base or not row.has_children else row.unit_id for row in branch_rows],
            "series": [
                {"key": "reported", "name": _("Reported"), "type": "bar", "data": [row.reported for row in branch_rows]},
                {"key": "converted", "name": _("Converted"), "type": "bar", "data": [row.converted for row in branch_rows]},
                {"key": "signed", "name": _("Signed"), "type": "bar", "data": [row.signed for row in branch_rows]},
                {"key": "converted_revenue", "name": _("Converted revenue (yuan)"), "type": "line", "axis": 1,
                 "data": [_money(row.converted_revenue) for row in branch_rows]},
            ],
            "labels": {"count": _("Opportunities"), "revenue": _("Yuan")},
        }
    if chart == "per_capita":
        return {
            "categories": names,
            "series": [
                {"key": "per_capita", "name": _("Opportunities per account manager"), "type": "bar",
                 "data": [row.per_capita for row in branch_rows]},
                {"key": "account_managers", "name": _("Account managers"), "type": "line", "axis": 1,
                 "data": [row.account_managers for row in branch_rows]},
            ],
            "labels": {"count": _("Per account manager"), "revenue": _("People")},
        }
    if chart == "targets":
        return {
            "progress": s.progress.as_dict(),
            "categories": names,
            "series": [
                {"key": "target", "name": _("Revenue target (yuan)"), "type": "bar",
                 "data": [None if row.month_target_revenue is None else _money(row.month_target_revenue)
                          for row in branch_rows]},
                {"key": "converted", "name": _("Converted this month (yuan)"), "type": "bar",
                 "data": [_money(row.month_converted_revenue) for row in branch_rows]},
            ],
            "labels": {"count": _("Yuan"), "revenue": ""},
        }
    abort(404)


def _unit_label(row: summary.BranchRow) -> str:
    return _("%(unit)s (directly)", unit=row.name) if row.is_base else row.name


@bp.route("/summary/data/<chart>.json")
@auth_required("session")
def summary_chart(chart: str):
    _require_summary()
    if chart not in CHARTS:
        abort(404)
    filters, errors = _filters()
    s = _build(filters)
    payload = _chart_payload(chart, s)
    payload.update({"chart": chart, "figures": s.figures.as_dict(), "period": {
        "key": s.window.key, "label": str(s.window.label),
        "start": s.window.start.isoformat(), "end": s.window.last_day.isoformat()}, "errors": errors})
    return jsonify(payload)


# --- .xlsx of every table ----------------------------------------------------------------

def _table(table: str, s: summary.Summary) -> tuple[str, list[str], list[list]]:
    if table == "figures":
        f = s.figures
        p = s.progress
        rows = [
            [_("Opportunities reported"), f.reported], [_("Demand"), f.demand], [_("Competitive"), f.competitive],
            [_("Converted"), f.converted], [_("Signed"), f.signed], [_("Closed"), f.closed],
            [_("Conversion rate (%)"), f.conversion_rate],
            [_("Expected revenue (yuan)"), f.expected_revenue], [_("Potential revenue (yuan)"), f.potential_revenue],
            [_("Converted revenue (yuan)"), f.converted_revenue], [_("Signed revenue (yuan)"), f.signed_revenue],
            [_("Revenue target this month (yuan)"), p.revenue_target],
            [_("Converted this month (yuan)"), p.converted_revenue],
            [_("Leased-line target this month"), p.leased_line_target],
            [_("Leased lines converted this month"), p.converted_leased_lines],
        ]
        return _("Summary"), [_("Figure"), _("Value")], rows
    if table == "business_types":
        headers = [_("Business type")]
        for w in s.type_windows:
            headers.append(_("%(period)s: opportunities", period=w.label))
        for w in s.type_windows:
            headers.append(_("%(period)s: expected revenue (yuan)", period=w.label))
        rows = [[row.name, *[row.counts[w.key] for w in s.type_windows], *[row.revenue[w.key] for w in s.type_windows]]
                for row in s.types]
        return _("By business type"), headers, rows
    if table == "leased_lines":
        headers = [_("Leased-line type"), _("Reported"), _("Expected revenue (yuan)"), _("Converted"),
                   _("Converted revenue (yuan)")]
        rows = [[row.name, row.reported, row.expected_revenue, row.converted, row.converted_revenue]
                for row in s.leased_lines]
        return _("Leased lines"), headers, rows
    branch_rows = s.branches if s.shows_branches else []
    if table == "departments":
        headers = [_("Unit"), _("Reported"), _("Converted"), _("Signed"), _("Potential revenue (yuan)"),
                   _("Converted revenue (yuan)"), _("Account managers"), _("Opportunities per account manager")]
        rows = [[_unit_label(row), row.reported, row.converted, row.signed, row.potential_revenue,
                 row.converted_revenue, row.account_managers, row.per_capita] for row in branch_rows]
        return _("By department"), headers, rows
    if table == "targets":
        headers = [_("Unit"), _("Revenue target (yuan)"), _("Converted this month (yuan)"), _("Achieved (%)"),
                   _("Leased-line target"), _("Leased lines converted")]
        rows = [[_unit_label(row), row.month_target_revenue, row.month_converted_revenue, row.target_percent,
                 row.month_target_leased_lines, row.month_converted_leased_lines] for row in branch_rows]
        return _("Targets"), headers, rows
    abort(404)


@bp.route("/summary/export/<table>.xlsx")
@auth_required("session")
def summary_export(table: str):
    _require_summary()
    if table not in TABLES:
        abort(404)
    filters, _errors = _filters()
    s = _build(filters)
    title, headers, rows = _table(table, s)
    period = f"{s.window.start.isoformat()}_{s.window.last_day.isoformat()}"
    buffer = io.BytesIO()
    preface = [[_("Period"), f"{s.window.start.isoformat()} – {s.window.last_day.isoformat()}"]]
    if s.unit is not None:
        preface.append([_("Unit"), s.unit.name])
    cells = [[(float(v) if isinstance(v, Decimal) else v) for v in row] for row in rows]
    # What the file covers, under the table (the first rows stay plain data for Excel's filters).
    cells += [[], *preface]
    write_workbook(buffer, title, [str(h) for h in headers], cells,
                   widths=[28] + [18] * (len(headers) - 1))
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"opportunity-summary-{table}-{period}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- targets -----------------------------------------------------------------------------

def _targets_parent() -> OrgUnit | None:
    unit_id = request.values.get("unit", type=int)
    try:
        return summary.base_unit(current_user, unit_id)
    except NotFound:
        abort(404)


@bp.route("/targets", methods=["GET", "POST"])
@auth_required("session")
def targets():
    """Monthly targets of a unit, its branches and its account managers, edited in one form."""
    if not summary.can_manage_targets(current_user):
        abort(403)
    errors: dict[str, str] = {}
    raw_month = request.values.get("month") or summary.month_key(summary.local_today())
    try:
        month = summary.parse_month(raw_month)
    except ServiceError as exc:
        errors["month"] = str(exc.message)
        month = summary.month_start(summary.local_today())
    parent = _targets_parent()
    units = summary.target_units(current_user, parent)
    people = summary.target_people(parent)
    stored = summary.targets_for(month, [u.id for u in units], [p.id for p in people])
    values: dict[str, dict] = {}

    if request.method == "POST" and not errors:
        rows = [(f"u{u.id}", u, None) for u in units] + [(f"p{p.id}", None, p) for p in people]
        saved = 0
        for key, unit, person in rows:
            revenue = request.form.get(f"{key}-revenue", "")
            leased = request.form.get(f"{key}-leased_lines", "")
            version = request.form.get(f"{key}-version", "")
            values[key] = {"revenue": revenue, "leased_lines": leased}
            try:
                # set_target validates before it writes, so a refused row wrote nothing; the
                # rows saved before it are rolled back below (no SAVEPOINT: pysqlite's
                # RELEASE would commit them).
                target = summary.set_target(current_user, month=month, unit=unit, person=person,
                                            revenue=revenue, leased_lines=leased, version=version)
                saved += 1 if target is not None else 0
            except NotFound:
                db.session.rollback()
                abort(404)
            except NotAllowed:
                db.session.rollback()
                abort(403)
            except Conflict as exc:
                errors[f"{key}-version"] = str(exc.message)
                break  # the session was rolled back: nothing more can be saved from this form
            except ServiceError as exc:
                errors[f"{key}-{exc.field or 'revenue'}"] = str(exc.message)
        if errors:
            # Nothing half-written: one bad row keeps every row of the form unsaved.
            db.session.rollback()
            flash(_("Nothing was saved: correct the values marked below."), "danger")
        else:
            db.session.commit()
            flash(_("Targets for %(month)s saved.", month=summary.month_key(month)), "success")
            return redirect(url_for("opportunity.targets", month=summary.month_key(month),
                                    unit=parent.id if parent else None))
    for key_unit, target in stored.items():
        unit_id, owner_id = key_unit
        key = f"p{owner_id}" if owner_id else f"u{unit_id}"
        values.setdefault(key, {
            "revenue": "" if target.revenue_target is None else f"{target.revenue_target:.2f}",
            "leased_lines": "" if target.leased_line_target is None else str(target.leased_line_target),
        })
        values[key]["version"] = target.version
    status = 400 if errors else 200
    return render_template(
        "opportunity/summary_targets.html", month=month, month_key=summary.month_key(month), parent=parent,
        units=units, people=people, values=values, errors=errors,
        trail=summary.breadcrumb(current_user, parent),
        prev_month=summary.month_key(summary.previous_month(month)),
        next_month=summary.month_key(summary.next_month(month)),
    ), status


def targets_widget():
    """Homepage widget "my month vs target" (render callable of the Widget)."""
    progress = summary.my_month(current_user)
    return render_template("opportunity/_summary_widget.html", progress=progress,
                           can_manage_targets=summary.can_manage_targets(current_user),
                           can_view_summary=current_user.can(summary.VIEW_SUMMARY))


# --- JSON API (/api/v1/opportunity-summary, in the OpenAPI document) ---------------------

api_bp = ApiBlueprint("api_opportunity_summary", __name__, url_prefix="/api/v1/opportunity-summary",
                      description="The opportunity summary (商机汇总) and monthly targets, in the caller's data scope.")


class SummaryArgsSchema(ma.Schema):
    period = ma.fields.Str(validate=ma.validate.OneOf(list(summary.PERIODS)), load_default="this_month")
    start = ma.fields.Date(metadata={"description": "First day (period=custom)."})
    end = ma.fields.Date(metadata={"description": "Last day, inclusive (period=custom)."})
    kind = ma.fields.Str(validate=ma.validate.OneOf(list(summary.KINDS)))
    category = ma.fields.Int(metadata={"description": "A category id; a top category includes its sub-types."})
    unit = ma.fields.Int(metadata={"description": "An org unit in the caller's scope (drill-down)."})


class SummaryResponseSchema(ma.Schema):
    period = ma.fields.Dict()
    unit = ma.fields.Dict(allow_none=True)
    figures = ma.fields.Dict()
    month = ma.fields.Dict(metadata={"description": "This month's targets against what was converted."})
    business_types = ma.fields.List(ma.fields.Dict())
    leased_lines = ma.fields.List(ma.fields.Dict())
    branches = ma.fields.List(ma.fields.Dict(), metadata={"description": "Empty for an account manager."})


class TargetArgsSchema(ma.Schema):
    month = ma.fields.Str(metadata={"description": "YYYY-MM; this month when absent."})
    unit = ma.fields.Int()


class TargetSchema(ma.Schema):
    id = ma.fields.Int(dump_only=True)
    month = ma.fields.Str(required=True, metadata={"description": "YYYY-MM"})
    unit_id = ma.fields.Int(allow_none=True, metadata={"description": "The unit (for a unit's target)."})
    user_id = ma.fields.Int(allow_none=True, metadata={"description": "The account manager (personal target)."})
    revenue_target = ma.fields.Raw(allow_none=True, metadata={"description": "Yuan, ≥ 0; null for none."})
    leased_line_target = ma.fields.Raw(allow_none=True, metadata={"description": "Whole number ≥ 0; null for none."})
    version = ma.fields.Int(allow_none=True, metadata={"description": "The version read; a newer one is a conflict."})


class TargetListSchema(ma.Schema):
    month = ma.fields.Str()
    unit_id = ma.fields.Int(allow_none=True)
    targets = ma.fields.List(ma.fields.Nested(TargetSchema))


def _target_dict(target) -> dict:
    return {"id": target.id, "month": target.month, "unit_id": target.org_unit_id, "user_id": target.owner_id,
            "revenue_target": None if target.revenue_target is None else float(target.revenue_target),
            "leased_line_target": target.leased_line_target, "version": target.version}


def _branch_dict(row: summary.BranchRow) -> dict:
    return {"unit_id": row.unit_id, "name": row.name, "directly": row.is_base, "reported": row.reported,
            "converted": row.converted, "signed": row.signed, "potential_revenue": _money(row.potential_revenue),
            "converted_revenue": _money(row.converted_revenue), "account_managers": row.account_managers,
            "per_capita": row.per_capita,
            "month_target_revenue": None if row.month_target_revenue is None else _money(row.month_target_revenue),
            "month_target_leased_lines": row.month_target_leased_lines,
            "month_converted_revenue": _money(row.month_converted_revenue),
            "month_converted_leased_lines": row.month_converted_leased_lines}


@api_bp.route("")
@api_login_required
@api_bp.arguments(SummaryArgsSchema, location="query")
@api_bp.response(200, SummaryResponseSchema)
@documents_errors(api_bp, 400, 401, 403, 404)
def api_summary(args):
    """The summary's figures for a period (same definitions and scope as the page)."""
    if not current_user.can(summary.VIEW_SUMMARY):
        api_abort(403, _("You may not see the opportunity summary."))
    filters = summary.SummaryFilter(period=args["period"], start=args.get("start"), end=args.get("end"),
                                    kind=args.get("kind"), category_id=args.get("category"), unit_id=args.get("unit"))
    try:
        s = summary.build_summary(current_user, filters)
    except NotFound as exc:
        api_abort(404, str(exc.message))
    except ServiceError as exc:
        api_abort(400, str(exc.message), {exc.field or "period": [str(exc.message)]})
    return {
        "period": {"key": s.window.key, "start": s.window.start.isoformat(), "end": s.window.last_day.isoformat()},
        "unit": None if s.unit is None else {"id": s.unit.id, "name": s.unit.name},
        "figures": s.figures.as_dict(),
        "month": s.progress.as_dict(),
        "business_types": [{"category_id": r.category_id, "name": r.name, "counts": r.counts,
                            "expected_revenue": {k: _money(v) for k, v in r.revenue.items()}} for r in s.types],
        "leased_lines": [{"category_id": r.category_id, "name": r.name, "reported": r.reported,
                          "expected_revenue": _money(r.expected_revenue), "converted": r.converted,
                          "converted_revenue": _money(r.converted_revenue)} for r in s.leased_lines],
        "branches": [_branch_dict(r) for r in s.branches],
    }


@api_bp.route("/targets")
@api_login_required
@api_bp.arguments(TargetArgsSchema, location="query")
@api_bp.response(200, TargetListSchema)
@documents_errors(api_bp, 400, 401, 403, 404)
def api_targets(args):
    """The month's targets of a unit, its branches and its account managers."""
    if not summary.can_manage_targets(current_user):
        api_abort(403, _("You may not set opportunity targets."))
    try:
        month = summary.parse_month(args.get("month") or summary.month_key(summary.local_today()))
        parent = summary.base_unit(current_user, args.get("unit"))
    except NotFound as exc:
        api_abort(404, str(exc.message))
    except ServiceError as exc:
        api_abort(400, str(exc.message), {exc.field or "month": [str(exc.message)]})
    units = summary.target_units(current_user, parent)
    people = summary.target_people(parent)
    stored = summary.targets_for(month, [u.id for u in units], [p.id for p in people])
    return {"month": summary.month_key(month), "unit_id": parent.id if parent else None,
            "targets": [_target_dict(t) for t in stored.values()]}


@api_bp.route("/targets", methods=["PUT"])
@api_login_required
@api_bp.arguments(TargetSchema)
@api_bp.response(200, TargetSchema)
@documents_errors(api_bp, 400, 401, 403, 404, 409)
def api_set_target(body):
    """Set (or, with both values null, clear) one month's target of a unit or a person."""
    try:
        month = summary.parse_month(body.get("month"))
    except ServiceError as exc:
        api_abort(400, str(exc.message), {"month": [str(exc.message)]})
    person = unit = None
    if body.get("user_id") is not None:
        person = db.session.get(User, body["user_id"])
        if person is None:
            api_abort(404, _("No such person."))
    elif body.get("unit_id") is not None:
        unit = db.session.get(OrgUnit, body["unit_id"])
        if unit is None:
            api_abort(404, _("No such unit."))
    else:
        api_abort(400, _("Give unit_id or user_id."), {"unit_id": [_("Give unit_id or user_id.")]})
    target = commit_service_call(lambda: summary.set_target(
        current_user, month=month, unit=unit, person=person, revenue=body.get("revenue_target"),
        leased_lines=body.get("leased_line_target"), version=body.get("version")))
    if target is None:
        return {"month": summary.month_key(month), "unit_id": unit.id if unit else None,
                "user_id": person.id if person else None, "revenue_target": None, "leased_line_target": None,
                "version": None}
    return _target_dict(target)
