"""A sample plugin for the help-context, menu-group and demo-data hooks: it declares a help
context, offers one working and one broken side panel on it, puts two menu entries in the
"sales" group and one alone in "care", and adds a demo customer."""
from __future__ import annotations

from flask import Blueprint, render_template_string

from workbench.contracts import ContextPanel, HelpContext, Manifest, MenuItem
from workbench.hookspecs import hookimpl

bp = Blueprint("helpful", __name__, url_prefix="/helpful")


@bp.get("/")
def index():
    return render_template_string(
        '{% extends "base.html" %}{% block content %}<h1>Helpful</h1>'
        '{{ context_panels("helpful.page") }}{% endblock %}'
    )


@bp.get("/other")
def other():
    return render_template_string('{% extends "base.html" %}{% block content %}{{ context_panels("helpful.none") }}{% endblock %}')


def _broken_panel():
    raise RuntimeError("this panel is broken on purpose")


@hookimpl
def workbench_manifest():
    return Manifest(name="helpful", title="Helpful", version="1.0.0")


@hookimpl
def workbench_blueprints():
    return [bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("helpful.one", "Helpful one", "helpful.index", group="sales", order=10),
        MenuItem("helpful.two", "Helpful two", "helpful.other", group="sales", order=20),
        MenuItem("helpful.alone", "Helpful alone", "helpful.other", group="care", order=30),
    ]


@hookimpl
def workbench_help_contexts():
    return [HelpContext("helpful.page", "The helpful page")]


@hookimpl
def workbench_context_panels(context_key):
    if context_key != "helpful.page":
        return None
    return [
        ContextPanel("helpful.tips", "Tips for this page", lambda: "<p>Read before you click.</p>"),
        ContextPanel("helpful.broken", "Broken tips", _broken_panel, order=200),
    ]


@hookimpl
def workbench_seed_demo(demo):
    from workbench.customers.models import Customer
    from workbench.extensions import db

    owner = demo.users["am1"]
    db.session.add(Customer(code="HELPFUL-1", name="帮手演示客户", owner_id=owner.id,
                            org_unit_id=owner.org_unit_id))
