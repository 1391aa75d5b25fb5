"""Core jobs: hand over what the outbox still holds; forget finished jobs after a while."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from workbench.extensions import db
from workbench.jobs.models import Job
from workbench.jobs.registry import job
from workbench.records import utcnow


@job("jobs.drain_outbox", max_attempts=1, tracked=False)
def drain_outbox_job(ctx) -> dict:
    from workbench.jobs.services import drain_outbox

    return {"sent": drain_outbox(current_app._get_current_object())}


@job("jobs.purge_finished", max_attempts=1)
def purge_finished(ctx, days: int | None = None) -> dict:
    """Finished jobs are kept WORKBENCH_JOBS_KEEP_DAYS days (progress pages, idempotency)."""
    keep = days or current_app.config["WORKBENCH_JOBS_KEEP_DAYS"]
    cutoff = utcnow() - timedelta(days=keep)
    removed = db.session.execute(
        delete(Job).where(Job.state.in_(("done", "failed")), Job.finished_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"removed": removed}
