"""A test plugin that maps corporate departments to org units for single sign-on.

Loaded through WORKBENCH_PLUGIN_MODULES = {"ssodirectory": __name__} by the SSO tests, to
prove that a plugin's `workbench_resolve_sso_user` wins over the core's claim mapping and
that returning None passes to the next implementation.
"""
from __future__ import annotations

from workbench.contracts import Manifest, SsoIdentity
from workbench.hookspecs import hookimpl

PLUGIN_NAME = "ssodirectory"
DEPARTMENT_UNITS = {"dept-grid-2": "G2"}


@hookimpl
def workbench_manifest():
    return Manifest(name=PLUGIN_NAME, title="SSO directory (test)", version="1.0")


@hookimpl
def workbench_resolve_sso_user(claims):
    unit_code = DEPARTMENT_UNITS.get(claims.get("department"))
    if unit_code is None:
        return None
    return SsoIdentity(
        username="dir-" + str(claims["preferred_username"]),
        org_unit_code=unit_code,
        roles=("lead",),
        display_name=f"{claims.get('name', '')} (directory)",
    )
