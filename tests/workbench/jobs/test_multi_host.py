"""More than one machine: two web processes (gunicorn) and two workers against one PostgreSQL
and one Redis, plus one beat. The web tier keeps no state of its own — a session signed in
on one web process works on the other, each has its own data directory — a job enqueued
through either web process runs exactly once on one of the workers, and beat fires each
schedule once per period, however many workers there are."""
from __future__ import annotations

import re

import pytest
import requests

from tests.support import processes
from tests.support.factories import PASSWORD
from tests.workbench.jobs.conftest import JOB_FIXTURES, use_broker

pytestmark = [JOB_FIXTURES, pytest.mark.slow]

TICK_SECONDS = 2


@pytest.fixture(scope="session")
def database_url(postgresql_database_url):
    """One PostgreSQL shared by every process."""
    return postgresql_database_url


@pytest.fixture
def cluster(app, world, effects, redis_server, tmp_path):
    """web A, web B, worker 1 (`workbench worker`, prefork), worker 2 (`celery -A … worker`,
    solo) and `workbench beat`, started together; yields them by name."""
    use_broker(app, redis_server.url)
    shared = dict(WORKBENCH_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                  WORKBENCH_REDIS_URL=redis_server.url, WORKBENCH_SECRET_KEY="one-key-for-every-host",
                  JOBFIXTURES_TICK_SECONDS=TICK_SECONDS)

    def env(host: str) -> dict:  # every host has a data directory of its own
        return processes.subprocess_env(WORKBENCH_DATA_DIR=tmp_path / host, **shared)

    ports = {"web_a": processes.free_port(), "web_b": processes.free_port()}
    started = {
        "web_a": processes.gunicorn(ports["web_a"], env("web_a"), tmp_path),
        "web_b": processes.gunicorn(ports["web_b"], env("web_b"), tmp_path),
        "worker_1": processes.flask_command("worker-1", ["worker", "-P", "prefork", "-c", "1", "-n", "w1@%h"],
                                            env("worker_1"), tmp_path),
        "worker_2": processes.celery_worker("w2", env("worker_2"), tmp_path),
    }
    try:
        for process in started.values():
            process.start()
        for name in ("web_a", "web_b"):
            processes.wait_for_http(f"http://127.0.0.1:{ports[name]}/login", timeout=60, process=started[name])
            started[name].url = f"http://127.0.0.1:{ports[name]}"
        started["worker_1"].wait_for_log("ready", timeout=60)
        started["worker_2"].wait_for_log("ready", timeout=60)
        started["beat"] = processes.flask_command(
            "beat", ["beat", "--schedule-file", str(tmp_path / "celerybeat-schedule")], env("beat"), tmp_path).start()
        yield started
    finally:
        processes.stop_all(list(started.values()))


def test_jobs_from_either_web_process_run_exactly_once_and_beat_fires_each_schedule_once(
        cluster, world, effects):
    web_a, web_b = cluster["web_a"], cluster["web_b"]
    browser = requests.Session()
    signed_in = browser.post(f"{web_a.url}/login", data={"username": world.am1.username, "password": PASSWORD},
                             allow_redirects=False)
    assert signed_in.status_code == 302
    served_by, keys = set(), []
    for number in range(12):  # the same signed-in session, alternately through each web process
        web = web_a if number % 2 == 0 else web_b
        response = browser.post(f"{web.url}/jobfixtures/record", data={"key": f"web:{number}", "label": "web"})
        assert response.status_code == 200, response.text
        served_by.add(response.json()["pid"])
        keys.append(response.json()["key"])
    for web in (web_a, web_b):  # the same idempotency key through both: one job
        assert browser.post(f"{web.url}/jobfixtures/record", data={"key": "both", "label": "web"}).status_code == 200
    keys.append("both")
    assert len(served_by) == 2

    processes.wait_until(lambda: set(keys) <= set(effects.counts()), timeout=60, message="every web job to run")
    # The progress of a job enqueued through web A, read through web B.
    status = browser.get(f"{web_b.url}/jobs/web:0", params={"format": "json"}).json()
    assert status["state"] == "done" and status["result"] == {"label": "web"}

    processes.wait_until(lambda: len(effects.rows("tick")) >= 3, timeout=60, message="three scheduled runs")
    cluster["beat"].stop()
    sent = len(re.findall(r"Sending due task jobfixtures\.tick\b", cluster["beat"].log()))
    processes.wait_until(lambda: len(effects.rows("tick")) == sent, timeout=30,
                         message=f"the {sent} runs beat sent to take effect")

    counts = effects.counts()
    assert all(counts[key] == 1 for key in keys), counts
    ticks = effects.rows("tick")
    assert len(ticks) == sent and len({tick.job_key for tick in ticks}) == sent  # once each, no more
    workers = {row.worker.split("@")[0] for row in effects.rows()}
    assert workers <= {"w1", "w2"} and workers  # on one of the workers
