"""Template globals and filters shared by the core and plugins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, request
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workbench.app_setup import LOCALES
from workbench.records import utcnow


def visible_menu_items():
    from workbench.plugins import registry

    if not current_user.is_authenticated:
        return []
    return [
        item for item in registry().menu_items
        if item.permission is None or current_user.can(item.permission)
    ]


# Drop-downs of the navigation bar that plugins' menu items join through MenuItem.group, in
# the order of the AM's day (domain.md): business development, customer care, knowledge.
MENU_GROUPS = {
    "sales": (_l("Business"), "bi-graph-up-arrow", 10),
    "care": (_l("Customer care"), "bi-heart-pulse", 20),
    "knowledge": (_l("Knowledge"), "bi-book", 30),
    "manage": (_l("Manage"), "bi-sliders", 40),
}


@dataclass(frozen=True)
class MenuGroup:
    """A drop-down of the navigation bar holding the visible entries of one group."""

    key: str
    label: object
    icon: str
    items: tuple


def menu_entries() -> list:
    """The navigation bar: ungrouped MenuItems and MenuGroups, ordered. A group with a single
    visible entry is shown as that entry, so nobody opens a drop-down to find one link."""
    entries: list = []
    groups: dict[str, list] = {}
    for item in visible_menu_items():
        if item.group is None:
            entries.append((item.order, item))
        else:
            groups.setdefault(item.group, []).append(item)
    for key, items in groups.items():
        if len(items) == 1:
            entries.append((items[0].order, items[0]))
            continue
        label, icon, order = MENU_GROUPS.get(key, (key, "bi-folder", 90))
        entries.append((1000 + order, MenuGroup(key, label, icon, tuple(items))))
    return [entry for _order, entry in sorted(entries, key=lambda pair: pair[0])]


def active_menu_key() -> str | None:
    """The menu entry whose URL is the longest prefix of the current path, so /inbox/dispatches
    lights up "Dispatched tasks" and not "To-dos" as well."""
    from flask import url_for

    best, best_length = None, 0
    for item in visible_menu_items():
        href = url_for(item.endpoint)
        if href != "/" and request.path.startswith(href) and len(href) > best_length:
            best, best_length = item.key, len(href)
    return best


def due_state(due_at: datetime | None, now: datetime | None = None) -> str:
    """'overdue', 'today', 'soon' (within 3 days) or '' — drives the badge colour."""
    if due_at is None:
        return ""
    now = now or utcnow()
    if due_at < now:
        return "overdue"
    if due_at.date() == now.date():
        return "today"
    if (due_at - now).days < 3:
        return "soon"
    return ""


def _format_dt(value: datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    # Stored naive UTC; Flask-Babel converts to the configured timezone when tz-aware.
    from datetime import timezone

    return format_datetime(value.replace(tzinfo=timezone.utc), fmt)


def page_url(page: int) -> str:
    """The current URL with its query string kept and `page` replaced."""
    from flask import url_for

    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def install(app: Flask) -> None:
    from workbench import template_translations

    template_translations.install(app)
    app.jinja_env.filters["dt"] = _format_dt
    app.jinja_env.filters["due_state"] = due_state
    # Globals (not context processors) so imported macros can use them too.
    app.jinja_env.globals["page_url"] = page_url
    from workbench.context_help import context_panels

    app.jinja_env.globals["context_panels"] = context_panels

    @app.context_processor
    def _globals():
        return {
            "menu_items": visible_menu_items,
            "menu_entries": menu_entries,
            "active_menu_key": active_menu_key,
            "locales": LOCALES,
            "current_locale": str(get_locale() or ""),
            "request_path": request.path,
        }
