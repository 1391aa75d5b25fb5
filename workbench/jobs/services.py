"""Enqueueing jobs and handing them to the broker (or running them in-process) after commit.

enqueue() only writes a row in the caller's transaction. When that transaction commits, a
session listener hands the new jobs over: published to Redis when WORKBENCH_REDIS_URL is set,
otherwise run right away in a fresh app context (the embedded default). A publish that fails
(Redis down) leaves the row pending; drain_outbox() — run by beat every few seconds, by the
in-process scheduler and by `workbench jobs drain` — publishes it once Redis is back.
"""
from __future__ import annotations

import logging
import socket
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from workbench.extensions import db
from workbench.jobs.models import Job
from workbench.jobs.registry import JobContext, definition
from workbench.org.scope import acting_as, system_scope
from workbench.records import utcnow

log = logging.getLogger(__name__)

SESSION_KEY = "workbench.jobs.new"


def enqueue(task: str, *, key: str | None = None, run_after: datetime | None = None,
            created_by=None, **kwargs) -> Job:
    """Write the job `task(**kwargs)`; it is handed over when the current transaction commits.

    `key` makes it idempotent: enqueueing a key that exists already returns the existing job
    and does nothing more. kwargs must be JSON values (ids, not objects). `run_after` delays
    it (naive UTC). `created_by` (a user or id) is whose scope a "creator" job runs in and
    who may watch its progress.
    """
    definition(task)  # refuse an undeclared job now, not in a worker later
    key = key or f"{task}:{uuid.uuid4().hex}"
    existing = db.session.execute(select(Job).where(Job.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    created_by_id = getattr(created_by, "id", created_by)
    row = Job(key=key, task=task, kwargs=kwargs, state="pending", run_after=run_after,
              created_by_id=created_by_id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    if run_after is None or run_after <= utcnow():
        db.session.info.setdefault(SESSION_KEY, []).append((key, task))
    return row


def job_for_key(key: str) -> Job | None:
    return db.session.execute(select(Job).where(Job.key == key)).scalar_one_or_none()


def uses_broker(app=None) -> bool:
    app = app or current_app
    return bool(app.config.get("WORKBENCH_REDIS_URL")) and not app.config.get("WORKBENCH_JOBS_INPROCESS")


# --- handing over ---------------------------------------------------------------------------

def _after_commit(session: Session) -> None:
    new_jobs = session.info.pop(SESSION_KEY, None)
    if not new_jobs:
        return
    app = current_app._get_current_object()
    try:
        hand_over(app, new_jobs)
    except Exception:  # never let a hand-over problem reach the request that committed
        log.exception("handing over %d job(s) failed; they stay in the outbox", len(new_jobs))


def _after_rollback(session: Session) -> None:
    session.info.pop(SESSION_KEY, None)


def install_listeners() -> None:
    from sqlalchemy import event

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))


def hand_over(app, jobs: list[tuple[str, str]]) -> list[str]:
    """Publish (key, task) pairs to the broker, or run them now in-process. Returns the keys
    handed over; the others stay pending for drain_outbox."""
    if not uses_broker(app):
        for key, _task in jobs:
            with app.app_context():
                run_job(key, worker_name="in-process")
        return [key for key, _ in jobs]
    celery = app.extensions["celery"]
    sent = []
    for key, task in jobs:
        options = {}
        queue = definition(task).queue
        if queue:
            options["queue"] = queue
        try:
            celery.send_task(task, kwargs={"job_key": key}, task_id=key, retry=False, **options)
        except Exception as error:  # kombu raises OperationalError, redis ConnectionError ...
            log.warning("broker unavailable, job %s stays in the outbox: %s", key, error)
            break  # the broker is down: the rest would fail the same way, slowly
        sent.append(key)
    if sent:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                update(Job).where(Job.key.in_(sent), Job.state == "pending")
                .values(state="queued", queued_at=utcnow())
            )
    return sent


def drain_outbox(app=None, limit: int = 500) -> int:
    """Hand over every pending job that is due, and re-send jobs the broker may have lost
    (queued or running past their lease with no sign of life). Returns how many were sent."""
    app = app or current_app._get_current_object()
    now = utcnow()
    stale = now - timedelta(seconds=app.config["WORKBENCH_JOBS_REQUEUE_AFTER"])
    with system_scope():
        rows = db.session.execute(
            select(Job.key, Job.task).where(or_(
                and_(Job.state == "pending", or_(Job.run_after.is_(None), Job.run_after <= now)),
                and_(Job.state == "queued", Job.queued_at < stale),
                and_(Job.state == "running", Job.lease_until < now),
            )).order_by(Job.id).limit(limit)
        ).all()
    db.session.rollback()  # end the read so SQLite writers are not held up
    if not rows:
        return 0
    if uses_broker(app):
        # Re-sent queued/running jobs go back to pending first so hand_over marks them queued.
        with db.engine.begin() as connection:
            connection.execute(
                update(Job).where(Job.key.in_([key for key, _ in rows]), Job.state == "queued")
                .values(state="pending")
            )
    return len(hand_over(app, [(key, task) for key, task in rows]))


def adopt_scheduled_run(task: str, message_id: str, kwargs: dict) -> str:
    """Give a run sent by beat (no row yet) its job row; the message id makes the key, so a
    redelivered message is recognised as the same job."""
    from sqlalchemy.exc import IntegrityError

    key = f"{task}:{message_id}"
    with system_scope():
        if job_for_key(key) is None:
            db.session.add(Job(key=key, task=task, kwargs=kwargs, state="queued",
                               created_at=utcnow(), queued_at=utcnow()))
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # a duplicate delivery adopted it first
    return key


def run_untracked(task: str, kwargs: dict):
    """Run a job declared tracked=False: no row, no claim; it must be harmless to repeat."""
    with system_scope():
        try:
            result = definition(task).func(None, **kwargs)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


# --- running --------------------------------------------------------------------------------

def _lease(app) -> timedelta:
    return timedelta(seconds=app.config["WORKBENCH_JOBS_LEASE_SECONDS"])


def claim(key: str, worker_name: str, lease: timedelta) -> str | None:
    """Take the job for this worker, atomically. Returns the claim token, or None when the
    job is unknown, finished, or running under a live claim (a duplicate delivery)."""
    token = uuid.uuid4().hex
    now = utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.key == key, or_(
            Job.state.in_(("pending", "queued")),
            and_(Job.state == "running", Job.lease_until < now),
        ))
        .values(state="running", claim_token=token, lease_until=now + lease, started_at=now,
                attempts=Job.attempts + 1, worker=worker_name[:200])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if claimed == 1 else None


def run_job(key: str, worker_name: str | None = None) -> str:
    """Run the job `key` once: claim it, call it, and mark it done in the same transaction as
    its work. Returns "done", "failed", "retry" or "skipped" (not ours to run)."""
    app = current_app._get_current_object()
    worker_name = worker_name or f"{socket.gethostname()}:{id(app)}"
    lease = _lease(app)
    with system_scope():
        token = claim(key, worker_name, lease)
        if token is None:
            return "skipped"
        row = db.session.execute(select(Job).where(Job.key == key)).scalar_one()
        job_id, attempts, task = row.id, row.attempts, row.task
        try:
            job_definition = definition(task)
            context = JobContext(row, token, lease)
            result = _call_in_scope(job_definition, context, dict(row.kwargs or {}))
            finished = db.session.execute(
                update(Job).where(Job.id == job_id, Job.claim_token == token)
                .values(state="done", finished_at=utcnow(), result=result, error=None,
                        progress_done=Job.progress_done)
                .execution_options(synchronize_session=False)
            ).rowcount
            if finished != 1:
                # Another worker re-claimed it after our lease ran out: its run counts, ours not.
                db.session.rollback()
                log.warning("job %s lost its claim; its work was rolled back", key)
                return "skipped"
            db.session.commit()
            return "done"
        except Exception as error:
            db.session.rollback()
            log.exception("job %s (%s) failed on attempt %d", key, task, attempts)
            return _record_failure(job_id, token, attempts, task, error)


def _call_in_scope(job_definition, context: JobContext, kwargs: dict):
    if job_definition.scope == "creator":
        scope = _creator_scope(context.created_by_id)
        with acting_as(scope):
            return job_definition.func(context, **kwargs)
    return job_definition.func(context, **kwargs)


def _creator_scope(user_id: int | None):
    from workbench.auth.models import User
    from workbench.org.scope import NOBODY

    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        return NOBODY  # fail closed: a job for a deleted or deactivated user sees nothing
    return user.scope


def _record_failure(job_id: int, token: str, attempts: int, task: str, error: Exception) -> str:
    try:
        max_attempts = definition(task).max_attempts
    except LookupError:
        max_attempts = 1
    message = f"{type(error).__name__}: {error}"[:4000]
    if attempts < max_attempts:
        # Back to the outbox with a growing delay; drain_outbox hands it over when due.
        delay = timedelta(seconds=min(3600, 10 * 2 ** (attempts - 1)))
        values = dict(state="pending", run_after=utcnow() + delay, error=message, claim_token=None)
        outcome = "retry"
    else:
        values = dict(state="failed", finished_at=utcnow(), error=message)
        outcome = "failed"
    db.session.execute(
        update(Job).where(Job.id == job_id, Job.claim_token == token).values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return outcome
