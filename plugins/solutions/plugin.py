"""The solutions plugin's hook implementations: thin wiring that delegates to its modules.

Views, widgets and the demo seeding are imported inside the hooks, at start-up, so importing
this module stays cheap and free of import cycles."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl

from plugins.solutions import MANIFEST


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    app.config.setdefault("SOLUTIONS_PDF_TIMEOUT", 120)


@hookimpl
def workbench_blueprints():
    from plugins.solutions.api import api_bp
    from plugins.solutions.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_menu_items():
    return [MenuItem("solutions", _l("Solution library"), "solutions.index", icon="bi-file-earmark-richtext",
                     permission="solutions.use", order=420, group="knowledge"),
            MenuItem("solutions.review", _l("Material review"), "solutions.review_queue",
                     icon="bi-journal-check", permission="solutions.curate", order=430, group="knowledge")]


@hookimpl
def workbench_permissions():
    return [
        Permission("solutions.use", _l("Use the solution library and generate proposals"),
                   default_roles=("account_manager", "lead", "city_manager", "province_admin",
                                  "opportunity_manager", "knowledge_admin", "system_admin")),
        Permission("solutions.curate", _l("Curate the solution library's material"),
                   default_roles=("knowledge_admin",)),
    ]


@hookimpl
def workbench_todo_kinds():
    from plugins.solutions.services import REFRESH_TODO, REVIEW_TODO

    return [TodoKind(REVIEW_TODO, _l("Review solution material"), icon="bi-journal-check", can_mark_done=False),
            TodoKind(REFRESH_TODO, _l("Regenerate a proposal with newer material"),
                     icon="bi-arrow-repeat", can_mark_done=True)]


@hookimpl
def workbench_homepage_widgets():
    from plugins.solutions import widgets

    return [
        Widget("solutions.my_proposals", _l("My recent proposals"), widgets.my_proposals,
               description=_l("Proposals you generated lately, and whether newer material exists"),
               default_width=6, permission="solutions.use", icon="bi-file-earmark-richtext"),
        Widget("solutions.new_material", _l("New solution material"), widgets.new_material,
               description=_l("Material published in the solution library in the last 30 days"),
               default_width=6, permission="solutions.use", icon="bi-stars"),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.solutions import widgets

    return [CustomerSection("solutions.proposals", _l("Proposals"), widgets.customer_proposals, order=70,
                            permission="solutions.use")]


@hookimpl
def workbench_search_sources():
    from plugins.solutions.search import PIECES, PRODUCTS

    return [PRODUCTS, PIECES]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("solutions.generate", _l("Generating a proposal")),
            HelpContext("solutions.curate", _l("Writing solution material"))]


@hookimpl
def workbench_seed_demo(demo):
    from plugins.solutions.demo import seed

    seed(demo)
