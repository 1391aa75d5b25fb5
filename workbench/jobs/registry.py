"""Job declarations (@job) and the context a running job receives."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

log = logging.getLogger(__name__)

JOB_SCOPES = ("system", "creator")


@dataclass(frozen=True)
class JobDefinition:
    """A declared job. `scope` decides the data scope it runs in: "system" sees everything
    (scans, deliveries), "creator" sees what the user who enqueued it sees (exports, imports)."""

    name: str
    func: Callable
    acks_late: bool = True
    scope: str = "system"
    max_attempts: int = 5
    queue: str | None = None
    # Untracked jobs keep no row: for frequent housekeeping that is harmless to repeat.
    tracked: bool = True
    # Called with the job's kwargs when its last attempt failed, so the record it works on
    # can say so (an import run marked failed) instead of staying "running" for ever.
    on_give_up: Callable | None = None


_definitions: dict[str, JobDefinition] = {}


def job(name: str, *, acks_late: bool = True, scope: str = "system", max_attempts: int = 5,
        queue: str | None = None, tracked: bool = True, on_give_up: Callable | None = None):
    """Declare `func(ctx, **kwargs)` as the job `name` (use `<plugin>.<what>`).

    acks_late (the default) acknowledges the broker message only after the job finished, so
    a worker that dies mid-way leaves the message to be delivered again. Jobs must therefore
    be safe to run twice: the runner records completion in the job's own transaction and
    skips a key that is already done; a job that commits in steps (ctx.checkpoint) must skip
    the steps it already did. `on_give_up(**kwargs)` runs once the last attempt has failed.
    """
    if scope not in JOB_SCOPES:
        raise ValueError(f"job {name}: scope must be one of {JOB_SCOPES}")
    if max_attempts < 1:
        raise ValueError(f"job {name}: max_attempts must be at least 1")

    def declare(func: Callable) -> Callable:
        existing = _definitions.get(name)
        if existing is not None and _origin(existing.func) != _origin(func):
            raise ValueError(f"job {name!r} is declared twice: {_origin(existing.func)} and {_origin(func)}")
        _definitions[name] = JobDefinition(name, func, acks_late, scope, max_attempts, queue, tracked, on_give_up)
        func.job_name = name
        return func

    return declare


def _origin(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def definition(name: str) -> JobDefinition:
    try:
        return _definitions[name]
    except KeyError:
        raise LookupError(f"no job named {name!r} is declared (is its tasks module imported?)") from None


def definitions() -> list[JobDefinition]:
    return list(_definitions.values())


class LostClaim(Exception):
    """The job's claim was taken over by another worker (its lease ran out): stop, commit nothing."""


class JobContext:
    """Handed to a running job: its row, progress reporting and checkpoints."""

    def __init__(self, job_row, claim_token: str, lease: timedelta):
        self.job = job_row
        self.key = job_row.key
        self.claim_token = claim_token
        self._lease = lease

    @property
    def created_by_id(self) -> int | None:
        return self.job.created_by_id

    @property
    def attempt(self) -> int:
        """1 on the first run, 2 when the job runs again after a failure or a lost worker."""
        return self.job.attempts

    def progress(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """Record progress; it is saved with the job's next commit (see checkpoint)."""
        self.job.progress_done = done
        if total is not None:
            self.job.progress_total = total
        if note is not None:
            self.job.progress_note = str(note)[:255]

    def checkpoint(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """Commit the work done so far together with its progress, and extend the claim.

        After a checkpoint that work stays done even if the worker dies later; the job runs
        again from the start, so it must recognise and skip what is already done. Raises
        LostClaim (and commits nothing) when another worker has taken the job over.
        """
        from sqlalchemy import update

        from workbench.extensions import db
        from workbench.jobs.models import Job
        from workbench.records import utcnow

        self.progress(done, total, note)
        still_ours = db.session.execute(
            update(Job).where(Job.id == self.job.id, Job.claim_token == self.claim_token)
            .values(lease_until=utcnow() + self._lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if still_ours != 1:
            db.session.rollback()
            raise LostClaim(self.key)
        db.session.commit()
