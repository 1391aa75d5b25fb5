"""The jobs core through the plugin hooks: its schedules (drain the outbox, forget old finished
jobs), its pages, the admin.jobs permission and the worker/beat/jobs commands."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem, Permission, ScheduledJob
from workbench.hookspecs import hookimpl
from workbench.jobs import tasks as _tasks  # noqa: F401  (declares the core jobs)


@hookimpl
def workbench_beat_schedule():
    return [
        ScheduledJob(name="jobs.drain_outbox", job="jobs.drain_outbox", schedule=15),
        ScheduledJob(name="jobs.purge_finished", job="jobs.purge_finished", schedule="40 3 * * *"),
    ]


@hookimpl
def workbench_blueprints():
    from workbench.jobs.views import bp

    return [bp]


@hookimpl
def workbench_menu_items():
    return [MenuItem("jobs", _l("Background jobs"), "jobs.index", icon="bi-hourglass-split",
                     permission="admin.jobs", order=910)]


@hookimpl
def workbench_permissions():
    return [Permission("admin.jobs", _l("See every background job and its errors"), ("system_admin",))]


@hookimpl
def workbench_cli_commands():
    from workbench.jobs.cli import beat_command, jobs_group, worker_command

    return [worker_command, beat_command, jobs_group]
