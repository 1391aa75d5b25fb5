"""Background-job pages: a job's progress (the progress bars of imports, bulk SMS, exports)
for whoever started it, and the list of all jobs with their errors for administrators."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import auth_required

from workbench.extensions import db
from workbench.jobs import services
from workbench.jobs.models import JOB_STATES
from workbench.org.scope import system_scope

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

JOBS_PER_PAGE = 25


def visible_job(key: str):
    """The job, if the current user started it (or holds admin.jobs); else 404, so a key
    guessed by someone else does not even confirm that the job exists."""
    with system_scope():
        row = services.job_for_key(key)
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


def local_path(url: str | None) -> str:
    """`url` if it is a path on this site, else "" (the "show the result" link must not lead
    to another site or run script)."""
    if not url or any(ord(char) < 32 for char in url) or "\\" in url:
        return ""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return ""
    return url


@bp.get("/")
@auth_required("session")
def index():
    """Every job, newest first, for administrators: filter by state, find by task or key."""
    if not current_user.can("admin.jobs"):
        abort(403)
    state = request.args.get("state") or None
    filters = services.JobFilter(q=(request.args.get("q") or "").strip() or None,
                                 state=state if state in JOB_STATES else None)
    with system_scope():
        page = db.paginate(services.job_query(filters), page=request.args.get("page", 1, type=int),
                           per_page=JOBS_PER_PAGE, error_out=False)
        counts = services.state_counts()
    return render_template("jobs/index.html", page=page, filters=filters, states=JOB_STATES,
                           counts=counts)


@bp.post("/retry")
@auth_required("session")
def retry():
    """Run a failed job again (after its cause was fixed)."""
    if not current_user.can("admin.jobs"):
        abort(403)
    key = request.form.get("key", "")
    with system_scope():
        try:
            services.retry_failed(key)
        except LookupError:
            abort(404)
        db.session.commit()
    flash(_("The job will run again."), "success")
    return redirect(url_for("jobs.index", state="failed"))


@bp.get("/<path:key>")
@auth_required()  # session, or an API token for scripts
def progress(key: str):
    """JSON for scripts; an HTML fragment (polled by htmx until the job finishes) otherwise."""
    row = visible_job(key)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(job_status(row))
    return render_template("jobs/_progress.html", job=row,
                           done_url=local_path(request.args.get("done_url")))
