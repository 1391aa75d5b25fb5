"""Celery bound to the Flask app: every declared job becomes a task that runs in an app context.

With WORKBENCH_REDIS_URL set, Redis is the broker and the result store, `workbench worker`
runs the jobs and `workbench beat` sends the schedules that the core and plugins declare
through workbench_beat_schedule. Without it the same Celery app exists (so schedules and
task names can be inspected) but nothing is published: jobs run in-process after commit.
"""
from __future__ import annotations

import logging

from celery import Celery
from celery.schedules import crontab, schedule as every
from flask import Flask

log = logging.getLogger(__name__)


def make_celery(app: Flask) -> Celery:
    from workbench.jobs import registry

    redis_url = app.config.get("WORKBENCH_REDIS_URL")
    celery = Celery(app.import_name, set_as_current=False)
    visibility = app.config["WORKBENCH_JOBS_VISIBILITY_TIMEOUT"]
    celery.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=redis_url or None,
        result_expires=24 * 3600,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A job is acknowledged only once it finished; a worker that dies leaves it queued.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config["WORKBENCH_JOBS_QUEUE"],
        broker_transport_options={
            "visibility_timeout": visibility,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "global_keyprefix": app.config["WORKBENCH_JOBS_KEY_PREFIX"],
        },
        result_backend_transport_options={"global_keyprefix": app.config["WORKBENCH_JOBS_KEY_PREFIX"]},
        broker_connection_retry_on_startup=True,
        # A publish while Redis is down must fail fast: the job stays in the outbox instead.
        broker_connection_timeout=2,
        broker_connection_max_retries=0,
        timezone=app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"),
        enable_utc=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_schedule=beat_schedule(app),
    )

    class AppContextTask(celery.Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = AppContextTask
    for job_definition in registry.definitions():
        _bind(celery, job_definition)
    app.extensions["celery"] = celery
    return celery


def dispose_engine_in_children(app: Flask) -> None:
    """A prefork pool child must not share the parent's database connections."""
    from celery.signals import worker_process_init

    def dispose(**_kwargs):
        from workbench.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)

    worker_process_init.connect(dispose, weak=False)


def _bind(celery: Celery, job_definition) -> None:
    def run_task(task, job_key: str | None = None, **kwargs):
        from workbench.jobs.services import adopt_scheduled_run, run_job, run_untracked

        worker = task.request.hostname or "worker"
        if not job_definition.tracked:
            run_untracked(job_definition.name, kwargs)
            return "done"
        if job_key is None:
            # Sent by beat: no row yet. The message id makes the key, so a redelivery of the
            # same message is the same job.
            job_key = adopt_scheduled_run(job_definition.name, task.request.id, kwargs)
        return run_job(job_key, worker_name=worker)

    celery.task(name=job_definition.name, bind=True, acks_late=job_definition.acks_late,
                queue=job_definition.queue)(run_task)


def parse_schedule(spec):
    """A ScheduledJob's `schedule`: seconds (int/float) or a five-field cron string."""
    if isinstance(spec, (int, float)):
        return every(run_every=spec)
    fields = str(spec).split()
    if len(fields) != 5:
        raise ValueError(f"schedule {spec!r}: use seconds or 'minute hour day month weekday'")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                   month_of_year=month_of_year, day_of_week=day_of_week)


def scheduled_jobs(app: Flask) -> list:
    """Every ScheduledJob the core and the enabled plugins declare, checked."""
    from workbench.jobs import registry

    entries = app.extensions["workbench.plugins"].beat_schedule  # names already unique
    for entry in entries:
        registry.definition(entry.job)  # a schedule of an undeclared job stops start-up
        parse_schedule(entry.schedule)
    return entries


def beat_schedule(app: Flask) -> dict:
    return {
        entry.name: {"task": entry.job, "schedule": parse_schedule(entry.schedule),
                     "kwargs": dict(entry.kwargs)}
        for entry in scheduled_jobs(app)
    }
