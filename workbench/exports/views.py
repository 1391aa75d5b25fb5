"""Export pages: download a list as .xlsx (at once when small; a background job when large,
with a progress bar), and one's own prepared exports. The rules live in services.py."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_security import auth_required, current_user

from workbench.errors import NotAllowed, NotFound
from workbench.exports import services
from workbench.exports.kinds import ExportKind, export_kinds, find_export_kind
from workbench.exports.models import ExportFile
from workbench.extensions import db

bp = Blueprint("exports", __name__, url_prefix="/exports")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 20


def _kind_or_abort(key: str) -> ExportKind:
    try:
        return services.permitted_kind(current_user, key)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)


def _export_or_404(export_id: int) -> ExportFile:
    try:
        return services.get_export(current_user, export_id)
    except NotFound:
        abort(404)


def _job_of(export: ExportFile):
    from workbench.jobs import job_for_key
    from workbench.org.scope import system_scope

    if not export.job_key:
        return None
    with system_scope():
        return job_for_key(export.job_key)


def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _back_url(kind: ExportKind, args: dict) -> str | None:
    return url_for(kind.list_endpoint, **args) if kind.list_endpoint else None


@bp.get("/<kind>.xlsx")
@auth_required("session")
def download(kind: str):
    """The list with the filters in the query string: the file itself when it is small,
    else a page offering to prepare it in the background."""
    found = _kind_or_abort(kind)
    args = services.filter_args(request.args)
    rows = services.count_rows(found, current_user, args)
    if rows > services.inline_limit():
        return render_template("exports/confirm.html", kind=found, args=args, rows=rows,
                               limit=services.inline_limit(), back_url=_back_url(found, args))
    spool = services.export_now(current_user, found, args)
    return _no_store(send_file(spool, mimetype=XLSX_MIMETYPE, as_attachment=True,
                               download_name=services.export_filename(found)))


@bp.post("/<kind>/background")
@auth_required("session")
def start(kind: str):
    found = _kind_or_abort(kind)
    export = services.start_export(current_user, found, services.filter_args(request.form))
    db.session.commit()  # the job is handed over now (in-process: it runs right here)
    return redirect(url_for("exports.detail", export_id=export.id))


@bp.get("/")
@auth_required("session")
def index():
    kind = request.args.get("kind") or None
    page = db.paginate(services.exports_query(current_user, kind), page=request.args.get("page", 1, type=int),
                       per_page=PAGE_SIZE, error_out=False)
    labels = {found.key: found.label for found in export_kinds()}
    return render_template("exports/index.html", page=page, kind=kind, labels=labels)


@bp.get("/files/<int:export_id>")
@auth_required("session")
def detail(export_id: int):
    export = _export_or_404(export_id)
    found = find_export_kind(export.kind)
    return render_template("exports/detail.html", export=export, kind=found, job=_job_of(export),
                           back_url=_back_url(found, export.args or {}) if found else None)


@bp.get("/files/<int:export_id>/download")
@auth_required("session")
def file(export_id: int):
    export = _export_or_404(export_id)
    path = services.file_of(export)
    if path is None:
        abort(404)
    return _no_store(send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                               download_name=export.filename))
