"""Inbox pages: the to-do list with counts and filters, item actions, dispatching tasks
(派单) and their progress, and the per-kind reminder settings (待办设置)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select

from workbench.auth.models import User
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox import services
from workbench.inbox.forms import DispatchForm, DoneForm, ReassignForm, SnoozeForm
from workbench.inbox.models import CHANNELS, Dispatch, TodoItem
from workbench.page_actions import run_page_action
from workbench.plugins import registry
from workbench.records import EditConflict, utcnow

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def _todo_or_404(todo_id: int) -> TodoItem:
    try:
        return services.get_todo(todo_id)
    except NotFound:
        abort(404)


def _safe_next(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def inbox_filters(args) -> services.InboxFilter:
    """The list's filters from a query string; the .xlsx export (workbench.exports) reads
    them with this same function, so the file always matches the page."""
    due = args.get("due")
    return services.InboxFilter(
        kind=args.get("kind") or None,
        customer_id=args.get("customer", type=int),
        due=due if due in services.DUE_FILTERS else None,
        q=args.get("q") or None,
    )


@bp.route("/")
@auth_required("session")
def index():
    filters = inbox_filters(request.args)
    now = utcnow()
    query = services.inbox_query(current_user, filters, now)
    counts = services.counts_by_kind(current_user, now)
    # The per-kind counts already hold the total of the unfiltered (or kind-only) list: no
    # second COUNT over the user's to-dos for the pager.
    known_total = services.total_from_counts(counts, filters)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=25, error_out=False,
                       count=known_total is None)
    if known_total is not None:
        page.total = known_total
    return render_template(
        "inbox/index.html", page=page, filters=filters, counts=counts,
        kinds=registry().todo_kinds, priorities=services.PRIORITIES, now=now,
    )


@bp.route("/<int:todo_id>")
@auth_required("session")
def detail(todo_id: int):
    item = _todo_or_404(todo_id)
    reassign_form = None
    if current_user.can("inbox.manage_team") and item.is_open:
        reassign_form = ReassignForm(version=item.version)
        reassign_form.assignee.choices = [(u.id, f"{u.name} ({u.username})") for u in services.team_members(current_user)]
    owner = db.session.get(User, item.owner_id) if item.owner_id else None
    customer = None
    if item.customer_id:
        from workbench.customers.models import Customer

        customer = db.session.execute(select(Customer).where(Customer.id == item.customer_id)).scalar_one_or_none()
    return render_template(
        "inbox/detail.html", item=item, kind=registry().todo_kinds.get(item.kind), owner=owner,
        customer=customer, done_form=DoneForm(version=item.version),
        snooze_form=SnoozeForm(until=(utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)),
        reassign_form=reassign_form, priorities=services.PRIORITIES,
    )


def _act(todo_id: int, action, success: str):
    item = _todo_or_404(todo_id)
    try:
        action(item)
        db.session.commit()
    except EditConflict:
        db.session.rollback()
        flash(_("This to-do was changed by someone else in the meantime. Please review it again."), "warning")
        return redirect(url_for("inbox.detail", todo_id=todo_id))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("inbox.detail", todo_id=todo_id))
    flash(success, "success")
    return redirect(_safe_next(url_for("inbox.index")))


@bp.route("/<int:todo_id>/done", methods=["POST"])
@auth_required("session")
def done(todo_id: int):
    form = DoneForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(todo_id, lambda item: services.mark_done(
        item, current_user, form.note.data or "", form.version.data or None), _("Marked as done."))


@bp.route("/<int:todo_id>/snooze", methods=["POST"])
@auth_required("session")
def snooze(todo_id: int):
    form = SnoozeForm()
    if not form.validate_on_submit():
        flash(_("Choose a valid time to snooze until."), "danger")
        return redirect(url_for("inbox.detail", todo_id=todo_id))
    return _act(todo_id, lambda item: services.snooze(item, current_user, form.until.data),
                _("Snoozed."))


@bp.route("/<int:todo_id>/take", methods=["POST"])
@auth_required("session")
def take(todo_id: int):
    return _act(todo_id, lambda item: services.take(item, current_user), _("The to-do is now yours."))


@bp.route("/<int:todo_id>/reassign", methods=["POST"])
@auth_required("session")
def reassign(todo_id: int):
    form = ReassignForm()
    form.assignee.choices = []
    if not form.validate_on_submit():
        abort(400)
    target = db.session.get(User, form.assignee.data)
    if target is None:
        flash(_("Choose a person."), "danger")
        return redirect(url_for("inbox.detail", todo_id=todo_id))
    return _act(todo_id, lambda item: services.reassign(item, current_user, target, form.version.data or None),
                _("Reassigned to %(name)s.", name=target.name))


@bp.route("/dispatches")
@auth_required("session")
def dispatches():
    if not current_user.can("inbox.dispatch"):
        abort(403)
    page = db.paginate(
        select(Dispatch).order_by(Dispatch.created_at.desc(), Dispatch.id.desc()),
        page=request.args.get("page", 1, type=int), per_page=20, error_out=False,
    )
    progress = services.dispatch_progress([d.id for d in page.items])
    return render_template("inbox/dispatches.html", page=page, progress=progress)


@bp.route("/dispatches/new", methods=["GET", "POST"])
@auth_required("session")
def new_dispatch():
    if not current_user.can("inbox.dispatch"):
        abort(403)
    form = DispatchForm()
    members = services.team_members(current_user)
    units = services.team_units(current_user)
    form.users.choices = [(u.id, f"{u.name} · {u.org_unit.name if u.org_unit else ''}") for u in members
                          if u.id != current_user.id]
    form.unit.choices = [(0, "—")] + [(u.id, ("· " * u.depth) + u.name) for u in units]
    form.priority.choices = [(k, str(v)) for k, v in services.PRIORITIES.items()]
    if form.validate_on_submit():
        chosen = [u for u in members if u.id in set(form.users.data or [])]
        unit = next((u for u in units if u.id == form.unit.data), None)
        try:
            dispatch = services.dispatch_task(
                current_user, title=form.title.data, description=form.description.data or "",
                due_at=form.due_at.data, priority=form.priority.data, users=chosen, unit=unit)
        except ServiceError as exc:
            db.session.rollback()
            target = {"title": form.title, "due_at": form.due_at}.get(exc.field, form.users)
            target.errors = list(target.errors) + [str(exc.message)]
        else:
            db.session.commit()
            flash(_("Task dispatched."), "success")
            return redirect(url_for("inbox.dispatch_detail", dispatch_id=dispatch.id))
    return render_template("inbox/dispatch_form.html", form=form)


@bp.route("/dispatches/<int:dispatch_id>")
@auth_required("session")
def dispatch_detail(dispatch_id: int):
    dispatch = db.session.execute(select(Dispatch).where(Dispatch.id == dispatch_id)).scalar_one_or_none()
    if dispatch is None:
        abort(404)
    items = db.session.execute(
        select(TodoItem, User).join(User, User.id == TodoItem.owner_id)
        .where(TodoItem.dispatch_id == dispatch.id).order_by(TodoItem.status, User.username)
        .execution_options(skip_scope=True)  # the dispatch itself was scope-checked above
    ).all()
    progress = services.dispatch_progress([dispatch.id]).get(dispatch.id)
    return render_template("inbox/dispatch_detail.html", dispatch=dispatch, items=items,
                           progress=progress, now=utcnow())


@bp.route("/dispatches/<int:dispatch_id>/cancel", methods=["POST"])
@auth_required("session")
def cancel_dispatch(dispatch_id: int):
    dispatch = db.session.execute(select(Dispatch).where(Dispatch.id == dispatch_id)).scalar_one_or_none()
    if dispatch is None:
        abort(404)
    try:
        count = services.cancel_dispatch(dispatch, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Task withdrawn; %(n)d open to-dos cancelled.", n=count), "success")
    return redirect(url_for("inbox.dispatch_detail", dispatch_id=dispatch_id))


@bp.route("/settings", methods=["GET", "POST"])
@auth_required("session")
def settings():
    kinds = registry().todo_kinds
    if request.method == "POST":
        chosen = {kind: request.form.getlist(f"channels-{kind}") for kind in kinds}
        if run_page_action(lambda: services.save_reminder_settings(current_user, chosen),
                           _("Reminder settings saved.")):
            return redirect(url_for("inbox.settings"))
    return render_template("inbox/settings.html", kinds=kinds, settings=services.reminder_settings(current_user),
                           channels=CHANNELS)
