"""The plugin's contributions as the core collects them: menu entries in the care group,
permissions with their default roles, to-do kinds only the flow closes, widgets, the customer
section and search sources; and its demo data, which leaves approvals in the lead's and the
city manager's to-dos."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.resources import services
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import system_scope
from workbench.plugins import registry

pytestmark = [pytest.mark.plugins("resources")]


def test_the_contributions_are_registered(app):
    found = registry()
    assert {"resources.approve", "resources.issue", "resources.confirm_use"} <= set(found.todo_kinds)
    assert not found.todo_kinds["resources.approve"].can_mark_done
    assert {"resources.my_requests", "resources.waiting", "resources.low_stock"} <= set(found.widgets)
    assert found.widgets["resources.low_stock"].permission == "resources.manage"
    assert "resources.requests" in {section.key for section in found.customer_sections}
    menu = {item.key: item for item in found.menu_items}
    assert menu["resources"].group == "care" and menu["resources.catalogue"].group == "care"


def test_the_default_roles_get_the_rights_the_brief_names(world, rw):
    assert rw.am1.can("resources.request") and not rw.am1.can("resources.manage")
    assert rw.lead.can("resources.approve") and not rw.lead.can("resources.manage")
    assert rw.citymgr.can("resources.manage") and rw.admin.can("resources.manage")


def test_the_demo_leaves_approvals_issues_and_uses_to_do(app):
    from workbench import demo

    with system_scope():
        assert demo.seed_demo()
        states = {request.state for request in db.session.execute(services.request_query()).unique().scalars()}
        kinds = {(todo.kind) for todo in db.session.execute(select(TodoItem).where(
            TodoItem.source_type == "resources_request", TodoItem.status == "open")).scalars()}
    assert {"pending", "approved", "issued", "used", "rejected", "cancelled"} <= states
    assert kinds == {"resources.approve", "resources.issue", "resources.confirm_use"}
