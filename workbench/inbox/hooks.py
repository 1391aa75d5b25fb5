"""The inbox's own hook implementations: the dispatched-task kind, permissions, menu, widget."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_blueprints():
    from workbench.inbox.views import bp

    return [bp]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("task", _l("Assigned task"), icon="bi-send", can_mark_done=True,
                 default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("inbox.dispatch", _l("Dispatch tasks to people and units"),
                   ("lead", "city_manager", "province_admin")),
        Permission("inbox.manage_team", _l("Reassign the team's to-dos and hand over work"),
                   ("lead", "city_manager", "province_admin")),
    ]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("inbox", _l("To-dos"), "inbox.index", icon="bi-inbox", order=10),
        MenuItem("dispatch", _l("Dispatched tasks"), "inbox.dispatches", icon="bi-send",
                 permission="inbox.dispatch", order=15),
    ]


@hookimpl
def workbench_homepage_widgets():
    from workbench.inbox import widgets

    return [
        Widget("inbox.my_todos", _l("My to-dos"), widgets.my_todos,
               description=_l("Open to-dos by kind, overdue ones first"), default_width=6,
               icon="bi-inbox"),
        Widget("inbox.team_tasks", _l("Tasks I dispatched"), widgets.team_tasks,
               description=_l("Progress of the tasks you handed down"), default_width=6,
               permission="inbox.dispatch", icon="bi-send"),
    ]
