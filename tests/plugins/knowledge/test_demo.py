"""The demo knowledge: a category tree in both spaces, some thirty articles, most published,
found in Chinese by a demo account manager."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench.auth.models import User
from workbench.demo import seed_demo
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

from plugins.knowledge import services
from plugins.knowledge.models import KnowledgeArticle, KnowledgeCategory

pytestmark = [pytest.mark.plugins("knowledge")]


def test_the_demo_seeds_categories_and_articles_in_every_state(app):
    assert seed_demo()
    with system_scope():
        spaces = set(db.session.execute(select(KnowledgeCategory.space)).scalars())
        states = dict(db.session.execute(select(KnowledgeArticle.status, func.count())
                                         .group_by(KnowledgeArticle.status)).all())
    assert spaces == {"business", "system"}
    assert states["published"] >= 25 and states["in_review"] == 2 and states["draft"] == 1 and states["archived"] == 1


def test_a_demo_account_manager_finds_demo_knowledge_by_a_partial_phrase(app):
    seed_demo()
    with system_scope():
        am1 = db.session.execute(select(User).where(User.username == "am1")).scalar_one()
    with acting_as(am1.scope):
        results = services.search_articles(am1, services.ArticleFilter(q="报修流程"))
    assert [item.title for item in results.items][:1] == ["集团专线故障报修处理流程"]
