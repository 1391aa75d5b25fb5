"""workbench_menu_items: plugin entries join the navigation, ordered, permission-gated."""
from __future__ import annotations

from workbench.plugins import registry

from tests.workbench.plugins.samples import PROBE

pytestmark = PROBE


def test_workbench_menu_items_are_sorted_by_order_among_the_core_entries(app):
    keys = [item.key for item in registry().menu_items]
    assert keys.index("inbox") < keys.index("customers") < keys.index("probe") < keys.index("admin")


def test_a_plugin_menu_item_shows_to_everyone_signed_in(app, world, client_for):
    html = client_for(world.am1).get("/").get_data(as_text=True)
    assert "Probe page" in html and 'href="/probe/"' in html


def test_a_menu_item_with_a_permission_shows_only_to_holders(app, world, client_for):
    assert "Probe settings" not in client_for(world.am1).get("/").get_data(as_text=True)
    assert "Probe settings" in client_for(world.lead).get("/").get_data(as_text=True)
