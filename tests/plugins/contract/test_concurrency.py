"""Two business supervisors approve the same contract at the same moment: one wins, the other
is told (PostgreSQL, real concurrent transactions). Two account managers' sessions generating
the work order of one opportunity at once get one order."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from plugins.contract import services
from plugins.contract.models import Contract
from tests.plugins.contract.conftest import load, pre_execution, to_state
from tests.support.factories import make_user
from workbench.auth.models import User
from workbench.errors import Conflict
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("contract", "opportunity")]


def run_at_once(app, jobs):
    """Run each (user_id, action) in its own thread and session, released together."""
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
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[key] = str(exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=(key, user_id, action)) for key, user_id, action in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_supervisors_approving_at_once_one_wins_and_the_other_is_told(app, cw, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    second = make_user("lead", cw.county, "lead2")
    db.session.commit()
    cid = to_state(cw, "business_review")

    def approve(user, barrier):
        contract = services.get_contract(cid)
        barrier.wait(timeout=10)
        services.approve(user, contract)

    outcomes = run_at_once(app, [("first", cw.lead.id, approve), ("second", second.id, approve)])
    assert sorted(outcomes.values()).count("won") == 1
    told = next(value for value in outcomes.values() if value != "won")
    assert "at the same time" in told
    contract = load(cid)
    assert contract.state == "branch_review" and contract.version == load(cid).version
    with system_scope():
        from plugins.contract.models import ContractStep

        approvals = db.session.execute(select(func.count()).select_from(ContractStep).where(
            ContractStep.contract_id == cid, ContractStep.action == "approve_business")).scalar()
    assert approvals == 1


def test_generating_the_same_opportunitys_order_twice_at_once_makes_one(app, cw, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    oid = pre_execution(cw)

    def create(user, barrier):
        barrier.wait(timeout=10)
        services.create_contract(user, oid)

    outcomes = run_at_once(app, [("a", cw.am1.id, create), ("b", cw.am1.id, create)])
    assert list(outcomes.values()).count("won") == 1
    with system_scope():
        assert db.session.execute(select(func.count()).select_from(Contract)).scalar() == 1
