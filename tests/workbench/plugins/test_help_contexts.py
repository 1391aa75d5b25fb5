"""workbench_help_contexts and workbench_context_panels: pages show related help beside them,
a broken panel fails alone; workbench_menu_items' groups make drop-downs of the navigation."""
from __future__ import annotations

import pytest

from workbench.plugins import registry

HELPFUL = [
    pytest.mark.plugins("helpful"),
    pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"helpful": "tests.workbench.plugins.samples.helpful"}),
    pytest.mark.locale("en"),
]
pytestmark = HELPFUL


def test_workbench_help_contexts_are_collected_by_key(app):
    assert str(registry().help_contexts["helpful.page"].label) == "The helpful page"


def test_workbench_context_panels_render_beside_the_page_that_declares_the_context(app, world, client_for):
    html = client_for(world.am1).get("/helpful/").get_data(as_text=True)
    assert 'data-context-key="helpful.page"' in html
    assert "Tips for this page" in html and "Read before you click." in html


def test_a_broken_context_panel_is_left_out_and_the_page_still_renders(app, world, client_for):
    response = client_for(world.am1).get("/helpful/")
    assert response.status_code == 200
    assert "Broken tips" not in response.get_data(as_text=True)


def test_a_context_without_panels_renders_nothing(app, world, client_for):
    html = client_for(world.am1).get("/helpful/other").get_data(as_text=True)
    assert "wb-context-help" not in html


def test_menu_items_of_one_group_share_a_drop_down(app, world, client_for):
    html = client_for(world.am1).get("/").get_data(as_text=True)
    assert 'data-menu-group="sales"' in html
    group = html.split('data-menu-group="sales"', 1)[1].split("</ul>", 1)[0]
    assert "Helpful one" in group and "Helpful two" in group


def test_a_group_with_one_visible_entry_shows_that_entry_on_the_bar(app, world, client_for):
    html = client_for(world.am1).get("/").get_data(as_text=True)
    assert 'data-menu-group="care"' not in html
    assert 'data-menu-key="helpful.alone"' in html
