"""A plugin may offer hooks of its own (HOOKSPECS in its plugin module) that other plugins
implement: they are validated like the core's, their names carry the offering plugin's name,
and implementations marked optional still start when the offering plugin is disabled."""
from __future__ import annotations

import types

import pytest

from workbench.hookspecs import hookimpl, hookspec
from workbench.plugins import PluginError, registry


def _specs(*names):
    namespace = types.SimpleNamespace()
    for name in names:
        def spec(limit):
            """A plugin-owned hook."""
        spec.__name__ = name
        setattr(namespace, name, hookspec(spec))
    return namespace


def test_another_plugin_implements_a_plugins_own_hook(start_app, plugin_module):
    offering = plugin_module("alerts", HOOKSPECS=_specs("workbench_alerts_rules"))

    @hookimpl(optionalhook=True)
    def workbench_alerts_rules(limit):
        return [f"rule-under-{limit}"]

    contributing = plugin_module("extra", workbench_alerts_rules=workbench_alerts_rules)
    app = start_app({"extra": contributing, "alerts": offering})
    with app.app_context():
        assert registry().hook.workbench_alerts_rules(limit=5) == [["rule-under-5"]]


def test_an_optional_implementation_starts_without_the_offering_plugin(start_app, plugin_module):
    @hookimpl(optionalhook=True)
    def workbench_alerts_rules(limit):
        return []

    app = start_app({"extra": plugin_module("extra", workbench_alerts_rules=workbench_alerts_rules)})
    with app.app_context():
        assert registry().get("extra").enabled


def test_an_implementation_that_does_not_match_the_plugins_spec_is_refused(start_app, plugin_module):
    offering = plugin_module("alerts", HOOKSPECS=_specs("workbench_alerts_rules"))

    @hookimpl
    def workbench_alerts_rules(limit, surprise):
        return []

    contributing = plugin_module("extra", workbench_alerts_rules=workbench_alerts_rules)
    with pytest.raises(PluginError) as failure:
        start_app({"alerts": offering, "extra": contributing})
    assert failure.value.plugin == "extra"


def test_a_plugins_own_hooks_must_carry_its_name(start_app, plugin_module):
    offering = plugin_module("alerts", HOOKSPECS=_specs("workbench_rules"))
    with pytest.raises(PluginError) as failure:
        start_app({"alerts": offering})
    assert failure.value.plugin == "alerts"
    assert "workbench_alerts_*" in str(failure.value) and "workbench_rules" in str(failure.value)
