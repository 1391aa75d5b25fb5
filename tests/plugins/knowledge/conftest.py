"""Fixtures of the knowledge tests: a knowledge admin next to the core's small world, and a
helper that writes and publishes an article."""
from __future__ import annotations

import pytest

from workbench.extensions import db
from workbench.org.scope import acting_as

from plugins.knowledge import services
from tests.support.factories import make_user


@pytest.fixture
def curator(world):
    user = make_user("knowledge_admin", world.province, "knowledge")
    db.session.commit()
    return user


@pytest.fixture
def publish(curator):
    def make(title="集团专线故障报修处理流程", body="<p>客户报修后，客户经理在工作台登记故障单。</p>", space="business",
             author=None, **values):
        author = author or curator
        with acting_as(author.scope):
            article = services.create_article(author, title=title, body_html=body, space=space, **values)
            db.session.commit()
        with acting_as(curator.scope):
            article = services.get_article(article.id, curator)
            services.approve(curator, article)
            db.session.commit()
        return article

    return make
