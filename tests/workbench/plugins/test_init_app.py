"""workbench_init_app: runs once inside create_app with the app; failures name the plugin."""
from __future__ import annotations

import pytest

from workbench.hookspecs import hookimpl
from workbench.plugins import PluginError

from tests.workbench.plugins.samples import with_probe


@with_probe
def test_workbench_init_app_sets_config_defaults_and_filters_pages_use(app, world, client_for):
    assert app.config["PROBE_GREETING"] == "hello from probe"
    html = client_for(world.am1).get("/probe/").get_data(as_text=True)
    assert "HELLO FROM PROBE!" in html  # the probe_shout filter registered by init_app


def test_init_app_is_called_once_per_app_and_may_omit_the_app_argument(start_app, plugin_module):
    calls = []

    @hookimpl
    def workbench_init_app():
        calls.append("called")

    start_app({"counter": plugin_module("counter", workbench_init_app=workbench_init_app)})
    assert calls == ["called"]


def test_an_init_app_that_raises_stops_start_up_naming_the_plugin(start_app, plugin_module):
    @hookimpl
    def workbench_init_app(app):
        raise KeyError("SITE_VISITS_API_KEY")

    with pytest.raises(PluginError) as failure:
        start_app({"keyless": plugin_module("keyless", workbench_init_app=workbench_init_app)})
    assert failure.value.plugin == "keyless"
    assert "workbench_init_app failed: KeyError" in str(failure.value)


def test_an_init_app_that_returns_something_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_init_app(app):
        return [app]

    with pytest.raises(PluginError) as failure:
        start_app({"giver": plugin_module("giver", workbench_init_app=workbench_init_app)})
    assert failure.value.plugin == "giver" and "must return nothing" in str(failure.value)
