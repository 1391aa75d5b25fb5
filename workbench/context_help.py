"""Related help beside the pages of a help context (在各操作页面可查看相关知识).

A page declares where it is with `{{ context_panels("opportunity.survey_review") }}`; every
plugin implementing workbench_context_panels (the knowledge base does) may return panels for
that context. Panels render for the signed-in user and fail alone: a broken panel is logged
and left out, the page itself never breaks because of help beside it.
"""
from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_login import current_user
from markupsafe import Markup

from workbench.contracts import ContextPanel

log = logging.getLogger(__name__)


def panels_for(context_key: str) -> list[tuple[ContextPanel, Markup]]:
    """(panel, rendered body) for every panel the plugins offer on `context_key`, in order."""
    from workbench.plugins import call_impl, registry

    found: list[ContextPanel] = []
    for impl in registry().hook.workbench_context_panels.get_hookimpls():
        try:
            result = call_impl(impl, context_key=context_key)
        except Exception:
            log.exception("context panels of plugin %s failed for %s", impl.plugin_name, context_key)
            continue
        found.extend(panel for panel in result or () if isinstance(panel, ContextPanel))
    rendered = []
    for panel in sorted(found, key=lambda p: p.order):
        try:
            rendered.append((panel, Markup(panel.render())))
        except Exception:
            log.exception("context panel %s failed for %s", panel.key, context_key)
    return rendered


def context_panels(context_key: str) -> Markup:
    """The side panels of `context_key` as markup ('' when nobody offers any)."""
    if not current_user.is_authenticated:
        return Markup("")
    if current_app.config.get("TESTING") is False and context_key not in known_contexts():
        log.warning("page asks for undeclared help context %s", context_key)
    rendered = panels_for(context_key)
    if not rendered:
        return Markup("")
    return Markup(render_template("context_help/_panels.html", panels=rendered, context_key=context_key))


def known_contexts() -> dict:
    """Declared help contexts by key (workbench_help_contexts)."""
    from workbench.plugins import registry

    return registry().help_contexts
