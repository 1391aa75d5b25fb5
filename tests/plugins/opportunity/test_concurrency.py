"""Two opportunity managers award the same pooled opportunity at the same moment: one wins,
the other is told (PostgreSQL, real concurrent transactions)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from plugins.opportunity import services
from plugins.opportunity.models import Claim
from tests.plugins.opportunity.conftest import act, create, load
from tests.support.factories import make_user
from workbench.errors import Conflict
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("opportunity")]


def test_two_managers_awarding_at_once_one_wins_and_the_other_is_told(app, opp, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    second = make_user("opportunity_manager", opp.city, "oppmgr2")
    db.session.commit()
    oid = create(opp.am1, opp.customers["am1"])
    act(opp.oppmgr, oid, "publish_to_pool")
    act(opp.am1, oid, "claim")
    act(opp.am2, oid, "claim")
    with system_scope():
        claims = {row.user_id: row.id for row in db.session.execute(select(Claim)).scalars()}
    managers = [(opp.oppmgr.id, claims[opp.am1.id]), (second.id, claims[opp.am2.id])]
    barrier = threading.Barrier(2)
    outcomes = {}

    def award(manager_id, claim_id):
        with app.app_context():
            manager = db.session.get(services.User, manager_id)
            with acting_as(manager.scope):
                item = services.get_opportunity(oid)
                barrier.wait(timeout=10)
                try:
                    services.award(item, manager, claim_id=claim_id)
                    db.session.commit()
                    outcomes[manager_id] = "won"
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[manager_id] = str(exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=award, args=pair) for pair in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values(), key=len)[0] == "won"
    assert list(outcomes.values()).count("won") == 1
    told = next(value for value in outcomes.values() if value != "won")
    assert "moved this opportunity on first" in told or "changed this opportunity" in told
    item = load(oid)
    winner = next(manager for manager, value in outcomes.items() if value == "won")
    expected_owner = opp.am1.id if winner == opp.oppmgr.id else opp.am2.id
    assert (item.stage, item.owner_id) == ("assignment", expected_owner)
    with system_scope():
        statuses = sorted(db.session.execute(select(Claim.status)).scalars())
    assert statuses == ["awarded", "declined"]
