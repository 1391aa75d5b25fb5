"""Pages of the resources plugin: the catalogue an account manager draws from, requests (list,
new, detail with its actions), stock with its ledger, the catalogue and type admin, and the
issued-value report with its .xlsx export. Views are thin: they call services.py, show a
refusal beside its field (or flash it), commit on success, and answer 404 for anything
outside the reader's scope."""
from __future__ import annotations

import io
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from plugins.resources import services
from plugins.resources.forms import (ItemForm, MovementForm, NoteForm, OpenStockForm, ReasonForm,
                                     RequestForm, ThresholdForm, TypeForm, UseForm)
from plugins.resources.services import State
from workbench.errors import NotFound, ServiceError
from workbench.exports.writer import write_workbook
from workbench.extensions import db
from workbench.files import services as files
from workbench.org.models import OrgUnit, UnitLevel
from workbench.records import EditConflict

bp = Blueprint("resources", __name__, url_prefix="/resources", template_folder="templates")

PAGE_SIZE = 20


def _require(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _run(action, form=None, default_field: str | None = None) -> bool:
    """Run a service call and commit. On refusal roll back (nothing half-written) and put
    the message beside its field (or flash it); returns whether it succeeded."""
    try:
        action()
        db.session.commit()
        return True
    except (EditConflict, StaleDataError):
        db.session.rollback()
        flash(_("Someone else changed this since you opened it. Reload the page and try again."), "danger")
    except NotFound:
        db.session.rollback()
        abort(404)
    except ServiceError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or default_field or "", None) if form is not None else None
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [str(exc.message)]
        else:
            flash(str(exc.message), "danger")
    return False


def _or_404(loader, *args):
    try:
        return loader(*args)
    except NotFound:
        abort(404)


def _page_number() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


# -- the catalogue -----------------------------------------------------------------------------

@bp.route("/")
@auth_required("session")
def catalogue():
    _require(services.PERM_VIEW)
    filters = services.CatalogueFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                       type_id=request.args.get("type", type=int),
                                       available_only=request.args.get("available") == "1")
    page = db.paginate(services.stock_query(current_user, filters), page=_page_number(), per_page=PAGE_SIZE,
                       error_out=False)
    return render_template("resources/catalogue.html", page=page, filters=filters, types=services.types(),
                           can_request=current_user.can(services.PERM_REQUEST))


# -- requests ----------------------------------------------------------------------------------

@bp.route("/requests")
@auth_required("session")
def requests():
    _require(services.PERM_VIEW)
    filters = services.RequestFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                     state=request.args.get("state") or None,
                                     mine=request.args.get("mine") == "1", waiting=request.args.get("waiting") == "1",
                                     type_id=request.args.get("type", type=int))
    page = db.paginate(services.request_query(filters, actor=current_user), page=_page_number(),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("resources/requests.html", page=page, filters=filters, labels=services.STATE_LABELS,
                           colours=services.STATE_COLOURS, State=State, types=services.types(active_only=False),
                           counts=services.counts_by_state(),
                           can_request=current_user.can(services.PERM_REQUEST))


def _stock_choices():
    stocks = db.session.execute(services.stock_query(current_user, services.CatalogueFilter(available_only=True))
                                ).unique().scalars().all()
    choices = [("", _("— choose an item —"))]
    for stock in stocks:
        label = _("%(item)s · %(type)s · %(unit)s · %(available)d %(measure)s available",
                  item=stock.item.name, type=stock.item.type.name, unit=stock.org_unit.name,
                  available=stock.available, measure=stock.item.measure)
        choices.append((str(stock.id), label))
    return choices


@bp.route("/requests/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    _require(services.PERM_REQUEST)
    form = RequestForm()
    choices = _stock_choices()
    for entry in form.lines:
        entry.stock_id.choices = choices
    if request.method == "GET":
        preset = request.args.get("stock_id")
        if preset and form.lines:
            form.lines[0].stock_id.data = preset
            form.lines[0].quantity.data = "1"
        customer_id = request.args.get("customer_id", type=int)
        if customer_id:
            from workbench.customers import services as customers

            try:
                customer = customers.get_customer(customer_id)
                form.customer_id.data = str(customer.id)
                form.customer_search.data = customer.name
            except NotFound:
                pass
    created = {}
    if request.method == "POST" and form.validate_on_submit():
        lines = [{"stock_id": entry.stock_id.data, "quantity": entry.quantity.data} for entry in form.lines
                 if (entry.stock_id.data or "").strip() or (entry.quantity.data or "").strip()]

        def create():
            created["request"] = services.create_request(current_user, customer_id=form.customer_id.data,
                                                          title=form.title.data, purpose=form.purpose.data,
                                                          lines=lines)

        if _run(create, form):
            flash(_("Request %(code)s submitted for approval.", code=created["request"].code), "success")
            return redirect(url_for("resources.detail", request_id=created["request"].id))
    failed = request.method == "POST" and (any(field.errors for field in form) or form.lines.errors)
    return render_template("resources/new.html", form=form, has_stock=len(choices) > 1), (400 if failed else 200)


def _detail_page(item, status: int = 200, **forms):
    version = item.version
    defaults = {"approve_form": NoteForm(prefix="approve", version=version),
                "reject_form": ReasonForm(prefix="reject", version=version),
                "cancel_form": ReasonForm(prefix="cancel", version=version),
                "issue_form": NoteForm(prefix="issue", version=version),
                "use_form": UseForm(prefix="use", version=version)}
    defaults.update(forms)
    actions = services.available_actions(current_user, item)
    approvers = []
    step = services.current_step(item)
    if step is not None:
        approvers = services.approvers(step, exclude={item.owner_id or 0})
    return render_template("resources/detail.html", item=item, actions=actions, steps=services.steps_of(item),
                           labels=services.STATE_LABELS, colours=services.STATE_COLOURS, State=State,
                           action_labels=services.ACTION_LABELS, step_label=services.step_label,
                           approvers=approvers, photo_accept=files.accept_attribute(services.PHOTO_KINDS),
                           photo_kinds=files.kinds_label(services.PHOTO_KINDS),
                           max_mb=files.max_upload_bytes() // (1024 * 1024),
                           help_key="resources.approve" if "approve" in actions else "resources.request",
                           **defaults), status


@bp.route("/requests/<int:request_id>")
@auth_required("session")
def detail(request_id: int):
    _require(services.PERM_VIEW)
    return _detail_page(_or_404(services.get_request, request_id))


def _act(request_id: int, form, call, success: str, form_key: str, field: str | None = None):
    item = _or_404(services.get_request, request_id)
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: call(item), form, field):
        flash(success, "success")
        return redirect(url_for("resources.detail", request_id=request_id))
    return _detail_page(_or_404(services.get_request, request_id), 400, **{form_key: form})


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@auth_required("session")
def approve(request_id: int):
    form = NoteForm(prefix="approve")
    return _act(request_id, form, lambda item: services.approve(current_user, item, form.note.data,
                                                                version=form.version.data),
                _("Approved."), "approve_form", "note")


@bp.route("/requests/<int:request_id>/reject", methods=["POST"])
@auth_required("session")
def reject(request_id: int):
    form = ReasonForm(prefix="reject")
    return _act(request_id, form, lambda item: services.reject(current_user, item, form.reason.data,
                                                               version=form.version.data),
                _("Rejected; the account manager is told why."), "reject_form", "reason")


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@auth_required("session")
def cancel(request_id: int):
    form = ReasonForm(prefix="cancel")
    return _act(request_id, form, lambda item: services.cancel(current_user, item, form.reason.data,
                                                               version=form.version.data),
                _("Request cancelled."), "cancel_form", "reason")


@bp.route("/requests/<int:request_id>/issue", methods=["POST"])
@auth_required("session")
def issue(request_id: int):
    form = NoteForm(prefix="issue")
    return _act(request_id, form, lambda item: services.issue(current_user, item, form.note.data,
                                                              version=form.version.data),
                _("Issued: the stock is taken out and the account manager is asked to confirm the use."),
                "issue_form", "note")


@bp.route("/requests/<int:request_id>/confirm", methods=["POST"])
@auth_required("session")
def confirm(request_id: int):
    form = UseForm(prefix="use")
    return _act(request_id, form, lambda item: services.confirm_use(current_user, item, note=form.note.data,
                                                                    photo=form.photo.data, version=form.version.data),
                _("Use confirmed. Thank you."), "use_form", "note")


@bp.route("/requests/<int:request_id>/photo")
@auth_required("session")
def photo(request_id: int):
    item = _or_404(services.get_request, request_id)
    if item.use_photo is None:
        abort(404)
    try:
        return files.send_stored_file(item.use_photo)
    except NotFound:
        abort(404)


# -- stock -----------------------------------------------------------------------------------

def _managed_units():
    managed = services.managed_unit_ids(current_user)
    query = select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.path)
    if managed is not None:
        query = query.where(OrgUnit.id.in_(managed))
    return db.session.execute(query).scalars().all()


@bp.route("/stock", methods=["GET", "POST"])
@auth_required("session")
def stock():
    _require(services.PERM_MANAGE)
    form = OpenStockForm()
    form.item_id.choices = [("", _("— choose —"))] + [(str(i.id), f"{i.code} · {i.name}")
                                                        for i in services.items(active_only=True)]
    form.org_unit_id.choices = [(str(u.id), u.name) for u in _managed_units()]
    if request.method == "POST" and form.validate_on_submit():
        def run():
            services.open_stock(current_user, form.item_id.data, form.org_unit_id.data,
                                low_threshold=form.low_threshold.data, quantity=form.quantity.data,
                                reason=form.reason.data)

        if _run(run, form):
            flash(_("Stock opened."), "success")
            return redirect(url_for("resources.stock"))
    filters = services.CatalogueFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                       type_id=request.args.get("type", type=int),
                                       low_only=request.args.get("low") == "1", managed_only=True)
    page = db.paginate(services.stock_query(current_user, filters), page=_page_number(), per_page=PAGE_SIZE,
                       error_out=False)
    failed = request.method == "POST" and any(field.errors for field in form)
    return render_template("resources/stock.html", page=page, filters=filters, form=form,
                           types=services.types()), (400 if failed else 200)


def _stock_page(item, status=200, movement_form=None, threshold_form=None):
    return render_template("resources/stock_detail.html", stock=item, entries=services.ledger_of(item),
                           entry_labels=services.ENTRY_LABELS,
                           manages=services.manages_unit(current_user, item.org_unit_id),
                           movement_form=movement_form or MovementForm(prefix="move"),
                           threshold_form=threshold_form or ThresholdForm(prefix="low",
                                                                          low_threshold=item.low_threshold)), status


@bp.route("/stock/<int:stock_id>", methods=["GET", "POST"])
@auth_required("session")
def stock_detail(stock_id: int):
    _require(services.PERM_MANAGE)
    item = _or_404(services.get_stock, stock_id)
    if request.method == "POST":
        form = MovementForm(prefix="move")
        if not form.validate_on_submit():
            abort(400)
        if _run(lambda: services.record_movement(current_user, item, form.kind.data, form.quantity.data,
                                                 form.reason.data), form):
            flash(_("Recorded in the ledger."), "success")
            return redirect(url_for("resources.stock_detail", stock_id=stock_id))
        return _stock_page(_or_404(services.get_stock, stock_id), 400, movement_form=form)
    return _stock_page(item)


@bp.route("/stock/<int:stock_id>/threshold", methods=["POST"])
@auth_required("session")
def stock_threshold(stock_id: int):
    _require(services.PERM_MANAGE)
    item = _or_404(services.get_stock, stock_id)
    form = ThresholdForm(prefix="low")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.set_low_threshold(current_user, item, form.low_threshold.data), form):
        flash(_("Saved."), "success")
        return redirect(url_for("resources.stock_detail", stock_id=stock_id))
    return _stock_page(_or_404(services.get_stock, stock_id), 400, threshold_form=form)


# -- catalogue and type admin -----------------------------------------------------------------

def _item_form(item=None):
    form = ItemForm(obj=None if request.method == "POST" else item)
    form.type_id.choices = [("", _("— choose —"))] + [(str(t.id), t.name) for t in services.types()]
    if request.method == "GET" and item is not None:
        form.type_id.data = str(item.type_id)
        form.unit_value.data = f"{item.unit_value:.2f}"
        form.version.data = item.version
    return form


@bp.route("/items", methods=["GET", "POST"])
@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@auth_required("session")
def items(item_id: int | None = None):
    _require(services.PERM_MANAGE)
    item = _or_404(services.get_item, item_id) if item_id else None
    form = _item_form(item)
    if request.method == "POST" and form.validate_on_submit():
        values = {name: getattr(form, name).data for name in
                  ("code", "name", "type_id", "measure", "unit_value", "description", "active")}
        if _run(lambda: services.save_item(current_user, values, item, version=form.version.data or None), form):
            flash(_("Catalogue item saved."), "success")
            return redirect(url_for("resources.items"))
    failed = request.method == "POST" and any(field.errors for field in form)
    return render_template("resources/items.html", form=form, item=item,
                           items=services.items()), (400 if failed else 200)


def _steps_from_form() -> list[dict]:
    roles = request.form.getlist("step_role")
    levels = request.form.getlist("step_level")
    return [{"role": role, "level": level} for role, level in zip(roles, levels)]


@bp.route("/types", methods=["GET", "POST"])
@bp.route("/types/<int:type_id>", methods=["GET", "POST"])
@auth_required("session")
def types(type_id: int | None = None):
    _require(services.PERM_MANAGE)
    resource_type = _or_404(services.get_type, type_id) if type_id else None
    form = TypeForm(obj=None if request.method == "POST" else resource_type)
    if request.method == "GET" and resource_type is not None:
        form.version.data = resource_type.version
    steps = resource_type.steps if resource_type is not None else []
    if request.method == "POST" and form.validate_on_submit():
        steps = _steps_from_form()
        values = {"code": form.code.data, "name": form.name.data, "description": form.description.data,
                  "active": form.active.data, "steps": steps}
        if _run(lambda: services.save_type(current_user, values, resource_type, version=form.version.data or None),
                form, "code"):
            flash(_("Resource type saved."), "success")
            return redirect(url_for("resources.types"))
    rows = list(steps) + [{}] * (services.MAX_STEPS - len(steps))
    failed = request.method == "POST" and any(field.errors for field in form)
    return render_template("resources/types.html", form=form, resource_type=resource_type,
                           types=services.types(active_only=False), rows=rows[:services.MAX_STEPS],
                           roles=services.role_choices(), levels=[(level.value, services.LEVEL_LABELS[level.value])
                                                                 for level in UnitLevel],
                           step_label=services.step_label), (400 if failed else 200)


# -- the report -------------------------------------------------------------------------------

def _report_args():
    group = request.args.get("group") or "unit"
    month_from = (request.args.get("from") or "").strip() or None
    month_to = (request.args.get("to") or "").strip() or None
    type_id = request.args.get("type", type=int)
    return group, month_from, month_to, type_id


@bp.route("/report")
@auth_required("session")
def report():
    _require(services.PERM_REPORT)
    group, month_from, month_to, type_id = _report_args()
    error = None
    try:
        rows = services.issued_report(group, month_from, month_to, type_id)
    except ServiceError as exc:
        rows, error = [], str(exc.message)
    total = sum((row.value for row in rows), Decimal("0"))
    peak = max((row.value for row in rows), default=Decimal("0"))
    export_args = {"group": group, "from": month_from, "to": month_to, "type": type_id}
    export_url = url_for("resources.report_export", **{k: v for k, v in export_args.items() if v})
    return render_template("resources/report.html", rows=rows, group=group, export_url=export_url, month_from=month_from or "",
                           month_to=month_to or "", type_id=type_id, types=services.types(active_only=False),
                           error=error, total=total, peak=peak), (400 if error else 200)


@bp.route("/report.xlsx")
@auth_required("session")
def report_export():
    _require(services.PERM_REPORT)
    group, month_from, month_to, type_id = _report_args()
    try:
        rows = services.issued_report(group, month_from, month_to, type_id)
    except ServiceError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("resources.report"))
    heading = {"unit": _("Unit"), "type": _("Resource type"), "month": _("Month")}[group]
    headers = [heading, _("Requests"), _("Items"), _("Issued value (yuan)")]
    cells = [[row.label, row.requests, row.quantity, float(row.value)] for row in rows]
    cells += [[], [_("Period"), f"{month_from or '…'} – {month_to or '…'}"]]
    buffer = io.BytesIO()
    write_workbook(buffer, _("Issued resources"), [str(h) for h in headers], cells, widths=[28, 12, 12, 18])
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"resources-issued-by-{group}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
