"""THE contract between the core shell and plugins. Every hook is named workbench_*, is called
with keyword arguments, and returns objects from workbench.contracts. docs/plugins.md explains
each with an example; tests/workbench/test_hook_contract.py fails when one is undocumented or
untested."""
from __future__ import annotations

import pluggy

PROJECT = "workbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def workbench_manifest():
    """Return the plugin's Manifest (name, title, version, depends). Every plugin implements it."""


@hookspec
def workbench_init_app(app):
    """Called once inside create_app after extensions are ready: register template filters,
    context processors, config defaults, signal handlers. Return nothing."""


@hookspec
def workbench_blueprints():
    """Return a list of Flask Blueprints (pages and JSON API) to register."""


@hookspec
def workbench_menu_items():
    """Return a list of MenuItem for the main navigation."""


@hookspec
def workbench_permissions():
    """Return a list of Permission the plugin checks, with the roles that get them by default."""


@hookspec
def workbench_todo_kinds():
    """Return a list of TodoKind the plugin opens in the unified inbox."""


@hookspec
def workbench_homepage_widgets():
    """Return a list of Widget the user may place on the homepage."""


@hookspec
def workbench_customer_sections():
    """Return a list of CustomerSection shown on the customer page (客户视图)."""


@hookspec
def workbench_cli_commands():
    """Return a list of click commands/groups added under the `workbench` command."""


@hookspec
def workbench_handle_event(event):
    """React to an Event emitted by the core or another plugin. Return nothing."""


@hookspec(firstresult=True)
def workbench_resolve_sso_user(claims):
    """Map verified ID-token claims to an SsoIdentity, or return None to pass.

    The first non-None result wins; the core's claim-based default runs last."""
