"""Pages of the ict plugin: the project list (search, filters, paging), starting and editing a
project, its page (stage bar, work order, team, milestones, notes, documents, history) and the
review page. Views are thin: they call services, put a refusal beside its field, commit on
success and answer 404 for a project out of reach."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.records import EditConflict

from plugins.ict import services
from plugins.ict.forms import (ActionForm, ApproveForm, DocumentForm, MemberForm, MilestoneForm, NoteForm,
                               ProjectForm, ReasonForm)

bp = Blueprint("ict", __name__, url_prefix="/ict", template_folder="templates", static_folder="static")

PAGE_SIZE = 20


def _require_view() -> None:
    if not current_user.can(services.PERM_VIEW):
        abort(403)


def _project_or_404(project_id: int):
    _require_view()
    try:
        return services.get_project(project_id)
    except NotFound:
        abort(404)


def _customer_choices():
    customers = db.session.execute(select(Customer).where(Customer.archived.is_(False))
                                   .order_by(Customer.name).limit(500)).scalars()
    return [("", _("Choose a customer"))] + [(str(c.id), f"{c.name} ({c.code})") for c in customers]


def _category_choices():
    return [(code, name) for code, name in services.ict_categories()]


def _opportunity_choices():
    """Open ICT opportunities in the reader's scope that could start a project."""
    from plugins.opportunity.models import Category, Opportunity

    rows = db.session.execute(
        select(Opportunity).join(Category, Category.id == Opportunity.category_id)
        .where(Category.is_ict.is_(True), Opportunity.stage.notin_(("signed", "closed")))
        .order_by(Opportunity.created_at.desc()).limit(200)).scalars()
    return [("", _("None: a new project"))] + [(str(o.id), f"{o.code} · {o.title}") for o in rows]


def _fail(form, exc: ServiceError, default_field: str) -> None:
    db.session.rollback()
    target = getattr(form, exc.field or default_field, None)
    if target is not None and hasattr(target, "errors"):
        if isinstance(target.errors, tuple):
            target.errors = list(target.errors)
        target.errors.append(str(exc.message))
    else:
        flash(str(exc.message), "danger")


@bp.route("/")
@auth_required("session")
def index():
    _require_view()
    filters = services.ProjectFilter(
        q=(request.args.get("q") or "").strip() or None,
        stage=request.args.get("stage") or None,
        customer_id=request.args.get("customer_id", type=int),
        mine=request.args.get("mine") if request.args.get("mine") in ("mine", "team") else None,
    )
    page = db.paginate(services.project_query(current_user, filters), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("ict/index.html", page=page, filters=filters, labels=services.STAGE_LABELS,
                           customers=services.customer_names(page.items),
                           filtered=any((filters.q, filters.stage, filters.customer_id, filters.mine)))


@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    if not current_user.can(services.PERM_MANAGE):
        abort(403)
    form = ProjectForm()
    form.customer_id.choices = _customer_choices()
    form.category_code.choices = _category_choices()
    form.opportunity_id.choices = _opportunity_choices()
    if request.method == "GET":
        form.customer_id.data = request.args.get("customer_id", "")
        form.opportunity_id.data = request.args.get("opportunity_id", "")
    if form.validate_on_submit():
        try:
            project = services.create_project(
                current_user, customer_id=form.customer_id.data, name=form.name.data,
                scope_of_work=form.scope_of_work.data or "", estimated_value=form.estimated_value.data,
                expected_start=form.expected_start.data, expected_end=form.expected_end.data,
                category_code=form.category_code.data, opportunity_id=form.opportunity_id.data or None)
        except ServiceError as exc:
            _fail(form, exc, "name")
        else:
            db.session.commit()
            flash(_("Project %(code)s started. Add the team and milestones, then submit it for review.",
                    code=project.code), "success")
            return redirect(url_for("ict.detail", project_id=project.id))
    return render_template("ict/form.html", form=form, project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(project_id: int):
    project = _project_or_404(project_id)
    if not services.may_manage(current_user, project):
        abort(403)
    form = ProjectForm(obj=project)
    form.customer_id.choices = [(str(project.customer_id), getattr(services.customer_of(project), "name", ""))]
    form.category_code.choices = _category_choices() or [(project.category_code, project.category_code)]
    form.opportunity_id.choices = [("", "")]
    form.customer_id.data = str(project.customer_id)
    if request.method == "GET":
        form.version.data = project.version
    if form.validate_on_submit():
        values = {"name": form.name.data, "scope_of_work": form.scope_of_work.data or "",
                  "estimated_value": form.estimated_value.data, "expected_start": form.expected_start.data,
                  "expected_end": form.expected_end.data}
        if not project.opportunity_id:
            values["category_code"] = form.category_code.data
        try:
            services.update_project(current_user, project, values, form.version.data)
            db.session.commit()
        except (EditConflict, StaleDataError):
            db.session.rollback()
            flash(_("Someone else changed this project since you opened the form. Reload it and re-apply your change."),
                  "danger")
        except ServiceError as exc:
            _fail(form, exc, "name")
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("ict.detail", project_id=project.id))
    return render_template("ict/form.html", form=form, project=project)


@bp.route("/<int:project_id>")
@auth_required("session")
def detail(project_id: int):
    project = _project_or_404(project_id)
    order = services.work_order(project)
    contract_url = None
    if services.contract_can_be_generated(order) and "contract.new" in current_app.view_functions:
        contract_url = url_for("contract.new", opportunity_id=project.opportunity_id)
    order_url = None
    if order is not None and "opportunity.detail" in current_app.view_functions:
        order_url = url_for("opportunity.detail", opportunity_id=order.id)
    return render_template(
        "ict/detail.html", project=project, customer=services.customer_of(project), order=order,
        contract_url=contract_url, order_url=order_url, history=services.stage_history(project),
        members=services.active_members(project), milestones=services.milestones_of(project),
        notes=services.notes_of(project), documents=services.documents_of(project),
        can_manage=services.may_manage(current_user, project),
        can_contribute=services.may_contribute(current_user, project),
        can_review=services.may_review(current_user, project),
        can_abandon=services.may_abandon(current_user, project),
        stage_path=services.STAGE_PATH, labels=services.STAGE_LABELS, roles=services.MEMBER_ROLES,
        order_labels=services.ORDER_STAGE_LABELS, order_path=services.ORDER_STAGE_PATH,
        action_form=ActionForm(), reason_form=ReasonForm(), member_form=MemberForm(),
        milestone_form=MilestoneForm(), note_form=NoteForm(), document_form=DocumentForm(),
        today=services.utcnow().date(), category=services.category_name(project.category_code),
    )


def _run(project, action, success: str, *args, **kwargs):
    """Run a state change; a refusal is flashed (nothing is half-saved)."""
    try:
        action(current_user, project, *args, **kwargs)
        db.session.commit()
    except (EditConflict, StaleDataError):
        db.session.rollback()
        flash(_("Someone else changed this project at the same moment. Reload the page to see its current state."),
              "danger")
    except NotAllowed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
    else:
        flash(success, "success")
    return redirect(url_for("ict.detail", project_id=project.id))


def _posted(form_class):
    form = form_class()
    if not form.validate_on_submit():
        return form, False
    return form, True


@bp.route("/<int:project_id>/submit", methods=["POST"])
@auth_required("session")
def submit(project_id: int):
    project = _project_or_404(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(project, services.submit_for_review, _("Submitted for review; the reviewer has a to-do."))


@bp.route("/<int:project_id>/review", methods=["GET", "POST"])
@auth_required("session")
def review(project_id: int):
    project = _project_or_404(project_id)
    approve_form, reason_form = ApproveForm(prefix="approve"), ReasonForm(prefix="return")
    if request.method == "POST":
        decision = request.form.get("decision")
        try:
            if decision == "approve" and approve_form.validate_on_submit():
                services.approve(current_user, project, approve_form.note.data or "")
                message = _("Approved: the opportunity work order was created and linked.")
            elif decision == "return" and reason_form.validate_on_submit():
                services.return_for_revision(current_user, project, reason_form.reason.data)
                message = _("Returned to the owner with your reason.")
            else:
                message = None
            if message:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("ict.detail", project_id=project.id))
        except (EditConflict, StaleDataError):
            db.session.rollback()
            flash(_("Someone else changed this project at the same moment. Reload the page to see its current state."),
                  "danger")
        except ServiceError as exc:
            _fail(reason_form if decision == "return" else approve_form, exc,
                  "reason" if decision == "return" else "note")
    return render_template("ict/review.html", project=project, customer=services.customer_of(project),
                           approve_form=approve_form, reason_form=reason_form,
                           can_review=services.may_review(current_user, project), labels=services.STAGE_LABELS,
                           members=services.active_members(project), milestones=services.milestones_of(project),
                           roles=services.MEMBER_ROLES)


@bp.route("/<int:project_id>/abandon", methods=["POST"])
@auth_required("session")
def abandon(project_id: int):
    project = _project_or_404(project_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why the project is abandoned."), "warning")
        return redirect(url_for("ict.detail", project_id=project.id))
    return _run(project, services.abandon, _("The project is abandoned."), form.reason.data)


@bp.route("/<int:project_id>/members", methods=["POST"])
@auth_required("session")
def add_member(project_id: int):
    project = _project_or_404(project_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash(_("Choose a person and a role."), "warning")
        return redirect(url_for("ict.detail", project_id=project.id) + "#team")
    person = db.session.execute(select(User).where(User.username == form.username.data.strip())).scalar_one_or_none()
    return _run(project, services.add_member, _("Added to the team."),
                user_id=person.id if person else None, role=form.role.data)


@bp.route("/<int:project_id>/members/<int:member_id>/remove", methods=["POST"])
@auth_required("session")
def remove_member(project_id: int, member_id: int):
    project = _project_or_404(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(project, services.remove_member, _("Removed from the team."), member_id)


@bp.route("/<int:project_id>/milestones", methods=["POST"])
@auth_required("session")
def add_milestone(project_id: int):
    project = _project_or_404(project_id)
    form = MilestoneForm()
    if not form.validate_on_submit():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        flash(" ".join(errors) or _("Name the milestone and give it a date."), "warning")
        return redirect(url_for("ict.detail", project_id=project.id) + "#milestones")
    return _run(project, services.add_milestone, _("Milestone planned."), title=form.title.data,
                planned_date=form.planned_date.data)


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/done", methods=["POST"])
@auth_required("session")
def milestone_done(project_id: int, milestone_id: int):
    project = _project_or_404(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(project, services.complete_milestone, _("Milestone done."), milestone_id)


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/remove", methods=["POST"])
@auth_required("session")
def remove_milestone(project_id: int, milestone_id: int):
    project = _project_or_404(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(project, services.remove_milestone, _("Milestone removed."), milestone_id)


@bp.route("/<int:project_id>/notes", methods=["POST"])
@auth_required("session")
def add_note(project_id: int):
    project = _project_or_404(project_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Write the note."), "warning")
        return redirect(url_for("ict.detail", project_id=project.id) + "#notes")
    return _run(project, services.add_note, _("Note added."), form.body.data)


@bp.route("/<int:project_id>/documents", methods=["POST"])
@auth_required("session")
def add_document(project_id: int):
    project = _project_or_404(project_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        abort(400)
    return _run(project, services.attach_document, _("Document attached."), request.files.get("file"),
                form.title.data or "")


@bp.route("/<int:project_id>/documents/<int:document_id>")
@auth_required("session")
def download_document(project_id: int, document_id: int):
    from workbench.files import services as files

    project = _project_or_404(project_id)
    try:
        _document, stored = services.get_document(project, document_id)
    except NotFound:
        abort(404)
    return files.send_stored_file(stored)


@bp.route("/<int:project_id>/documents/<int:document_id>/remove", methods=["POST"])
@auth_required("session")
def remove_document(project_id: int, document_id: int):
    project = _project_or_404(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(project, services.remove_document, _("Document removed."), document_id)


@bp.route("/people.json")
@auth_required("session")
def people():
    """Suggestions for the team form: active users matching the typed text."""
    _require_view()
    return jsonify([{"username": user.username, "name": user.name,
                     "unit": user.org_unit.name if user.org_unit else ""}
                    for user in services.search_people(request.args.get("q", ""))])


@bp.route("/stage-counts.json")
@auth_required("session")
def stage_counts():
    """Feeds the 'my projects by stage' chart: {labels, keys, values}."""
    _require_view()
    counts = services.counts_by_stage(current_user)
    keys = list(services.STAGE_LABELS)
    return jsonify({"keys": keys, "labels": [str(services.STAGE_LABELS[k]) for k in keys],
                    "values": [counts.get(k, 0) for k in keys]})
