"""The worklog plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and services are imported inside the hooks, at start-up, so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.worklog import MANIFEST
from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget
from workbench.events import EventBatch, batch_handler
from workbench.hookspecs import hookimpl

AM, LEAD, CITY, PROVINCE, SYSADMIN = "account_manager", "lead", "city_manager", "province_admin", "system_admin"


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    # How long an author may still correct their own log.
    app.config.setdefault("WORKLOG_EDIT_DAYS", 7)
    from plugins.worklog.exports import register

    register(app)


@hookimpl
def workbench_blueprints():
    from plugins.worklog.api import bp as api_bp
    from plugins.worklog.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("worklog", _l("Work logs"), "worklog.index", icon="bi-journal-text", permission="worklog.view",
                 order=220, group="care"),
        MenuItem("worklog.plans", _l("Visit plans"), "worklog.plans", icon="bi-calendar-week",
                 permission="worklog.plan", order=222, group="care"),
        MenuItem("worklog.calendar", _l("Work calendar"), "worklog.calendar", icon="bi-calendar3",
                 permission="worklog.view", order=224, group="care"),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("worklog.view", _l("See work logs and visit plans in one's data scope"),
                   default_roles=(AM, LEAD, CITY, PROVINCE, SYSADMIN)),
        Permission("worklog.write", _l("Write work logs"), default_roles=(AM, LEAD, CITY)),
        Permission("worklog.plan", _l("Plan customer visits"), default_roles=(AM, LEAD)),
        Permission("worklog.view_team", _l("See the team's logging activity"), default_roles=(LEAD, CITY, PROVINCE)),
        Permission("worklog.export", _l("Export work logs to Excel"), default_roles=(AM, LEAD, CITY, PROVINCE)),
    ]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("worklog.follow_up", _l("Follow up a logged next step"), icon="bi-arrow-repeat",
                 can_mark_done=True, default_channels=("in_app",)),
        TodoKind("worklog.visit", _l("Planned customer visit"), icon="bi-geo-alt", can_mark_done=False,
                 default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.worklog import widgets

    return [
        Widget("worklog.quick_entry", _l("Quick log"), widgets.quick_entry,
               description=_l("Write a work or visit log in one step, without leaving the homepage"),
               default_width=6, permission="worklog.write", icon="bi-pencil-square"),
        Widget("worklog.week_visits", _l("This week's visits"), widgets.week_visits,
               description=_l("Visits planned this week against visits done, and those missed"),
               default_width=6, permission="worklog.plan", icon="bi-calendar-week"),
        Widget("worklog.team_activity", _l("Team logging this week"), widgets.team_activity,
               description=_l("Logs and visits per person this week"), default_width=6,
               permission="worklog.view_team", icon="bi-people"),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.worklog import sections

    return [CustomerSection("worklog.trail", _l("Service trail"), sections.trail, order=35,
                            permission="worklog.view")]


@hookimpl
def workbench_search_sources():
    from plugins.worklog.search import LOGS

    return [LOGS]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("worklog.write", _l("Writing a work log")),
            HelpContext("worklog.plan", _l("Planning customer visits"))]


@hookimpl
@batch_handler
def workbench_handle_event(event):
    if event.name.startswith("worklog."):
        return  # our own events never become system logs
    from plugins.worklog import services

    if isinstance(event, EventBatch):
        services.record_system_logs(event.events)  # set-wise: a scan raises thousands at once
    else:
        services.record_system_log(event)


@hookimpl
def workbench_seed_demo(demo):
    from plugins.worklog import demo as demo_data

    demo_data.seed(demo)


@hookimpl
def workbench_bench_seed(seeder):
    from plugins.worklog import bench_seed

    bench_seed.seed(seeder)
