"""Pages of the intel plugin: the list with its tabs ("my intel", "pushed to me", all in
scope, waiting for screening), search, filters, paging and .xlsx export; the form (customer
autocomplete, competitive opportunities of that customer); an item's page with screening,
merging, pushing and "mark as read"; attachments; the competitor list; and the summary
(summary_views). Views are thin: the rules live in services.py; a refusal is shown beside its
field and nothing is half-saved.
"""
from __future__ import annotations

import io
from datetime import datetime

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select

from plugins.intel import services
from plugins.intel.forms import AttachForm, CompetitorForm, IntelForm, MergeForm, PushForm, RateForm, ReadForm
from plugins.intel.services import Status
from workbench.customers import services as customers
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.exports.writer import write_workbook
from workbench.extensions import db
from workbench.files import services as files

bp = Blueprint("intel", __name__, url_prefix="/intel", template_folder="templates",
               static_folder="static", static_url_path="/static")

PAGE_SIZE = 20
EXPORT_LIMIT = 5000


def _need(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _intel_or_404(intel_id):
    try:
        return services.get_intel(intel_id)
    except NotFound:
        abort(404)


@bp.app_context_processor
def _intel_globals():
    return {"intel_status_labels": services.STATUS_LABELS, "intel_status_colours": services.STATUS_COLOURS,
            "intel_values": services.VALUES, "intel_value_colours": services.VALUE_COLOURS,
            "intel_sources": services.SOURCES, "intel_competitor_kinds": services.COMPETITOR_KINDS}


@bp.app_template_filter("intel_status")
def status_filter(status) -> str:
    return services.status_label(status)


@bp.app_template_filter("intel_value")
def value_filter(value) -> str:
    return services.value_label(value)


# --- the list -----------------------------------------------------------------------------------

def list_filters(args) -> services.IntelFilter:
    tab = args.get("tab") if args.get("tab") in services.TABS else services.default_tab(current_user)
    if tab == "screening" and not current_user.can(services.PERM_SCREEN):
        tab = "all"
    status = args.get("status") if args.get("status") in {s.value for s in Status} else None
    return services.IntelFilter(
        tab=tab, q=(args.get("q") or "").strip()[:100] or None, competitor_id=args.get("competitor", type=int),
        status=status, value=args.get("value") if args.get("value") in services.VALUES else None,
        customer_id=args.get("customer_id", type=int), tag=(args.get("tag") or "").strip()[:30] or None,
        unread=args.get("unread") == "1", user_id=current_user.id)


@bp.route("/")
@auth_required("session")
def index():
    _need(services.PERM_VIEW)
    filters = list_filters(request.args)
    page = db.paginate(services.intel_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    unread = {}
    if page.items:
        rows = db.session.execute(select(services.IntelPush).where(
            services.IntelPush.recipient_id == current_user.id,
            services.IntelPush.intel_id.in_([item.id for item in page.items]))).unique().scalars()
        unread = {row.intel_id: row.done_at is None for row in rows}
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("intel/index.html", page=page, filters=filters, counts=services.tab_counts(current_user),
                           competitors=services.competitors(active_only=False), tags=services.known_tags(),
                           unread=unread, args=args, can_screen=current_user.can(services.PERM_SCREEN))


@bp.route("/export.xlsx")
@auth_required("session")
def export():
    """The list as it is filtered on the page, as an Excel file (within the reader's scope)."""
    _need(services.PERM_VIEW)
    filters = list_filters(request.args)
    items = db.session.execute(services.intel_query(filters).limit(EXPORT_LIMIT)).unique().scalars().all()
    headers = [_("Number"), _("Date learned"), _("Competitor"), _("Title"), _("Customer"), _("Product"),
               _("Price / offer"), _("Source"), _("Source details"), _("Description"), _("Status"), _("Value"),
               _("Tags"), _("Recorded by"), _("Unit"), _("Pushed to")]
    tags = {}
    if items:
        for intel_id, tag in db.session.execute(select(services.IntelTag.intel_id, services.IntelTag.tag).where(
                services.IntelTag.intel_id.in_([item.id for item in items]))).all():
            tags.setdefault(intel_id, []).append(tag)
    rows = [[item.code, item.observed_on, item.competitor.name, item.title, item.customer_name, item.product,
             item.offer, services.source_label(item.source), item.source_detail, item.description,
             services.status_label(item.status), services.value_label(item.value),
             ", ".join(sorted(tags.get(item.id, []))), item.owner.name if item.owner else "",
             item.org_unit.name if item.org_unit else "", item.push_count] for item in items]
    buffer = io.BytesIO()
    write_workbook(buffer, _("Intelligence"), headers, rows,
                   widths=[20, 12, 14, 30, 24, 18, 28, 16, 18, 40, 14, 12, 18, 12, 16, 10])
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"intel-{datetime.now():%Y%m%d-%H%M}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- recording ----------------------------------------------------------------------------------

def _customer_label(customer_id) -> str:
    """"name · code" of a customer in the reader's scope, or "" (unknown or out of scope)."""
    try:
        customer = customers.get_customer(int(customer_id))
    except (TypeError, ValueError, NotFound):
        return ""
    return "" if customer.archived else f"{customer.name} · {customer.code}"


def competitive_opportunities(customer_id) -> list:
    """The competitive opportunities of a customer the reader sees (the form's choices)."""
    from plugins.opportunity import services as opportunities

    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        return []
    query = opportunities.opportunity_query(opportunities.OpportunityFilter(customer_id=customer_id,
                                                                            kind="competitive"))
    return list(db.session.execute(query.limit(50)).unique().scalars())


def _prepare(form: IntelForm, intel=None) -> None:
    form.competitor_id.choices = [("", _("Choose the competitor…"))] + [
        (str(row.id), row.name) for row in services.competitors()
        if row.active or (intel is not None and row.id == intel.competitor_id)]
    customer_id = form.customer_id.data
    form.opportunity_id.choices = [("", _("None"))] + [
        (str(row.id), f"{row.code} · {row.title}") for row in competitive_opportunities(customer_id)]


def _form_values(form: IntelForm) -> dict:
    return {"title": form.title.data, "competitor_id": form.competitor_id.data,
            "customer_id": (form.customer_id.data or "").strip() or None,
            "opportunity_id": form.opportunity_id.data or None, "product": form.product.data,
            "offer": form.offer.data, "source": form.source.data, "source_detail": form.source_detail.data,
            "observed_on": form.observed_on.data, "description": form.description.data}


def _field_error(form, exc: ServiceError) -> None:
    name = exc.field if exc.field and hasattr(form, exc.field) else None
    if name == "customer_id":
        name = "customer_search"
    if name is None:
        flash(str(exc.message), "danger")
        return
    getattr(form, name).errors = list(getattr(form, name).errors) + [str(exc.message)]


@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    _need(services.PERM_SUBMIT)
    form = IntelForm()
    if request.method == "GET":
        label = _customer_label(request.args.get("customer_id"))
        form.customer_id.data = request.args.get("customer_id", "") if label else ""
        form.customer_search.data = label
        form.observed_on.data = services.today().isoformat()
        if request.args.get("opportunity_id"):
            form.opportunity_id.data = request.args.get("opportunity_id")
    _prepare(form)
    if form.validate_on_submit():
        try:
            item = services.submit_intel(current_user, _form_values(form), request.files.getlist(form.files.name))
        except ServiceError as exc:
            db.session.rollback()
            _prepare(form)
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("Intel %(code)s recorded; the intel admins will screen it.", code=item.code), "success")
            return redirect(url_for("intel.detail", intel_id=item.id))
    # A refused form is shown again (200, like every form of the workbench) with the messages
    # beside the fields.
    return render_template("intel/form.html", form=form, item=None,
                           accept=files.accept_attribute(services.ATTACHMENT_KINDS))


@bp.route("/opportunities")
@auth_required("session")
def opportunities_of_customer():
    """JSON for the form: the chosen customer's competitive opportunities in the reader's scope."""
    _need(services.PERM_SUBMIT)
    items = competitive_opportunities(request.args.get("customer_id"))
    return jsonify({"items": [{"id": row.id, "label": f"{row.code} · {row.title}"} for row in items]})


@bp.route("/<int:intel_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(intel_id: int):
    item = _intel_or_404(intel_id)
    if "edit" not in services.available_actions(current_user, item):
        abort(403)
    if request.method == "GET":
        form = IntelForm(obj=item)
        form.version.data = item.version
        form.competitor_id.data = str(item.competitor_id)
        form.customer_id.data = str(item.customer_id or "")
        form.customer_search.data = _customer_label(item.customer_id) if item.customer_id else ""
        form.opportunity_id.data = str(item.opportunity_id or "")
        form.observed_on.data = item.observed_on.isoformat()
    else:
        form = IntelForm()
    _prepare(form, item)
    if form.validate_on_submit():
        try:
            services.update_intel(current_user, item, _form_values(form), form.version.data)
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for("intel.edit", intel_id=intel_id))
        except ServiceError as exc:
            db.session.rollback()
            item = _intel_or_404(intel_id)
            _prepare(form, item)
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("intel.detail", intel_id=intel_id))
    return render_template("intel/form.html", form=form, item=item,
                           accept=files.accept_attribute(services.ATTACHMENT_KINDS))


# --- one item -------------------------------------------------------------------------------------

def render_detail(item, status: int = 200, **forms):
    actions = services.available_actions(current_user, item)
    version = item.version
    defaults = {"rate_form": RateForm(version=version), "merge_form": MergeForm(version=version),
                "push_form": PushForm(version=version), "attach_form": AttachForm(), "read_form": ReadForm()}
    defaults.update(forms)
    if "rate" in actions and "rate_form" not in forms:
        defaults["rate_form"].value.data = item.value
        defaults["rate_form"].tags.data = ", ".join(services.tags_of(item))
        defaults["rate_form"].note.data = item.screening_note
    candidates, suggested = [], []
    if "push" in actions:
        candidates = services.push_candidates(current_user, item)
        already = {row.recipient_id for row in services.pushes_of(item)}
        suggested_ids = {person.id for person in services.suggested_recipients(item)}
        defaults["push_form"].recipients.choices = [
            (str(person.id), f"{person.name} · {person.org_unit.name if person.org_unit else ''}")
            for person in candidates if person.id not in already]
        suggested = [person for person in candidates if person.id in suggested_ids and person.id not in already]
    customer_visible = bool(item.customer_id) and _customer_label(item.customer_id) != ""
    opportunity = None
    if item.opportunity_id:
        from plugins.opportunity import services as opportunities

        try:
            opportunity = opportunities.get_opportunity(item.opportunity_id)
        except NotFound:
            opportunity = None
    duplicates = services.possible_duplicates(item) if "merge" in actions else []
    return render_template(
        "intel/detail.html", item=item, actions=actions, tags=services.tags_of(item),
        attachments=services.attachments_of(item), pushes=services.pushes_of(item) if (
            current_user.can(services.PERM_SCREEN) and services.within_own_scope(current_user, item)) else [],
        my_push=services.my_push(current_user, item), merged=services.merged_into(item),
        customer_visible=customer_visible, opportunity=opportunity, duplicates=duplicates,
        suggested=suggested, merged_from=request.args.get("merged_from", type=int),
        accept=files.accept_attribute(services.ATTACHMENT_KINDS), **defaults), status


@bp.route("/<int:intel_id>")
@auth_required("session")
def detail(intel_id: int):
    item = _intel_or_404(intel_id)
    if item.status == Status.MERGED.value:
        survivor = services.survivor_of(item)
        if survivor is not None:
            flash(_("%(code)s was merged into this item.", code=item.code), "info")
            return redirect(url_for("intel.detail", intel_id=survivor.id, merged_from=item.id))
    if services.record_view(current_user, item):
        db.session.commit()
    return render_detail(item)


def _run(item, action, form_name: str, form, success: str):
    """Call a service; a refusal re-renders the page with the message beside the field."""
    try:
        result = action()
    except Conflict as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return redirect(url_for("intel.detail", intel_id=item.id))
    except NotFound:
        db.session.rollback()
        abort(404)
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ServiceError as exc:
        db.session.rollback()
        item = _intel_or_404(item.id)
        if exc.field and hasattr(form, exc.field):
            getattr(form, exc.field).errors = list(getattr(form, exc.field).errors) + [str(exc.message)]
        else:
            flash(str(exc.message), "danger")
        return render_detail(item, 400, **{form_name: form})
    db.session.commit()
    flash(success, "success")
    target = result.id if getattr(result, "__tablename__", "") == "intel_intel" else item.id
    return redirect(url_for("intel.detail", intel_id=target))


@bp.route("/<int:intel_id>/rate", methods=["POST"])
@auth_required("session")
def rate(intel_id: int):
    item = _intel_or_404(intel_id)
    form = RateForm()
    if not form.validate_on_submit():
        return render_detail(item, 400, rate_form=form)
    return _run(item, lambda: services.rate(current_user, item, value=form.value.data, tags=form.tags.data,
                                            note=form.note.data, version=form.version.data),
                "rate_form", form, _("Rated: %(value)s.", value=services.value_label(form.value.data)))


@bp.route("/<int:intel_id>/merge", methods=["POST"])
@auth_required("session")
def merge(intel_id: int):
    item = _intel_or_404(intel_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return render_detail(item, 400, merge_form=form)
    return _run(item, lambda: services.merge(current_user, item, form.survivor.data, version=form.version.data),
                "merge_form", form, _("Merged: %(code)s now points to the surviving item.", code=item.code))


@bp.route("/<int:intel_id>/push", methods=["POST"])
@auth_required("session")
def push(intel_id: int):
    item = _intel_or_404(intel_id)
    form = PushForm()
    if not form.validate_on_submit():
        return render_detail(item, 400, push_form=form)
    if "push" in services.available_actions(current_user, item):
        form.recipients.choices = [(str(person.id), person.name)
                                   for person in services.push_candidates(current_user, item)]
    return _run(item, lambda: services.push(current_user, item, form.recipients.data, note=form.note.data,
                                            version=form.version.data),
                "push_form", form, _("Pushed. Each person got a to-do and a notification."))


@bp.route("/<int:intel_id>/read", methods=["POST"])
@auth_required("session")
def mark_read(intel_id: int):
    item = _intel_or_404(intel_id)
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    return _run(item, lambda: services.mark_read(current_user, item), "read_form", form,
                _("Marked as read; the to-do is done."))


@bp.route("/<int:intel_id>/attachments", methods=["POST"])
@auth_required("session")
def attach(intel_id: int):
    item = _intel_or_404(intel_id)
    form = AttachForm()
    if not form.validate_on_submit():
        return render_detail(item, 400, attach_form=form)
    return _run(item, lambda: services.add_attachments(current_user, item, request.files.getlist(form.files.name)),
                "attach_form", form, _("Files added."))


@bp.route("/<int:intel_id>/files/<int:attachment_id>")
@auth_required("session")
def download(intel_id: int, attachment_id: int):
    """An attachment, only through its item's scoped lookup (recipients of a push included)."""
    item = _intel_or_404(intel_id)
    try:
        attachment = services.attachment_of(item, attachment_id)
        return files.send_stored_file(attachment.file)
    except NotFound:
        abort(404)


# --- competitors (intel admins) -------------------------------------------------------------------

@bp.route("/competitors")
@auth_required("session")
def competitors():
    _need(services.PERM_COMPETITORS)
    from sqlalchemy import func

    counts = dict(db.session.execute(select(services.Intel.competitor_id, func.count(services.Intel.id))
                                     .group_by(services.Intel.competitor_id)).all())
    return render_template("intel/competitors.html", competitors=services.competitors(active_only=False),
                           counts=counts)


@bp.route("/competitors/new", methods=["GET", "POST"], defaults={"competitor_id": None})
@bp.route("/competitors/<int:competitor_id>", methods=["GET", "POST"])
@auth_required("session")
def competitor(competitor_id):
    _need(services.PERM_COMPETITORS)
    record = None
    if competitor_id is not None:
        try:
            record = services.get_competitor(competitor_id)
        except NotFound:
            abort(404)
    form = CompetitorForm(obj=record) if request.method == "GET" else CompetitorForm()
    if request.method == "GET" and record is not None:
        form.version.data = record.version
    if form.validate_on_submit():
        try:
            saved = services.save_competitor(current_user, record, name=form.name.data, kind=form.kind.data,
                                             notes=form.notes.data, active=form.active.data, order=form.order.data,
                                             version=form.version.data if record is not None else None)
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for("intel.competitor", competitor_id=competitor_id))
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=saved.name), "success")
            return redirect(url_for("intel.competitors"))
    return render_template("intel/competitor.html", form=form, record=record)
