"""Celery bound to the Flask app: every declared job becomes a task that runs in an app context.

With WORKBENCH_REDIS_URL set, Redis is the broker and the result store, `workbench worker`
runs the jobs and `workbench beat` sends the schedules that the core and plugins declare
through workbench_beat_schedule. Without it the same Celery app exists (so schedules and
task names can be inspected) but nothing is published: jobs run in-process after commit.
"""
from __future__ import annotations

import logging

from celery import Celery
from celery.backends.redis import RedisBackend
from celery.schedules import crontab, schedule as every
from flask import Flask

log = logging.getLogger(__name__)


def make_celery(app: Flask) -> Celery:
    from workbench.jobs import registry

    redis_url = app.config.get("WORKBENCH_REDIS_URL")
    celery = Celery(app.import_name, set_as_current=False)
    visibility = int(app.config["WORKBENCH_JOBS_VISIBILITY_TIMEOUT"])
    restore_interval, restore_throttle = _restore_sweep(visibility)
    prefix = app.config["WORKBENCH_JOBS_KEY_PREFIX"]
    celery.conf.update(
        broker_url=redis_url or "memory://",
        # Redis keeps each run's outcome for a day (AsyncResult(key) works); the job row is
        # the lasting record. The backend class only spares publishers a result subscription.
        result_backend=f"{__name__}:JobResultBackend+{redis_url}" if redis_url else None,
        result_expires=24 * 3600,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A job is acknowledged only once it finished; a worker that dies leaves it queued
        # and Redis hands it to another worker after the visibility timeout.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config["WORKBENCH_JOBS_QUEUE"],
        broker_transport_options={
            "visibility_timeout": visibility,
            # How often a worker looks for messages of dead workers to hand out again.
            "unacked_restore_interval": restore_interval,
            "unacked_restore_throttle": restore_throttle,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "global_keyprefix": prefix,
            # A publish while Redis is down fails at once (the job stays in the outbox);
            # kombu would otherwise retry for broker_connection_timeout seconds per publish.
            "max_retries": 0,
        },
        result_backend_transport_options={"global_keyprefix": prefix},
        broker_connection_timeout=2,
        # A worker or beat that loses Redis reconnects for as long as it takes.
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
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


def _restore_sweep(visibility: int) -> tuple[int, int]:
    """(interval, throttle) of kombu's sweep for unacknowledged messages: a lost job is
    handed out again within about a fifth of the visibility timeout after it expired."""
    sweep = max(1, visibility // 5)
    interval = min(10, sweep)
    return interval, max(1, min(10, sweep // interval))


class JobResultBackend(RedisBackend):
    """Redis result store that does not subscribe to a job's result when it is published.

    Celery's Redis backend subscribes every publisher to the result of each task it sends,
    for a caller that will wait on it. Web processes never wait on a job (they read its row),
    so the subscription would only cost a round trip per publish, and seconds of retries
    when Redis is down.
    """

    def on_task_call(self, producer, task_id):
        return None


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
        if job_key is None and not job_definition.tracked:
            run_untracked(job_definition.name, kwargs)
            return "done"
        if job_key is None:
            # Sent by beat: no row yet. The message id makes the key, so a redelivery of the
            # same message is the same job.
            job_key = adopt_scheduled_run(job_definition.name, task.request.id, kwargs)
        return run_job(job_key, worker_name=worker)

    celery.task(name=job_definition.name, bind=True, acks_late=job_definition.acks_late,
                queue=job_definition.queue)(run_task)


def parse_schedule(spec, app: Celery | None = None, nowfun=None):
    """A ScheduledJob's `schedule`: seconds (int/float) or a five-field cron string, read in
    the time zone of `app` (the workbench's, WORKBENCH_TIMEZONE)."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        if spec <= 0:
            raise ValueError(f"schedule {spec!r}: seconds must be more than 0")
        return every(run_every=spec, app=app, nowfun=nowfun)
    fields = str(spec).split()
    if len(fields) != 5:
        raise ValueError(f"schedule {spec!r}: use seconds or 'minute hour day month weekday'")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                   month_of_year=month_of_year, day_of_week=day_of_week, app=app, nowfun=nowfun)


def scheduled_jobs(app: Flask) -> list:
    """Every ScheduledJob the core and the enabled plugins declare, checked: a schedule of an
    undeclared job, or one that cannot be read, stops start-up naming its plugin."""
    from workbench.jobs import registry
    from workbench.plugins import PluginError

    entries = app.extensions["workbench.plugins"].beat_schedule  # names already unique
    for entry in entries:
        try:
            registry.definition(entry.job)
            parse_schedule(entry.schedule)
        except (LookupError, ValueError) as error:
            owner = _schedule_owner(app, entry.name)
            raise PluginError(f"plugin {owner!r}: schedule {entry.name!r}: {error}", plugin=owner) from error
    return entries


def _schedule_owner(app: Flask, name: str) -> str:
    """The plugin that declares the schedule `name` (asked only when reporting an error)."""
    from workbench.plugins import call_impl

    hook = app.extensions["workbench.plugins"].pm.hook.workbench_beat_schedule
    for impl in hook.get_hookimpls():
        if any(getattr(entry, "name", None) == name for entry in call_impl(impl) or []):
            return impl.plugin_name
    return "?"


def beat_schedule(app: Flask) -> dict:
    return {
        entry.name: {"task": entry.job, "schedule": parse_schedule(entry.schedule),
                     "kwargs": dict(entry.kwargs)}
        for entry in scheduled_jobs(app)
    }
