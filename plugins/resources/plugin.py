"""The resources plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and services are imported inside the hooks, at start-up, so importing this
module stays cheap and free of import cycles.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.resources import MANIFEST
from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_blueprints():
    from plugins.resources.api import bp as api_bp
    from plugins.resources.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("resources", _l("Resource requests"), "resources.requests", icon="bi-gift",
                 permission="resources.view", order=340, group="care"),
        MenuItem("resources.catalogue", _l("Resource catalogue"), "resources.catalogue", icon="bi-box-seam",
                 permission="resources.view", order=345, group="care"),
    ]


@hookimpl
def workbench_permissions():
    return [
        Permission("resources.view", _l("See the resource catalogue and resource requests in one's scope"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin", "system_admin")),
        Permission("resources.request", _l("Request marketing and gift resources for customers"),
                   default_roles=("account_manager", "lead")),
        Permission("resources.approve", _l("Decide resource requests at an approval step"),
                   default_roles=("lead", "city_manager", "province_admin")),
        Permission("resources.manage", _l("Manage the resource catalogue, stock and issue"),
                   default_roles=("province_admin", "city_manager", "system_admin")),
        Permission("resources.report", _l("See the issued-resources report"),
                   default_roles=("lead", "city_manager", "province_admin", "system_admin")),
    ]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("resources.approve", _l("Approve a resource request"), icon="bi-gift", can_mark_done=False,
                 default_channels=("in_app", "sms")),
        TodoKind("resources.issue", _l("Issue requested resources"), icon="bi-box-arrow-right", can_mark_done=False,
                 default_channels=("in_app",)),
        TodoKind("resources.confirm_use", _l("Confirm the use of resources"), icon="bi-camera",
                 can_mark_done=False, default_channels=("in_app",)),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.resources import widgets

    return [
        Widget("resources.my_requests", _l("My resource requests"), widgets.my_requests,
               description=_l("Your resource requests and where each stands"), default_width=6,
               permission="resources.request", icon="bi-gift"),
        Widget("resources.waiting", _l("Resource requests waiting for me"), widgets.waiting_for_me,
               description=_l("Approvals and issues you must act on"), default_width=6,
               permission="resources.view", icon="bi-clipboard-check"),
        Widget("resources.low_stock", _l("Low resource stock"), widgets.low_stock,
               description=_l("Stock of the units you manage at or below its threshold"), default_width=6,
               permission="resources.manage", icon="bi-exclamation-triangle"),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.resources import sections

    return [CustomerSection("resources.requests", _l("Resources"), sections.customer_requests, order=75,
                            permission="resources.view")]


@hookimpl
def workbench_search_sources():
    from plugins.resources.search import ITEMS, REQUESTS

    return [REQUESTS, ITEMS]


@hookimpl
def workbench_help_contexts():
    return [
        HelpContext("resources.request", _l("Requesting marketing and gift resources")),
        HelpContext("resources.approve", _l("Approving resource requests")),
    ]


@hookimpl
def workbench_seed_demo(demo):
    from plugins.resources import demo as demo_data

    demo_data.seed(demo)
