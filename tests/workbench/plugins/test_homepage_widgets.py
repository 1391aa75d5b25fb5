"""workbench_homepage_widgets: plugin cards are offered on the homepage, render lazily, are
permission-gated, and a card that raises shows an error card while the rest keeps working."""
from __future__ import annotations

from workbench.plugins import registry

from tests.workbench.plugins.samples import PROBE

pytestmark = PROBE


def test_workbench_homepage_widgets_are_offered_on_the_homepage(app, world, client_for):
    assert "probe.hello" in registry().widgets
    html = client_for(world.am1).get("/").get_data(as_text=True)
    assert 'data-key="probe.hello"' in html
    assert "/homepage/widgets/probe.hello" in html  # loaded lazily from its own endpoint


def test_a_plugin_widget_renders_for_the_reader(app, world, client_for):
    response = client_for(world.am1).get("/homepage/widgets/probe.hello")
    assert response.status_code == 200
    assert f'<p class="probe-widget">Hello {world.am1.username}</p>' in response.get_data(as_text=True)


def test_a_widget_that_raises_shows_an_error_card_and_the_homepage_still_works(app, world, client_for):
    client = client_for(world.am1)
    broken = client.get("/homepage/widgets/probe.broken")
    assert broken.status_code == 200 and broken.headers.get("X-Widget-Error") == "1"
    assert "wb-widget-error" in broken.get_data(as_text=True)
    assert "Probe broken" in broken.get_data(as_text=True)  # the card names the widget
    assert client.get("/").status_code == 200
    assert client.get("/homepage/widgets/probe.hello").status_code == 200
    assert client.get("/homepage/widgets/inbox.my_todos").status_code == 200


def test_a_widget_with_a_permission_is_neither_offered_nor_served_without_it(app, world, client_for):
    am1 = client_for(world.am1)
    assert 'data-key="probe.managers"' not in am1.get("/").get_data(as_text=True)
    assert am1.get("/homepage/widgets/probe.managers").status_code == 404
    assert client_for(world.lead).get("/homepage/widgets/probe.managers").status_code == 200
