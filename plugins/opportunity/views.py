"""Pages of the opportunity plugin: the list (search, filters, paging), the pool, the form
whose extra fields follow the category (htmx), an opportunity's page with the action of each
step, follow-ups, and the catalogue and step-deadline administration. Views are thin: the
rules live in services.py; a refusal is shown beside its field, nothing is half-saved.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select

from workbench.auth.models import User
from workbench.customers import services as customers
from workbench.errors import Conflict, NotFound, ServiceError
from workbench.extensions import db
from workbench.org.models import OrgUnit
from plugins.opportunity import services
from plugins.opportunity.forms import (AssignForm, AwardForm, CategoryForm, ClaimForm, CloseForm, DecisionForm,
                                       EditForm, FollowUpForm, OpportunityForm, PublishForm, SurveyForm,
                                       extra_values)
from plugins.opportunity.services import Stage

bp = Blueprint("opportunity", __name__, url_prefix="/opportunity", template_folder="templates",
               static_folder="static", static_url_path="/static")

PAGE_SIZE = 20
STAGE_HELP = {Stage.POOL.value: "opportunity.pool", Stage.SURVEY_REVIEW.value: "opportunity.survey_review",
              Stage.CONFIRMATION.value: "opportunity.confirmation"}


def _need(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _opportunity_or_404(opportunity_id: int):
    try:
        return services.get_opportunity(opportunity_id)
    except NotFound:
        abort(404)


@bp.app_template_filter("opportunity_stage")
def stage_label_filter(stage) -> str:
    return services.stage_label(stage)


@bp.app_template_filter("opportunity_money")
def money(value) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.2f}"


@bp.app_context_processor
def _opportunity_globals():
    return {"opportunity_kinds": services.KINDS, "opportunity_flow": services.FLOW,
            "followup_kinds": services.FOLLOWUP_KINDS,
            "opportunity_field_label": services.field_label}


# --- the list and the pool -------------------------------------------------------------------

def list_filters(args) -> services.OpportunityFilter:
    stage = args.get("stage") or None
    if stage and stage != "open" and stage not in {s.value for s in Stage}:
        stage = None
    kind = args.get("kind") if args.get("kind") in services.KINDS else None
    return services.OpportunityFilter(
        q=(args.get("q") or "").strip()[:100] or None, stage=stage, kind=kind,
        category=(args.get("category") or None), mine=args.get("mine") == "1",
        overdue=args.get("overdue") == "1", stale=args.get("stale") == "1", user_id=current_user.id,
        customer_id=args.get("customer_id", type=int))


@bp.route("/")
@auth_required("session")
def index():
    _need(services.PERM_VIEW)
    filters = list_filters(request.args)
    page = db.paginate(services.opportunity_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("opportunity/index.html", page=page, filters=filters,
                           categories=services.categories(), stages=list(Stage),
                           counts=services.counts_by_stage(), now=services.utcnow(),
                           is_overdue=services.is_overdue, is_stale=services.is_stale)


@bp.route("/pool")
@auth_required("session")
def pool():
    _need(services.PERM_VIEW)
    mine = services.pool_open_for(current_user)
    managed = []
    if current_user.can(services.PERM_DISPATCH):
        managed = list(db.session.execute(services.opportunity_query(
            services.OpportunityFilter(stage=Stage.POOL.value))).unique().scalars())
    claimed = {row.opportunity_id: row for row in db.session.execute(
        select(services.Claim).where(services.Claim.user_id == current_user.id,
                                     services.Claim.status == "pending")).scalars()}
    return render_template("opportunity/pool.html", open_items=mine, managed=managed, claimed=claimed,
                           claim_form=ClaimForm(), now=services.utcnow())


# --- creating -------------------------------------------------------------------------------------

def _customer_label(customer_id) -> str:
    """"name · code" of a customer in the reader's scope, or "" (unknown or out of scope)."""
    try:
        customer = customers.get_customer(int(customer_id))
    except (TypeError, ValueError, NotFound):
        return ""
    return "" if customer.archived else f"{customer.name} · {customer.code}"


def _category_choices():
    return [("", _("Choose a category…"))] + [(row.code, row.full_label) for row in services.categories()]


def _category_from(code):
    if not code:
        return None
    try:
        category = services.get_category(code)
    except NotFound:
        return None
    return category if category.active else None


@bp.route("/fields")
@auth_required("session")
def fields():
    """The extra-field block of a category (htmx swaps it in when the category changes)."""
    return render_template("opportunity/_fields.html", category=_category_from(request.args.get("category")),
                           values=extra_values(request.args), errors={})


@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    _need(services.PERM_CREATE)
    form = OpportunityForm()
    form.category.choices = _category_choices()
    if request.method == "GET":
        # ?customer_id= from the customer page preselects it (only if the reader may see it).
        label = _customer_label(request.args.get("customer_id"))
        form.customer_id.data = request.args.get("customer_id", "") if label else ""
        form.customer_search.data = label
        form.category.data = request.args.get("category", "")
    errors, values = {}, extra_values(request.form)
    if form.validate_on_submit():
        opportunity_values = dict(kind=form.kind.data, category_code=form.category.data, title=form.title.data,
                                  description=form.description.data,
                                  expected_revenue=form.expected_revenue.data, details=values)
        try:
            if form.new_customer.data:
                item = services.report_with_new_customer(
                    current_user, customer_name=form.new_customer_name.data or "",
                    customer_code=form.new_customer_code.data or "",
                    customer_industry=form.new_customer_industry.data or "", **opportunity_values)
            else:
                if not (form.customer_id.data or "").strip():
                    raise ServiceError(_("Choose a customer from the suggestions (type a few characters of "
                                         "its name or code)."), field="customer_id")
                item = services.create_opportunity(current_user, customer=form.customer_id.data,
                                                   **opportunity_values)
        except services.DetailsInvalid as exc:
            db.session.rollback()
            errors = {key: str(message) for key, message in exc.errors.items()}
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc, default="title")
        else:
            db.session.commit()
            flash(_("Opportunity %(code)s reported; %(name)s will publish or assign it.",
                    code=item.code, name=item.handler.name if item.handler else "-"), "success")
            return redirect(url_for("opportunity.detail", opportunity_id=item.id))
    return render_template("opportunity/new.html", form=form, values=values, errors=errors,
                           category=_category_from(form.category.data))


def _field_error(form, exc: ServiceError, default: str) -> None:
    name = exc.field if exc.field and hasattr(form, exc.field) else None
    if name is None:
        flash(str(exc.message), "danger")
        return
    getattr(form, name).errors = list(getattr(form, name).errors) + [str(exc.message)]


# --- one opportunity ------------------------------------------------------------------------------

def _eligible_assignees(item) -> list[User]:
    unit = db.session.get(OrgUnit, item.pool_unit_id) if item.pool_unit_id else None
    unit = unit or services._pool_unit_for(item)
    scope = current_user.scope
    people = services.eligible_claimants(unit)
    if not scope.sees_everything and scope.unit_path:
        people = [user for user in people if user.org_unit and user.org_unit.path.startswith(scope.unit_path)]
    return people


def _pool_units(item) -> list[OrgUnit]:
    chain = [unit for unit in services._unit_chain(item.org_unit_id)]
    scope = current_user.scope
    if not scope.sees_everything and scope.unit_path:
        chain = [unit for unit in chain if unit.path.startswith(scope.unit_path)]
    return chain or services._unit_chain(item.org_unit_id)[:1]


def render_detail(item, status: int = 200, **forms):
    actions = services.available_actions(current_user, item)
    version = item.version
    defaults = {
        "publish_form": PublishForm(version=version), "claim_form": ClaimForm(),
        "award_form": AwardForm(version=version), "assign_form": AssignForm(version=version),
        "survey_form": SurveyForm(version=version), "review_form": DecisionForm(version=version),
        "confirm_form": DecisionForm(version=version), "close_form": CloseForm(version=version),
        "followup_form": FollowUpForm(),
    }
    defaults.update(forms)
    claims = services.claims_of(item)
    if "publish" in actions:
        units = _pool_units(item)
        default_unit = services._pool_unit_for(item)
        defaults["publish_form"].unit_id.choices = [(str(unit.id), unit.name) for unit in units]
        if not defaults["publish_form"].unit_id.data:
            defaults["publish_form"].unit_id.data = str(default_unit.id)
    if "award" in actions:
        defaults["award_form"].claim_id.choices = [("", _("Choose a claim…"))] + [
            (str(row.id), f"{row.user.name} · {row.user.org_unit.name if row.user.org_unit else ''}") for row in claims]
    if "assign" in actions:
        defaults["assign_form"].assignee_id.choices = [("", _("Choose an account manager…"))] + [
            (str(user.id), f"{user.name} · {user.org_unit.name}") for user in _eligible_assignees(item)]
    my_claim = next((row for row in claims if row.user_id == current_user.id), None)
    solutions_link = None
    if "solutions.new" in current_app.view_functions and item.stage in services.OPEN_STAGE_VALUES:
        solutions_link = url_for("solutions.new", customer_id=item.customer_id, opportunity_id=item.id)
    contract_link = None
    if "contract.new" in current_app.view_functions and item.stage == Stage.PRE_EXECUTION.value:
        contract_link = url_for("contract.new", opportunity_id=item.id)
    steps = services.steps_of(item)
    return render_template(
        "opportunity/detail.html", visited={step.to_stage for step in steps}, item=item, actions=actions, step_actions=actions - {"edit", "followup", "close"},
        claims=claims, my_claim=my_claim,
        steps=steps, followups=services.followups_of(item, limit=50),
        help_key=STAGE_HELP.get(item.stage), solutions_link=solutions_link, contract_link=contract_link,
        overdue=services.is_overdue(item), stale=services.is_stale(item), **defaults), status


@bp.route("/<int:opportunity_id>")
@auth_required("session")
def detail(opportunity_id: int):
    return render_detail(_opportunity_or_404(opportunity_id))


def _run(item, action, form_name: str, form, success: str):
    """Call a transition; a refusal re-renders the page with the message beside the field."""
    try:
        action()
    except Conflict as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return redirect(url_for("opportunity.detail", opportunity_id=item.id))
    except ServiceError as exc:
        db.session.rollback()
        item = _opportunity_or_404(item.id)
        if exc.field and hasattr(form, exc.field):
            getattr(form, exc.field).errors = list(getattr(form, exc.field).errors) + [str(exc.message)]
        else:
            flash(str(exc.message), "danger")
        return render_detail(item, 400, **{form_name: form})
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("opportunity.detail", opportunity_id=item.id))


def _invalid(item, form_name, form):
    return render_detail(item, 400, **{form_name: form})


@bp.route("/<int:opportunity_id>/publish", methods=["POST"])
@auth_required("session")
def publish(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _invalid(item, "publish_form", form)
    unit = db.session.get(OrgUnit, int(form.unit_id.data)) if (form.unit_id.data or "").isdigit() else None
    return _run(item, lambda: services.publish_to_pool(item, current_user, unit=unit, claim_hours=form.claim_hours.data,
                                                       note=form.note.data, version=form.version.data),
                "publish_form", form, _("Published to the pool; the account managers were told."))


@bp.route("/<int:opportunity_id>/claim", methods=["POST"])
@auth_required("session")
def claim(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = ClaimForm()
    if not form.validate_on_submit():
        return _invalid(item, "claim_form", form)
    return _run(item, lambda: services.claim(item, current_user, note=form.note.data), "claim_form", form,
                _("Claimed. The opportunity manager will award it."))


@bp.route("/<int:opportunity_id>/award", methods=["POST"])
@auth_required("session")
def award(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = AwardForm()
    if not form.validate_on_submit() or not (form.claim_id.data or "").isdigit():
        if not form.claim_id.errors:
            form.claim_id.errors = [_("Choose one of the claims.")]
        return _invalid(item, "award_form", form)
    return _run(item, lambda: services.award(item, current_user, claim_id=int(form.claim_id.data),
                                             note=form.note.data, version=form.version.data),
                "award_form", form, _("Awarded."))


@bp.route("/<int:opportunity_id>/assign", methods=["POST"])
@auth_required("session")
def assign(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = AssignForm()
    assignee = None
    if form.validate_on_submit() and (form.assignee_id.data or "").isdigit():
        assignee = db.session.get(User, int(form.assignee_id.data))
    if assignee is None:
        if not form.assignee_id.errors:
            form.assignee_id.errors = [_("Choose an account manager.")]
        return _invalid(item, "assign_form", form)
    return _run(item, lambda: services.assign(item, current_user, assignee=assignee, note=form.note.data,
                                              version=form.version.data),
                "assign_form", form, _("Assigned to %(name)s.", name=assignee.name))


@bp.route("/<int:opportunity_id>/survey", methods=["POST"])
@auth_required("session")
def survey(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = SurveyForm()
    if not form.validate_on_submit():
        return _invalid(item, "survey_form", form)
    return _run(item, lambda: services.submit_survey(item, current_user, report=form.report.data,
                                                     version=form.version.data),
                "survey_form", form, _("Survey submitted for review."))


@bp.route("/<int:opportunity_id>/review", methods=["POST"])
@auth_required("session")
def review(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _invalid(item, "review_form", form)
    approve = form.decision.data == "approve"
    return _run(item, lambda: services.review_survey(item, current_user, approve=approve, note=form.note.data,
                                                     version=form.version.data),
                "review_form", form, _("Survey approved.") if approve else _("Survey sent back."))


@bp.route("/<int:opportunity_id>/confirm", methods=["POST"])
@auth_required("session")
def confirm(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _invalid(item, "confirm_form", form)
    approve = form.decision.data == "approve"
    return _run(item, lambda: services.confirm(item, current_user, approve=approve, note=form.note.data,
                                               version=form.version.data),
                "confirm_form", form,
                _("Confirmed into the contract pre-execution pool.") if approve else _("Sent back."))


@bp.route("/<int:opportunity_id>/close", methods=["POST"])
@auth_required("session")
def close(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _invalid(item, "close_form", form)
    return _run(item, lambda: services.close(item, current_user, reason=form.reason.data, version=form.version.data),
                "close_form", form, _("Opportunity closed."))


@bp.route("/<int:opportunity_id>/followups", methods=["POST"])
@auth_required("session")
def followup(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _invalid(item, "followup_form", form)
    return _run(item, lambda: services.record_followup(item, current_user, kind=form.kind.data, note=form.note.data),
                "followup_form", form, _("Follow-up recorded."))


@bp.route("/<int:opportunity_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    if "edit" not in services.available_actions(current_user, item):
        abort(403)
    form = EditForm(obj=item) if request.method == "GET" else EditForm()
    if request.method == "GET":
        form.version.data = item.version
        form.expected_revenue.data = "" if item.expected_revenue is None else str(item.expected_revenue)
    errors, values = {}, (extra_values(request.form) if request.method == "POST" else dict(item.details or {}))
    if form.validate_on_submit():
        try:
            services.update_opportunity(current_user, item, {
                "title": form.title.data, "description": form.description.data, "kind": form.kind.data,
                "expected_revenue": form.expected_revenue.data, "details": values}, form.version.data)
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for("opportunity.edit", opportunity_id=opportunity_id))
        except services.DetailsInvalid as exc:
            db.session.rollback()
            errors = {key: str(message) for key, message in exc.errors.items()}
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc, default="title")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("opportunity.detail", opportunity_id=opportunity_id))
        item = _opportunity_or_404(opportunity_id)
    return render_template("opportunity/edit.html", item=item, form=form, values=values, errors=errors,
                           category=item.category)


# --- catalogue and step deadlines (administrators) ---------------------------------------------------

def _posted_field_definitions(form_data) -> list[dict]:
    """Rows of the field table: f-<n>-key, f-<n>-label, ...; rows without a key are dropped."""
    numbers = sorted({int(name.split("-")[1]) for name in form_data if name.startswith("f-") and
                      name.split("-")[1].isdigit()})
    rows = []
    for number in numbers:
        get = lambda part: (form_data.get(f"f-{number}-{part}") or "").strip()  # noqa: E731
        if not get("key"):
            continue
        rows.append({"key": get("key"), "label": get("label"), "label_zh": get("label_zh"), "type": get("type") or "text",
                     "required": bool(get("required")), "group": get("group") or "extra",
                     "choices": [part.strip() for part in get("choices").replace("，", ",").split(",") if part.strip()]})
    return rows


@bp.route("/catalogue", methods=["GET", "POST"])
@auth_required("session")
def catalogue():
    _need(services.PERM_CATALOGUE)
    sla_errors = {}
    if request.method == "POST":
        try:
            services.save_sla(current_user, {stage.value: request.form.get(stage.value, "")
                                             for stage in services.OPEN_STAGES})
        except ServiceError as exc:
            db.session.rollback()
            sla_errors = {exc.field: str(exc.message)}
        else:
            db.session.commit()
            flash(_("Step deadlines saved."), "success")
            return redirect(url_for("opportunity.catalogue"))
    from flask_wtf import FlaskForm

    return render_template("opportunity/catalogue.html", categories=services.categories(active_only=False),
                           sla=services.sla_table(), sla_errors=sla_errors, sla_form=FlaskForm(),
                           sla_values=request.form if request.method == "POST" else {})


@bp.route("/catalogue/new", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/catalogue/<int:category_id>", methods=["GET", "POST"])
@auth_required("session")
def category(category_id):
    _need(services.PERM_CATALOGUE)
    record = None
    if category_id is not None:
        record = db.session.get(services.Category, category_id) or abort(404)
    form = CategoryForm(obj=record) if request.method == "GET" else CategoryForm()
    form.parent_id.choices = [("", _("None (top level)"))] + [
        (str(row.id), row.label) for row in services.categories(active_only=False)
        if row.parent_id is None and (record is None or row.id != record.id)]
    if request.method == "GET" and record is not None:
        form.parent_id.data = str(record.parent_id or "")
    definitions = record.fields if (record is not None and request.method == "GET") else _posted_field_definitions(request.form)
    fields_error = None
    if form.validate_on_submit():
        try:
            saved = services.save_category(
                current_user, record, code=form.code.data, name=form.name.data, name_en=form.name_en.data,
                parent_id=int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None,
                is_ict=form.is_ict.data, is_leased_line=form.is_leased_line.data, active=form.active.data,
                order=form.order.data or 0, fields=definitions)
        except ServiceError as exc:
            db.session.rollback()
            if exc.field == "fields":
                fields_error = str(exc.message)
            else:
                _field_error(form, exc, default="name")
        else:
            db.session.commit()
            flash(_("Category %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("opportunity.catalogue"))
    return render_template("opportunity/category.html", form=form, record=record, definitions=definitions,
                           fields_error=fields_error, field_types=services.FIELD_TYPES)
