"""The homepage widget cache: served from Redis while the tables a widget reads are unchanged,
re-rendered as soon as a commit writes one of them, per user, and never in the way when Redis
is gone. Uses the real Redis on 127.0.0.1:6379 with a key prefix of the test's own."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.workbench.homepage import counting_widget_plugin as plugin
from workbench import change_tracking
from workbench.contracts import Widget

REDIS_URL = os.environ.get("WORKBENCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PLUGIN = {"counting": "tests.workbench.homepage.counting_widget_plugin"}
WIDGET = "/homepage/widgets/counting.open_todos"


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")


@pytest.fixture
def cached_app(app):
    """The test app with the widget cache on Redis under a private prefix."""
    _redis_or_skip()
    from workbench.homepage import widget_cache

    app.config["WORKBENCH_WIDGET_CACHE_URL"] = REDIS_URL
    app.config["WORKBENCH_JOBS_KEY_PREFIX"] = f"test-{uuid.uuid4().hex}:"
    widget_cache.init_app(app)
    plugin.RENDERS.clear()
    yield app
    store = app.extensions["workbench.widget_cache"]
    keys = list(store.client.scan_iter(f"{app.config['WORKBENCH_JOBS_KEY_PREFIX']}*"))
    if keys:
        store.client.delete(*keys)
    app.config["WORKBENCH_WIDGET_CACHE"] = "off"
    widget_cache.init_app(app)


def _open_todo(world, owner, title):
    from workbench.extensions import db
    from workbench.inbox import services
    from workbench.org.scope import system_scope

    with system_scope():
        services.open_todo(kind="task", title=title, assignee=owner)
        db.session.commit()


pytestmark = pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=PLUGIN)


def test_a_cached_widget_is_served_again_until_a_table_it_reads_changes(cached_app, world, client_for):
    client = client_for(world.am1)
    first = client.get(WIDGET).get_data(as_text=True)
    assert "open to-dos of am1: 0" in first
    assert client.get(WIDGET).get_data(as_text=True) == first
    assert plugin.RENDERS == [world.am1.id]

    _open_todo(world, world.am1, "call the customer back")
    assert "open to-dos of am1: 1" in client.get(WIDGET).get_data(as_text=True)
    assert plugin.RENDERS == [world.am1.id, world.am1.id]


def test_each_user_has_their_own_copy(cached_app, world, client_for):
    _open_todo(world, world.am1, "only am1's")
    assert "of am1: 1" in client_for(world.am1).get(WIDGET).get_data(as_text=True)
    assert "of am2: 0" in client_for(world.am2).get(WIDGET).get_data(as_text=True)
    assert sorted(plugin.RENDERS) == sorted([world.am1.id, world.am2.id])


def test_a_rolled_back_write_keeps_the_copy(cached_app, world, client_for):
    from workbench.extensions import db
    from workbench.inbox import services
    from workbench.org.scope import system_scope

    client = client_for(world.am1)
    client.get(WIDGET)
    with system_scope():
        services.open_todo(kind="task", title="never saved", assignee=world.am1)
        db.session.flush()
        db.session.rollback()
    assert "of am1: 0" in client.get(WIDGET).get_data(as_text=True)
    assert plugin.RENDERS == [world.am1.id]


def test_a_write_to_a_table_the_widget_does_not_read_keeps_the_copy(cached_app, world, client_for):
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    client = client_for(world.am1)
    client.get(WIDGET)
    with system_scope():
        world.customers["am1"].name = "改名后的客户"
        db.session.commit()
    client.get(WIDGET)
    assert plugin.RENDERS == [world.am1.id]


def test_with_redis_gone_the_widget_renders_directly(app, world, client_for):
    from workbench.homepage import widget_cache

    app.config["WORKBENCH_WIDGET_CACHE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    widget_cache.init_app(app)
    plugin.RENDERS.clear()
    try:
        client = client_for(world.am1)
        for _ in range(2):
            response = client.get(WIDGET)
            assert response.status_code == 200
            assert "open to-dos of am1: 0" in response.get_data(as_text=True)
        assert plugin.RENDERS == [world.am1.id, world.am1.id]
    finally:
        app.config["WORKBENCH_WIDGET_CACHE"] = "off"
        widget_cache.init_app(app)


def test_a_cached_widget_must_name_the_tables_it_reads():
    with pytest.raises(ValueError, match="name the tables"):
        Widget("x.y", "X", lambda: "", cache_seconds=30)


@pytest.mark.parametrize("statement, table", [
    ('INSERT INTO todo_item (title) VALUES (?)', "todo_item"),
    ('INSERT OR IGNORE INTO "warning_warning" SELECT 1', "warning_warning"),
    ('UPDATE "user" SET name=%(name)s', "user"),
    ("DELETE FROM customer WHERE id = 1", "customer"),
    ("\n  update Customer set x = 1", "customer"),
    ("SELECT * FROM todo_item", None),
    ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ("PRAGMA foreign_keys=ON", None),
])
def test_the_tracker_reads_the_written_table_from_the_sql(statement, table):
    assert change_tracking.tables_written(statement) == table


@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={})
def test_every_cached_widget_names_tables_that_exist(app):
    """A misspelt table in `reads` would never be bumped: the widget would go stale for its
    whole life. Every installed plugin's cached widgets are checked here."""
    from workbench.extensions import db
    from workbench.plugins import registry

    cached = {key: widget for key, widget in registry().widgets.items() if widget.cache_seconds}
    assert cached, "no installed widget uses the cache"
    for key, widget in cached.items():
        unknown = set(widget.reads) - set(db.metadata.tables)
        assert not unknown, f"{key} reads unknown tables {unknown}"
