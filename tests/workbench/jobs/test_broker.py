"""Handing jobs to a real Redis (no worker here): published only after commit, and when Redis
is down the request still succeeds at once and the job waits in the outbox until the drain
sends it."""
from __future__ import annotations

import json
import time

import pytest
import redis as redis_client

from workbench.extensions import db
from workbench.jobs import enqueue, job_for_key
from workbench.jobs.services import drain_outbox, uses_broker
from workbench.org.scope import system_scope

from tests.support import processes
from tests.workbench.jobs.conftest import JOB_FIXTURES, use_broker

pytestmark = [JOB_FIXTURES, pytest.mark.locale("en")]

QUEUE_KEY = "workbench:workbench"  # WORKBENCH_JOBS_KEY_PREFIX + WORKBENCH_JOBS_QUEUE


def queued_job_keys(redis_url: str) -> list[str]:
    """The job keys of the test jobs waiting in the jobs queue (other areas' jobs left out)."""
    headers = [json.loads(message)["headers"]
               for message in redis_client.Redis.from_url(redis_url).lrange(QUEUE_KEY, 0, -1)]
    return sorted(header["id"] for header in headers if header["task"].startswith("jobfixtures."))


def state(key: str) -> str | None:
    db.session.expire_all()
    with system_scope():
        row = job_for_key(key)
    return row.state if row else None


def test_without_a_redis_url_jobs_run_in_process_and_nothing_is_published(app):
    celery = app.extensions["celery"]
    assert not uses_broker(app)
    assert celery.conf.broker_url == "memory://" and not celery.conf.result_backend


def test_a_job_is_published_only_when_the_transaction_commits(app, redis_server):
    use_broker(app, redis_server.url)
    enqueue("jobfixtures.record", key="sent", label="x")
    assert queued_job_keys(redis_server.url) == []
    db.session.commit()
    assert queued_job_keys(redis_server.url) == ["sent"] and state("sent") == "queued"


def test_a_rolled_back_transaction_publishes_nothing(app, redis_server):
    use_broker(app, redis_server.url)
    enqueue("jobfixtures.record", key="not-sent", label="x")
    db.session.rollback()
    db.session.commit()
    assert queued_job_keys(redis_server.url) == [] and state("not-sent") is None


def test_publishing_does_not_subscribe_to_the_result(app, redis_server):
    use_broker(app, redis_server.url)
    enqueue("jobfixtures.record", key="fire-and-forget", label="x")
    db.session.commit()
    assert redis_client.Redis.from_url(redis_server.url).pubsub_channels() == []


def test_with_redis_down_the_request_succeeds_at_once_and_the_job_waits_in_the_outbox(
        app, world, client_for, tmp_path):
    redis = processes.RedisServer(tmp_path / "redis")  # its port is known; it is not started yet
    use_broker(app, redis.url)
    client = client_for(world.am1)
    started = time.monotonic()
    response = client.post("/jobfixtures/record", data={"key": "while-down", "label": "x"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and response.get_json()["key"] == "while-down"
    assert elapsed < 5, f"a publish to a Redis that is down took {elapsed:.1f}s"  # measured: milliseconds
    assert state("while-down") == "pending"
    assert drain_outbox(app) == 0 and state("while-down") == "pending"  # still down: kept
    with redis:
        assert drain_outbox(app) == 1
        assert queued_job_keys(redis.url) == ["while-down"] and state("while-down") == "queued"


def test_jobs_enqueued_while_redis_was_down_are_sent_by_workbench_jobs_drain(app, tmp_path):
    from workbench.jobs.cli import drain_command

    redis = processes.RedisServer(tmp_path / "redis")
    use_broker(app, redis.url)
    for number in range(3):
        enqueue("jobfixtures.record", key=f"outage:{number}", label="x")
        db.session.commit()
    assert [state(f"outage:{number}") for number in range(3)] == ["pending"] * 3
    with redis:
        result = app.test_cli_runner().invoke(drain_command)
        assert result.exit_code == 0 and "Handed over 3 job(s)" in result.output
        assert queued_job_keys(redis.url) == ["outage:0", "outage:1", "outage:2"]


def test_a_queued_job_the_broker_lost_is_sent_again_after_requeue_after(app, redis_server):
    use_broker(app, redis_server.url, WORKBENCH_JOBS_REQUEUE_AFTER=0)
    enqueue("jobfixtures.record", key="lost", label="x")
    db.session.commit()
    redis_server.restart()  # no persistence: the message is gone, the row still says queued
    assert queued_job_keys(redis_server.url) == []
    time.sleep(0.01)
    assert drain_outbox(app) == 1
    assert queued_job_keys(redis_server.url) == ["lost"] and state("lost") == "queued"
