"""The admin package's hook implementations: its blueprint and menu entries."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem, Permission
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_blueprints():
    from workbench.admin.views import bp

    return [bp]


@hookimpl
def workbench_permissions():
    return [
        Permission("admin.homepage", _l("Set default homepage layouts per role"),
                   ("province_admin", "system_admin")),
    ]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("admin", _l("Administration"), "admin.index", icon="bi-gear",
                 permission="admin.users", order=900),
    ]
