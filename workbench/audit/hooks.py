"""The audit history's hook implementations: the session listeners, the history panel's
blueprint and the customer page's "History" section."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import CustomerSection
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_init_app(app):
    from workbench.audit.recorder import install_recorder
    from workbench.events import install_delivery

    install_recorder()
    # Event delivery rides on the same transaction boundaries as the history: after commit.
    install_delivery()


@hookimpl
def workbench_blueprints():
    from workbench.audit.views import bp

    return [bp]


@hookimpl
def workbench_customer_sections():
    from workbench.audit.views import customer_section

    return [CustomerSection("audit.history", _l("History"), customer_section, order=90)]
