"""Pages of the warning plugin: the list (mine / my unit), a warning with its figures, chart
and the handling form (闭环), the report with its .xlsx, the threshold settings per unit,
"scan now" for admins, and the JSON that feeds the indicator charts. Views are thin: they
call services.py, show a refusal beside its field, commit on success, and answer 404 for
anything outside the reader's scope."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from plugins.warning import reports, rules, services
from workbench.customers.models import Customer
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.records import EditConflict

bp = Blueprint("warning", __name__, url_prefix="/warning", template_folder="templates", static_folder="static")

PAGE_SIZE = 20


def _require(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _warning_or_404(warning_id: int):
    try:
        return services.get_warning(warning_id)
    except NotFound:
        abort(404)


def _common():
    return dict(rule_label=rules.rule_label, labels=rules.SEVERITY_LABELS, colours=rules.SEVERITY_COLOURS,
                status_labels=services.STATUS_LABELS, describe=services.describe, severities=rules.SEVERITIES,
                actions=services.ACTIONS, outcomes=services.OUTCOMES)


@bp.route("/")
@auth_required("session")
def index():
    _require(services.PERM_VIEW)
    filters = services.warning_filter_from(request.args)
    page = db.paginate(services.warning_query(filters, actor=current_user),
                       page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE, error_out=False)
    counts = services.counts_by_severity(owner=current_user if filters.mine else None)
    return render_template("warning/index.html", page=page, filters=filters, counts=counts,
                           all_rules=[r for r in rules.all_rules().values() if not r.settings_only], **_common())


@bp.route("/<int:warning_id>")
@auth_required("session")
def detail(warning_id: int):
    _require(services.PERM_VIEW)
    warning = _warning_or_404(warning_id)
    return render_template("warning/detail.html", warning=warning, may_handle=services.may_handle(current_user, warning),
                           errors={}, values={}, **_common())


@bp.route("/<int:warning_id>/handle", methods=["POST"])
@auth_required("session")
def handle(warning_id: int):
    _require(services.PERM_HANDLE)
    warning = _warning_or_404(warning_id)
    values = {name: request.form.get(name, "") for name in ("action", "outcome", "note")}
    try:
        services.handle(current_user, warning, action=values["action"], outcome=values["outcome"],
                        note=values["note"], version=request.form.get("version"))
        db.session.commit()
    except (EditConflict, StaleDataError):
        db.session.rollback()
        flash(_("Someone else handled or changed this warning since you opened it. Reload the page."), "danger")
        return redirect(url_for("warning.detail", warning_id=warning_id))
    except NotAllowed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("warning.detail", warning_id=warning_id))
    except ServiceError as exc:
        db.session.rollback()
        warning = _warning_or_404(warning_id)
        errors = {exc.field or "action": str(exc.message)}
        return render_template("warning/detail.html", warning=warning, errors=errors, values=values,
                               may_handle=services.may_handle(current_user, warning), **_common())
    flash(_("Warning handled: the loop is closed."), "success")
    return redirect(url_for("warning.detail", warning_id=warning_id))


@bp.route("/customers/<int:customer_id>/chart.json")
@auth_required("session")
def customer_chart(customer_id: int):
    _require(services.PERM_VIEW)
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).unique().scalar_one_or_none()
    if customer is None:
        abort(404)
    months = max(3, min(request.args.get("months", 12, type=int) or 12, 36))
    return jsonify(services.chart_data(customer, months))


@bp.route("/report")
@auth_required("session")
def report():
    _require(services.PERM_REPORT)
    today = services.today()
    raw_from = request.args.get("date_from") or (today - timedelta(days=90)).isoformat()
    raw_to = request.args.get("date_to") or today.isoformat()
    by = "rule" if request.args.get("by") == "rule" else "unit"
    errors, rows = {}, []
    try:
        date_from = services.parse_day(raw_from, "date_from")
        date_to = services.parse_day(raw_to, "date_to")
        rows = services.report(date_from, date_to, by=by)
    except ServiceError as exc:
        errors[exc.field or "date_from"] = str(exc.message)
    totals = services.report_totals(rows)
    if request.args.get("format") == "xlsx" and not errors:
        data = reports.report_workbook(rows, totals)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=warning-report-{raw_from}-{raw_to}.xlsx"})
    return render_template("warning/report.html", rows=rows, totals=totals, date_from=raw_from, date_to=raw_to,
                           by=by, errors=errors, **_common()), (400 if errors else 200)


@bp.route("/settings", methods=["GET", "POST"])
@auth_required("session")
def settings():
    _require(services.PERM_CONFIGURE)
    units = services.configurable_units(current_user)
    if not units:
        abort(403)
    unit_id = request.values.get("unit_id", type=int) or units[0].id
    unit = next((candidate for candidate in units if candidate.id == unit_id), None)
    if unit is None:
        abort(404)
    errors, submitted = {}, {}
    if request.method == "POST":
        submitted = {key: value for key, value in request.form.items() if "." in key}
        try:
            changed = services.save_thresholds(current_user, unit, submitted)
            db.session.commit()
            flash(_("Thresholds saved (%(count)d changed).", count=changed), "success")
            return redirect(url_for("warning.settings", unit_id=unit.id))
        except services.InvalidThresholds as exc:
            db.session.rollback()
            errors = {key: str(message) for key, message in exc.errors.items()}
            flash(str(exc.message), "danger")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
    return render_template("warning/settings.html", units=units, unit=unit, items=services.unit_settings(unit),
                           errors=errors, submitted=submitted, unit_labels=rules.UNIT_LABELS)


@bp.route("/scan", methods=["POST"])
@auth_required("session")
def scan_now():
    _require(services.PERM_CONFIGURE)
    result = services.scan()
    db.session.commit()
    if result.period is None:
        flash(_("No customer indicators yet: import them first."), "warning")
    else:
        flash(_("Scan of %(period)s done: %(raised)d new warnings, %(escalated)d escalated.", period=result.period,
                raised=result.raised, escalated=result.escalated), "success")
    return redirect(url_for("warning.settings", unit_id=request.form.get("unit_id", type=int)))
