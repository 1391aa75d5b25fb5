"""workbench_resolve_sso_user (firstresult): the first non-None answer wins, plugins before the
core's claim-based default, which runs last. The whole SSO flow is tested in tests/workbench/auth."""
from __future__ import annotations

from workbench.plugins import registry

from tests.workbench.plugins.samples import PROBE
from tests.workbench.plugins.samples.probe import PROBE_ISSUER

pytestmark = PROBE


def resolve(claims):
    return registry().hook.workbench_resolve_sso_user(claims=claims)


def test_workbench_resolve_sso_user_of_a_plugin_wins_over_the_core_default(app):
    # The core default could map these claims too; the plugin's answer comes first.
    identity = resolve({"iss": PROBE_ISSUER, "sub": "77", "probe_unit": "G9",
                        "preferred_username": "someone", "org_unit_code": "X1"})
    assert (identity.username, identity.org_unit_code, identity.roles) == ("probe-77", "G9", ("lead",))


def test_claims_a_plugin_passes_on_reach_the_core_default(app):
    identity = resolve({"iss": "https://other.example", "sub": "s1", "preferred_username": "li.lei",
                        "org_unit_code": "X1", "roles": "lead"})
    assert (identity.username, identity.org_unit_code, identity.roles) == ("li.lei", "X1", ("lead",))


def test_claims_nobody_understands_resolve_to_none(app):
    assert resolve({"iss": "https://other.example", "sub": "s2"}) is None
