"""The solutions plugin's hook implementations: thin wiring that delegates to its modules."""
from __future__ import annotations

from workbench.hookspecs import hookimpl

from plugins.solutions import MANIFEST


@hookimpl
def workbench_manifest():
    return MANIFEST
