"""Stock never goes negative when many approvals arrive at the same moment, and two approvers
of one step cannot both decide it — PostgreSQL, real concurrent transactions: each approval
runs in its own thread with its own app context and session, all released together.

The reservation is one conditional UPDATE (… SET reserved = reserved + :q WHERE id = :id AND
on_hand - reserved >= :q); PostgreSQL re-checks the condition on the row a concurrent writer
left, so exactly as many approvals succeed as there are items, and the rest are told why."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from plugins.resources import services
from plugins.resources.models import ResourceRequestStep, ResourceStockEntry
from tests.plugins.resources.conftest import load, new_request, stock
from tests.support.factories import make_user
from workbench.auth.models import User
from workbench.errors import Conflict, ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("resources")]


def postgresql_only(database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (this test runs on its PostgreSQL variant)")


def run_at_once(app, jobs):
    """Run each (key, user_id, action) in its own thread, app context and session, released
    together by a barrier; the outcome is "won" or the refusal's message."""
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
                except ServiceError as exc:
                    db.session.rollback()
                    outcomes[key] = exc
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_ten_approvals_at_once_for_three_available_reserve_exactly_three(app, rw, database_url):
    postgresql_only(database_url)
    with system_scope():
        scarce = services.open_stock(rw.admin, rw.leaflet.id, rw.city.id, quantity=3, reason="限量")
        db.session.commit()
        scarce_id = scarce.id
    requests = [new_request(rw, stock=scarce_id, quantity=1, title=f"限量折页 {n}") for n in range(10)]

    def approver(request_id):
        def approve(user, barrier):
            item = services.get_request(request_id)
            barrier.wait(timeout=20)
            services.approve(user, item)
        return approve

    outcomes = run_at_once(app, [(rid, rw.lead.id, approver(rid)) for rid in requests])
    won = [rid for rid, outcome in outcomes.items() if outcome == "won"]
    refused = [outcome for outcome in outcomes.values() if outcome != "won"]
    assert len(won) == 3 and len(refused) == 7
    assert all("Not enough stock to approve" in str(exc.message) and "0 份 available" in str(exc.message)
               for exc in refused)
    assert sorted(load(rid).state for rid in requests) == ["approved"] * 3 + ["pending"] * 7
    current = stock(scarce_id)
    assert (current.on_hand, current.reserved, current.available) == (3, 3, 0)
    with system_scope():
        assert services.ledger_totals(scarce_id) == (3, 3)
        reservations = db.session.execute(select(ResourceStockEntry.request_id).where(
            ResourceStockEntry.stock_id == scarce_id, ResourceStockEntry.kind == "reserve")).scalars().all()
    assert sorted(reservations) == sorted(won)


def test_two_approvers_of_one_step_at_once_one_wins_and_the_other_is_told(app, rw, database_url):
    postgresql_only(database_url)
    second = make_user("lead", rw.county, "lead2")
    db.session.commit()
    rid = new_request(rw)

    def approve(user, barrier):
        item = services.get_request(rid)
        version = item.version
        barrier.wait(timeout=20)
        services.approve(user, item, version=version)

    outcomes = run_at_once(app, [("first", rw.lead.id, approve), ("second", second.id, approve)])
    assert list(outcomes.values()).count("won") == 1
    loser = next(outcome for outcome in outcomes.values() if outcome != "won")
    assert isinstance(loser, Conflict) and "at the same time" in str(loser.message)
    request = load(rid)
    assert (request.state, request.step_index) == ("pending", 1)
    with system_scope():
        approvals = db.session.execute(select(func.count()).select_from(ResourceRequestStep).where(
            ResourceRequestStep.request_id == rid, ResourceRequestStep.action == "approve")).scalar()
    assert approvals == 1
