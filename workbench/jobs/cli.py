"""`workbench worker`, `workbench beat` and `workbench jobs ...`: run and inspect jobs."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _celery_or_fail():
    from workbench.jobs.services import uses_broker

    if not uses_broker():
        raise click.UsageError(
            "WORKBENCH_REDIS_URL is not set: jobs run in-process and need no worker or beat."
        )
    return current_app.extensions["celery"]


@click.command("worker")
@click.option("--concurrency", "-c", default=2, show_default=True, help="Jobs run at once.")
@click.option("--pool", "-P", default="prefork", show_default=True,
              type=click.Choice(["prefork", "solo", "threads"]))
@click.option("--queues", "-Q", default=None, help="Comma-separated queues (default: all).")
@click.option("--hostname", "-n", default=None, help="Worker name, e.g. worker1@%h.")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@with_appcontext
def worker_command(concurrency: int, pool: str, queues: str | None, hostname: str | None,
                   loglevel: str):
    """Run a Celery worker for the workbench's jobs (same as `celery -A workbench.celery_worker worker`)."""
    from workbench.celery_app import dispose_engine_in_children

    celery = _celery_or_fail()
    dispose_engine_in_children(current_app._get_current_object())
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
            "--without-gossip", "--without-mingle"]
    if queues:
        argv.append(f"--queues={queues}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    celery.worker_main(argv)


@click.command("beat")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option("--schedule-file", default=None, help="Where beat keeps last run times "
              "(default: <data dir>/celerybeat-schedule). Run exactly one beat per deployment.")
@with_appcontext
def beat_command(loglevel: str, schedule_file: str | None):
    """Send the scheduled jobs the core and plugins declare (same as `celery -A workbench.celery_worker beat`)."""
    celery = _celery_or_fail()
    schedule_file = schedule_file or str(Path(current_app.config["DATA_DIR"]) / "celerybeat-schedule")
    celery.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule_file}"])


@click.group("jobs")
def jobs_group():
    """Background jobs: the outbox and recent runs."""


@jobs_group.command("drain")
@with_appcontext
def drain_command():
    """Hand over jobs still in the outbox (e.g. after Redis was down)."""
    from workbench.jobs.services import drain_outbox

    sent = drain_outbox(current_app._get_current_object())
    click.echo(f"Handed over {sent} job(s).")


@jobs_group.command("list")
@click.option("--state", default=None, help="pending, queued, running, done or failed")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def list_command(state: str | None, limit: int):
    """Show the most recent jobs."""
    from sqlalchemy import select

    from workbench.extensions import db
    from workbench.jobs.models import Job
    from workbench.org.scope import system_scope

    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == state)
    with system_scope():
        for row in db.session.execute(query).scalars():
            progress = f"{row.progress_done}/{row.progress_total}" if row.progress_total else ""
            click.echo(f"{row.id:>7} {row.state:<8} {row.task:<32} {progress:<12} {row.key}")


@jobs_group.command("schedule")
@with_appcontext
def schedule_command():
    """List the scheduled jobs the core and plugins declare."""
    for entry in current_app.extensions["workbench.plugins"].beat_schedule:
        click.echo(f"{entry.name:<36} {entry.job:<32} {entry.schedule}")
