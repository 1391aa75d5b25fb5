"""The job pages: a job's progress for whoever started it (and job administrators only), and
the administrators' list of jobs with their errors."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from workbench.extensions import db
from workbench.jobs import enqueue, job_for_key
from workbench.jobs.models import Job
from workbench.org.scope import system_scope
from workbench.records import utcnow

from tests.workbench.jobs.conftest import JOB_FIXTURES

pytestmark = [JOB_FIXTURES, pytest.mark.locale("en")]


def waiting_job(key: str, creator, **values) -> Job:
    """A job that has not run yet (delayed), optionally put in another state."""
    enqueue("jobfixtures.record", key=key, created_by=creator, label="x",
            run_after=utcnow() + timedelta(hours=1))
    if values:
        db.session.execute(update(Job).where(Job.key == key).values(**values))
    db.session.commit()
    with system_scope():
        return job_for_key(key)


def test_the_creator_sees_the_progress_of_a_running_job_polled_every_second(app, world, client_for):
    waiting_job("export:1", world.am1, state="running", progress_done=30, progress_total=120,
                progress_note="customers")
    html = client_for(world.am1).get("/jobs/export:1").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in html and 'data-job-state="running"' in html
    assert "30 / 120" in html and "25%" in html and "customers" in html


def test_a_finished_job_stops_polling_and_links_to_its_result(app, world, client_for):
    waiting_job("export:2", world.am1, state="done")
    html = client_for(world.am1).get("/jobs/export:2?done_url=/customers/").get_data(as_text=True)
    assert "hx-get" not in html and "Finished" in html and "100%" in html
    assert 'href="/customers/"' in html and "Show the result" in html


def test_the_result_link_only_leads_to_a_page_of_this_site(app, world, client_for):
    waiting_job("export:3", world.am1, state="done")
    client = client_for(world.am1)
    for done_url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example",
                     "relative/path", "/ok\nSet-Cookie: x"):
        response = client.get("/jobs/export:3", query_string={"done_url": done_url})
        assert response.status_code == 200 and "Show the result" not in response.get_data(as_text=True), done_url


def test_a_failed_job_says_so_without_showing_its_error_to_the_user(app, world, client_for):
    waiting_job("export:4", world.am1, state="failed", error="KeyError: 'secret internals'")
    html = client_for(world.am1).get("/jobs/export:4").get_data(as_text=True)
    assert "Failed" in html and "An administrator can see the details" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_progress_as_json_for_scripts(app, world, client_for):
    waiting_job("export:5", world.am1, state="done", result={"rows": 3})
    data = client_for(world.am1).get("/jobs/export:5?format=json").get_json()
    assert data["state"] == "done" and data["finished"] and data["percent"] == 100
    assert data["result"] == {"rows": 3} and data["error"] is None


def test_another_user_gets_404_for_someone_elses_job(app, world, client_for):
    waiting_job("export:6", world.am1)
    assert client_for(world.am2).get("/jobs/export:6").status_code == 404
    assert client_for(world.lead).get("/jobs/export:6?format=json").status_code == 404


def test_an_unknown_job_is_404_and_the_page_needs_a_sign_in(app, world, client, client_for):
    assert client_for(world.am1).get("/jobs/no-such-job").status_code == 404
    waiting_job("export:7", world.am1)
    assert client.get("/jobs/export:7").status_code in (302, 401)


def test_a_job_administrator_sees_anyones_job(app, world, client_for):
    waiting_job("export:8", world.am1)
    assert world.admin.can("admin.jobs")
    assert client_for(world.admin).get("/jobs/export:8").status_code == 200


def test_the_job_list_is_for_job_administrators_only(app, world, client_for):
    assert client_for(world.lead).get("/jobs/").status_code == 403
    html = client_for(world.admin).get("/").get_data(as_text=True)
    assert 'data-menu-key="jobs"' in html
    assert 'data-menu-key="jobs"' not in client_for(world.am1).get("/").get_data(as_text=True)


def test_the_job_list_filters_by_state_and_finds_by_name_or_key(app, world, client_for):
    waiting_job("import:1", world.am1, state="failed", error="ValueError: bad row 7")
    waiting_job("export:9", world.am2)
    admin = client_for(world.admin)
    everything = admin.get("/jobs/").get_data(as_text=True)
    assert 'data-job-key="import:1"' in everything and 'data-job-key="export:9"' in everything
    failed = admin.get("/jobs/?state=failed").get_data(as_text=True)
    assert 'data-job-key="import:1"' in failed and 'data-job-key="export:9"' not in failed
    assert "ValueError: bad row 7" in failed and "Run again" in failed
    found = admin.get("/jobs/?q=EXPORT").get_data(as_text=True)
    assert 'data-job-key="export:9"' in found and 'data-job-key="import:1"' not in found
    assert 'data-job-key' not in admin.get("/jobs/?q=100%25").get_data(as_text=True)


def test_the_job_list_has_an_empty_state_and_pages(app, world, client_for):
    admin = client_for(world.admin)
    assert "No job matches" in admin.get("/jobs/?state=running").get_data(as_text=True)
    for number in range(27):
        enqueue("jobfixtures.record", key=f"many:{number}", label="x", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    first = admin.get("/jobs/?q=many:").get_data(as_text=True)  # other areas may have jobs too
    assert first.count("data-job-key=") == 25 and "Page 1 of 2" in first
    assert admin.get("/jobs/?q=many:&page=2").get_data(as_text=True).count("data-job-key=") == 2


def test_an_administrator_runs_a_failed_job_again(app, world, client_for, effects):
    waiting_job("import:2", world.am1, state="failed", error="boom")
    response = client_for(world.admin).post("/jobs/retry", data={"key": "import:2"})
    assert response.status_code == 302
    db.session.expire_all()
    with system_scope():
        row = job_for_key("import:2")
    assert row.state == "done" and [r.job_key for r in effects.rows()] == ["import:2"]


def test_only_a_failed_job_can_be_run_again_and_only_by_a_job_administrator(app, world, client_for):
    waiting_job("import:3", world.am1)
    assert client_for(world.admin).post("/jobs/retry", data={"key": "import:3"}).status_code == 404
    assert client_for(world.am1).post("/jobs/retry", data={"key": "import:3"}).status_code == 403


def test_a_job_enqueued_by_a_request_runs_after_the_request_commits(app, world, client_for, effects):
    response = client_for(world.am1).post("/jobfixtures/record", data={"label": "web", "key": "from-web"})
    assert response.status_code == 200 and response.get_json()["key"] == "from-web"
    assert [r.job_key for r in effects.rows()] == ["from-web"]


def test_a_request_that_fails_after_enqueueing_enqueues_nothing(app, world, client_for, effects):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client_for(world.am1).post("/jobfixtures/record", data={"key": "doomed", "fail": "1"})
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    assert effects.rows() == []
    with system_scope():
        assert job_for_key("doomed") is None
