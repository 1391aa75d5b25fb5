"""The import framework's hook implementations: its pages, its menu entry, its settings
(WORKBENCH_IMPORT_MAX_BYTES, WORKBENCH_IMPORT_MAX_ROWS) and the `workbench import` command."""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem
from workbench.hookspecs import hookimpl
from workbench.imports.readers import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS


@hookimpl
def workbench_init_app(app):
    app.config.setdefault("WORKBENCH_IMPORT_MAX_BYTES",
                          int(os.environ.get("WORKBENCH_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)))
    app.config.setdefault("WORKBENCH_IMPORT_MAX_ROWS",
                          int(os.environ.get("WORKBENCH_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))


@hookimpl
def workbench_blueprints():
    from workbench.imports.views import bp

    return [bp]


@hookimpl
def workbench_menu_items():
    # Customer import is the everyday case; unit and user imports sit on the same page.
    return [MenuItem("imports", _l("Import"), "imports.index", icon="bi-upload",
                     permission="customers.import", order=850)]


@hookimpl
def workbench_cli_commands():
    from workbench.imports.cli import import_group

    return [import_group]
