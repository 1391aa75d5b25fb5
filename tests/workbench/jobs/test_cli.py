"""`workbench worker`, `workbench beat` and `workbench jobs …` from the command line."""
from __future__ import annotations

from datetime import timedelta

import pytest

from workbench.extensions import db
from workbench.jobs import enqueue
from workbench.records import utcnow

from tests.workbench.jobs.conftest import JOB_FIXTURES

pytestmark = JOB_FIXTURES


@pytest.mark.parametrize("command", [["worker"], ["beat"]])
def test_worker_and_beat_explain_that_without_redis_they_are_not_needed(app, command):
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 2 and "WORKBENCH_REDIS_URL is not set" in result.output


def test_jobs_list_shows_recent_jobs_and_filters_by_state(app, effects):
    enqueue("jobfixtures.record", key="shown", label="x", run_after=utcnow() + timedelta(hours=1))
    enqueue("jobfixtures.record", key="ran", label="x")
    db.session.commit()
    runner = app.test_cli_runner()
    everything = runner.invoke(args=["jobs", "list"]).output
    assert "shown" in everything and "ran" in everything
    pending = runner.invoke(args=["jobs", "list", "--state", "pending"]).output
    assert "shown" in pending and "ran" not in pending


def test_jobs_drain_runs_what_is_due_in_process_without_redis(app):
    enqueue("jobfixtures.record", key="due", label="x", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert "Handed over 0 job(s)" in app.test_cli_runner().invoke(args=["jobs", "drain"]).output
