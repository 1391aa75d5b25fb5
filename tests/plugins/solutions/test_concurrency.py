"""Two people act on the same record at the same moment: one wins, the other is told, and
nothing is half-written (PostgreSQL, real concurrent transactions in threads)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.plugins.solutions.conftest import generate
from tests.support.factories import make_user
from workbench.audit.actor import acting_user
from workbench.auth.models import User
from workbench.errors import Conflict
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

from plugins.solutions import services
from plugins.solutions.models import PieceVersion

pytestmark = [pytest.mark.plugins("solutions")]


def race(app, user_ids, action):
    """Run action(user) for each user in its own thread and transaction, started together."""
    barrier = threading.Barrier(len(user_ids))
    outcomes = {}

    def run(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            with acting_as(user.scope), acting_user(user):
                try:
                    action(user, barrier)
                    db.session.commit()
                    outcomes[user_id] = "won"
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[user_id] = str(exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_curators_publishing_the_same_piece_at_once_make_one_version(app, library, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    second = make_user("knowledge_admin", library.curator.org_unit, "curator2")
    with system_scope(), acting_user(library.curator):
        piece = services.create_piece(library.curator, library.cloud, kind="case", title="并发案例",
                                      body_html="<p>x</p>", industry_id=library.education.id)
        db.session.commit()
        piece_id, version = piece.id, piece.version

    def publish(user, barrier):
        item = services.get_piece(piece_id)
        barrier.wait(timeout=10)
        services.publish_piece(user, item, version=version)

    outcomes = race(app, [library.curator.id, second.id], publish)
    assert sorted(outcomes.values()).count("won") == 1 and len(outcomes) == 2
    with system_scope():
        assert db.session.execute(select(func.count(PieceVersion.id))
                                  .where(PieceVersion.piece_id == piece_id)).scalar_one() == 1


def test_two_edits_of_one_proposal_at_once_keep_one_and_tell_the_other(app, world, library, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    proposal_id = generate(world.am1, [library.line, library.cloud], customer_id=world.customers["am1"].id)
    with acting_as(world.am1.scope):
        proposal = services.get_proposal(proposal_id)
        version, section_id = proposal.version, proposal.sections[0].id

    def edit(user, barrier):
        item = services.get_proposal(proposal_id)
        barrier.wait(timeout=10)
        services.edit_section(user, item, section_id, heading=f"{user.username}的标题",
                              body_html=f"<p>{user.username}</p>", version=version)

    outcomes = race(app, [world.am1.id, world.lead.id], edit)
    assert list(outcomes.values()).count("won") == 1
    winner = next(user_id for user_id, value in outcomes.items() if value == "won")
    with system_scope():
        db.session.expire_all()
        section = services.get_proposal(proposal_id).sections[0]
        expected = "am1" if winner == world.am1.id else "lead"
        assert section.heading == f"{expected}的标题" and section.body_html == f"<p>{expected}</p>"
