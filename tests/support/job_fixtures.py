"""Test jobs for the jobs tests, as a one-module plugin named "jobfixtures".

Loaded through WORKBENCH_PLUGIN_MODULES (``MODULES``): in-process by
``@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=MODULES)``, and in worker, beat and
gunicorn subprocesses by ``tests.support.job_app``. Each job writes its side effect as a row
of the table ``jobfixtures_effect`` in the job's own transaction, so a test can count how
often a job really took effect ("exactly once") from any process. That table is kept out of
the models' metadata (it is not part of the product schema): ``create_effects_table()``
makes it.

Environment read when the app starts (for subprocesses):
  JOBFIXTURES_TICK_SECONDS   declare the schedule "jobfixtures.tick" every N seconds
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_security import auth_required
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select

from workbench.contracts import Manifest, ScheduledJob
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.jobs import enqueue, job
from workbench.records import utcnow

PLUGIN_NAME = "jobfixtures"
MODULES = {PLUGIN_NAME: __name__}

effects = Table(
    "jobfixtures_effect", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("job_key", String(160), nullable=False),
    Column("label", String(100), nullable=False),
    Column("worker", String(200)),
    Column("pid", Integer),
    Column("created_at", DateTime),
)


def create_effects_table(engine) -> None:
    effects.create(engine, checkfirst=True)


def drop_effects_table(engine) -> None:
    effects.drop(engine, checkfirst=True)


def effect_rows(engine, label: str | None = None) -> list:
    """The recorded side effects (straight from the database, outside any session)."""
    query = select(effects).order_by(effects.c.id)
    if label is not None:
        query = query.where(effects.c.label == label)
    with engine.connect() as connection:
        return connection.execute(query).all()


def effect_counts(engine) -> dict[str, int]:
    """How many times each job key took effect."""
    with engine.connect() as connection:
        return dict(connection.execute(
            select(effects.c.job_key, func.count()).group_by(effects.c.job_key)).all())


def _record(ctx, label: str) -> None:
    db.session.execute(effects.insert().values(
        job_key=ctx.key if ctx else "untracked", label=label,
        worker=ctx.job.worker if ctx else None, pid=os.getpid(), created_at=utcnow()))


# --- jobs ------------------------------------------------------------------------------------

@job("jobfixtures.record")
def record(ctx, *, label: str) -> dict:
    """The plainest job: one side effect."""
    _record(ctx, label)
    return {"label": label}


@job("jobfixtures.slow_record")
def slow_record(ctx, *, label: str, seconds: float, marker: str) -> dict:
    """On its first attempt: touch `marker` (so a test knows it started), then take `seconds`
    (long enough to be killed). Later attempts finish at once."""
    if ctx.attempt == 1:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(seconds)
    _record(ctx, label)
    return {"attempt": ctx.attempt}


@job("jobfixtures.always_fails", max_attempts=3)
def always_fails(ctx, *, label: str = "fails") -> None:
    _record(ctx, label)  # rolled back with the failure: never counts
    raise RuntimeError("this job fails on purpose")


@job("jobfixtures.fails_once")
def fails_once(ctx, *, label: str) -> dict:
    if ctx.attempt == 1:
        raise RuntimeError("first attempt fails on purpose")
    _record(ctx, label)
    return {"attempt": ctx.attempt}


@job("jobfixtures.visible_customers", scope="creator")
def visible_customers(ctx) -> dict:
    """What the creator may see: the ids of the customers visible in the job's scope."""
    from workbench.customers.models import Customer

    return {"ids": sorted(db.session.execute(select(Customer.id)).scalars())}


@job("jobfixtures.every_customer")
def every_customer(ctx) -> dict:
    from workbench.customers.models import Customer

    return {"ids": sorted(db.session.execute(select(Customer.id)).scalars())}


@job("jobfixtures.parent")
def parent(ctx, *, children: int) -> dict:
    """Enqueues `children` record jobs and commits them with its own work (nested jobs)."""
    for number in range(children):
        enqueue("jobfixtures.record", key=f"{ctx.key}:child:{number}", label="child")
    _record(ctx, "parent")
    return {"children": children}


@job("jobfixtures.steps")
def steps(ctx, *, total: int) -> dict:
    """Commits each step with a checkpoint; a rerun skips the steps already recorded."""
    done = {row.label for row in db.session.execute(
        select(effects.c.label).where(effects.c.job_key == ctx.key)).all()}
    for number in range(total):
        if f"step {number}" not in done:
            _record(ctx, f"step {number}")
        ctx.checkpoint(number + 1, total, note=f"step {number + 1}")
    return {"steps": total}


@job("jobfixtures.housekeeping", tracked=False)
def housekeeping(ctx, *, label: str = "housekeeping") -> None:
    _record(ctx, label)


# --- hooks -----------------------------------------------------------------------------------

bp = Blueprint("jobfixtures", __name__, url_prefix="/jobfixtures")


@bp.post("/record")
@auth_required("session")
def enqueue_record():
    """Enqueue a record job as the signed-in user; ?fail=1 fails the request after enqueueing."""
    row = enqueue("jobfixtures.record", key=request.form.get("key") or None,
                  created_by=current_user, label=request.form.get("label", "web"))
    if request.form.get("fail"):
        raise RuntimeError("the request fails after enqueueing, on purpose")
    key = row.key
    db.session.commit()
    return jsonify(key=key, pid=os.getpid())


@hookimpl
def workbench_manifest():
    return Manifest(name=PLUGIN_NAME, title="Job fixtures", version="1.0")


@hookimpl
def workbench_blueprints():
    return [bp]


@hookimpl
def workbench_beat_schedule():
    seconds = os.environ.get("JOBFIXTURES_TICK_SECONDS")
    if not seconds:
        return None
    return [ScheduledJob("jobfixtures.tick", "jobfixtures.record", schedule=float(seconds),
                         kwargs={"label": "tick"})]
