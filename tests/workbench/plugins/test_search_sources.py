"""workbench_search_sources: a plugin's document type joins the global search next to the
core's customers, its records are indexed when they change, and results follow the data
scope and the source's permission."""
from __future__ import annotations

import pytest

from workbench.contracts import SearchSource
from workbench.customers.models import Customer
from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.inbox import services as inbox
from workbench.org.scope import acting_as, system_scope
from workbench.plugins import PluginError, registry
from workbench.search import services

from tests.support.factories import make_todo

# The `app` of these tests loads the finder sample plugin and no other.
pytestmark = [pytest.mark.plugins("finder"),
              pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"finder": "tests.workbench.plugins.samples.finder"})]


def found(user, text: str, type_key: str | None = None) -> list[tuple[str, str]]:
    with acting_as(user.scope):
        outcome = services.search(user, text, type_key)
        return [(item.source.key, item.title) for item in services.present(outcome.query, outcome.hits_of(type_key))]


def test_workbench_search_sources_are_collected_and_sorted_by_order(app):
    assert [source.key for source in registry().search_sources] == ["customer", "finder.todo"]


def test_a_plugin_record_is_indexed_on_commit_and_found_by_whoever_may_see_it(app, world):
    make_todo(world.am1, title="核查滨江专线故障")
    db.session.commit()
    assert found(world.am1, "专线 故障") == [("finder.todo", "核查滨江专线故障")]
    assert found(world.am2, "专线 故障") == []  # another AM's to-do


def test_the_sources_query_removes_records_it_no_longer_admits(app, world):
    todo = make_todo(world.am1, title="回访滨江医院")
    db.session.commit()
    with system_scope():
        inbox.mark_done(todo, world.am1, "已回访", todo.version)
        db.session.commit()
    assert found(world.am1, "回访") == []


def test_a_source_behind_a_permission_is_hidden_from_users_without_it(app, world):
    make_todo(world.admin, title="省公司专线督办")
    db.session.commit()
    assert not world.admin.can("finder.search")
    assert found(world.admin, "督办") == []
    with acting_as(world.admin.scope):
        assert [count.source.key for count in services.search(world.admin, "督办").counts] == ["customer"]
        with pytest.raises(ServiceError):
            services.search(world.admin, "督办", "finder.todo")


def test_a_search_source_key_another_module_declares_is_refused(start_app, plugin_module):
    copy = SearchSource("customer", "Customers again", Customer, lambda c: {"title": c.name}, lambda c: "/")
    error = None
    try:
        start_app({"copycat": plugin_module("copycat", workbench_search_sources=hookimpl(lambda: [copy]))})
    except PluginError as exc:
        error = exc
    assert error is not None and error.plugin == "copycat"
    assert "declares the search source 'customer', which 'core:workbench.customers.hooks' already declares" in str(error)
