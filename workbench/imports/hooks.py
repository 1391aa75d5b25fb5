"""The import framework's hook implementations: its pages."""
from __future__ import annotations

from workbench.hookspecs import hookimpl


@hookimpl
def workbench_blueprints():
    from workbench.imports.views import bp

    return [bp]
