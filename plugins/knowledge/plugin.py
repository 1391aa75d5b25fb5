"""The knowledge plugin's hook implementations: thin wiring that delegates to its modules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import (
    CustomerSection, HelpContext, MenuItem, Permission, TodoKind, Widget,
)
from workbench.hookspecs import hookimpl

from plugins.knowledge import MANIFEST

# Aggregating widgets are cached per user for a minute, and dropped at once when a table they
# read changes (workbench/homepage/widget_cache.py).
WIDGET_CACHE_SECONDS = 60


@hookimpl
def workbench_manifest():
    return MANIFEST


@hookimpl
def workbench_init_app(app):
    # Largest image an article may embed (the core file store's limit applies to attachments).
    app.config.setdefault("KNOWLEDGE_IMAGE_MAX_BYTES", 5 * 1024 * 1024)


@hookimpl
def workbench_blueprints():
    from plugins.knowledge.api import api_bp
    from plugins.knowledge.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_permissions():
    return [
        Permission("knowledge.write", _l("Write knowledge articles and share experience"),
                   default_roles=("account_manager", "info_reporter", "lead", "city_manager", "province_admin",
                                  "opportunity_manager", "contract_manager", "intel_admin", "knowledge_admin",
                                  "system_admin")),
        Permission("knowledge.curate", _l("Review, publish and archive knowledge; manage categories; import"),
                   default_roles=("knowledge_admin", "system_admin")),
    ]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("knowledge", _l("Knowledge base"), "knowledge.index", icon="bi-journal-text", order=300,
                 group="knowledge"),
        MenuItem("knowledge.review", _l("Knowledge review"), "knowledge.review", icon="bi-journal-check",
                 permission="knowledge.curate", order=310, group="knowledge"),
    ]


@hookimpl
def workbench_todo_kinds():
    return [
        TodoKind("knowledge.review", _l("Review a knowledge article"), icon="bi-journal-check",
                 can_mark_done=False),
        TodoKind("knowledge.revise", _l("Revise an article sent back"), icon="bi-journal-arrow-up",
                 can_mark_done=False),
    ]


@hookimpl
def workbench_homepage_widgets():
    from plugins.knowledge import widgets

    return [
        Widget("knowledge.search", _l("Search knowledge"), widgets.search_box,
               description=_l("Find articles by any words of their title or text"), default_width=12,
               icon="bi-search",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("knowledge_article", "knowledge_article_tag", "knowledge_tag", "knowledge_category")),
        Widget("knowledge.most_useful", _l("Most useful knowledge"), widgets.most_useful,
               description=_l("Articles readers rated useful most often"), icon="bi-hand-thumbs-up",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("knowledge_article", "knowledge_rating")),
        Widget("knowledge.new_this_week", _l("New knowledge this week"), widgets.new_this_week,
               description=_l("Articles published in the last seven days"), icon="bi-stars",
               cache_seconds=WIDGET_CACHE_SECONDS, reads=("knowledge_article",)),
    ]


@hookimpl
def workbench_customer_sections():
    from plugins.knowledge import widgets

    return [CustomerSection("knowledge.cases", _l("Shared experience"), widgets.customer_section, order=80)]


@hookimpl
def workbench_search_sources():
    from plugins.knowledge.search import ARTICLES

    return [ARTICLES]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("knowledge.write", _l("Writing a knowledge article"))]


@hookimpl
def workbench_context_panels(context_key):
    from plugins.knowledge import widgets

    return widgets.context_panels(context_key)


@hookimpl
def workbench_seed_demo(demo):
    from plugins.knowledge import demo as demo_data

    demo_data.seed(demo)


@hookimpl
def workbench_bench_seed(seeder):
    from plugins.knowledge import bench_seed

    bench_seed.seed(seeder)
