"""The customers package's hook implementations: core customer-page sections, widget, menu, search source."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import CustomerSection, MenuItem, Permission, Widget
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_blueprints():
    from workbench.customers.views import bp

    return [bp]


@hookimpl
def workbench_permissions():
    return [
        Permission("customers.edit", _l("Edit customers in scope"),
                   ("account_manager", "lead", "city_manager", "province_admin")),
        Permission("customers.create", _l("Create customers"),
                   ("lead", "city_manager", "province_admin")),
        Permission("customers.export", _l("Export customer lists"),
                   ("lead", "city_manager", "province_admin")),
        Permission("customers.import", _l("Import customers, units and users"),
                   ("province_admin", "system_admin")),
    ]


@hookimpl
def workbench_menu_items():
    return [MenuItem("customers", _l("Customers"), "customers.index", icon="bi-buildings", order=20)]


@hookimpl
def workbench_customer_sections():
    from workbench.customers import sections

    return [
        CustomerSection("core.basic", _l("Basic information"), sections.basic_info, order=0),
        CustomerSection("core.group", _l("Group structure"), sections.group_structure, order=5),
        CustomerSection("core.contacts", _l("Contacts"), sections.contacts, order=10),
        CustomerSection("core.members", _l("Member numbers"), sections.members, order=20),
        CustomerSection("core.todos", _l("Open to-dos"), sections.open_todos, order=30),
    ]


@hookimpl
def workbench_search_sources():
    from workbench.customers.search import CUSTOMER_SOURCE

    return [CUSTOMER_SOURCE]


@hookimpl
def workbench_homepage_widgets():
    from workbench.customers import widgets

    return [
        Widget("customers.mine", _l("My customers"), widgets.my_customers,
               description=_l("Your group customers, key accounts first"), default_width=6,
               icon="bi-buildings"),
    ]
