"""The contract plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and services are imported inside the hooks, at start-up, so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.contract import MANIFEST
from workbench.contracts import (CustomerSection, HelpContext, MenuItem, Permission, ScheduledJob, TodoKind,
                                 Widget)
from workbench.hookspecs import hookimpl

# Aggregating widgets are cached per user for a minute, and dropped at once when a table they
# read changes (workbench/homepage/widget_cache.py).
WIDGET_CACHE_SECONDS = 60


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    # Our contracting company as printed on contracts; each branch sets its own.
    app.config.setdefault("CONTRACT_PARTY_B", "中国电信股份有限公司")


@hookimpl
def workbench_blueprints():
    from plugins.contract.api import bp as api_bp
    from plugins.contract.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [MenuItem("contract", _l("Contracts"), "contract.index", icon="bi-file-earmark-text",
                     permission="contract.view", order=140, group="sales")]


@hookimpl
def workbench_permissions():
    return [
        Permission("contract.view", _l("See contract work orders in one's data scope"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin", "contract_manager",
                                  "opportunity_manager", "system_admin")),
        Permission("contract.create", _l("Generate, fill in and submit contract work orders"),
                   default_roles=("account_manager", "lead")),
        Permission("contract.review_business", _l("Review contracts as business supervisor"),
                   default_roles=("lead",)),
        Permission("contract.review_branch", _l("Review contracts for the branch"),
                   default_roles=("city_manager",)),
        Permission("contract.confirm", _l("Confirm signed contracts and withdraw orders"),
                   default_roles=("contract_manager",)),
        Permission("contract.manage_templates", _l("Manage the standard contract templates"),
                   default_roles=("contract_manager", "province_admin", "system_admin")),
    ]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("contract.fill", _l("Fill in a contract"), icon="bi-pencil-square", can_mark_done=False,
                 default_channels=("in_app", "sms")),
        TodoKind("contract.review", _l("Review a contract"), icon="bi-clipboard-check", can_mark_done=False,
                 default_channels=("in_app", "sms")),
        TodoKind("contract.upload_signed", _l("Upload a signed contract"), icon="bi-file-earmark-arrow-up",
                 can_mark_done=False, default_channels=("in_app", "sms")),
        TodoKind("contract.construction", _l("Record survey and construction"), icon="bi-cone-striped",
                 can_mark_done=False, default_channels=("in_app",)),
        TodoKind("contract.confirm", _l("Confirm a contract"), icon="bi-patch-check", can_mark_done=False,
                 default_channels=("in_app", "sms")),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.contract import widgets

    return [
        Widget("contract.expiring", _l("Contracts expiring in 90 days"), widgets.expiring,
               description=_l("Confirmed contracts whose term ends soon: time to talk renewal"),
               default_width=6, permission="contract.view", icon="bi-hourglass-split",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("contract_contract", "customer")),
        Widget("contract.my_orders", _l("My contract orders by state"), widgets.my_orders,
               description=_l("Where your contract work orders stand"), default_width=6,
               permission="contract.view", icon="bi-bar-chart",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("contract_contract",)),
        Widget("contract.waiting", _l("Contracts waiting for me"), widgets.waiting_for_me,
               description=_l("Reviews, signed copies and confirmations you must act on"), default_width=6,
               permission="contract.view", icon="bi-clipboard-check",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("contract_contract", "customer")),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.contract import sections

    return [CustomerSection("contract.contracts", _l("Contracts"), sections.contracts, order=60,
                            permission="contract.view")]


@hookimpl
def workbench_search_sources():
    from plugins.contract.search import CONTRACTS

    return [CONTRACTS]


@hookimpl
def workbench_beat_schedule():
    return [ScheduledJob("contract.expiry_scan", "contract.scan_expiry", schedule="15 6 * * *")]


@hookimpl
def workbench_help_contexts():
    return [
        HelpContext("contract.fill", _l("Filling in a contract work order")),
        HelpContext("contract.upload", _l("Uploading contract files and signed copies")),
        HelpContext("contract.review", _l("Reviewing a contract")),
    ]


@hookimpl
def workbench_seed_demo(demo):
    from plugins.contract import demo as demo_data

    demo_data.seed(demo)


@hookimpl
def workbench_bench_seed(seeder):
    from plugins.contract import bench_seed

    bench_seed.seed(seeder)
