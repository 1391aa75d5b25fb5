"""Customer pages: list with search and filters, CSV export, the customer page (客户视图)
whose sections come from plugins, editing with conflict detection, contacts, group view."""
from __future__ import annotations

import csv
import io
import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user

from workbench.customers import services
from workbench.customers.forms import ContactForm, CustomerForm, LinkForm
from workbench.customers.models import CUSTOMER_LEVELS
from workbench.errors import NotFound, ServiceError
from workbench.exports.writer import csv_safe
from workbench.extensions import db
from workbench.page_actions import run_page_action
from workbench.plugins import registry
from workbench.records import EditConflict

log = logging.getLogger(__name__)
bp = Blueprint("customers", __name__, url_prefix="/customers")


def customer_filters(args) -> services.CustomerFilter:
    """The list's filters from a query string; the .xlsx export (workbench.exports) reads
    them with this same function, so the file always matches the page."""
    return services.CustomerFilter(
        q=args.get("q") or None,
        industry=args.get("industry") or None,
        level=args.get("level") or None,
        unit_id=args.get("unit", type=int),
    )


def _filters() -> services.CustomerFilter:
    return customer_filters(request.args)


def _customer_or_404(customer_id: int):
    try:
        return services.get_customer(customer_id)
    except NotFound:
        abort(404)


@bp.route("/")
@auth_required("session")
def index():
    filters = _filters()
    page = db.paginate(services.customer_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=20, error_out=False)
    members = services.member_count([c.id for c in page.items])
    return render_template("customers/index.html", page=page, filters=filters, members=members,
                           industries=services.industries(), levels=CUSTOMER_LEVELS)


@bp.route("/export.csv")
@auth_required("session")
def export():
    """CSV of the filtered list — same scope as the page, so nothing extra leaks."""
    if not current_user.can("customers.export"):
        abort(403)
    rows = db.session.execute(services.customer_query(_filters())).scalars()
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM so Excel opens UTF-8 Chinese correctly
    writer = csv.writer(buffer)
    writer.writerow(["code", "name", "industry", "level", "owner", "org_unit", "address"])
    for customer in rows:
        # csv_safe: a name like "=HYPERLINK(…)" must stay text in the reader's Excel.
        writer.writerow([csv_safe(value) for value in (
            customer.code, customer.name, customer.industry, customer.level,
            customer.owner.username if customer.owner else "", customer.org_unit.code, customer.address)])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=customers.csv"})


@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    if not current_user.can("customers.create"):
        abort(403)
    form = CustomerForm()
    if form.validate_on_submit():
        try:
            customer = services.create_customer(
                current_user, code=form.code.data, name=form.name.data, industry=form.industry.data,
                level=form.level.data, address=form.address.data, notes=form.notes.data)
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "code").errors.append(str(exc.message))
        else:
            db.session.commit()
            flash(_("Customer created."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=None)


@bp.route("/<int:customer_id>")
@auth_required("session")
def detail(customer_id: int):
    customer = _customer_or_404(customer_id)
    sections = [s for s in registry().customer_sections
                if s.permission is None or current_user.can(s.permission)]
    return render_template("customers/detail.html", customer=customer, sections=sections)


@bp.route("/<int:customer_id>/sections/<key>")
@auth_required("session")
def section(customer_id: int, key: str):
    customer = _customer_or_404(customer_id)
    found = next((s for s in registry().customer_sections if s.key == key), None)
    if found is None or (found.permission and not current_user.can(found.permission)):
        abort(404)
    try:
        return found.render(customer)
    except Exception:
        log.exception("customer section %s failed for customer %s", key, customer_id)
        db.session.rollback()
        return render_template("customers/section_error.html", section=found)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(customer_id: int):
    customer = _customer_or_404(customer_id)
    if not current_user.can("customers.edit"):
        abort(403)
    form = CustomerForm(obj=customer)
    del form.code
    if request.method == "GET":
        form.version.data = customer.version
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.EDITABLE_FIELDS}
        try:
            services.update_customer(current_user, customer, values, form.version.data)
            db.session.commit()
        except EditConflict:
            db.session.rollback()
            flash(_("Someone else changed this customer while you were editing. "
                    "Their changes are shown below; re-apply yours and save again."), "warning")
            return redirect(url_for("customers.edit", customer_id=customer_id))
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc.message))
        else:
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer_id))
    return render_template("customers/form.html", form=form, customer=customer)


@bp.route("/<int:customer_id>/contacts", methods=["POST"])
@auth_required("session")
def add_contact(customer_id: int):
    customer = _customer_or_404(customer_id)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            services.add_contact(current_user, customer, name=form.name.data, title=form.title.data,
                                 phone=form.phone.data, email=form.email.data, is_key=form.is_key.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Contact added."), "success")
    else:
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {errors[0]}", "danger")
    return redirect(url_for("customers.detail", customer_id=customer_id) + "#section-core.contacts")


@bp.route("/<int:customer_id>/members")
@auth_required("session")
def members(customer_id: int):
    customer = _customer_or_404(customer_id)
    page = services.members_page(customer, request.args.get("page", 1, type=int))
    return render_template("customers/sections/members.html", customer=customer, page=page)


@bp.route("/<int:customer_id>/links", methods=["POST"])
@auth_required("session")
def add_link(customer_id: int):
    """Link a group found by code under this one; the child must be visible to the user too."""
    parent = _customer_or_404(customer_id)
    form = LinkForm()
    if form.validate_on_submit():
        run_page_action(lambda: services.link_by_code(current_user, parent, form.child_code.data,
                                                      form.link_type.data), _("Groups linked."))
    else:
        flash(_("Enter the customer code of the group to link."), "danger")
    return redirect(url_for("customers.detail", customer_id=customer_id) + "#section-core.group")
