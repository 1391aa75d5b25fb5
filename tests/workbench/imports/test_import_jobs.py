"""Imports as background jobs: progress per chunk, a job delivered again after its worker died
resumes after the last checkpoint without creating anything twice, a finished run delivered
again does nothing, a job that gives up says so on the run (and carries on when retried), an
uploader deactivated meanwhile imports nothing, and — with Redis and a real Celery worker —
the page shows the progress bar until the worker has imported the file."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.support import processes
from tests.support.processes import redis_server  # noqa: F401  (a fixture)
from tests.workbench.imports.samples import csv_bytes, imported, reasons
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.imports import services
from workbench.imports.models import ImportRun
from workbench.imports.rows import CustomerRows
from workbench.jobs import job_for_key
from workbench.jobs.services import retry_failed, run_job
from workbench.org.scope import system_scope

pytestmark = pytest.mark.locale("en")

FIVE_ROWS = csv_bytes([["code", "name", "owner"]] + [[f"R{n}", f"客户{n}", "am1"] for n in range(1, 6)])


def customer_codes() -> list[str]:
    with system_scope():
        return sorted(db.session.execute(select(Customer.code).where(Customer.code.like("R%"))).scalars())


class FlakyWrites:
    """CustomerRows.write raising for one code (a worker dying mid-chunk), `times` times; it
    counts which codes were written, to prove a resumed run skips the rows before its checkpoint."""

    def __init__(self, monkeypatch, code: str, times: int):
        self.code, self.left, self.written = code, times, []
        original = CustomerRows.write

        def write(importer, row, plan):
            if row.get("code") == self.code and self.left > 0:
                self.left -= 1
                raise RuntimeError("the worker died")
            self.written.append(row.get("code"))
            return original(importer, row, plan)

        monkeypatch.setattr(CustomerRows, "write", write)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two rows, each followed by a checkpoint."""
    monkeypatch.setattr(services, "ROWS_PER_CHUNK", 2)
    monkeypatch.setattr(services, "CHECKPOINT_SECONDS", 0)


def test_the_job_reports_its_progress_and_result(world):
    run = imported(world.admin, "customers", "a.csv", FIVE_ROWS)
    job = job_for_key(run.job_key)
    assert job.state == "done" and job.created_by_id == world.admin.id
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert job.result == {"run_id": run.id, "state": "done", "total": 5, "created": 5, "updated": 0,
                          "unchanged": 0, "failed": 0}


def test_a_job_delivered_again_after_its_worker_died_resumes_after_the_last_checkpoint(world, monkeypatch,
                                                                                        small_chunks):
    flaky = FlakyWrites(monkeypatch, "R3", times=1)
    run = imported(world.admin, "customers", "a.csv", FIVE_ROWS)
    # Rows 1–2 were committed with the first checkpoint; the chunk with R3 was rolled back.
    assert run.state == "running" and run.rows_done == 2 and run.created == 2
    assert customer_codes() == ["R1", "R2"]
    assert job_for_key(run.job_key).state == "pending"  # to be delivered again

    assert run_job(run.job_key) == "done"
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert (run.state, run.created, run.unchanged, run.failed, run.rows_done) == ("done", 5, 0, 0, 5)
    assert customer_codes() == ["R1", "R2", "R3", "R4", "R5"]
    # R1 and R2 were not written again; the chunk of R3 was, from its start.
    assert flaky.written == ["R1", "R2", "R3", "R4", "R5"]


def test_a_finished_run_delivered_again_changes_nothing(world):
    run = imported(world.admin, "customers", "a.csv", FIVE_ROWS)
    job = job_for_key(run.job_key)
    job.state = "queued"  # as if the broker delivered it a second time
    db.session.commit()
    assert run_job(run.job_key) == "done"
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).created == 5
    assert customer_codes() == ["R1", "R2", "R3", "R4", "R5"]
    assert db.session.execute(select(func.count(ImportRun.id))).scalar_one() == 1


def test_a_job_that_gives_up_says_so_on_the_run_and_carries_on_when_retried(world, monkeypatch, small_chunks):
    FlakyWrites(monkeypatch, "R3", times=3)
    run = imported(world.admin, "customers", "a.csv", FIVE_ROWS)
    assert run_job(run.job_key) == "retry"
    assert run_job(run.job_key) == "failed"
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.state == "failed" and "after 2 of 5 rows" in run.message
    assert customer_codes() == ["R1", "R2"]

    retry_failed(run.job_key)  # an administrator, once the cause is fixed
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert (run.state, run.created, run.message) == ("done", 5, None)
    assert customer_codes() == ["R1", "R2", "R3", "R4", "R5"]


def test_an_uploader_deactivated_before_the_job_ran_imports_nothing(world):
    world.lead.extra_permissions = ["customers.import"]
    db.session.commit()
    run = services.upload(world.lead, "customers", "a.csv", FIVE_ROWS)
    db.session.commit()
    services.start(world.lead, run, {0: "code", 1: "name", 2: "owner"})
    world.lead.active = False  # before the job runs (it runs after this commit)
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.state == "failed" and "no longer import" in run.message
    assert customer_codes() == []


def test_a_refused_file_fails_the_run_and_writes_nothing(world, app):
    run = services.upload(world.admin, "customers", "a.csv", FIVE_ROWS)
    db.session.commit()
    app.config["WORKBENCH_IMPORT_MAX_ROWS"] = 3  # the whole file is read only by the job
    services.start(world.admin, run, {0: "code", 1: "name", 2: "owner"})
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.state == "failed" and "more than 3 rows" in run.message and run.stored_name is None
    assert customer_codes() == [] and reasons(run) == {}


def _use_broker(app, redis_url: str) -> None:
    from workbench.celery_app import make_celery

    app.config.update(WORKBENCH_REDIS_URL=redis_url)
    make_celery(app)


def test_with_redis_a_worker_imports_the_file_while_the_page_shows_progress(app, world, client_for,
                                                                            redis_server, tmp_path):
    _use_broker(app, redis_server.url)
    client = client_for(world.admin)
    upload = client.post("/imports/", data={"kind": "customers", "file": (io.BytesIO(FIVE_ROWS), "a.csv")},
                         content_type="multipart/form-data")
    start = client.post(upload.headers["Location"], data={"column-0": "code", "column-1": "name",
                                                          "column-2": "owner", "action": "start"})
    detail_url = start.headers["Location"]
    page = client.get(detail_url).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and 'data-job-state="queued"' in page
    assert "data-reload-when-finished" in page

    env = processes.subprocess_env(WORKBENCH_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                                   WORKBENCH_DATA_DIR=app.config["DATA_DIR"],
                                   WORKBENCH_REDIS_URL=redis_server.url, WORKBENCH_PLUGINS=None)
    with processes.celery_worker("imports", env, tmp_path) as worker:
        worker.wait_for_log("ready")

        def finished():
            db.session.rollback()
            return db.session.execute(select(ImportRun.state)).scalar_one() == "done"

        processes.wait_until(finished, timeout=60, message="the worker to import the file")
    assert customer_codes() == ["R1", "R2", "R3", "R4", "R5"]
    page = client.get(detail_url).get_data(as_text=True)
    assert 'data-job-state="done"' in page and 'hx-trigger' not in page
    assert "Every row was imported" in page
