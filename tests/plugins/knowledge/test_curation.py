"""Curation without HTTP: draft → in review → published → archived, the refusals, versions,
the diff and restore, readers' ratings and comments, visibility of drafts."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.org.scope import acting_as, system_scope

from plugins.knowledge import services
from plugins.knowledge.models import KnowledgeArticle

pytestmark = [pytest.mark.plugins("knowledge")]


def draft(user, title="5G专网介绍", body="<p>5G专网为园区提供低时延网络。</p>", **values):
    with acting_as(user.scope):
        article = services.create_article(user, title=title, body_html=body, **values)
        db.session.commit()
        return article


def reload(article, user):
    with acting_as(user.scope):
        return services.get_article(article.id, user)


def todos(article, kind):
    with system_scope():
        return list(db.session.execute(select(TodoItem).where(
            TodoItem.source_type == services.SOURCE_TYPE, TodoItem.source_id == str(article.id),
            TodoItem.kind == kind)).scalars())


def test_an_account_manager_writes_a_draft_in_their_unit(world):
    article = draft(world.am1)
    assert (article.status, article.owner_id, article.org_unit_id) == ("draft", world.am1.id, world.grid1.id)


def test_a_submitted_experience_enters_review_and_opens_a_review_to_do_for_curators(world, curator):
    article = draft(world.am1, kind="experience")
    with acting_as(world.am1.scope):
        services.submit(world.am1, reload(article, world.am1))
        db.session.commit()
    assert reload(article, curator).status == "in_review"
    assert [(t.owner_id, t.status) for t in todos(article, services.REVIEW_TODO)] == [(curator.id, TodoStatus.OPEN)]


def test_an_account_manager_cannot_publish(world, curator):
    article = draft(world.am1)
    with acting_as(world.am1.scope), pytest.raises(NotAllowed):
        services.approve(world.am1, reload(article, world.am1))


def test_approving_publishes_a_first_version_and_closes_the_review_to_do(world, curator):
    article = draft(world.am1)
    with acting_as(world.am1.scope):
        services.submit(world.am1, reload(article, world.am1))
        db.session.commit()
    with acting_as(curator.scope):
        revision = services.approve(curator, reload(article, curator))
        db.session.commit()
    article = reload(article, curator)
    assert (article.status, article.published_revision, revision.number) == ("published", 1, 1)
    assert article.published_title == "5G专网介绍"
    assert [t.status for t in todos(article, services.REVIEW_TODO)] == [TodoStatus.DONE]


def test_a_curator_sends_back_with_a_comment_and_the_author_gets_a_to_do(world, curator):
    article = draft(world.am1)
    with acting_as(world.am1.scope):
        services.submit(world.am1, reload(article, world.am1))
        db.session.commit()
    with acting_as(curator.scope):
        services.send_back(curator, reload(article, curator), "请补充资费说明")
        db.session.commit()
    article = reload(article, world.am1)
    assert (article.status, article.review_comment) == ("draft", "请补充资费说明")
    [todo] = todos(article, services.REVISE_TODO)
    assert (todo.owner_id, todo.status) == (world.am1.id, TodoStatus.OPEN)


def test_sending_back_without_a_comment_is_refused(world, curator):
    article = draft(world.am1)
    with acting_as(world.am1.scope):
        services.submit(world.am1, reload(article, world.am1))
        db.session.commit()
    with acting_as(curator.scope), pytest.raises(ServiceError) as error:
        services.send_back(curator, reload(article, curator), "   ")
    assert error.value.field == "comment"


def test_approving_an_article_that_is_already_published_is_a_conflict(world, curator, publish):
    article = publish()
    with acting_as(curator.scope), pytest.raises(Conflict):
        services.approve(curator, reload(article, curator))


def test_a_stale_second_approval_is_told_it_lost(world, curator):
    article = draft(world.am1)
    with acting_as(world.am1.scope):
        services.submit(world.am1, reload(article, world.am1))
        db.session.commit()
    with acting_as(curator.scope):
        stale = reload(article, curator)
        db.session.execute(KnowledgeArticle.__table__.update().where(KnowledgeArticle.id == article.id)
                           .values(version=KnowledgeArticle.version + 1, status="draft"))
        with pytest.raises(Conflict):
            services.approve(curator, stale)


def test_editing_a_published_article_keeps_the_published_version_for_readers(world, curator, publish):
    article = publish()
    with acting_as(curator.scope):
        article = reload(article, curator)
        services.update_article(curator, article, version=article.version, title="集团专线故障报修处理流程（新）",
                                body_html="<p>新流程</p>", space="business")
        db.session.commit()
    article = reload(article, world.am2)
    assert (article.status, article.published_title) == ("draft", "集团专线故障报修处理流程")


def test_a_stale_edit_form_is_a_conflict(world):
    article = draft(world.am1)
    with acting_as(world.am1.scope), pytest.raises(Conflict):
        services.update_article(world.am1, reload(article, world.am1), version=article.version - 1,
                                title="x", body_html="<p>y</p>", space="business")


def test_every_publication_is_a_new_version_and_a_diff_shows_the_change(world, curator, publish):
    article = publish(body="<p>第一步：登记</p><p>第二步：派单</p>")
    with acting_as(curator.scope):
        article = reload(article, curator)
        services.update_article(curator, article, version=article.version, title=article.title,
                                body_html="<p>第一步：登记</p><p>第二步：现场派单</p>", space="business")
        services.approve(curator, article)
        db.session.commit()
        article = reload(article, curator)
        old, new = services.get_revision(article, 1), services.get_revision(article, 2)
        rows = services.diff_revisions(article, old, new)
    changed = [row for row in rows if row.kind != "equal"]
    assert len(changed) == 1 and "<ins" in str(changed[0].right) and "现场" in str(changed[0].right)


def test_restoring_an_old_version_makes_a_draft_and_keeps_every_version(world, curator, publish):
    article = publish(body="<p>旧文本</p>")
    with acting_as(curator.scope):
        article = reload(article, curator)
        services.update_article(curator, article, version=article.version, title=article.title,
                                body_html="<p>新文本</p>", space="business")
        services.approve(curator, article)
        db.session.commit()
        article = reload(article, curator)
        services.restore(curator, article, services.get_revision(article, 1))
        db.session.commit()
        article = reload(article, curator)
        services.approve(curator, article)
        db.session.commit()
        numbers = [r.number for r in services.revisions(article)]
    assert numbers == [3, 2, 1] and reload(article, curator).published_text == "旧文本"


def test_a_draft_is_hidden_from_other_account_managers(world):
    article = draft(world.am1)
    with acting_as(world.outsider.scope), pytest.raises(NotFound):
        services.get_article(article.id, world.outsider)


def test_a_published_article_is_visible_to_everyone_signed_in(world, publish):
    article = publish()
    assert reload(article, world.outsider).id == article.id


def test_an_archived_article_disappears_for_readers(world, curator, publish):
    article = publish()
    with acting_as(curator.scope):
        services.archive(curator, reload(article, curator))
        db.session.commit()
    with acting_as(world.outsider.scope), pytest.raises(NotFound):
        services.get_article(article.id, world.outsider)


def test_a_reader_rates_an_article_useful_only_once(world, publish):
    article = publish()
    with acting_as(world.am1.scope):
        assert services.rate_useful(world.am1, reload(article, world.am1)) is True
        assert services.rate_useful(world.am1, reload(article, world.am1)) is False
        db.session.commit()
        assert reload(article, world.am1).useful_count == 1


def test_a_comment_is_kept_as_plain_text(world, publish):
    article = publish()
    with acting_as(world.am1.scope):
        comment = services.add_comment(world.am1, reload(article, world.am1), "<script>alert(1)</script>好文")
        db.session.commit()
    assert comment.body == "<script>alert(1)</script>好文"  # stored as text; templates escape it


def test_an_empty_comment_is_refused(world, publish):
    article = publish()
    with acting_as(world.am1.scope), pytest.raises(ServiceError):
        services.add_comment(world.am1, reload(article, world.am1), "  ")


@pytest.mark.parametrize("title", ["", "   "])
def test_an_article_without_a_title_is_refused(world, title):
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as error:
        services.create_article(world.am1, title=title, body_html="<p>x</p>", space="business")
    assert error.value.field == "title"


def test_an_unknown_space_is_refused(world):
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as error:
        services.create_article(world.am1, title="x", space="secret")
    assert error.value.field == "space"


def test_a_help_context_nobody_declared_is_refused(world):
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as error:
        services.create_article(world.am1, title="x", space="business", contexts=["nowhere.page"])
    assert error.value.field == "contexts"


def test_publishing_emits_an_event_for_other_modules(world, curator, publish, monkeypatch):
    seen = []
    import plugins.knowledge.services as module
    original = module.emit
    monkeypatch.setattr(module, "emit", lambda name, **kw: seen.append(name) or original(name, **kw))
    publish()
    assert "knowledge.article_published" in seen


def test_the_migration_builds_the_tables_the_models_describe(database_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workbench import create_app, database

    if database_url != "sqlite":
        pytest.skip("the schema comparison runs on a fresh SQLite file")
    migrated = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "SECRET_KEY": "x",
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}",
                           "WORKBENCH_PLUGINS": ["knowledge"]})
    database.upgrade(migrated)

    def only_this_plugin(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("knowledge_")

    with migrated.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": only_this_plugin})
        assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()
