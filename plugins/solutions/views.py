"""Pages of the solution library: the library (products and their material), curation
(pieces, versions, review), the three-step proposal wizard, the proposal list, the second
edit and the downloads. Views are thin: the rules live in services.py."""
from __future__ import annotations

from functools import wraps

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import auth_required, current_user
from sqlalchemy.orm.exc import StaleDataError

from workbench.errors import Conflict, NotFound, ServiceError
from workbench.extensions import db
from workbench.jobs.services import job_for_key

from plugins.solutions import services
from plugins.solutions.forms import ActionForm, PieceForm, ProductForm, SectionForm
from plugins.solutions.models import (PIECE_KIND_LABELS, PIECE_STATE_LABELS, PIECE_KINDS, GENERATING)

bp = Blueprint("solutions", __name__, url_prefix="/solutions", template_folder="templates",
               static_folder="static")

PAGE_SIZE = 20
PRICE_FIELDS = ("item", "spec", "unit", "unit_price", "quantity", "remark")
BLANK_PRICE_ROWS = 3


def permission(name: str):
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(name):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _or_404(loader, *args):
    try:
        return loader(*args)
    except NotFound:
        abort(404)


def _message(exc: ServiceError) -> str:
    return str(exc.message)


@bp.app_template_filter("yuan")
def yuan(value) -> str:
    from decimal import Decimal

    amount = Decimal(str(value))
    # Money in two decimals; per-message prices (0.045 yuan) keep their own precision.
    return f"{amount:,f}" if amount.as_tuple().exponent < -2 else f"{amount:,.2f}"


@bp.context_processor
def labels():
    return {"piece_kind_labels": PIECE_KIND_LABELS, "piece_state_labels": PIECE_STATE_LABELS}


# --- the library ------------------------------------------------------------------------

def _product_filter() -> services.ProductFilter:
    return services.ProductFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                  industry_id=request.args.get("industry", type=int),
                                  product_line=request.args.get("line") or None)


@bp.route("/")
@auth_required("session")
@permission(services.USE)
def index():
    filters = _product_filter()
    page = db.paginate(services.product_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("solutions/index.html", page=page, filters=filters,
                           industries=services.industries(), lines=services.product_lines())


@bp.route("/products/<int:product_id>")
@auth_required("session")
@permission(services.USE)
def product(product_id: int):
    item = _or_404(services.get_product, product_id)
    curating = current_user.can(services.CURATE)
    pieces = [p for p in item.pieces if curating or p.live is not None]
    return render_template("solutions/product.html", product=item, pieces=pieces, curating=curating,
                           form=ActionForm())


def _product_form(form: ProductForm) -> None:
    form.industry_ids.choices = [(i.id, i.name) for i in services.industries()]


@bp.route("/products/new", methods=["GET", "POST"])
@auth_required("session")
@permission(services.CURATE)
def new_product():
    form = ProductForm()
    _product_form(form)
    if form.validate_on_submit():
        try:
            item = services.create_product(current_user, code=form.code.data, name=form.name.data,
                                           product_line=form.product_line.data, summary=form.summary.data,
                                           industry_ids=form.industry_ids.data)
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(_message(exc))
        else:
            db.session.commit()
            flash(_("Product saved. Now add its material."), "success")
            return redirect(url_for("solutions.product", product_id=item.id))
    return render_template("solutions/product_form.html", form=form, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@auth_required("session")
@permission(services.CURATE)
def edit_product(product_id: int):
    item = _or_404(services.get_product, product_id)
    form = ProductForm(obj=item) if request.method == "GET" else ProductForm()
    _product_form(form)
    if request.method == "GET":
        form.industry_ids.data = [i.id for i in item.industries]
        form.version.data = item.version
    if form.validate_on_submit():
        try:
            services.update_product(current_user, item, version=form.version.data, name=form.name.data,
                                    product_line=form.product_line.data, summary=form.summary.data,
                                    industry_ids=form.industry_ids.data,
                                    archived=request.form.get("archived") == "1")
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            flash(_message(exc), "warning")
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(_message(exc))
        else:
            flash(_("Product saved."), "success")
            return redirect(url_for("solutions.product", product_id=item.id))
    return render_template("solutions/product_form.html", form=form, product=item)


# --- pieces (curation) ------------------------------------------------------------------

def _price_rows_from_form() -> list[dict]:
    rows = []
    for index in range(services.PRICE_ROWS_MAX + BLANK_PRICE_ROWS):
        values = {name: request.form.get(f"price-{index}-{name}", "") for name in PRICE_FIELDS}
        if f"price-{index}-item" not in request.form:
            break
        rows.append(values)
    return rows


def _piece_form(form: PieceForm) -> None:
    form.industry_id.choices = [("", _("— none —"))] + [(str(i.id), i.name) for i in services.industries()]


def _render_piece_form(form, product, piece, rows, error_rows=None):
    return render_template("solutions/piece_form.html", form=form, product=product, piece=piece,
                           rows=list(rows) + [{}] * BLANK_PRICE_ROWS, price_error=error_rows)


@bp.route("/products/<int:product_id>/pieces/new", methods=["GET", "POST"])
@auth_required("session")
@permission(services.CURATE)
def new_piece(product_id: int):
    item = _or_404(services.get_product, product_id)
    form = PieceForm()
    _piece_form(form)
    if request.method == "GET" and request.args.get("kind") in PIECE_KINDS:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        rows = _price_rows_from_form()
        try:
            piece = services.create_piece(current_user, item, kind=form.kind.data, title=form.title.data,
                                          body_html=form.body_html.data, price_rows=rows,
                                          industry_id=form.industry_id.data or None)
        except ServiceError as exc:
            db.session.rollback()
            if exc.field == "price_rows":
                return _render_piece_form(form, item, None, rows, _message(exc))
            getattr(form, exc.field or "title").errors.append(_message(exc))
            return _render_piece_form(form, item, None, rows)
        db.session.commit()
        flash(_("Material saved as a draft. Send it for review when it is ready."), "success")
        return redirect(url_for("solutions.piece", piece_id=piece.id))
    return _render_piece_form(form, item, None, [])


@bp.route("/pieces/<int:piece_id>")
@auth_required("session")
@permission(services.CURATE)
def piece(piece_id: int):
    item = _or_404(services.get_piece, piece_id)
    return render_template("solutions/piece.html", piece=item, form=ActionForm())


@bp.route("/pieces/<int:piece_id>/edit", methods=["GET", "POST"])
@auth_required("session")
@permission(services.CURATE)
def edit_piece(piece_id: int):
    item = _or_404(services.get_piece, piece_id)
    form = PieceForm(obj=item) if request.method == "GET" else PieceForm()
    _piece_form(form)
    form.kind.data = item.kind
    if request.method == "GET":
        form.industry_id.data = str(item.industry_id or "")
        form.version.data = item.version
        return _render_piece_form(form, item.product, item, item.price_rows or [])
    rows = _price_rows_from_form()
    if form.validate_on_submit():
        try:
            services.update_piece(current_user, item, version=form.version.data, title=form.title.data,
                                  body_html=form.body_html.data, price_rows=rows,
                                  industry_id=form.industry_id.data or None)
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            flash(_message(exc), "warning")
        except ServiceError as exc:
            db.session.rollback()
            if exc.field == "price_rows":
                return _render_piece_form(form, item.product, item, rows, _message(exc))
            getattr(form, exc.field or "title").errors.append(_message(exc))
        else:
            flash(_("Material saved as a draft."), "success")
            return redirect(url_for("solutions.piece", piece_id=item.id))
    return _render_piece_form(form, item.product, item, rows)


PIECE_ACTIONS = {
    "submit": (services.submit_piece, _l("Sent for review.")),
    "publish": (services.publish_piece, _l("Published as a new version.")),
    "return": (services.return_piece, _l("Returned to draft.")),
    "archive": (services.archive_piece, _l("Archived: new proposals no longer use it.")),
}


@bp.route("/pieces/<int:piece_id>/<any(submit, publish, return, archive):action>", methods=["POST"])
@auth_required("session")
@permission(services.CURATE)
def piece_action(piece_id: int, action: str):
    item = _or_404(services.get_piece, piece_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    function, done = PIECE_ACTIONS[action]
    try:
        function(current_user, item, version=form.version.data)
        db.session.commit()
    except (ServiceError, StaleDataError) as exc:
        db.session.rollback()
        flash(_message(exc) if isinstance(exc, ServiceError) else _("Someone else changed this in the meantime."),
              "warning")
    else:
        flash(str(done), "success")
    return redirect(url_for("solutions.piece", piece_id=piece_id))


@bp.route("/pieces/<int:piece_id>/restore/<int:number>", methods=["POST"])
@auth_required("session")
@permission(services.CURATE)
def restore_piece(piece_id: int, number: int):
    item = _or_404(services.get_piece, piece_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.restore_version(current_user, item, number, version=form.version.data)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(_message(exc), "warning")
    else:
        flash(_("Version %(number)d restored as a draft. Publish it to use it again.", number=number), "success")
    return redirect(url_for("solutions.piece", piece_id=piece_id))


@bp.route("/review")
@auth_required("session")
@permission(services.CURATE)
def review_queue():
    state = request.args.get("state", "review")
    if state not in PIECE_STATE_LABELS:
        state = "review"
    q = (request.args.get("q") or "").strip()[:100] or None
    page = db.paginate(services.piece_query(state=state, q=q), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("solutions/review.html", page=page, state=state, q=q)


# --- the three steps ----------------------------------------------------------------------

def _wizard_args() -> dict:
    """The wizard's state travels in the query string / form (stateless, bookmarkable)."""
    source = request.form if request.method == "POST" else request.args
    return {
        "products": [p for p in source.getlist("product") if p.strip()],
        "industry": source.get("for_industry", ""),
        "customer_id": source.get("customer_id", ""),
        "customer_name": source.get("customer_name", "")[:200],
        "prospect_name": source.get("prospect_name", ""),
        "opportunity_id": source.get("opportunity_id", ""),
    }


def _step1(state: dict, error: str | None = None, status: int = 200):
    filters = _product_filter()
    products = list(db.session.execute(services.product_query(filters).limit(200)).scalars())
    chosen_ids = [int(p) for p in state["products"] if p.isdigit()]
    chosen = [p for p in db.session.execute(services.product_query().where(
        services.Product.id.in_(chosen_ids))).scalars()] if chosen_ids else []
    shown = chosen + [p for p in products if p.id not in chosen_ids]
    return render_template("solutions/wizard_products.html", state=state, products=shown, chosen_ids=chosen_ids,
                           filters=filters, industries=services.industries(), lines=services.product_lines(),
                           error=error), status


@bp.route("/new")
@auth_required("session")
@permission(services.USE)
def new():
    """Step 1: choose products and businesses (and optionally an industry)."""
    state = _wizard_args()
    if request.args.get("customer_id") and not state["customer_name"]:
        customer = _customer_in_scope(state["customer_id"])
        state["customer_name"] = customer.name if customer else ""
    return _step1(state)


def _customer_in_scope(customer_id):
    from sqlalchemy import select

    from workbench.customers.models import Customer

    if not str(customer_id).isdigit():
        return None
    return db.session.execute(select(Customer).where(Customer.id == int(customer_id))).scalar_one_or_none()


def _step2(state: dict, errors: dict | None = None, status: int = 200):
    return render_template("solutions/wizard_customer.html", state=state, errors=errors or {},
                           products=services.check_products(state["products"]),
                           industries=services.industries()), status


@bp.route("/new/customer")
@auth_required("session")
@permission(services.USE)
def new_customer():
    """Step 2: choose the customer (autocomplete within scope) or type a prospect's name."""
    state = _wizard_args()
    try:
        services.check_products(state["products"])
    except ServiceError as exc:
        return _step1(state, _message(exc), 400)
    return _step2(state)


@bp.route("/new/generate", methods=["GET", "POST"])
@auth_required("session")
@permission(services.USE)
def new_generate():
    """Step 3: check everything, show what will be generated; POST generates."""
    state = _wizard_args()
    try:
        proposal_request = services.check_request(
            current_user, product_ids=state["products"], customer_id=state["customer_id"] or None,
            prospect_name=state["prospect_name"], industry_id=state["industry"] or None,
            opportunity_id=state["opportunity_id"] or None)
    except ServiceError as exc:
        db.session.rollback()
        if exc.field == "products":
            return _step1(state, _message(exc), 400)
        if exc.field == "opportunity_id":
            state["opportunity_id"] = ""
        return _step2(state, {exc.field or "customer_id": _message(exc)}, 400)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        proposal = services.generate_proposal(current_user, proposal_request)
        db.session.commit()
        if proposal.state == GENERATING:
            flash(_("The proposal is large: it is being generated in the background."), "info")
        else:
            flash(_("Proposal generated. Reorder, remove or edit sections, then download it."), "success")
        return redirect(url_for("solutions.proposal", proposal_id=proposal.id))
    return render_template("solutions/wizard_generate.html", state=state, req=proposal_request, form=form)


# --- proposals --------------------------------------------------------------------------

@bp.route("/proposals")
@auth_required("session")
@permission(services.USE)
def proposals():
    filters = services.ProposalFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                                      mine=request.args.get("mine") == "1",
                                      include_archived=request.args.get("archived") == "1")
    page = db.paginate(services.proposal_query(filters, current_user), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("solutions/proposals.html", page=page, filters=filters)


def _opportunity_url(proposal):
    if proposal.opportunity_id and "opportunity.detail" in current_app.view_functions:
        return url_for("opportunity.detail", opportunity_id=proposal.opportunity_id)
    return None


@bp.route("/proposals/<int:proposal_id>")
@auth_required("session")
@permission(services.USE)
def proposal(proposal_id: int):
    item = _or_404(services.get_proposal, proposal_id)
    job = job_for_key(item.job_key) if item.state == GENERATING and item.job_key else None
    groups, total = services.combined_prices(item) if item.state == "ready" else ([], 0)
    pdf_job = job_for_key(services.pdf_key(item)) if item.state == "ready" else None
    return render_template("solutions/proposal.html", proposal=item, job=job, form=ActionForm(),
                           sections=item.sections, groups=groups, total=total,
                           stale=services.stale_products(item) if item.state == "ready" else [],
                           pdf_available=services.pdf_available(), pdf_ready=services.pdf_ready(item),
                           pdf_job=pdf_job, opportunity_url=_opportunity_url(item))


def _proposal_action(proposal_id: int, action, success: str | None):
    item = _or_404(services.get_proposal, proposal_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(item, form.version.data)
        db.session.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except ServiceError as exc:
        db.session.rollback()
        flash(_message(exc), "warning")
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this in the meantime. Reload the page."), "warning")
    else:
        if success:
            flash(success, "success")
    return redirect(url_for("solutions.proposal", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/sections/<int:section_id>/<any(remove, restore):action>",
          methods=["POST"])
@auth_required("session")
@permission(services.USE)
def section_toggle(proposal_id: int, section_id: int, action: str):
    return _proposal_action(proposal_id, lambda p, v: services.set_section_removed(
        current_user, p, section_id, action == "remove", version=v), None)


@bp.route("/proposals/<int:proposal_id>/sections/<int:section_id>/<any(up, down):direction>", methods=["POST"])
@auth_required("session")
@permission(services.USE)
def section_move(proposal_id: int, section_id: int, direction: str):
    def move(item, version):
        ids = [s.id for s in item.sections]
        if section_id not in ids:
            raise NotFound(_("Section not found."))
        index = ids.index(section_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
        services.reorder_sections(current_user, item, ids, version=version)
    return _proposal_action(proposal_id, move, None)


@bp.route("/proposals/<int:proposal_id>/order", methods=["POST"])
@auth_required("session")
@permission(services.USE)
def section_order(proposal_id: int):
    """The drag-and-drop reorder (SortableJS): JSON in, the new version out."""
    item = _or_404(services.get_proposal, proposal_id)
    data = request.get_json(silent=True) or {}
    try:
        services.reorder_sections(current_user, item, data.get("sections") or [], version=data.get("version"))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return jsonify({"message": _message(exc)}), exc.status_code
    except StaleDataError:
        db.session.rollback()
        return jsonify({"message": _("Someone else changed this in the meantime. Reload the page.")}), 409
    return jsonify({"version": item.version})


@bp.route("/proposals/<int:proposal_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@auth_required("session")
@permission(services.USE)
def section_edit(proposal_id: int, section_id: int):
    item = _or_404(services.get_proposal, proposal_id)
    section = next((s for s in item.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    form = SectionForm(obj=section) if request.method == "GET" else SectionForm()
    if request.method == "GET":
        form.version.data = item.version
    elif form.validate_on_submit():
        try:
            services.edit_section(current_user, item, section_id, heading=form.heading.data,
                                  body_html=form.body_html.data, version=form.version.data)
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            flash(_message(exc), "warning")
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "heading").errors.append(_message(exc))
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else changed this in the meantime. Reload the page."), "warning")
        else:
            flash(_("Section saved."), "success")
            return redirect(url_for("solutions.proposal", proposal_id=proposal_id) + f"#section-{section_id}")
    return render_template("solutions/section_form.html", proposal=item, section=section, form=form)


@bp.route("/proposals/<int:proposal_id>/regenerate", methods=["POST"])
@auth_required("session")
@permission(services.USE)
def regenerate(proposal_id: int):
    return _proposal_action(proposal_id, lambda p, v: services.regenerate(current_user, p, version=v),
                            _("Regenerated from the latest published material; your edited sections were kept."))


@bp.route("/proposals/<int:proposal_id>/archive", methods=["POST"])
@auth_required("session")
@permission(services.USE)
def archive(proposal_id: int):
    return _proposal_action(proposal_id, lambda p, v: services.archive_proposal(current_user, p, version=v),
                            _("Proposal archived."))


@bp.route("/proposals/<int:proposal_id>/pdf", methods=["POST"])
@auth_required("session")
@permission(services.USE)
def request_pdf(proposal_id: int):
    return _proposal_action(proposal_id, lambda p, _v: services.request_pdf(current_user, p), None)


@bp.route("/proposals/<int:proposal_id>/download.docx")
@auth_required("session")
@permission(services.USE)
def download_docx(proposal_id: int):
    import io

    item = _or_404(services.get_proposal, proposal_id)
    try:
        data = services.proposal_docx(item)
    except ServiceError as exc:
        flash(_message(exc), "warning")
        return redirect(url_for("solutions.proposal", proposal_id=proposal_id))
    response = send_file(io.BytesIO(data), as_attachment=True, download_name=services.docx_filename(item),
                         mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/proposals/<int:proposal_id>/download.pdf")
@auth_required("session")
@permission(services.USE)
def download_pdf(proposal_id: int):
    item = _or_404(services.get_proposal, proposal_id)
    if not services.pdf_ready(item):
        abort(404)
    response = send_file(services.pdf_path(item), as_attachment=True, mimetype="application/pdf",
                         download_name=services.docx_filename(item, "pdf"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
