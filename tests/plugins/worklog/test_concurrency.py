"""Real concurrent transactions on PostgreSQL: the author's two tabs saving the same log at
once (one wins, the other is told and changes nothing), and one event delivered by two
workers at once (one system log: the unique event id decides)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from plugins.worklog import services
from plugins.worklog.models import WorkLog
from plugins.worklog.services import LogInput
from tests.plugins.worklog.conftest import load_log, local_text, write
from workbench.auth.models import User
from workbench.contracts import Event
from workbench.errors import Conflict
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("worklog")]


def run_at_once(app, jobs):
    """Run each (key, user_id, action) in its own thread and session, released together."""
    barrier = threading.Barrier(len(jobs))
    outcomes = {}

    def run(key, user_id, action):
        with app.app_context():
            user = db.session.get(User, user_id) if user_id else None
            with (acting_as(user.scope) if user else system_scope()):
                try:
                    outcomes[key] = action(user, barrier)
                    db.session.commit()
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[key] = str(exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_tabs_saving_the_same_log_at_once_one_wins_and_the_other_is_told(app, wl, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL; the PostgreSQL run of this test covers it")
    log_id = write(wl.am1, wl.customers["am1"], content="原内容")
    customer_id = wl.customers["am1"].id

    def save(text):
        def action(user, barrier):
            log = services.get_log(log_id)
            version = log.version
            barrier.wait(timeout=10)
            services.update_log(user, log, LogInput(kind="visit", customer_id=customer_id, content=text,
                                                    happened_at=local_text()), version)
            return "won"
        return action

    outcomes = run_at_once(app, [("a", wl.am1.id, save("标签页甲")), ("b", wl.am1.id, save("标签页乙"))])
    assert sorted(outcomes.values())[1] == "won"
    loser = sorted(outcomes.values())[0]
    assert "Someone else changed this log" in loser
    log = load_log(log_id)
    assert log.version == 2 and log.content in ("标签页甲", "标签页乙")


def test_one_event_delivered_twice_at_once_writes_one_system_log(app, wl, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL; the PostgreSQL run of this test covers it")
    event = Event(name="warning.raised", payload={"warning_id": 1, "customer_id": wl.customers["am1"].id,
                                                  "rule": "arrears", "severity": "high", "title": "欠费",
                                                  "period": "2026-11", "owner_id": wl.am1.id,
                                                  "org_unit_id": wl.am1.org_unit_id})

    def deliver(_user, barrier):
        barrier.wait(timeout=10)
        return "written" if services.record_system_log(event) is not None else "skipped"

    outcomes = run_at_once(app, [("a", None, deliver), ("b", None, deliver)])
    assert sorted(outcomes.values()) == ["skipped", "written"]
    db.session.expire_all()
    with system_scope():
        assert db.session.execute(select(func.count()).select_from(WorkLog)
                                  .where(WorkLog.event_id == event.id)).scalar() == 1


def test_two_visit_logs_fulfilling_one_plan_at_once_one_wins(app, wl, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL; the PostgreSQL run of this test covers it")
    from tests.plugins.worklog.conftest import load_plan, plan

    plan_id = plan(wl.am1, wl.customers["am1"])
    customer_id = wl.customers["am1"].id

    def fulfil(text):
        def action(user, barrier):
            services.get_plan(plan_id)
            barrier.wait(timeout=10)
            services.create_log(user, LogInput(kind="visit", customer_id=customer_id, content=text, plan_id=plan_id))
            return "won"
        return action

    outcomes = run_at_once(app, [("a", wl.am1.id, fulfil("甲")), ("b", wl.am1.id, fulfil("乙"))])
    assert sorted(outcomes.values())[1] == "won"
    assert "marked done" in sorted(outcomes.values())[0] or "changed this visit plan" in sorted(outcomes.values())[0]
    with system_scope():
        assert load_plan(plan_id).status == "done"
        assert db.session.execute(select(func.count()).select_from(WorkLog).where(WorkLog.plan_id == plan_id)
                                  ).scalar() == 1
