"""The `quiet` sample plugin: a manifest and one permission, nothing else."""
from __future__ import annotations

from workbench.contracts import Manifest, Permission
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_manifest():
    return Manifest(name="quiet", title="Quiet", version="2.0.0")


@hookimpl
def workbench_permissions():
    return [Permission("quiet.listen", "Listen quietly")]
