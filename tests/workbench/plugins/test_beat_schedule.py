"""workbench_beat_schedule: a plugin's schedules reach beat (Celery's beat_schedule) and the
in-process scheduler; a schedule of an undeclared job, an unreadable schedule or a name
another plugin uses stops start-up naming the plugin."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from celery.schedules import crontab, schedule

from workbench.contracts import ScheduledJob
from workbench.hookspecs import hookimpl
from workbench.jobs import job
from workbench.jobs.scheduler import InProcessScheduler
from workbench.plugins import PluginError


@job("visits.remind_tomorrow", tracked=False)
def remind_tomorrow(ctx, *, days: int = 1):
    """Harmless to repeat: a test schedule's job."""


def visits_plugin(plugin_module, *entries: ScheduledJob) -> dict[str, str]:
    @hookimpl
    def workbench_beat_schedule():
        return list(entries)

    return {"visits": plugin_module("visits", workbench_beat_schedule=workbench_beat_schedule)}


def test_workbench_beat_schedule_entries_reach_beat_in_the_workbench_time_zone(start_app, plugin_module):
    app = start_app(visits_plugin(
        plugin_module,
        ScheduledJob("visits.remind", "visits.remind_tomorrow", schedule="30 7 * * 1-5", kwargs={"days": 1}),
        ScheduledJob("visits.sweep", "visits.remind_tomorrow", schedule=300),
    ))
    celery = app.extensions["celery"]
    entries = celery.conf.beat_schedule
    assert entries["visits.remind"]["task"] == "visits.remind_tomorrow"
    assert entries["visits.remind"]["kwargs"] == {"days": 1}
    assert isinstance(entries["visits.remind"]["schedule"], crontab)
    assert isinstance(entries["visits.sweep"]["schedule"], schedule)
    assert entries["visits.sweep"]["schedule"].run_every == timedelta(seconds=300)
    assert celery.conf.timezone == "Asia/Shanghai"
    assert {"jobs.drain_outbox", "jobs.purge_finished"} <= set(entries)  # the core's own


def test_the_in_process_scheduler_runs_a_plugins_schedule(start_app, plugin_module):
    app = start_app(visits_plugin(plugin_module, ScheduledJob("visits.sweep", "visits.remind_tomorrow", schedule=300)))
    scheduler = InProcessScheduler(app)
    now = datetime.now(timezone.utc)
    assert "visits.sweep" not in scheduler.tick(now)
    assert "visits.sweep" in scheduler.tick(now + timedelta(seconds=301))


def test_workbench_jobs_schedule_lists_every_schedule(start_app, plugin_module):
    app = start_app(visits_plugin(plugin_module, ScheduledJob("visits.sweep", "visits.remind_tomorrow", schedule=300)))
    result = app.test_cli_runner().invoke(args=["jobs", "schedule"])
    assert result.exit_code == 0
    assert "visits.sweep" in result.output and "jobs.drain_outbox" in result.output


@pytest.mark.parametrize("entry, message", [
    (ScheduledJob("visits.ghost", "visits.not_declared", schedule=60), "no job named 'visits.not_declared'"),
    (ScheduledJob("visits.bad_cron", "visits.remind_tomorrow", schedule="every morning"), "use seconds or"),
    (ScheduledJob("visits.bad_minute", "visits.remind_tomorrow", schedule="75 7 * * *"), "Invalid"),
    (ScheduledJob("visits.never", "visits.remind_tomorrow", schedule=0), "more than 0"),
])
def test_a_schedule_that_cannot_run_stops_start_up_naming_the_plugin(start_app, plugin_module, entry, message):
    with pytest.raises(PluginError) as failure:
        start_app(visits_plugin(plugin_module, entry))
    assert failure.value.plugin == "visits"
    assert entry.name in str(failure.value) and message in str(failure.value)


def test_a_schedule_name_the_core_uses_already_is_refused(start_app, plugin_module):
    with pytest.raises(PluginError) as failure:
        start_app(visits_plugin(plugin_module, ScheduledJob("jobs.drain_outbox", "visits.remind_tomorrow", 60)))
    assert failure.value.plugin == "visits" and "'jobs.drain_outbox'" in str(failure.value)
