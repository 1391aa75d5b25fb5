"""Real worker processes against a real (private) Redis and PostgreSQL: a job runs;
a job after rollback does not; a job delivered twice takes effect once; a worker killed
mid-job (SIGKILL) → the job completes once a new worker starts; Redis stopped and started
again → the outbox drains.

Short WORKBENCH_JOBS_VISIBILITY_TIMEOUT / LEASE / REQUEUE_AFTER keep the lost-worker case to
seconds; production uses an hour.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.extensions import db
from workbench.jobs import enqueue, job_for_key
from workbench.jobs.models import Job
from workbench.jobs.services import drain_outbox
from workbench.org.scope import system_scope

from tests.support import processes
from tests.workbench.jobs.conftest import JOB_FIXTURES, use_broker

pytestmark = [JOB_FIXTURES, pytest.mark.slow]

FAST_RECOVERY = {
    "WORKBENCH_JOBS_VISIBILITY_TIMEOUT": 4,  # Redis hands an unacknowledged job out again
    "WORKBENCH_JOBS_LEASE_SECONDS": 3,       # a claim with no sign of life may be taken over
    "WORKBENCH_JOBS_REQUEUE_AFTER": 30,
}


@pytest.fixture(scope="session")
def database_url(postgresql_database_url):
    """Workers share a database with the test: PostgreSQL, as in production."""
    return postgresql_database_url


@pytest.fixture
def worker_env(app, effects, redis_server, tmp_path):
    """Environment of worker subprocesses sharing the test's database and Redis; the app under
    test publishes to the same Redis."""
    use_broker(app, redis_server.url, **FAST_RECOVERY)
    return processes.subprocess_env(
        WORKBENCH_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        WORKBENCH_DATA_DIR=tmp_path / "worker-data", WORKBENCH_SECRET_KEY="test-secret-key",
        WORKBENCH_REDIS_URL=redis_server.url, JOBFIXTURES_TICK_SECONDS=None,
        **FAST_RECOVERY,
    )


def job(key: str) -> Job | None:
    db.session.expire_all()
    with system_scope():
        row = job_for_key(key)
    db.session.rollback()
    return row


def wait_for_effect(effects, key: str, timeout: float = 30):
    processes.wait_until(lambda: key in effects.counts(), timeout=timeout, message=f"job {key} to take effect")


def test_workbench_worker_runs_a_committed_job_and_nothing_of_a_rolled_back_one(
        app, worker_env, effects, tmp_path):
    with processes.flask_command("worker", ["worker", "-P", "solo", "-n", "w1@%h"], worker_env, tmp_path) as worker:
        worker.wait_for_log("ready")
        enqueue("jobfixtures.record", key="committed", label="a")
        db.session.commit()
        enqueue("jobfixtures.record", key="rolled-back", label="b")
        db.session.rollback()
        enqueue("jobfixtures.record", key="after", label="c")
        db.session.commit()
        wait_for_effect(effects, "after")  # one worker, in order: "rolled-back" would have run by now
    assert effects.counts() == {"committed": 1, "after": 1}
    assert job("rolled-back") is None
    done = job("committed")
    assert done.state == "done" and done.worker.startswith("w1@") and done.result == {"label": "a"}


def test_a_job_delivered_twice_takes_effect_once(app, worker_env, effects, tmp_path):
    with processes.celery_worker("w1", worker_env, tmp_path) as worker:
        worker.wait_for_log("ready")
        enqueue("jobfixtures.record", key="twice", label="x")
        db.session.commit()
        # The same message again, as Redis does after a visibility timeout or a lost ack.
        app.extensions["celery"].send_task("jobfixtures.record", kwargs={"job_key": "twice"}, task_id="twice")
        enqueue("jobfixtures.record", key="marker", label="x")
        db.session.commit()
        wait_for_effect(effects, "marker")
    assert effects.counts() == {"twice": 1, "marker": 1}
    assert job("twice").attempts == 1


def test_a_job_whose_worker_is_killed_mid_way_completes_on_a_new_worker(app, worker_env, effects, tmp_path):
    marker = tmp_path / "started"
    first = processes.celery_worker("first", worker_env, tmp_path).start()
    try:
        first.wait_for_log("ready")
        enqueue("jobfixtures.slow_record", key="interrupted", label="slow", seconds=120, marker=str(marker))
        db.session.commit()
        processes.wait_until(marker.exists, timeout=30, message="the job to start")
        first.kill()  # SIGKILL: no ack, no clean-up, like a machine that died
    finally:
        first.kill()
    assert job("interrupted").state == "running" and effects.rows() == []
    with processes.celery_worker("second", worker_env, tmp_path) as second:
        second.wait_for_log("ready")
        wait_for_effect(effects, "interrupted", timeout=40)
    finished = job("interrupted")
    assert finished.state == "done" and finished.attempts == 2 and finished.worker.startswith("second@")
    assert effects.counts() == {"interrupted": 1}


def test_jobs_enqueued_while_redis_was_down_run_once_it_is_back(app, worker_env, effects, redis_server, tmp_path):
    with processes.celery_worker("w1", worker_env, tmp_path) as worker:
        worker.wait_for_log("ready")
        redis_server.stop()
        for number in range(3):
            enqueue("jobfixtures.record", key=f"outage:{number}", label="x")
            db.session.commit()  # each request succeeds; the job stays in the outbox
        assert {job(f"outage:{number}").state for number in range(3)} == {"pending"}
        redis_server.start()  # same port, empty: the worker reconnects by itself
        assert drain_outbox(app) == 3  # what beat does every 15 s, or `workbench jobs drain`
        for number in range(3):
            wait_for_effect(effects, f"outage:{number}", timeout=40)
    assert effects.counts() == {f"outage:{number}": 1 for number in range(3)}
    states = db.session.execute(select(Job.state).where(Job.key.startswith("outage:")).distinct()).scalars()
    assert states.all() == ["done"]
