"""The job rules without HTTP and without a broker (the embedded default: a job runs in-process
right after the commit that enqueued it), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from workbench.extensions import db
from workbench.jobs import enqueue, job_for_key
from workbench.jobs import services
from workbench.jobs.models import Job
from workbench.org.scope import system_scope
from workbench.records import utcnow

from tests.support.factories import make_customer
from tests.workbench.jobs.conftest import JOB_FIXTURES

pytestmark = JOB_FIXTURES


def job(key: str) -> Job:
    db.session.expire_all()
    with system_scope():
        return job_for_key(key)


def make_due(key: str) -> None:
    """Let a delayed job (a retry) be due now."""
    db.session.execute(update(Job).where(Job.key == key).values(run_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_job_runs_right_after_the_commit_that_enqueued_it(app, effects):
    row = enqueue("jobfixtures.record", key="k1", label="one")
    assert row.state == "pending" and effects.rows() == []
    db.session.commit()
    assert [(r.job_key, r.label) for r in effects.rows()] == [("k1", "one")]
    finished = job("k1")
    assert finished.state == "done" and finished.result == {"label": "one"} and finished.attempts == 1
    assert finished.worker == "in-process" and finished.finished_at is not None


def test_a_rolled_back_transaction_enqueues_nothing(app, effects):
    enqueue("jobfixtures.record", key="gone", label="never")
    db.session.rollback()
    db.session.commit()  # a later commit of the same session hands nothing over
    assert effects.rows() == [] and job("gone") is None


def test_a_job_enqueued_before_a_rolled_back_savepoint_still_runs(app, effects):
    enqueue("jobfixtures.record", key="kept", label="kept")
    savepoint = db.session.begin_nested()
    enqueue("jobfixtures.record", key="undone", label="undone")
    savepoint.rollback()
    db.session.commit()
    assert [r.job_key for r in effects.rows()] == ["kept"]
    assert job("undone") is None


def test_a_released_savepoint_does_not_hand_jobs_over_before_the_real_commit(app, effects):
    enqueue("jobfixtures.record", key="early", label="early")
    with db.session.begin_nested():
        enqueue("jobfixtures.record", key="inner", label="inner")
    assert effects.rows() == [] and job("early").state == "pending"
    db.session.commit()
    assert sorted(r.job_key for r in effects.rows()) == ["early", "inner"]


def test_enqueueing_a_key_twice_is_one_job(app, effects):
    first = enqueue("jobfixtures.record", key="same", label="first")
    again = enqueue("jobfixtures.record", key="same", label="second")
    assert again.id == first.id
    db.session.commit()
    enqueue("jobfixtures.record", key="same", label="third")  # after it ran: still the same job
    db.session.commit()
    assert effects.counts() == {"same": 1} and effects.rows()[0].label == "first"


def test_a_key_enqueued_by_another_transaction_meanwhile_is_not_an_error(app, effects):
    # Another request enqueued and committed the key between our check and our insert.
    enqueue("jobfixtures.record", key="raced", label="theirs")
    db.session.commit()
    assert services._insert_unless_present(dict(
        key="raced", task="jobfixtures.record", kwargs={}, state="pending", created_at=utcnow(),
        attempts=0, progress_done=0)) is None
    db.session.commit()  # our transaction is intact
    assert effects.counts() == {"raced": 1}


def test_enqueue_refuses_an_undeclared_job_arguments_that_are_not_json_and_a_long_key(app):
    with pytest.raises(LookupError, match="no job named 'nobody.declared'"):
        enqueue("nobody.declared")
    with pytest.raises(TypeError, match="JSON values"):
        enqueue("jobfixtures.record", label=object())
    with pytest.raises(ValueError, match="longer than 160"):
        enqueue("jobfixtures.record", key="k" * 161, label="x")
    assert db.session.execute(select(Job).where(Job.task.startswith("jobfixtures."))).all() == []


def test_a_delayed_job_waits_until_it_is_due_and_the_outbox_is_drained(app, effects):
    enqueue("jobfixtures.record", key="later", label="later", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert job("later").state == "pending" and effects.rows() == []
    assert services.drain_outbox(app) == 0
    make_due("later")
    assert services.drain_outbox(app) == 1
    assert job("later").state == "done" and effects.counts() == {"later": 1}


def test_a_failing_job_does_not_reach_the_committer_and_is_retried_later(app, effects):
    enqueue("jobfixtures.always_fails", key="bad")
    db.session.commit()  # no exception here
    row = job("bad")
    assert row.state == "pending" and row.attempts == 1
    assert row.error == "RuntimeError: this job fails on purpose"
    assert timedelta(seconds=8) < row.run_after - utcnow() <= timedelta(seconds=10)
    assert effects.rows() == []  # its work was rolled back with the failure


def test_retries_back_off_and_the_job_fails_after_max_attempts(app, effects):
    enqueue("jobfixtures.always_fails", key="bad")
    db.session.commit()
    make_due("bad")
    services.drain_outbox(app)
    second = job("bad")
    assert second.attempts == 2 and second.state == "pending"
    assert timedelta(seconds=18) < second.run_after - utcnow() <= timedelta(seconds=20)
    make_due("bad")
    services.drain_outbox(app)
    failed = job("bad")
    assert failed.state == "failed" and failed.attempts == 3 and failed.finished_at is not None
    make_due("bad")
    assert services.drain_outbox(app) == 0  # failed is final
    assert effects.rows() == []
    assert [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 10, 30)] == [10, 20, 40, 3600, 3600]


def test_a_job_that_fails_once_succeeds_on_its_retry(app, effects):
    enqueue("jobfixtures.fails_once", key="flaky", label="flaky")
    db.session.commit()
    make_due("flaky")
    services.drain_outbox(app)
    row = job("flaky")
    assert row.state == "done" and row.attempts == 2 and row.result == {"attempt": 2}
    assert row.error is None and effects.counts() == {"flaky": 1}


def test_a_duplicate_delivery_of_a_finished_job_does_nothing(app, effects):
    enqueue("jobfixtures.record", key="once", label="once")
    db.session.commit()
    with app.app_context():
        assert services.run_job("once", worker_name="second delivery") == "skipped"
    assert effects.counts() == {"once": 1} and job("once").attempts == 1


def test_a_duplicate_delivery_while_the_job_runs_does_nothing(app, effects):
    enqueue("jobfixtures.record", key="busy", label="busy",
            run_after=utcnow() + timedelta(hours=1))  # not handed over: we play the workers
    db.session.commit()
    with system_scope():
        assert services.claim("busy", "worker A", timedelta(minutes=5)) is not None
        assert services.run_job("busy", worker_name="worker B") == "skipped"
    assert effects.rows() == [] and job("busy").worker == "worker A"


def test_a_job_whose_worker_died_runs_again_once_its_lease_ran_out(app, effects):
    enqueue("jobfixtures.record", key="orphan", label="orphan", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    with system_scope():
        services.claim("orphan", "worker that dies", timedelta(minutes=5))
    assert services.drain_outbox(app) == 0  # the claim is still live
    db.session.execute(update(Job).where(Job.key == "orphan").values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert services.drain_outbox(app) == 1
    row = job("orphan")
    assert row.state == "done" and row.attempts == 2 and row.worker == "in-process"
    assert effects.counts() == {"orphan": 1}


def test_a_job_that_lost_its_claim_commits_nothing_at_its_next_checkpoint(app, effects):
    from workbench.jobs.registry import JobContext, LostClaim

    enqueue("jobfixtures.record", key="taken", label="x", run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    with system_scope():
        token = services.claim("taken", "slow worker", timedelta(seconds=-1))  # lease already over
        services.claim("taken", "other worker", timedelta(minutes=5))
        context = JobContext(job_for_key("taken"), token, timedelta(minutes=5))
        db.session.execute(job_fixtures_effect_insert("taken"))
        with pytest.raises(LostClaim):
            context.checkpoint(1, 2)
    assert effects.rows() == [] and job("taken").worker == "other worker"


def job_fixtures_effect_insert(key: str):
    from tests.support.job_fixtures import effects as table

    return table.insert().values(job_key=key, label="half-done")


def test_a_checkpointed_job_that_runs_again_skips_the_steps_it_did(app, effects):
    enqueue("jobfixtures.steps", key="steps", total=3, run_after=utcnow() + timedelta(hours=1))
    db.session.commit()
    # A first worker did step 0 and checkpointed, then died.
    with system_scope():
        token = services.claim("steps", "worker that dies", timedelta(seconds=-1))
        from workbench.jobs.registry import JobContext

        context = JobContext(job_for_key("steps"), token, timedelta(seconds=-1))
        db.session.execute(job_fixtures_effect_insert("steps").values(label="step 0"))
        context.checkpoint(1, 3, note="step 1")
    assert job("steps").progress_done == 1
    assert services.drain_outbox(app) == 1
    row = job("steps")
    assert row.state == "done" and row.progress_done == 3 and row.progress_total == 3 and row.percent == 100
    assert [r.label for r in effects.rows()] == ["step 0", "step 1", "step 2"]


def test_jobs_enqueued_by_a_job_run_after_it(app, effects):
    enqueue("jobfixtures.parent", key="parent", children=3)
    db.session.commit()
    assert job("parent").state == "done"
    assert [r.label for r in effects.rows()] == ["parent", "child", "child", "child"]
    assert all(job(f"parent:child:{n}").state == "done" for n in range(3))


def test_a_creator_job_sees_only_what_its_creator_sees(app, world, effects):
    mine, theirs = world.customers["am1"], world.customers["am2"]
    db.session.commit()
    enqueue("jobfixtures.visible_customers", key="scoped", created_by=world.am1)
    enqueue("jobfixtures.every_customer", key="system")
    db.session.commit()
    visible = job("scoped").result["ids"]
    assert mine.id in visible and theirs.id not in visible
    assert {mine.id, theirs.id} <= set(job("system").result["ids"])


def test_a_creator_job_of_a_deactivated_or_missing_creator_sees_nothing(app, world, effects):
    make_customer(world.am1)
    world.am1.active = False
    db.session.commit()
    enqueue("jobfixtures.visible_customers", key="inactive", created_by=world.am1)
    enqueue("jobfixtures.visible_customers", key="nobody")
    db.session.commit()
    assert job("inactive").result == {"ids": []} and job("nobody").result == {"ids": []}


def test_a_failed_job_can_be_run_again(app, effects):
    enqueue("jobfixtures.always_fails", key="again")
    db.session.commit()
    db.session.execute(update(Job).where(Job.key == "again").values(state="failed"))
    db.session.commit()
    with system_scope():
        services.retry_failed("again")
    db.session.commit()
    row = job("again")
    assert row.attempts == 1 and row.state == "pending"  # it ran at once, and failed once more
    with pytest.raises(LookupError):
        services.retry_failed("again")  # only a failed job


def test_finished_jobs_are_forgotten_after_the_keep_days(app, effects):
    enqueue("jobfixtures.record", key="old", label="old")
    enqueue("jobfixtures.record", key="recent", label="recent")
    enqueue("jobfixtures.record", key="waiting", label="w", run_after=utcnow() + timedelta(days=30))
    db.session.commit()
    db.session.execute(update(Job).where(Job.key == "old").values(finished_at=utcnow() - timedelta(days=15)))
    db.session.commit()
    enqueue("jobs.purge_finished", key="purge")
    db.session.commit()
    assert job("purge").result == {"removed": 1}
    assert job("old") is None and job("recent") is not None and job("waiting") is not None


def test_a_job_of_a_plugin_that_is_gone_fails_instead_of_waiting_forever(app, effects):
    enqueue("jobfixtures.record", key="orphaned", label="x", run_after=utcnow() - timedelta(seconds=1))
    db.session.execute(update(Job).where(Job.key == "orphaned").values(task="removed.plugin_job"))
    db.session.commit()
    services.drain_outbox(app)
    row = job("orphaned")
    assert row.state == "failed" and "no job named 'removed.plugin_job'" in row.error


def test_a_job_must_return_json(app):
    from workbench.jobs import job as declare

    @declare("jobfixtures.returns_an_object", max_attempts=1)
    def returns_an_object(ctx):
        return {"when": utcnow()}

    enqueue("jobfixtures.returns_an_object", key="object")
    db.session.commit()
    row = job("object")
    assert row.state == "failed" and "JSON" in row.error


def test_the_last_failed_attempt_calls_on_give_up_once_with_the_job_arguments(app):
    from workbench.jobs import job as declare

    given_up = []

    @declare("jobfixtures.gives_up", max_attempts=2, on_give_up=lambda **kwargs: given_up.append(kwargs))
    def gives_up(ctx, *, run_id):
        raise RuntimeError("fails on purpose")

    enqueue("jobfixtures.gives_up", key="give-up", run_id=7)
    db.session.commit()
    assert given_up == [] and job("give-up").state == "pending"  # a retry is still to come
    make_due("give-up")
    services.drain_outbox(app)
    assert given_up == [{"run_id": 7}] and job("give-up").state == "failed"


def test_a_raising_on_give_up_still_leaves_the_job_failed(app):
    from workbench.jobs import job as declare

    def broken_give_up(**_kwargs):
        raise RuntimeError("the give-up hook itself fails")

    @declare("jobfixtures.gives_up_badly", max_attempts=1, on_give_up=broken_give_up)
    def gives_up_badly(ctx):
        raise RuntimeError("fails on purpose")

    enqueue("jobfixtures.gives_up_badly", key="give-up-badly")
    db.session.commit()
    assert job("give-up-badly").state == "failed"
