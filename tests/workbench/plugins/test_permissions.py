"""workbench_permissions: plugin rights are granted to their default roles."""
from __future__ import annotations

from workbench.plugins import registry

from tests.workbench.plugins.samples import PROBE

pytestmark = PROBE


def test_workbench_permissions_are_collected_by_name(app):
    assert registry().permissions["probe.manage"].default_roles == ("lead",)


def test_a_plugin_permission_goes_to_its_default_roles_only(app, world):
    assert world.lead.can("probe.manage")
    assert not world.am1.can("probe.manage")


def test_core_permissions_stay_next_to_plugin_ones(app):
    assert {"admin.users", "inbox.dispatch", "probe.manage"} <= set(registry().permissions)
