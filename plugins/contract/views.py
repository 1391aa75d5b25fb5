"""Pages of the contract plugin: the list, generating an order from an opportunity, the
order's page with its actions, the fill-in form, downloads, and the template library.
Views are thin: they call services.py, show a refusal beside its field, commit on success,
and answer 404 for anything outside the reader's scope."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy.orm.exc import StaleDataError

from plugins.contract import documents, services
from plugins.contract.forms import (ConfirmForm, ConstructionForm, ContractForm, GenerateForm, NoteForm, ReasonForm,
                                    TemplateForm, UploadForm)
from plugins.contract.services import State
from plugins.opportunity import services as opportunities
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.files import services as files
from workbench.records import EditConflict

bp = Blueprint("contract", __name__, url_prefix="/contract", template_folder="templates",
               static_folder="static")

PAGE_SIZE = 20


def _require(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


def _contract_or_404(contract_id: int):
    try:
        return services.get_contract(contract_id)
    except NotFound:
        abort(404)


def _run(action, form=None, default_field: str | None = None) -> bool:
    """Run a service call and commit. On refusal roll back (nothing half-written) and put
    the message beside its field (or flash it); returns whether it succeeded."""
    try:
        action()
        db.session.commit()
        return True
    except (EditConflict, StaleDataError):
        db.session.rollback()
        flash(_("Someone else changed this contract since you opened it. Reload the page and try again."), "danger")
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


# -- list -------------------------------------------------------------------------------------

@bp.route("/")
@auth_required("session")
def index():
    _require(services.PERM_VIEW)
    expiring = request.args.get("expiring", type=int)
    filters = services.ContractFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                      state=request.args.get("state") or None,
                                      mine=request.args.get("mine") == "1",
                                      expiring_days=expiring if expiring in (7, 30, 90) else None)
    page = db.paginate(services.contract_query(filters, actor=current_user),
                       page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE, error_out=False)
    return render_template("contract/index.html", page=page, filters=filters, labels=services.STATE_LABELS,
                           colours=services.STATE_COLOURS, State=services.State, days_left=services.days_left,
                           counts=services.counts_by_state())


# -- generating an order ----------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    _require(services.PERM_CREATE)
    opportunity_id = request.values.get("opportunity_id", type=int)
    if not opportunity_id:
        flash(_("Open an opportunity in the contract pre-execution pool and generate its contract from there."),
              "info")
        return redirect(url_for("contract.index"))
    try:
        opportunity = opportunities.get_opportunity(opportunity_id)
    except NotFound:
        abort(404)
    existing = services.contract_of_opportunity(opportunity.id)
    if existing is not None:
        flash(_("This opportunity already has the contract work order %(code)s.", code=existing.code), "info")
        return redirect(url_for("contract.detail", contract_id=existing.id))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        created = {}

        def create():
            created["contract"] = services.create_contract(current_user, opportunity.id)

        if _run(create):
            flash(_("Contract work order %(code)s generated. Fill it in and upload the contract.",
                    code=created["contract"].code), "success")
            return redirect(url_for("contract.edit", contract_id=created["contract"].id))
    ready = opportunity.stage == opportunities.Stage.PRE_EXECUTION.value
    return render_template("contract/new.html", opportunity=opportunity, form=form, ready=ready,
                           stage_label=opportunities.stage_label(opportunity.stage))


# -- one order --------------------------------------------------------------------------------

def _detail_page(contract, status: int = 200, **forms):
    actions = services.available_actions(current_user, contract)
    version = contract.version
    defaults = {
        "upload_form": UploadForm(prefix="upload"),
        "generate_form": GenerateForm(prefix="generate"),
        "approve_form": NoteForm(prefix="approve", version=version),
        "return_form": ReasonForm(prefix="return", version=version),
        "cancel_form": ReasonForm(prefix="cancel", version=version),
        "signed_form": UploadForm(prefix="signed"),
        "construction_form": ConstructionForm(prefix="construction", version=version),
        "confirm_form": ConfirmForm(prefix="confirm", version=version),
        "submit_form": ConfirmForm(prefix="submit", version=version),
    }
    defaults.update(forms)
    available_templates = services.templates_for(contract) if "generate" in actions else []
    defaults["generate_form"].template_id.choices = [(t.id, t.name) for t in available_templates]
    if State(contract.state) in services.EDITABLE_STATES:
        help_key = "contract.fill"
    elif State(contract.state) in (State.SIGNING, State.CONSTRUCTION):
        help_key = "contract.upload"
    else:
        help_key = "contract.review"
    return render_template(
        "contract/detail.html", contract=contract, actions=actions, steps=services.steps_of(contract),
        labels=services.STATE_LABELS, colours=services.STATE_COLOURS, State=State, flow=services.FLOW,
        missing=services.missing_for_submit(contract) if "submit" in actions else {},
        days_left=services.days_left(contract), help_key=help_key, templates=available_templates,
        contract_kinds=files.kinds_label(services.CONTRACT_FILE_KINDS),
        contract_accept=files.accept_attribute(services.CONTRACT_FILE_KINDS),
        signed_kinds=files.kinds_label(services.SIGNED_FILE_KINDS),
        signed_accept=files.accept_attribute(services.SIGNED_FILE_KINDS),
        max_mb=files.max_upload_bytes() // (1024 * 1024), opportunity_url=_opportunity_url(contract),
        **defaults), status


def _opportunity_url(contract):
    if "opportunity.detail" not in current_app.view_functions:
        return None
    return url_for("opportunity.detail", opportunity_id=contract.opportunity_id)


@bp.route("/<int:contract_id>")
@auth_required("session")
def detail(contract_id: int):
    return _detail_page(_contract_or_404(contract_id))


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(contract_id: int):
    contract = _contract_or_404(contract_id)
    if not services.may_edit(current_user, contract):
        flash(_("The contract can only be changed by its account manager while it is a draft or sent back."),
              "warning")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    form = ContractForm(obj=None if request.method == "POST" else contract)
    if request.method == "GET":
        form.amount.data = f"{contract.amount:.2f}" if contract.amount is not None else ""
        form.start_date.data = contract.start_date.isoformat() if contract.start_date else ""
        form.end_date.data = contract.end_date.isoformat() if contract.end_date else ""
        form.version.data = contract.version
    upload_form = UploadForm(prefix="upload")
    if request.method == "POST" and form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.EDITABLE_FIELDS}
        if _run(lambda: services.update_contract(current_user, contract, values, form.version.data), form):
            if request.form.get("then") == "submit":
                missing = services.missing_for_submit(contract)
                if not missing and _run(lambda: services.submit(current_user, contract)):
                    flash(_("Contract %(code)s submitted for review.", code=contract.code), "success")
                    return redirect(url_for("contract.detail", contract_id=contract.id))
                contract = _contract_or_404(contract_id)
                form.version.data = contract.version
                for field, message in missing.items():
                    target = upload_form.file if field == "file" else getattr(form, field, None)
                    if target is not None:
                        target.errors = list(target.errors) + [str(message)]
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("contract.edit", contract_id=contract.id))
        else:
            contract = _contract_or_404(contract_id)
    failed = any(field.errors for field in form) or bool(upload_form.file.errors)
    return _edit_page(contract, form, upload_form=upload_form, status=400 if failed else 200)


def _edit_page(contract, form=None, *, upload_form=None, generate_form=None, status=200):
    if form is None:
        form = ContractForm(formdata=None, obj=contract)
        form.amount.data = f"{contract.amount:.2f}" if contract.amount is not None else ""
        form.start_date.data = contract.start_date.isoformat() if contract.start_date else ""
        form.end_date.data = contract.end_date.isoformat() if contract.end_date else ""
        form.version.data = contract.version
    return render_template("contract/edit.html", contract=contract, form=form,
                           upload_form=upload_form or UploadForm(prefix="upload"),
                           generate_form=generate_form or _generate_form(contract),
                           templates=services.templates_for(contract),
                           contract_kinds=files.kinds_label(services.CONTRACT_FILE_KINDS),
                           contract_accept=files.accept_attribute(services.CONTRACT_FILE_KINDS),
                           max_mb=files.max_upload_bytes() // (1024 * 1024), labels=services.STATE_LABELS,
                           fields=documents.FIELDS), status


def _generate_form(contract):
    form = GenerateForm(prefix="generate")
    form.template_id.choices = [(t.id, t.name) for t in services.templates_for(contract)]
    return form


def _back(contract):
    target = request.form.get("next")
    if target == "edit":
        return redirect(url_for("contract.edit", contract_id=contract.id))
    return redirect(url_for("contract.detail", contract_id=contract.id))


@bp.route("/<int:contract_id>/upload", methods=["POST"])
@auth_required("session")
def upload(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = UploadForm(prefix="upload")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.attach_contract_file(current_user, contract, form.file.data), form, "file"):
        flash(_("Contract file uploaded."), "success")
        return _back(contract)
    return _edit_page(_contract_or_404(contract_id), upload_form=form, status=400)


@bp.route("/<int:contract_id>/generate", methods=["POST"])
@auth_required("session")
def generate(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = GenerateForm(prefix="generate")
    form.template_id.choices = [(t.id, t.name) for t in services.templates_for(contract)]
    if not form.validate_on_submit():
        abort(400)

    def run():
        services.generate_draft(current_user, contract, services.get_template(form.template_id.data))

    if _run(run, form, "template_id"):
        flash(_("Draft generated from the template and attached as the contract file. Download it to check it."),
              "success")
        return _back(contract)
    return _edit_page(_contract_or_404(contract_id), generate_form=form, status=400)


@bp.route("/<int:contract_id>/submit", methods=["POST"])
@auth_required("session")
def submit(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = ConfirmForm(prefix="submit")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.submit(current_user, contract, version=form.version.data)):
        flash(_("Contract %(code)s submitted for review.", code=contract.code), "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return redirect(url_for("contract.edit", contract_id=contract.id)) if services.may_edit(
        current_user, _contract_or_404(contract_id)) else redirect(url_for("contract.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/approve", methods=["POST"])
@auth_required("session")
def approve(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = NoteForm(prefix="approve")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.approve(current_user, contract, note=form.note.data, version=form.version.data),
            form, "note"):
        flash(_("Approved. %(name)s is next.", name=contract.handler.name if contract.handler else "—"), "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return _detail_page(_contract_or_404(contract_id), 400, approve_form=form)


@bp.route("/<int:contract_id>/return", methods=["POST"])
@auth_required("session")
def send_back(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = ReasonForm(prefix="return")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.send_back(current_user, contract, form.reason.data, version=form.version.data),
            form, "reason"):
        flash(_("Sent back to %(name)s with your reason.", name=contract.owner.name if contract.owner else "—"),
              "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return _detail_page(_contract_or_404(contract_id), 400, return_form=form)


@bp.route("/<int:contract_id>/cancel", methods=["POST"])
@auth_required("session")
def cancel(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.cancel(current_user, contract, form.reason.data, version=form.version.data),
            form, "reason"):
        flash(_("The contract work order was withdrawn."), "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return _detail_page(_contract_or_404(contract_id), 400, cancel_form=form)


@bp.route("/<int:contract_id>/signed", methods=["POST"])
@auth_required("session")
def signed(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = UploadForm(prefix="signed")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.upload_signed_copy(current_user, contract, form.file.data), form, "file"):
        flash(_("Signed copy uploaded."), "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return _detail_page(_contract_or_404(contract_id), 400, signed_form=form)


@bp.route("/<int:contract_id>/construction", methods=["POST"])
@auth_required("session")
def construction(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = ConstructionForm(prefix="construction")
    if not form.validate_on_submit():
        abort(400)
    values = {name: getattr(form, name).data for name in services.CONSTRUCTION_FIELDS}
    if _run(lambda: services.record_construction(current_user, contract, values, version=form.version.data),
            form):
        flash(_("Survey and construction recorded; the opportunity's fields were filled in."), "success")
        return redirect(url_for("contract.detail", contract_id=contract.id))
    return _detail_page(_contract_or_404(contract_id), 400, construction_form=form)


@bp.route("/<int:contract_id>/confirm", methods=["POST"])
@auth_required("session")
def confirm(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = ConfirmForm(prefix="confirm")
    if not form.validate_on_submit():
        abort(400)
    if _run(lambda: services.confirm(current_user, contract, version=form.version.data)):
        flash(_("Contract %(code)s confirmed; the opportunity is signed.", code=contract.code), "success")
    return redirect(url_for("contract.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/files/<which>")
@auth_required("session")
def download(contract_id: int, which: str):
    """The contract file or the signed copy — only to people who see the contract."""
    contract = _contract_or_404(contract_id)
    stored = {"contract": contract.contract_file, "signed": contract.signed_file}.get(which)
    if stored is None:
        abort(404)
    try:
        return files.send_stored_file(stored)
    except NotFound:
        abort(404)


# -- template library -------------------------------------------------------------------------

@bp.route("/templates", methods=["GET", "POST"])
@auth_required("session")
def template_library():
    _require(services.PERM_VIEW)
    form = TemplateForm()
    manage = current_user.can(services.PERM_TEMPLATES)
    if request.method == "POST":
        if not manage:
            abort(403)
        if form.validate_on_submit():
            def add():
                services.create_template(current_user, name=form.name.data, description=form.description.data,
                                         leased_line=form.leased_line.data, file_storage=form.file.data)

            if _run(add, form, "file"):
                flash(_("Template added."), "success")
                return redirect(url_for("contract.template_library"))
    show_archived = manage and request.args.get("archived") == "1"
    return render_template("contract/templates.html", form=form, manage=manage,
                           templates=services.templates(active_only=not show_archived), fields=documents.FIELDS,
                           show_archived=show_archived, action_form=ConfirmForm()), (400 if form.errors else 200)


@bp.route("/templates/standard", methods=["POST"])
@auth_required("session")
def install_standard():
    _require(services.PERM_TEMPLATES)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    added = []
    if _run(lambda: added.extend(services.install_standard_templates(current_user))):
        flash(_("%(count)d standard template(s) added.", count=len(added)), "success")
    return redirect(url_for("contract.template_library"))


@bp.route("/templates/<int:template_id>/<any(archive, restore):action>", methods=["POST"])
@auth_required("session")
def template_state(template_id: int, action: str):
    _require(services.PERM_TEMPLATES)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        template = services.get_template(template_id)
    except NotFound:
        abort(404)
    if _run(lambda: services.set_template_active(current_user, template, action == "restore",
                                                 version=form.version.data or None)):
        flash(_("Template archived.") if action == "archive" else _("Template restored."), "success")
    return redirect(url_for("contract.template_library"))


@bp.route("/templates/<int:template_id>/download")
@auth_required("session")
def template_download(template_id: int):
    _require(services.PERM_VIEW)
    try:
        template = services.get_template(template_id)
    except NotFound:
        abort(404)
    if not template.active and not current_user.can(services.PERM_TEMPLATES):
        abort(404)
    return files.send_stored_file(template.file)
