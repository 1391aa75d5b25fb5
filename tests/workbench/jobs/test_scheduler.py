"""The in-process scheduler of the embedded default (no Redis): schedules run once per period,
cron schedules in the workbench's time zone, and the outbox is drained — as beat would."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from workbench import create_app
from workbench.extensions import db
from workbench.jobs import enqueue, job_for_key
from workbench.jobs.models import Job
from workbench.jobs.scheduler import InProcessScheduler
from workbench.org.scope import system_scope
from workbench.records import utcnow

from tests.support import processes
from tests.workbench.jobs.conftest import JOB_FIXTURES

pytestmark = JOB_FIXTURES


@pytest.fixture
def ticking_app(monkeypatch, request):
    """The app with the test schedule "jobfixtures.tick" (every 60 s) declared."""
    monkeypatch.setenv("JOBFIXTURES_TICK_SECONDS", "60")
    return request.getfixturevalue("app")


def test_a_due_schedule_runs_once_per_period_even_from_two_schedulers(ticking_app, effects):
    first, second = InProcessScheduler(ticking_app), InProcessScheduler(ticking_app)
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    assert "jobfixtures.tick" not in first.tick(datetime.now(timezone.utc))
    assert "jobfixtures.tick" in first.tick(later)
    assert "jobfixtures.tick" in second.tick(later + timedelta(seconds=1))  # started by mistake
    assert len(effects.rows("tick")) == 1
    assert "jobfixtures.tick" not in first.tick(later + timedelta(seconds=2))  # not due again yet
    assert "jobfixtures.tick" in first.tick(later + timedelta(seconds=62))
    assert len(effects.rows("tick")) == 2


def test_the_scheduler_drains_the_outbox(app, effects):
    enqueue("jobfixtures.record", key="retry-me", label="r", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    db.session.execute(update(Job).where(Job.key == "retry-me").values(run_after=utcnow()))
    db.session.commit()
    scheduler = InProcessScheduler(app)
    assert "jobs.drain_outbox" in scheduler.tick(datetime.now(timezone.utc) + timedelta(seconds=16))
    assert effects.counts() == {"retry-me": 1}
    # The drain is untracked housekeeping: it leaves no job rows of its own.
    assert db.session.execute(select(Job).where(Job.task == "jobs.drain_outbox")).all() == []


def test_cron_schedules_are_read_in_the_workbench_time_zone(app):
    scheduler = InProcessScheduler(app)  # "40 3 * * *" purges finished jobs at 03:40 Asia/Shanghai
    scheduler._last_run["jobs.purge_finished"] = datetime(2026, 1, 1, 19, 0, tzinfo=timezone.utc)  # 03:00 local
    assert "jobs.purge_finished" not in scheduler.tick(datetime(2026, 1, 1, 19, 39, tzinfo=timezone.utc))
    assert "jobs.purge_finished" in scheduler.tick(datetime(2026, 1, 1, 19, 41, tzinfo=timezone.utc))
    # 03:41 UTC is 11:41 in Shanghai: not 03:40 local, so nothing is due.
    scheduler._last_run["jobs.purge_finished"] = datetime(2026, 1, 2, 3, 0, tzinfo=timezone.utc)
    assert "jobs.purge_finished" not in scheduler.tick(datetime(2026, 1, 2, 3, 41, tzinfo=timezone.utc))
    with system_scope():
        assert job_for_key("jobs.purge_finished:202601011941").state == "done"


@pytest.mark.slow
def test_workbench_demo_runs_the_scheduler_which_drains_the_outbox_at_start(tmp_path):
    env = processes.subprocess_env(WORKBENCH_DATA_DIR=tmp_path, WORKBENCH_DATABASE_URL=None,
                                   WORKBENCH_REDIS_URL=None)
    prepared = subprocess.run([sys.executable, "-m", "workbench.cli", "demo", "--no-serve"],
                              env=env, cwd=processes.REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert prepared.returncode == 0, prepared.stderr
    demo_app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'workbench.db'}"})
    with demo_app.app_context(), system_scope():
        # Left in the outbox when the demo last stopped (or Redis was never there).
        db.session.add(Job(key="left-over", task="jobs.purge_finished", kwargs={}, state="pending",
                           created_at=utcnow(), attempts=0, progress_done=0))
        db.session.commit()
    port = processes.free_port()
    with processes.Process("demo", [sys.executable, "-m", "workbench.cli", "demo", "--port", str(port)],
                           env, tmp_path) as demo:
        processes.wait_for_http(f"http://127.0.0.1:{port}/login", process=demo)
        assert "Background jobs run in this process" in demo.log()

        def purged():
            with demo_app.app_context(), system_scope():
                db.session.expire_all()
                return job_for_key("left-over").state == "done"

        processes.wait_until(purged, timeout=20, message="the demo's scheduler to run the left-over job")
