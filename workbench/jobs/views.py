"""A job's progress, for the progress bars of long work (imports, bulk SMS, exports)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import current_user
from flask_security import auth_required

from workbench.jobs.services import job_for_key
from workbench.org.scope import system_scope

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def visible_job(key: str):
    """The job, if the current user started it (or administers the system); else 404."""
    with system_scope():
        row = job_for_key(key)
    if row is None:
        abort(404)
    if row.created_by_id != current_user.id and not current_user.can("admin.jobs"):
        abort(404)
    return row


def job_status(row) -> dict:
    return {
        "key": row.key, "task": row.task, "state": row.state, "finished": row.finished,
        "percent": row.percent, "done": row.progress_done, "total": row.progress_total,
        "note": row.progress_note, "result": row.result,
        "error": row.error if row.state == "failed" else None,
    }


@bp.get("/<path:key>")
@auth_required()
def progress(key: str):
    """JSON for scripts; an HTML fragment (polled by htmx until the job finishes) otherwise."""
    row = visible_job(key)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(job_status(row))
    return render_template("jobs/_progress.html", job=row,
                           done_url=request.args.get("done_url", ""))
