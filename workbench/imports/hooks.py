"""The import and export area's hook implementations: settings, the core import and export
kinds, the pages (imports and exports), the menu entry, the nightly clean-up of stale files
and the `workbench import` command.

The exports package (workbench.exports) is wired from here too: it is the other half of the
same area, and the core's hook modules are one per area (workbench.plugins.CORE_HOOK_MODULES).

Settings: WORKBENCH_IMPORT_MAX_BYTES, WORKBENCH_IMPORT_MAX_ROWS (per file),
WORKBENCH_EXPORT_INLINE_MAX_ROWS (larger exports run in the background),
WORKBENCH_EXPORT_KEEP_DAYS (how long a background export's file is kept).
"""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem, ScheduledJob
from workbench.exports import tasks as _export_tasks  # noqa: F401  (declares the export jobs)
from workbench.exports.services import DEFAULT_INLINE_MAX_ROWS, DEFAULT_KEEP_DAYS
from workbench.hookspecs import hookimpl
from workbench.imports import tasks as _import_tasks  # noqa: F401  (declares the import jobs)
from workbench.imports.readers import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS

SETTINGS = {
    "WORKBENCH_IMPORT_MAX_BYTES": DEFAULT_MAX_BYTES,
    "WORKBENCH_IMPORT_MAX_ROWS": DEFAULT_MAX_ROWS,
    "WORKBENCH_EXPORT_INLINE_MAX_ROWS": DEFAULT_INLINE_MAX_ROWS,
    "WORKBENCH_EXPORT_KEEP_DAYS": DEFAULT_KEEP_DAYS,
}


@hookimpl
def workbench_init_app(app):
    from workbench.exports.core_kinds import register_core_kinds as register_export_kinds
    from workbench.imports.core_kinds import register_core_kinds as register_import_kinds

    for name, default in SETTINGS.items():
        app.config.setdefault(name, int(os.environ.get(name, default)))
    register_import_kinds(app)
    register_export_kinds(app)


@hookimpl
def workbench_blueprints():
    from workbench.exports.views import bp as exports_bp
    from workbench.imports.views import bp as imports_bp

    return [imports_bp, exports_bp]


@hookimpl
def workbench_menu_items():
    # Customer import is the everyday case; the other kinds sit on the same page.
    return [MenuItem("imports", _l("Import"), "imports.index", icon="bi-upload",
                     permission="customers.import", order=850)]


@hookimpl
def workbench_beat_schedule():
    return [
        ScheduledJob(name="imports.purge_stale", job="imports.purge_stale", schedule="15 3 * * *"),
        ScheduledJob(name="exports.purge_expired", job="exports.purge_expired", schedule="25 3 * * *"),
    ]


@hookimpl
def workbench_cli_commands():
    from workbench.imports.cli import import_command

    return [import_command]
