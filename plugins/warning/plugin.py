"""The warning plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and services are imported inside the hooks, at start-up, so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.warning import MANIFEST, hookspecs
from plugins.warning import tasks as _tasks  # noqa: F401  (declares the jobs)
from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, ScheduledJob, TodoKind, Widget
from workbench.hookspecs import hookimpl

# Aggregating widgets are cached per user for a minute, and dropped at once when a table they
# read changes (workbench/homepage/widget_cache.py).
WIDGET_CACHE_SECONDS = 60

# Hooks this plugin offers to others (workbench_warning_rules).
HOOKSPECS = hookspecs


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    from plugins.warning import imports, reports

    imports.register(app)
    reports.register(app)


@hookimpl
def workbench_blueprints():
    from plugins.warning.api import bp as api_bp
    from plugins.warning.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("warning", _l("Warnings"), "warning.index", icon="bi-exclamation-triangle",
                 permission="warning.view", order=110, group="care"),
        MenuItem("warning.report", _l("Warning report"), "warning.report", icon="bi-clipboard-data",
                 permission="warning.report", order=115, group="care"),
        MenuItem("warning.settings", _l("Warning thresholds"), "warning.settings", icon="bi-sliders",
                 permission="warning.configure", order=120, group="manage"),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("warning.view", _l("See customer warnings in one's data scope"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin", "system_admin")),
        Permission("warning.handle", _l("Handle warnings and record what was done"),
                   default_roles=("account_manager", "lead")),
        Permission("warning.view_unit", _l("See the warnings of one's unit on the homepage"),
                   default_roles=("lead", "city_manager", "province_admin")),
        Permission("warning.receive_escalations", _l("Receive warnings escalated from one's unit"),
                   default_roles=("lead",)),
        Permission("warning.report", _l("See and export reports of warnings raised and handled"),
                   default_roles=("lead", "city_manager", "province_admin", "system_admin")),
        Permission("warning.configure", _l("Set warning thresholds per unit and rule"),
                   default_roles=("province_admin", "city_manager", "system_admin")),
        Permission("warning.import_metrics", _l("Load customer indicators (import and API)"),
                   default_roles=("province_admin", "system_admin")),
    ]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("warning.handle", _l("Handle a customer warning"), icon="bi-exclamation-triangle",
                 can_mark_done=False, default_channels=("in_app", "sms")),
        TodoKind("warning.escalated", _l("An escalated warning"), icon="bi-arrow-up-right-circle",
                 can_mark_done=False, default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.warning import widgets

    return [
        Widget("warning.mine", _l("My open warnings"), widgets.mine,
               description=_l("Your customers' open warnings by severity, most urgent first"),
               default_width=6, permission="warning.view", icon="bi-exclamation-triangle",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("warning_warning", "customer")),
        Widget("warning.unit", _l("My unit's warnings"), widgets.unit,
               description=_l("Open, overdue and escalated warnings of your team, by rule"),
               default_width=6, permission="warning.view_unit", icon="bi-diagram-3",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("warning_warning",)),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.warning import sections

    return [CustomerSection("warning.history", _l("Warnings and indicators"), sections.history, order=45,
                            permission="warning.view")]


@hookimpl
def workbench_search_sources():
    from plugins.warning.search import WARNINGS

    return [WARNINGS]


@hookimpl
def workbench_cli_commands():
    from plugins.warning.cli import scan_command

    return [scan_command]


@hookimpl
def workbench_beat_schedule():
    return [
        ScheduledJob("warning.nightly_scan", "warning.scan", schedule="30 5 * * *"),
        ScheduledJob("warning.escalation", "warning.escalate", schedule="0 * * * *"),
    ]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("warning.handle", _l("Handling a customer warning"))]


@hookimpl
def workbench_handle_event(event):
    if event.name not in ("contract.expiring", "opportunity.overdue", "user.handed_over"):
        return
    from plugins.warning import services

    if event.name == "contract.expiring":
        services.on_contract_expiring(event.payload, actor_id=event.actor_id)
    elif event.name == "opportunity.overdue":
        services.on_opportunity_overdue(event.payload, actor_id=event.actor_id)
    else:
        services.on_user_handed_over(event.payload, actor_id=event.actor_id)


@hookimpl
def workbench_seed_demo(demo):
    from plugins.warning import demo as demo_data

    demo_data.seed(demo)


@hookimpl
def workbench_bench_seed(seeder):
    from plugins.warning import bench_seed

    bench_seed.seed(seeder)
