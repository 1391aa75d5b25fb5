"""Import pages: choose what to import and upload a file; check the first rows and the
columns (map headers that were not recognised); follow the background job's progress; see the
result with the rows not imported, download the error report (.xlsx or .csv) and blank
templates; look back at one's own imports. The rules live in services.py."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user

from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.imports import reports, services
from workbench.imports.columns import column_letter, header_label
from workbench.imports.forms import ConfirmForm, ImportForm
from workbench.imports.kinds import find_import_kind
from workbench.imports.models import RUN_STATE_LABELS, RUN_STATES, ImportRun
from workbench.imports.readers import ImportRefused

bp = Blueprint("imports", __name__, url_prefix="/imports")

ERRORS_SHOWN_ON_PAGE = 50
HISTORY_PAGE_SIZE = 10


def _kinds_or_403():
    kinds = services.permitted_kinds(current_user)
    if not kinds:
        abort(403)
    return kinds


def _run_or_404(run_id: int) -> ImportRun:
    try:
        return services.get_run(current_user, run_id)
    except NotFound:
        abort(404)


def _own_draft_or_404(run_id: int) -> ImportRun:
    run = _run_or_404(run_id)
    if run.user_id != current_user.id:
        abort(404)  # an admin may look at someone's run, but not start or drop it
    return run


def _job_of(run: ImportRun):
    from workbench.jobs import job_for_key
    from workbench.org.scope import system_scope

    if not run.job_key:
        return None
    with system_scope():
        return job_for_key(run.job_key)


@bp.route("/", methods=["GET", "POST"])
@auth_required("session")
def index():
    kinds = _kinds_or_403()
    form = ImportForm()
    form.kind.choices = [(kind.key, kind.label) for kind in kinds]
    if request.method == "POST":
        posted = find_import_kind(request.form.get("kind"))
        if posted is not None and posted not in kinds:
            abort(403)
    elif request.args.get("kind") in {kind.key for kind in kinds}:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        upload = form.file.data
        max_bytes, _rows = services.limits()
        # One byte past the limit is enough to know the file is too large.
        data = upload.stream.read(max_bytes + 1)
        try:
            run = services.upload(current_user, form.kind.data, upload.filename or "", data)
        except NotAllowed:
            abort(403)
        except ImportRefused as refused:
            db.session.rollback()
            form.file.errors.append(str(refused.message))
        else:
            db.session.commit()
            return redirect(url_for("imports.confirm", run_id=run.id))
    history_kind = request.args.get("history_kind") or None
    history_q = request.args.get("q") or None
    history = db.paginate(services.runs_query(current_user, history_kind, history_q),
                          page=request.args.get("page", 1, type=int), per_page=HISTORY_PAGE_SIZE,
                          error_out=False)
    max_bytes, max_rows = services.limits()
    return render_template("imports/index.html", form=form, kinds=kinds, kind_labels=_kind_labels(),
                           history=history, history_kind=history_kind, history_q=history_q or "",
                           max_mb=f"{max_bytes / (1024 * 1024):g}", max_rows=max_rows,
                           state_labels=state_labels())


def _kind_labels() -> dict:
    from workbench.imports.kinds import import_kinds

    return {kind.key: kind.label for kind in import_kinds()}


def state_labels() -> dict:
    return {state: RUN_STATE_LABELS[state] for state in RUN_STATES}


@bp.route("/<int:run_id>/columns", methods=["GET", "POST"])
@auth_required("session")
def confirm(run_id: int):
    """The first rows of the file and a choice of column per header; then start the import."""
    run = _own_draft_or_404(run_id)
    if run.state != "mapping":
        return redirect(url_for("imports.detail", run_id=run.id))
    try:
        preview = services.preview(run)
    except (ImportRefused, NotFound) as refused:
        services.cancel(current_user, run)
        db.session.commit()
        flash(str(refused.message), "danger")
        return redirect(url_for("imports.index", kind=run.kind))
    form = ConfirmForm()
    chosen = {int(index): key for index, key in (run.mapping or {}).items()}
    problems: dict[str, list] = {}
    if form.validate_on_submit():
        if request.form.get("action") == "cancel":
            services.cancel(current_user, run)
            db.session.commit()
            flash(_("The import was cancelled; nothing was imported."), "info")
            return redirect(url_for("imports.index", kind=run.kind))
        keys = {column.key for column in preview.kind.columns}
        chosen = {}
        for index in range(len(run.headers)):
            value = request.form.get(f"column-{index}", "")
            chosen[index] = value if value in keys else None
        try:
            services.start(current_user, run, chosen)
        except services.MappingRefused as refused:
            db.session.rollback()
            problems = refused.problems
        except NotAllowed:
            abort(403)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(url_for("imports.detail", run_id=run_id))
        else:
            # In the embedded default the job runs right here, after this commit.
            db.session.commit()
            return redirect(url_for("imports.detail", run_id=run_id))
    elif request.method == "GET":
        problems = _initial_problems(preview, run, chosen)
    headers = run.headers
    return render_template(
        "imports/confirm.html", run=run, kind=preview.kind, form=form, preview=preview,
        headers=[{"index": index, "title": title, "letter": column_letter(index),
                  "label": header_label(headers, index), "chosen": chosen.get(index),
                  "unknown": index in preview.reading.unknown,
                  "report": index in preview.reading.report_columns}
                 for index, title in enumerate(headers)],
        problems=problems,
    )


def _initial_problems(preview, run: ImportRun, chosen: dict) -> dict:
    from workbench.imports.columns import mapping_problems

    return mapping_problems(preview.kind.columns, run.headers, chosen)


@bp.route("/<int:run_id>")
@auth_required("session")
def detail(run_id: int):
    run = _run_or_404(run_id)
    if run.state == "mapping" and run.user_id == current_user.id:
        return redirect(url_for("imports.confirm", run_id=run.id))
    errors = services.row_errors(run, limit=ERRORS_SHOWN_ON_PAGE) if run.failed else []
    return render_template("imports/detail.html", run=run, kind=find_import_kind(run.kind),
                           kind_labels=_kind_labels(), state_labels=state_labels(), job=_job_of(run),
                           errors=errors, shown=ERRORS_SHOWN_ON_PAGE)


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
    found = find_import_kind(kind)
    if found is None:
        abort(404)
    if not services.may_import(current_user, found):
        abort(403)
    return _download(reports.template_xlsx(found), reports.XLSX_MIMETYPE, reports.template_filename(found))
