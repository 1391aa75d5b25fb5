"""The opportunity plugin's hook implementations: thin wiring that delegates to its modules.

Imports of views, widgets and the like happen inside the hooks, at start-up, so importing
this module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import (CustomerSection, HelpContext, MenuItem, Permission, ScheduledJob, TodoKind,
                                 Widget)
from workbench.hookspecs import hookimpl

from plugins.opportunity import MANIFEST

# Aggregating widgets are cached per user for a minute, and dropped at once when a table they
# read changes (workbench/homepage/widget_cache.py).
WIDGET_CACHE_SECONDS = 60

AM, REPORTER, LEAD, CITY = "account_manager", "info_reporter", "lead", "city_manager"
PROVINCE, OPP_MGR, CONTRACT_MGR, SYSADMIN = "province_admin", "opportunity_manager", "contract_manager", "system_admin"


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    app.config.setdefault("OPPORTUNITY_SLA_HOURS", {})


@hookimpl
def workbench_blueprints():
    from plugins.opportunity.api import bp as api_bp
    from plugins.opportunity.views import bp
    from plugins.opportunity import summary_views  # the summary's routes join bp; its API is its own

    return [bp, api_bp, summary_views.api_bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("opportunity", _l("Opportunities"), "opportunity.index", icon="bi-lightbulb",
                 permission="opportunity.view", order=100, group="sales"),
        MenuItem("opportunity.summary", _l("Opportunity summary"), "opportunity.summary_page", icon="bi-bar-chart-line",
                 permission="opportunity.view_summary", order=105, group="sales"),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("opportunity.view", _l("See opportunities in scope"),
                   (AM, REPORTER, LEAD, CITY, PROVINCE, OPP_MGR, CONTRACT_MGR, SYSADMIN)),
        Permission("opportunity.create", _l("Report opportunities"), (AM, REPORTER, LEAD, CITY, PROVINCE)),
        Permission("opportunity.claim", _l("Claim pooled opportunities and work assigned ones"), (AM,)),
        Permission("opportunity.dispatch", _l("Publish opportunities to the pool, award and assign them"),
                   (OPP_MGR, PROVINCE)),
        Permission("opportunity.review_survey", _l("Review opportunity surveys"), (LEAD, CITY, PROVINCE)),
        Permission("opportunity.confirm", _l("Confirm opportunities into the contract pre-execution pool"),
                   (OPP_MGR, PROVINCE)),
        Permission("opportunity.close", _l("Close any opportunity in scope"), (LEAD, CITY, OPP_MGR, PROVINCE)),
        Permission("opportunity.overdue_alerts", _l("Receive overdue-opportunity warnings"), (LEAD, CITY)),
        Permission("opportunity.manage_catalogue", _l("Edit business categories and step deadlines"),
                   (PROVINCE, SYSADMIN)),
        Permission("opportunity.view_summary", _l("See the opportunity summary"),
                   (AM, LEAD, CITY, PROVINCE, OPP_MGR, CONTRACT_MGR, SYSADMIN)),
        Permission("opportunity.manage_targets", _l("Set monthly opportunity targets"),
                   (LEAD, CITY, PROVINCE, OPP_MGR, SYSADMIN)),
    ]


@hookimpl
def workbench_todo_kinds():
    from plugins.opportunity import services as s

    flow = dict(can_mark_done=False, default_channels=("in_app", "sms"))
    return [
        TodoKind(s.TODO_DISPATCH, _l("Publish or assign a new opportunity"), icon="bi-send", **flow),
        TodoKind(s.TODO_AWARD, _l("Award a pooled opportunity"), icon="bi-trophy", **flow),
        TodoKind(s.TODO_SURVEY, _l("Survey an assigned opportunity"), icon="bi-clipboard-check", **flow),
        TodoKind(s.TODO_REVIEW, _l("Review an opportunity survey"), icon="bi-search", **flow),
        TodoKind(s.TODO_CONFIRM, _l("Confirm an opportunity"), icon="bi-check2-circle", **flow),
        TodoKind(s.TODO_CONTRACT, _l("Raise the contract of a confirmed opportunity"), icon="bi-file-earmark-text",
                 **flow),
        TodoKind(s.TODO_OVERDUE, _l("Overdue opportunity step"), icon="bi-alarm", **flow),
        TodoKind(s.TODO_FOLLOWUP, _l("Follow up an opportunity"), icon="bi-telephone-forward",
                 can_mark_done=False),
        TodoKind(s.NOTICE_POOL, _l("Opportunity open for claiming"), icon="bi-megaphone",
                 can_mark_done=False, default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_help_contexts():
    return [
        HelpContext("opportunity.create", _l("Reporting an opportunity")),
        HelpContext("opportunity.pool", _l("Claiming from the opportunity pool")),
        HelpContext("opportunity.survey_review", _l("Reviewing an opportunity survey")),
        HelpContext("opportunity.confirmation", _l("Confirming an opportunity")),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.opportunity import summary_views, widgets

    return [
        Widget("opportunity.by_stage", _l("My opportunities by stage"), widgets.my_by_stage,
               description=_l("Your open opportunities at each step of the flow"), icon="bi-lightbulb",
               permission="opportunity.view", default_width=6,
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("opportunity_opportunity",)),
        Widget("opportunity.pool", _l("Pool open for claiming"), widgets.pool_open,
               description=_l("Opportunities published to your unit that you may still claim"),
               icon="bi-megaphone", permission="opportunity.view", default_width=6),
        Widget("opportunity.overdue", _l("Overdue opportunities"), widgets.overdue,
               description=_l("Opportunities past the deadline of their step"), icon="bi-alarm",
               permission="opportunity.view", default_width=6,
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("opportunity_opportunity", "opportunity_category", "customer")),
        Widget("opportunity.my_month", _l("My month vs target"), summary_views.targets_widget,
               description=_l("Converted revenue and leased lines this month against your target"),
               icon="bi-bullseye", permission="opportunity.view_summary", default_width=6,
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("opportunity_opportunity", "opportunity_target")),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.opportunity import sections

    return [CustomerSection("opportunity.list", _l("Opportunities"), sections.customer_opportunities, order=40,
                            permission="opportunity.view")]


@hookimpl
def workbench_search_sources():
    from plugins.opportunity.search import OPPORTUNITY_SOURCE

    return [OPPORTUNITY_SOURCE]


@hookimpl
def workbench_seed_demo(demo):
    from plugins.opportunity import demo as demo_data
    from plugins.opportunity import summary

    demo_data.seed(demo)
    summary.seed_demo_targets(demo)


@hookimpl
def workbench_beat_schedule():
    return [
        ScheduledJob("opportunity.overdue_scan", "opportunity.scan_overdue", schedule=900),
        ScheduledJob("opportunity.stale_scan", "opportunity.scan_stale", schedule="0 8 * * *"),
    ]


@hookimpl
def workbench_handle_event(event):
    if event.name == "solutions.proposal_generated":
        from plugins.opportunity import services

        services.on_proposal_generated(event.payload, event.actor_id)


@hookimpl
def workbench_bench_seed(seeder):
    from plugins.opportunity import bench_seed

    bench_seed.seed(seeder)
