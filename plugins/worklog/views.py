"""Pages of the worklog plugin: the history list with filters and export, writing and
editing a log, the quick entry posted from the homepage widget, the customer picker
fragments, weekly visit plans, the calendar, the team page and the customer's service trail.

Views are thin: they read the form, call services.py, show a refusal beside its field,
commit on success and answer 404 for anything outside the reader's scope."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError

from plugins.worklog import services
from plugins.worklog.services import Kind, LogFilter, LogInput
from workbench.customers.models import Customer
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.records import EditConflict

bp = Blueprint("worklog", __name__, url_prefix="/worklog", template_folder="templates", static_folder="static")

PAGE_SIZE = 20
TRAIL_PAGE_SIZE = 10


def _require(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _run(action, errors: dict, default_field: str = "_form") -> bool:
    """Run a service call and commit; on refusal roll back and record the message by field."""
    try:
        action()
        db.session.commit()
        return True
    except (EditConflict, StaleDataError):
        db.session.rollback()
        errors["_form"] = _("Someone else changed this since you opened it. Reload the page and try again.")
    except NotFound:
        db.session.rollback()
        abort(404)
    except ServiceError as exc:
        db.session.rollback()
        errors[exc.field or default_field] = str(exc.message)
    return False


def _log_input(form) -> LogInput:
    return LogInput(kind=form.get("kind", ""), customer_id=form.get("customer_id") or None,
                    happened_at=form.get("happened_at") or None, content=form.get("content", ""),
                    contact_ids=form.getlist("contact_ids"), contacts_text=form.get("contacts_text", ""),
                    next_step=form.get("next_step", ""), follow_up_on=form.get("follow_up_on") or None,
                    plan_id=form.get("plan_id") or None)


def _visible_customer(customer_id) -> Customer | None:
    try:
        return services._customer(customer_id, False)
    except ServiceError:
        return None


def _now_local_text() -> str:
    return services.to_local(services.utcnow()).strftime("%Y-%m-%dT%H:%M")


def _form_context(values: dict, errors: dict, customer: Customer | None, plan=None, log=None):
    return dict(values=values, errors=errors, customer=customer, contacts=services.contacts_of(customer),
                kinds=services.KIND_LABELS, Kind=Kind, plan=plan, log=log,
                open_plans=services.open_plans_of(current_user, customer.id) if customer and log is None else [],
                max_datetime=_now_local_text(), today=services.today().isoformat(), csrf=FlaskForm())


def _csrf_ok() -> bool:
    return FlaskForm().validate_on_submit()


# -- list -------------------------------------------------------------------------------------

@bp.route("/")
@auth_required("session")
def index():
    _require(services.PERM_VIEW)
    filters = LogFilter.from_args(request.args)
    page = db.paginate(services.log_query(filters), page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE,
                       error_out=False)
    customer = _visible_customer(filters.customer_id) if filters.customer_id else None
    return render_template("worklog/index.html", page=page, filters=filters, kinds=services.KIND_LABELS,
                           people=services.people_in_view(current_user), customer=customer, s=services)


# -- writing and editing ----------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    _require(services.PERM_WRITE)
    errors: dict = {}
    if request.method == "POST":
        if not _csrf_ok():
            abort(400)
        created = {}

        def create():
            created["log"] = services.create_log(current_user, _log_input(request.form))

        if _run(create, errors):
            flash(_("Log saved."), "success")
            return redirect(url_for("worklog.detail", log_id=created["log"].id))
        values = request.form.to_dict()
        values["contact_ids"] = request.form.getlist("contact_ids")
        customer = _visible_customer(request.form.get("customer_id"))
        plan = _plan_or_none(request.form.get("plan_id"))
        return render_template("worklog/edit.html", **_form_context(values, errors, customer, plan)), 400
    plan = _plan_or_none(request.args.get("plan_id"))
    customer_id = plan.customer_id if plan else request.args.get("customer_id", type=int)
    customer = _visible_customer(customer_id) if customer_id else None
    kind = Kind.VISIT.value if plan else (request.args.get("kind") if request.args.get("kind") in services.KIND_VALUES
                                          else Kind.SERVICE.value)
    values = {"kind": kind, "happened_at": _now_local_text(), "plan_id": plan.id if plan else ""}
    return render_template("worklog/edit.html", **_form_context(values, errors, customer, plan))


def _plan_or_none(plan_id):
    try:
        return services.get_plan(int(plan_id)) if plan_id else None
    except (NotFound, TypeError, ValueError):
        return None


def _log_or_404(log_id: int):
    try:
        return services.get_log(log_id)
    except NotFound:
        abort(404)


@bp.route("/<int:log_id>")
@auth_required("session")
def detail(log_id: int):
    _require(services.PERM_VIEW)
    log = _log_or_404(log_id)
    return render_template("worklog/detail.html", log=log, s=services,
                           refusal=services.edit_refusal(current_user, log),
                           follow_up=_open_follow_up_todo(log))


def _open_follow_up_todo(log):
    from sqlalchemy import select

    from workbench.inbox.models import TodoItem
    return db.session.execute(select(TodoItem).where(
        TodoItem.source_type == services.LOG_SOURCE, TodoItem.source_id == str(log.id),
        TodoItem.status == "open")).scalars().first()


@bp.route("/<int:log_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(log_id: int):
    log = _log_or_404(log_id)
    refusal = services.edit_refusal(current_user, log)
    if refusal is not None:
        flash(str(refusal), "warning")
        return redirect(url_for("worklog.detail", log_id=log.id))
    errors: dict = {}
    if request.method == "POST":
        if not _csrf_ok():
            abort(400)
        if _run(lambda: services.update_log(current_user, log, _log_input(request.form), request.form.get("version")),
                errors):
            flash(_("Log updated."), "success")
            return redirect(url_for("worklog.detail", log_id=log.id))
        log = _log_or_404(log_id)
        values = request.form.to_dict()
        values["contact_ids"] = request.form.getlist("contact_ids")
        values["version"] = request.form.get("version")
        customer = _visible_customer(request.form.get("customer_id"))
        return render_template("worklog/edit.html", **_form_context(values, errors, customer, log=log)), \
            409 if "_form" in errors else 400
    values = {"kind": log.kind, "happened_at": services.to_local(log.happened_at).strftime("%Y-%m-%dT%H:%M"),
              "content": log.content, "next_step": log.next_step,
              "follow_up_on": log.follow_up_on.isoformat() if log.follow_up_on else "",
              "contact_ids": [str(c["id"]) for c in log.contacts if c.get("id")],
              "contacts_text": "、".join(c["name"] for c in log.contacts if not c.get("id")), "version": log.version}
    return render_template("worklog/edit.html", **_form_context(values, errors, log.customer, log=log))


# -- the homepage's quick entry ---------------------------------------------------------------

@bp.route("/quick", methods=["POST"])
@auth_required("session")
def quick():
    """Posted by the quick-entry widget (htmx): answers the widget again, with the saved log
    or the refusal beside its field. Validation problems answer 200 so htmx swaps them in."""
    _require(services.PERM_WRITE)
    if not _csrf_ok():
        abort(400)
    errors: dict = {}
    created = {}

    def create():
        created["log"] = services.create_log(current_user, _log_input(request.form))

    saved = _run(create, errors)
    if not request.headers.get("HX-Request"):
        if saved:
            flash(_("Log saved."), "success")
        else:
            flash(next(iter(errors.values())), "danger")
        return redirect(url_for("homepage.index") if "homepage.index" in _endpoints() else "/")
    from plugins.worklog import widgets

    if saved:
        return widgets.quick_entry(saved_log=created["log"])
    values = request.form.to_dict()
    values["contact_ids"] = request.form.getlist("contact_ids")
    return widgets.quick_entry(values=values, errors=errors,
                               customer=_visible_customer(request.form.get("customer_id")))


def _endpoints():
    from flask import current_app

    return current_app.view_functions


# -- the customer picker (htmx fragments) -----------------------------------------------------

def _picker_args():
    pid = (request.args.get("pid") or "wl-picker")[:40]
    if not pid.replace("-", "").replace("_", "").isalnum():
        abort(400)
    return pid, request.args.get("contacts") == "1"


@bp.route("/pick")
@auth_required("session")
def pick_suggest():
    pid, with_contacts = _picker_args()
    customers = services.suggest_customers(request.args.get("customer_q"))
    return render_template("worklog/_suggestions.html", customers=customers, pid=pid, with_contacts=with_contacts,
                           q=(request.args.get("customer_q") or "").strip())


@bp.route("/pick/<int:customer_id>")
@auth_required("session")
def pick_choose(customer_id: int):
    pid, with_contacts = _picker_args()
    customer = _visible_customer(customer_id)
    if customer is None:
        abort(404)
    return render_template("worklog/_picker_fragment.html", pid=pid, with_contacts=with_contacts, customer=customer,
                           contacts=services.contacts_of(customer), selected=[],
                           open_plans=services.open_plans_of(current_user, customer.id))


@bp.route("/pick/clear")
@auth_required("session")
def pick_clear():
    pid, with_contacts = _picker_args()
    return render_template("worklog/_picker_fragment.html", pid=pid, with_contacts=with_contacts, customer=None,
                           contacts=[], selected=[], open_plans=[])


# -- visit plans ------------------------------------------------------------------------------

def _week_arg() -> date:
    try:
        day = date.fromisoformat(request.args.get("week") or "")
    except ValueError:
        day = services.today()
    return services.week_start(day)


def _owner_arg():
    owner_id = request.args.get("owner_id", type=int)
    if owner_id and owner_id not in {person.id for person in services.people_in_view(current_user)}:
        return None
    return owner_id


@bp.route("/plans", methods=["GET", "POST"])
@auth_required("session")
def plans():
    _require(services.PERM_VIEW)
    start = _week_arg()
    errors: dict = {}
    values = {"planned_on": max(services.today(), start).isoformat()}
    status = 200
    if request.method == "POST":
        _require(services.PERM_PLAN)
        if not _csrf_ok():
            abort(400)
        values = request.form.to_dict()

        def create():
            services.create_plan(current_user, request.form.get("customer_id"), request.form.get("planned_on"),
                                 request.form.get("purpose"))

        if _run(create, errors):
            flash(_("Visit planned. It is in your to-dos for that day."), "success")
            day = services.parse_date(request.form.get("planned_on"), "planned_on")
            return redirect(url_for("worklog.plans", week=services.week_start(day).isoformat()))
        status = 400
    owner_id = _owner_arg()
    week = services.week_visits(owner_id=owner_id, start=start)
    days = services.calendar_days(start, start + timedelta(days=6), owner_id=owner_id)
    return render_template("worklog/plans.html", week=week, days=days, start=start, errors=errors, values=values,
                           previous=start - timedelta(days=7), following=start + timedelta(days=7),
                           customer=_visible_customer(values.get("customer_id")) if values.get("customer_id") else None,
                           people=services.people_in_view(current_user), owner_id=owner_id, s=services,
                           csrf=FlaskForm(), today=services.today()), status


def _plan_or_404(plan_id: int):
    try:
        return services.get_plan(plan_id)
    except NotFound:
        abort(404)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@auth_required("session")
def plan_detail(plan_id: int):
    _require(services.PERM_VIEW)
    plan = _plan_or_404(plan_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        if not _csrf_ok():
            abort(400)
        action = request.form.get("action")
        if action == "cancel":
            call = lambda: services.cancel_plan(current_user, plan, request.form.get("reason", ""),  # noqa: E731
                                                request.form.get("version"))
            message = _("Visit called off.")
        elif action == "update":
            call = lambda: services.update_plan(current_user, plan, request.form.get("planned_on"),  # noqa: E731
                                                request.form.get("purpose"), request.form.get("version"))
            message = _("Visit plan saved.")
        else:
            abort(400)
        if _run(call, errors):
            flash(message, "success")
            return redirect(url_for("worklog.plan_detail", plan_id=plan.id))
        plan = _plan_or_404(plan_id)
        status = 400
    return render_template("worklog/plan.html", plan=plan, s=services, errors=errors, csrf=FlaskForm(),
                           state=services.plan_state(plan), form=request.form if request.method == "POST" else {},
                           today=services.today().isoformat()), status


# -- calendar ---------------------------------------------------------------------------------

@bp.route("/calendar")
@auth_required("session")
def calendar():
    _require(services.PERM_VIEW)
    view = "month" if request.args.get("view") == "month" else "week"
    try:
        anchor = date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        anchor = services.today()
    owner_id = _owner_arg()
    if view == "month":
        weeks = services.month_grid(anchor.year, anchor.month, owner_id=owner_id)
        first = anchor.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        days = [day for week in weeks for day in week]
    else:
        start = services.week_start(anchor)
        days = services.calendar_days(start, start + timedelta(days=6), owner_id=owner_id)
        weeks = [days]
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
    return render_template("worklog/calendar.html", view=view, anchor=anchor, weeks=weeks, days=days,
                           previous=previous, following=following, owner_id=owner_id,
                           people=services.people_in_view(current_user), s=services, today=services.today())


# -- team -------------------------------------------------------------------------------------

@bp.route("/team")
@auth_required("session")
def team():
    _require(services.PERM_TEAM)
    start = _week_arg()
    rows = services.team_activity(start)
    return render_template("worklog/team.html", rows=rows, start=start, end=start + timedelta(days=6),
                           previous=start - timedelta(days=7), following=start + timedelta(days=7),
                           peak=max((row.logs for row in rows), default=0), week=services.week_visits(start=start))


# -- the customer's service trail -------------------------------------------------------------

@bp.route("/customer/<int:customer_id>/trail")
@auth_required("session")
def trail(customer_id: int):
    _require(services.PERM_VIEW)
    customer = _visible_customer(customer_id)
    if customer is None:
        abort(404)
    from plugins.worklog import sections

    return sections.trail(customer, page=request.args.get("page", 1, type=int), kind=request.args.get("kind"))
