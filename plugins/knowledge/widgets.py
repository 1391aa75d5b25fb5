"""Homepage widgets, the customer-page section and the context panels of the knowledge base."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from workbench.contracts import ContextPanel

from plugins.knowledge import services


def search_box():
    return render_template("knowledge/widget_search.html", counts=services.counts_by_space(),
                           tags=services.popular_tags(8))


def most_useful():
    return render_template("knowledge/widget_list.html", articles=services.most_useful(6), mode="useful")


def new_this_week():
    return render_template("knowledge/widget_list.html", articles=services.new_this_week(6), mode="new")


def customer_section(customer):
    return render_template("knowledge/section.html", customer=customer,
                           articles=services.articles_for_customer(customer))


def context_panels(context_key):
    articles = services.articles_for_context(context_key)
    if not articles:
        return None
    return [ContextPanel("knowledge.related", _l("Related knowledge"),
                         lambda: render_template("knowledge/_context.html", articles=articles,
                                                 context_key=context_key), order=50)]
