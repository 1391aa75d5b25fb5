"""Import pages: choose what to import and upload a file, see the result with the first row
errors, download the full error report (.xlsx or .csv) and blank templates, and look back at
one's own recent imports. The rules live in services.py."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user

from workbench.errors import NotAllowed, NotFound
from workbench.extensions import db
from workbench.imports import reports, services
from workbench.imports.columns import COLUMNS
from workbench.imports.forms import ImportForm
from workbench.imports.models import IMPORT_KINDS
from workbench.imports.readers import ImportRefused

bp = Blueprint("imports", __name__, url_prefix="/imports")

ERRORS_SHOWN_ON_PAGE = 50
HISTORY_PAGE_SIZE = 10


def _kinds_or_403() -> list[str]:
    kinds = services.permitted_kinds(current_user)
    if not kinds:
        abort(403)
    return kinds


def _run_or_404(run_id: int):
    try:
        return services.get_run(current_user, run_id)
    except NotFound:
        abort(404)


@bp.route("/", methods=["GET", "POST"])
@auth_required("session")
def index():
    kinds = _kinds_or_403()
    form = ImportForm()
    form.kind.choices = [(kind, services.KIND_LABELS[kind]) for kind in kinds]
    if request.method == "POST":
        posted_kind = request.form.get("kind")
        if posted_kind in IMPORT_KINDS and posted_kind not in kinds:
            abort(403)
    elif request.args.get("kind") in kinds:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        upload = form.file.data
        max_bytes, _rows = services.limits()
        # One byte past the limit is enough to know the file is too large.
        data = upload.stream.read(max_bytes + 1)
        try:
            run = services.run_import(current_user, form.kind.data, upload.filename or "", data)
        except NotAllowed:
            abort(403)
        except ImportRefused as refused:
            db.session.rollback()
            form.file.errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(_("Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(failed)d failed.", created=run.created, updated=run.updated,
                    unchanged=run.unchanged, failed=run.failed),
                  "warning" if run.failed else "success")
            return redirect(url_for("imports.detail", run_id=run.id))
    history_kind = request.args.get("history_kind") or None
    history_q = request.args.get("q") or None
    history = db.paginate(services.runs_query(current_user, history_kind, history_q),
                          page=request.args.get("page", 1, type=int), per_page=HISTORY_PAGE_SIZE,
                          error_out=False)
    return render_template("imports/index.html", form=form, kinds=kinds, columns=COLUMNS,
                           kind_labels=services.KIND_LABELS, history=history,
                           history_kind=history_kind, history_q=history_q or "",
                           max_mb=f"{services.limits()[0] / (1024 * 1024):g}",
                           max_rows=services.limits()[1])


@bp.route("/<int:run_id>")
@auth_required("session")
def detail(run_id: int):
    run = _run_or_404(run_id)
    return render_template("imports/detail.html", run=run, kind_labels=services.KIND_LABELS,
                           errors=(run.errors or [])[:ERRORS_SHOWN_ON_PAGE],
                           shown=ERRORS_SHOWN_ON_PAGE)


def _download(data: bytes, mimetype: str, filename: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:run_id>/errors.xlsx")
@auth_required("session")
def errors_xlsx(run_id: int):
    run = _run_or_404(run_id)
    return _download(reports.error_report_xlsx(run), reports.XLSX_MIMETYPE,
                     reports.report_filename(run, "xlsx"))


@bp.route("/<int:run_id>/errors.csv")
@auth_required("session")
def errors_csv(run_id: int):
    run = _run_or_404(run_id)
    return _download(reports.error_report_csv(run), f"{reports.CSV_MIMETYPE}; charset=utf-8",
                     reports.report_filename(run, "csv"))


@bp.route("/templates/<kind>.xlsx")
@auth_required("session")
def template(kind: str):
    if kind not in IMPORT_KINDS:
        abort(404)
    if not services.may_import(current_user, kind):
        abort(403)
    return _download(reports.template_xlsx(kind), reports.XLSX_MIMETYPE, reports.template_filename(kind))
