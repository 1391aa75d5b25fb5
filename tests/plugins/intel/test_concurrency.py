"""Two intel admins acting on one item at the same moment (PostgreSQL, real concurrent
transactions): of two ratings, or two merges into different survivors, one wins and the
other is told — never two. Two pushes of one item to the same person make one push."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from plugins.intel import services
from plugins.intel.models import IntelPush
from tests.plugins.intel.conftest import load, rated, submit
from tests.support.factories import make_user
from workbench.auth.models import User
from workbench.errors import Conflict, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("intel", "opportunity")]


def run_at_once(app, jobs):
    """Run each (key, user_id, action) in its own thread and session, released together."""
    barrier = threading.Barrier(len(jobs))
    outcomes = {}

    def run(key, user_id, action):
        with app.app_context():
            user = db.session.get(User, user_id)
            with acting_as(user.scope):
                try:
                    action(user, barrier)
                    db.session.commit()
                    outcomes[key] = "won"
                except (Conflict, ServiceError) as exc:
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


@pytest.fixture
def second_admin(iw):
    person = make_user("intel_admin", iw.city, "intel_b")
    db.session.commit()
    return person


def needs_postgresql(database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")


def test_two_admins_rating_at_once_one_wins_and_the_other_is_told(app, iw, second_admin, database_url):
    needs_postgresql(database_url)
    intel_id = submit(iw)
    version = load(intel_id).version

    def rate(value):
        def action(user, barrier):
            item = services.get_intel(intel_id)
            barrier.wait(timeout=10)
            services.rate(user, item, value=value, version=version)
        return action

    outcomes = run_at_once(app, [("a", iw.admin.id, rate("high")), ("b", second_admin.id, rate("low"))])
    assert list(outcomes.values()).count("won") == 1
    assert "at the same time" in next(value for value in outcomes.values() if value != "won")


def test_two_merges_of_one_duplicate_into_different_survivors_make_one(app, iw, second_admin, database_url):
    needs_postgresql(database_url)
    first, second, duplicate = submit(iw), submit(iw), submit(iw)

    def merge(survivor):
        def action(user, barrier):
            item = services.get_intel(duplicate)
            barrier.wait(timeout=10)
            services.merge(user, item, str(survivor))
        return action

    outcomes = run_at_once(app, [("a", iw.admin.id, merge(first)), ("b", second_admin.id, merge(second))])
    assert list(outcomes.values()).count("won") == 1
    assert load(duplicate).merged_into_id in (first, second)


def test_two_pushes_to_the_same_person_at_once_make_one_push_and_one_todo(app, iw, second_admin, database_url):
    needs_postgresql(database_url)
    intel_id = rated(iw)

    def push(user, barrier):
        item = services.get_intel(intel_id)
        barrier.wait(timeout=10)
        services.push(user, item, [iw.am2.id])

    outcomes = run_at_once(app, [("a", iw.admin.id, push), ("b", second_admin.id, push)])
    assert list(outcomes.values()).count("won") == 1
    assert "at the same time" in next(value for value in outcomes.values() if value != "won")
    db.session.expire_all()
    with system_scope():
        assert db.session.execute(select(func.count(IntelPush.id))).scalar() == 1
        assert db.session.execute(select(func.count(TodoItem.id)).where(TodoItem.kind == "intel.pushed")).scalar() == 1
