"""`workbench plugins list`: every installed plugin with its version and whether it is enabled;
a plugin that cannot load is named instead of a traceback."""
from __future__ import annotations

from workbench.cli import main

from tests.workbench.plugins.samples import PROBE_MODULES, QUIET_MODULES


def listing(app) -> dict[str, list[str]]:
    result = app.test_cli_runner().invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["NAME", "VERSION", "ENABLED", "TITLE"]
    return {row.split()[0]: row.split()[1:] for row in rows}


def test_each_plugin_is_listed_with_version_enabled_flag_and_title(start_app):
    rows = listing(start_app({**PROBE_MODULES, **QUIET_MODULES}))
    assert rows["probe"] == ["1.2.3", "yes", "Probe"]
    assert rows["quiet"] == ["2.0.0", "yes", "Quiet"]


def test_a_plugin_left_out_of_the_allow_list_is_listed_as_not_enabled(start_app):
    rows = listing(start_app({**PROBE_MODULES, **QUIET_MODULES}, allow=["probe"]))
    assert rows["probe"][1] == "yes"
    assert rows["quiet"] == ["?", "no"]  # not imported, and no distribution to read a version from


def test_a_plugin_that_stops_start_up_is_named_with_exit_status_1(start_app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    info = ScriptInfo(create_app=lambda: start_app({"broken": "wbtest_missing_module.plugin"}))
    result = CliRunner().invoke(main, ["plugins", "list"], obj=info)
    assert result.exit_code == 1
    assert "plugin 'broken': cannot import wbtest_missing_module.plugin" in result.output
    assert "leave it out of WORKBENCH_PLUGINS" in result.output
