"""Enqueueing jobs and handing them to the broker (or running them in-process) after commit.

enqueue() only writes a row in the caller's transaction (the outbox). When that transaction
commits, a session listener hands the new jobs over: published to Redis when
WORKBENCH_REDIS_URL is set, otherwise run right away in a fresh app context (the embedded
default). A publish that fails (Redis down) fails fast and leaves the row pending;
drain_outbox() — run by beat every 15 seconds, by the in-process scheduler and by
`workbench jobs drain` — publishes it once Redis is back.

Running a job (run_job) first claims its row with one atomic UPDATE: a duplicate delivery
finds the row running under a live claim, or finished, and does nothing. The job's work and
the row's "done" are committed in the same transaction, so a job that dies half-way has
committed nothing (except its checkpoints) and runs again.
"""
from __future__ import annotations

import contextvars
import json
import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app, has_app_context
from sqlalchemy import JSON, DateTime, and_, bindparam, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.extensions import db
from workbench.jobs.models import Job
from workbench.jobs.registry import JobContext, LostClaim, definition
from workbench.org.scope import acting_as, system_scope
from workbench.records import utcnow

log = logging.getLogger(__name__)

SESSION_KEY = "workbench.jobs.new"
KEY_LENGTH = 160

# Jobs still to run in-process in this thread. Set while hand_over runs jobs, so a job that
# enqueues more jobs queues them behind itself instead of running them inside its own commit
# (no recursion, and no extra database connection held per level of nesting).
_inprocess_queue: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "workbench_jobs_inprocess_queue", default=None
)


def enqueue(task: str, *, key: str | None = None, run_after: datetime | None = None,
            created_by=None, **kwargs) -> Job:
    """Write the job `task(**kwargs)`; it is handed over when the current transaction commits.

    `key` makes it idempotent: enqueueing a key that exists already returns the existing job
    and does nothing more — also when two transactions enqueue it at the same moment. kwargs
    must be JSON values (ids, not objects). `run_after` delays it. `created_by` (a user or
    id) is whose scope a "creator" job runs in and who may watch its progress.
    """
    definition(task)  # refuse an undeclared job now, not in a worker later
    key = key or f"{task}:{uuid.uuid4().hex}"
    if len(key) > KEY_LENGTH:
        raise ValueError(f"job key is longer than {KEY_LENGTH} characters: {key[:40]}…")
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError) as error:
        raise TypeError(f"arguments of job {task!r} must be JSON values (ids, not objects): {error}") from None
    run_after = _naive_utc(run_after)
    row = _insert_unless_present(dict(
        key=key, task=task, kwargs=kwargs, state="pending", run_after=run_after,
        created_by_id=getattr(created_by, "id", created_by), created_at=utcnow(),
        attempts=0, progress_done=0,
    ))
    if row is None:
        return job_for_key(key)
    if run_after is None or run_after <= utcnow():
        db.session.info.setdefault(SESSION_KEY, []).append((key, task))
    return row


# One statement for SQLite and PostgreSQL. Written as text because SQLAlchemy does not cache
# the compiled form of its dialect INSERT … ON CONFLICT constructs: compiling one costs more
# than running it, on every enqueue.
_INSERT_UNLESS_PRESENT = text(
    'INSERT INTO job ("key", task, kwargs, state, created_by_id, created_at, run_after, attempts, progress_done) '
    "VALUES (:key, :task, :kwargs, :state, :created_by_id, :created_at, :run_after, :attempts, :progress_done) "
    'ON CONFLICT ("key") DO NOTHING RETURNING id'
).bindparams(bindparam("kwargs", type_=JSON()), bindparam("created_at", type_=DateTime()),
             bindparam("run_after", type_=DateTime()))


def _insert_unless_present(values: dict) -> Job | None:
    """INSERT … ON CONFLICT (key) DO NOTHING: the new row, or None if the key exists.

    A plain INSERT of a duplicate key would abort the caller's whole transaction on
    PostgreSQL; a savepoint would commit the row early on SQLite's legacy transaction mode.
    """
    values = {"created_by_id": None, "run_after": None, "attempts": 0, "progress_done": 0, **values}
    if db.engine.dialect.name not in ("sqlite", "postgresql"):
        # Other databases: check first (not safe against a concurrent enqueue of the key).
        if job_for_key(values["key"]) is not None:
            return None
        row = Job(**values)
        db.session.add(row)
        db.session.flush()
        return row
    job_id = db.session.execute(_INSERT_UNLESS_PRESENT, values).scalar_one_or_none()
    return None if job_id is None else db.session.get(Job, job_id)


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def job_for_key(key: str) -> Job | None:
    return db.session.execute(select(Job).where(Job.key == key)).scalar_one_or_none()


@dataclass(frozen=True)
class JobFilter:
    q: str | None = None       # part of the task name or key
    state: str | None = None


def job_query(filters: JobFilter):
    """Jobs for the administrators' list, newest first (run it inside system_scope)."""
    query = select(Job).order_by(Job.id.desc())
    if filters.state:
        query = query.where(Job.state == filters.state)
    if filters.q:
        query = query.where(or_(Job.task.icontains(filters.q, autoescape=True),
                                Job.key.icontains(filters.q, autoescape=True)))
    return query


def state_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all())


def uses_broker(app=None) -> bool:
    app = app or current_app
    return bool(app.config.get("WORKBENCH_REDIS_URL")) and not app.config.get("WORKBENCH_JOBS_INPROCESS")


def retry_failed(key: str) -> Job:
    """Put a failed job back in the outbox for a fresh set of attempts (an admin's action
    after fixing the cause); it is handed over when the transaction commits."""
    row = job_for_key(key)
    if row is None or row.state != "failed":
        raise LookupError(f"no failed job with key {key!r}")
    row.state, row.attempts, row.run_after, row.finished_at = "pending", 0, None, None
    row.claim_token = None
    db.session.flush()
    db.session.info.setdefault(SESSION_KEY, []).append((row.key, row.task))
    return row


# --- handing over ---------------------------------------------------------------------------

def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        # SQLAlchemy also fires after_commit when a SAVEPOINT is released; the real commit
        # (and with it the hand-over) is still to come.
        return
    new_jobs = session.info.pop(SESSION_KEY, None)
    if not new_jobs:
        return
    if not has_app_context():
        # A session used outside the app (a script): the rows are committed, the drain sends them.
        log.warning("%d job(s) committed outside an app context stay in the outbox", len(new_jobs))
        return
    try:
        hand_over(current_app._get_current_object(), new_jobs)
    except Exception:  # never let a hand-over problem reach the request that committed
        log.exception("handing over %d job(s) failed; they stay in the outbox", len(new_jobs))


def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction ended: a commit has handed its jobs over already, so what is
    # left was rolled back (or the session closed without commit) and must not be sent. A
    # rolled-back savepoint leaves the list alone: jobs enqueued before it are still wanted
    # (a key whose row the savepoint took back is simply not found when it is run).
    if transaction.parent is None:
        session.info.pop(SESSION_KEY, None)


def install_listeners() -> None:
    from sqlalchemy import event

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


def hand_over(app, jobs: list[tuple[str, str]]) -> list[str]:
    """Publish (key, task) pairs to the broker, or run them now in-process. Returns the keys
    handed over; the others stay pending for drain_outbox."""
    if not uses_broker(app):
        return _run_in_process(app, [key for key, _task in jobs])
    celery = app.extensions["celery"]
    sent, undeclared = [], []
    for key, task in jobs:
        try:
            queue = definition(task).queue
        except LookupError:
            undeclared.append(key)  # its plugin is gone: no worker could run it
            continue
        try:
            celery.send_task(task, kwargs={"job_key": key}, task_id=key, retry=False,
                             **({"queue": queue} if queue else {}))
        except Exception as error:  # kombu raises OperationalError, redis ConnectionError ...
            log.warning("broker unavailable, %d job(s) stay in the outbox: %s",
                        len(jobs) - len(sent) - len(undeclared), error)
            break  # the broker is down: the rest would fail the same way
        sent.append(key)
    if not (sent or undeclared):
        return sent
    with app.app_context(), db.engine.begin() as connection:
        if sent:
            # Only a row still pending becomes queued: a fast worker may have claimed it already.
            connection.execute(
                update(Job).where(Job.key.in_(sent), Job.state == "pending")
                .values(state="queued", queued_at=utcnow())
            )
        if undeclared:
            connection.execute(
                update(Job).where(Job.key.in_(undeclared), Job.state.in_(("pending", "queued")))
                .values(state="failed", finished_at=utcnow(), error="no such job is declared")
            )
    return sent


def _run_in_process(app, keys: list[str]) -> list[str]:
    queue = _inprocess_queue.get()
    if queue is not None:
        queue.extend(keys)  # a running in-process job enqueued these: they run after it
        return keys
    queue = list(keys)
    token = _inprocess_queue.set(queue)
    try:
        while queue:
            key = queue.pop(0)
            try:
                with app.app_context():
                    run_job(key, worker_name="in-process")
            except Exception:  # e.g. the database refused the claim: the drain tries again
                log.exception("running job %s in-process failed; it stays in the outbox", key)
    finally:
        _inprocess_queue.reset(token)
    return keys


def drain_outbox(app=None, limit: int = 500) -> int:
    """Hand over every pending job that is due, and re-send jobs the broker may have lost
    (queued too long without starting, or running past their lease with no sign of life).
    Returns how many were handed over."""
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
        # Re-sent queued jobs go back to pending first so hand_over marks them queued again.
        with db.engine.begin() as connection:
            connection.execute(
                update(Job).where(Job.key.in_([key for key, _ in rows]), Job.state == "queued")
                .values(state="pending")
            )
    return len(hand_over(app, [(key, task) for key, task in rows]))


def adopt_scheduled_run(task: str, message_id: str, kwargs: dict) -> str:
    """Give a run sent by beat (no row yet) its job row; the message id makes the key, so a
    redelivered message is recognised as the same job."""
    key = f"{task}:{message_id}"[:KEY_LENGTH]
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
    """Run a scheduled job declared tracked=False: no row, no claim; it must be harmless to
    repeat (it gets ctx=None)."""
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
            _check_json(result)
            finished = db.session.execute(
                update(Job).where(Job.id == job_id, Job.claim_token == token)
                .values(state="done", finished_at=utcnow(), result=result, error=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            if finished != 1:
                raise LostClaim(key)
            db.session.commit()
            return "done"
        except LostClaim:
            # Another worker re-claimed it after our lease ran out: its run counts, ours not.
            db.session.rollback()
            log.warning("job %s lost its claim; its work was rolled back", key)
            return "skipped"
        except Exception as error:
            db.session.rollback()
            log.exception("job %s (%s) failed on attempt %d", key, task, attempts)
            return _record_failure(job_id, token, attempts, task, error, dict(row.kwargs or {}))


def _check_json(result) -> None:
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        raise TypeError(f"a job must return JSON values or None: {error}") from None


def _call_in_scope(job_definition, context: JobContext, kwargs: dict):
    if job_definition.scope == "creator":
        scope = _creator_scope(context.created_by_id)
        with acting_as(scope):
            result = job_definition.func(context, **kwargs)
            # Flush inside the creator's scope so the audit history names them as the actor.
            db.session.flush()
            return result
    return job_definition.func(context, **kwargs)


def _creator_scope(user_id: int | None):
    from workbench.auth.models import User
    from workbench.org.scope import NOBODY

    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        return NOBODY  # fail closed: a job for a deleted or deactivated user sees nothing
    return user.scope


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next attempt: 10 s, 20 s, 40 s … at most an hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** (attempts - 1)))


def _record_failure(job_id: int, token: str, attempts: int, task: str, error: Exception,
                    kwargs: dict) -> str:
    try:
        job_definition = definition(task)
    except LookupError:
        job_definition = None
    max_attempts = job_definition.max_attempts if job_definition else 1
    message = f"{type(error).__name__}: {error}"[:4000]
    if attempts < max_attempts:
        # Back to the outbox with a growing delay; drain_outbox hands it over when due.
        values = dict(state="pending", run_after=utcnow() + retry_delay(attempts), error=message,
                      claim_token=None)
        outcome = "retry"
    else:
        values = dict(state="failed", finished_at=utcnow(), error=message)
        outcome = "failed"
        if job_definition is not None and job_definition.on_give_up is not None:
            try:
                job_definition.on_give_up(**kwargs)
            except Exception:
                db.session.rollback()
                log.exception("on_give_up of job %s (%s) failed", job_id, task)
    db.session.execute(
        update(Job).where(Job.id == job_id, Job.claim_token == token).values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return outcome
