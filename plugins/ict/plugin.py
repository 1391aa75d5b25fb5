"""The ict plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and sections are imported inside the hooks (at start-up), so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl

from plugins.ict import MANIFEST


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_blueprints():
    from plugins.ict.api import bp as api_bp
    from plugins.ict.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [MenuItem("ict", _l("ICT projects"), "ict.index", icon="bi-diagram-3", permission="ict.view",
                     order=220, group="sales")]


@hookimpl
def workbench_permissions():
    return [
        Permission("ict.view", _l("See ICT projects"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin",
                                  "opportunity_manager", "contract_manager", "system_admin")),
        Permission("ict.manage", _l("Start and run ICT projects"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin")),
        Permission("ict.review", _l("Review ICT projects"),
                   default_roles=("lead", "city_manager", "province_admin", "opportunity_manager")),
    ]


@hookimpl
def workbench_todo_kinds():
    from plugins.ict import services

    return [
        TodoKind(services.TODO_REVIEW, _l("Review an ICT project"), icon="bi-clipboard-check",
                 can_mark_done=False, default_channels=("in_app", "sms")),
        TodoKind(services.TODO_REVISE, _l("Revise an ICT project"), icon="bi-arrow-counterclockwise",
                 can_mark_done=False, default_channels=("in_app", "sms")),
        TodoKind(services.TODO_MONITOR, _l("Follow an ICT project's work order"), icon="bi-diagram-3",
                 can_mark_done=False),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.ict import widgets

    return [
        Widget("ict.my_projects", _l("My ICT projects"), widgets.my_projects,
               description=_l("Projects you own or work on, by stage"), default_width=6,
               permission="ict.view", icon="bi-diagram-3"),
        Widget("ict.milestones_due", _l("Milestones due this week"), widgets.milestones_due,
               description=_l("Open milestones of your projects due within seven days, and overdue ones"),
               default_width=6, permission="ict.view", icon="bi-flag"),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.ict import sections

    return [CustomerSection("ict.projects", _l("ICT projects"), sections.projects, order=55,
                            permission="ict.view")]


@hookimpl
def workbench_search_sources():
    from plugins.ict.search import PROJECTS

    return [PROJECTS]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("ict.review", _l("Reviewing an ICT project"))]


@hookimpl
def workbench_handle_event(event):
    from plugins.ict import handlers

    handlers.handle(event)


@hookimpl
def workbench_seed_demo(demo):
    from plugins.ict import demo as demo_data

    demo_data.seed(demo)
