"""Background jobs: declare with @job, enqueue after commit, run on a Celery worker or in-process.

    from workbench.jobs import job, enqueue

    @job("notify.send_email", acks_late=True)
    def send_email(ctx, *, notification_id): ...

    enqueue("notify.send_email", notification_id=n.id, key=f"email:{n.id}")
    db.session.commit()          # the job is handed over only now

Every enqueued job is a row of the `job` table written in the caller's transaction (the
outbox): a rolled-back transaction enqueues nothing, and a job that could not reach Redis
stays pending until the outbox is drained. The row also carries the job's state, progress
and result, so a page can show a progress bar and a duplicate delivery is recognised.
"""
from workbench.jobs.registry import JobContext, LostClaim, job
from workbench.jobs.services import enqueue, job_for_key

__all__ = ["JobContext", "LostClaim", "enqueue", "job", "job_for_key"]
