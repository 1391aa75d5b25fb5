"""workbench_cli_commands: plugin commands run under `workbench`; name clashes name the plugin."""
from __future__ import annotations

import click
import pytest

from workbench.cli import main
from workbench.hookspecs import hookimpl
from workbench.plugins import PluginError

from tests.workbench.plugins.samples import PROBE_MODULES


def test_workbench_cli_commands_run_under_the_workbench_command(start_app):
    app = start_app(PROBE_MODULES)
    result = app.test_cli_runner().invoke(main, ["probe-ping", "--times", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"pong pong from {app.name}"


def test_a_plugin_command_named_like_a_core_command_is_refused(start_app, plugin_module):
    @click.command("db")
    def fake_db():
        """Shadows `workbench db`."""

    @hookimpl
    def workbench_cli_commands():
        return [fake_db]

    with pytest.raises(PluginError) as failure:
        start_app({"shadow": plugin_module("shadow", workbench_cli_commands=workbench_cli_commands)})
    assert failure.value.plugin == "shadow"
    assert "CLI command 'db' is already added by the core" in str(failure.value)


def test_two_plugins_adding_the_same_command_are_both_named(start_app, plugin_module):
    @click.command("probe-ping")
    def another_ping():
        """Same name as the probe's."""

    @hookimpl
    def workbench_cli_commands():
        return [another_ping]

    with pytest.raises(PluginError) as failure:
        start_app({**PROBE_MODULES, "zecho": plugin_module("zecho", workbench_cli_commands=workbench_cli_commands)})
    assert failure.value.plugin == "zecho"
    assert "'probe-ping' is already added by probe" in str(failure.value)


def test_a_function_that_is_not_a_click_command_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_cli_commands():
        return [print]

    with pytest.raises(PluginError) as failure:
        start_app({"bare": plugin_module("bare", workbench_cli_commands=workbench_cli_commands)})
    assert failure.value.plugin == "bare" and "expected Command" in str(failure.value)
