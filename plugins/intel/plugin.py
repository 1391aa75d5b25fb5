"""The intel plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and services are imported inside the hooks, at start-up, so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.intel import MANIFEST
from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl

# Aggregating widgets are cached per user for a minute, and dropped at once when a table they
# read changes (workbench/homepage/widget_cache.py).
WIDGET_CACHE_SECONDS = 60

AM, LEAD, CITY, PROVINCE = "account_manager", "lead", "city_manager", "province_admin"
INTEL_ADMIN, SYSADMIN, OPP_MGR = "intel_admin", "system_admin", "opportunity_manager"


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_blueprints():
    from plugins.intel import summary_views  # noqa: F401 - its routes join bp
    from plugins.intel.api import bp as api_bp
    from plugins.intel.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("intel", _l("Competitive intelligence"), "intel.index", icon="bi-binoculars",
                 permission="intel.view", order=220, group="care"),
        MenuItem("intel.summary", _l("Intelligence summary"), "intel.summary_page", icon="bi-graph-up",
                 permission="intel.view_summary", order=225, group="care"),
        MenuItem("intel.competitors", _l("Competitors"), "intel.competitors", icon="bi-flag",
                 permission="intel.manage_competitors", order=620, group="manage"),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("intel.view", _l("See competitive intelligence in one's scope and what was pushed to one"),
                   default_roles=(AM, LEAD, CITY, PROVINCE, INTEL_ADMIN, OPP_MGR, SYSADMIN)),
        Permission("intel.submit", _l("Record competitive intelligence"), default_roles=(AM, LEAD, CITY)),
        Permission("intel.screen", _l("Screen, rate, merge and push competitive intelligence"),
                   default_roles=(INTEL_ADMIN, PROVINCE)),
        Permission("intel.manage_competitors", _l("Maintain the list of competitors"),
                   default_roles=(INTEL_ADMIN, PROVINCE, SYSADMIN)),
        Permission("intel.view_summary", _l("See the intelligence summary"),
                   default_roles=(AM, LEAD, CITY, PROVINCE, INTEL_ADMIN, SYSADMIN)),
    ]


@hookimpl
def workbench_todo_kinds():
    from plugins.intel import services

    return [
        TodoKind(services.TODO_SCREEN, _l("Screen new intelligence"), icon="bi-funnel", can_mark_done=False,
                 default_channels=("in_app",)),
        TodoKind(services.TODO_PUSHED, _l("Read intelligence pushed to you"), icon="bi-binoculars",
                 can_mark_done=True, default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.intel import widgets

    return [
        Widget("intel.pushed_to_me", _l("Intel pushed to me"), widgets.pushed_to_me,
               description=_l("The latest competitive intelligence the intel admins pushed to you"),
               default_width=6, permission="intel.view", icon="bi-binoculars"),
        Widget("intel.waiting", _l("Intel waiting for screening"), widgets.waiting_for_screening,
               description=_l("New intelligence in your scope that nobody has rated yet"), default_width=6,
               permission="intel.screen", icon="bi-funnel"),
        Widget("intel.activity", _l("Competitor activity this month"), widgets.competitor_activity,
               description=_l("How much intelligence came in about each competitor this month"),
               default_width=6, permission="intel.view", icon="bi-bar-chart",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("intel_intel", "intel_competitor")),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.intel import sections

    return [CustomerSection("intel.customer", _l("Competitive intelligence"), sections.customer_intel, order=75,
                            permission="intel.view")]


@hookimpl
def workbench_search_sources():
    from plugins.intel.search import INTEL_SOURCE

    return [INTEL_SOURCE]


@hookimpl
def workbench_help_contexts():
    return [
        HelpContext("intel.record", _l("Recording competitive intelligence")),
        HelpContext("intel.screen", _l("Screening and pushing intelligence")),
    ]


@hookimpl
def workbench_handle_event(event):
    if event.name == "todo.closed" and event.payload.get("kind") == "intel.pushed":
        from plugins.intel import services

        services.on_todo_closed(event.payload, event.actor_id)


@hookimpl
def workbench_seed_demo(demo):
    from plugins.intel import demo as demo_data

    demo_data.seed(demo)
