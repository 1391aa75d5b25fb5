"""The homepage's own widgets (quick links) and blueprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import Widget
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_blueprints():
    from workbench.homepage.views import bp

    return [bp]


@hookimpl
def workbench_homepage_widgets():
    from workbench.homepage import widgets

    return [
        Widget("homepage.quick_links", _l("Quick links"), widgets.quick_links,
               description=_l("Shortcuts to the pages you use most"), default_width=12,
               icon="bi-lightning"),
    ]
