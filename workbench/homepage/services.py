"""Homepage layouts: what a user sees, what they may change, and the role defaults.

A layout is a list of {"key": widget key, "width": columns out of 12}. The effective layout of a
user is: the widgets their roles' default layouts lock (always present, in the admin's order),
then the user's own arrangement — or, before they arranged anything, their roles' defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workbench.auth.models import Role, User
from workbench.errors import Conflict, NotAllowed, ServiceError
from workbench.extensions import db
from workbench.homepage.models import RoleLayout, UserLayout
from workbench.plugins import registry

WIDTHS = (3, 4, 6, 8, 12)


@dataclass(frozen=True)
class PlacedWidget:
    key: str
    width: int
    locked: bool
    widget: object


def available_widgets(user: User) -> dict:
    """Widgets this user may place, by key (permission-checked)."""
    return {
        key: widget
        for key, widget in registry().widgets.items()
        if widget.permission is None or user.can(widget.permission)
    }


def _role_layouts(user: User) -> list[RoleLayout]:
    role_ids = [role.id for role in sorted(user.roles, key=lambda r: r.name)]
    if not role_ids:
        return []
    layouts = db.session.execute(select(RoleLayout).where(RoleLayout.role_id.in_(role_ids))).scalars().all()
    order = {role_id: position for position, role_id in enumerate(role_ids)}
    return sorted(layouts, key=lambda layout: order[layout.role_id])


def _clean(items, allowed: dict) -> list[dict]:
    seen, cleaned = set(), []
    for item in items or []:
        key = item.get("key")
        if key in allowed and key not in seen:
            seen.add(key)
            width = item.get("width") if item.get("width") in WIDTHS else allowed[key].default_width
            cleaned.append({"key": key, "width": width})
    return cleaned


def default_layout(user: User) -> tuple[list[dict], set[str]]:
    """The roles' default layout and locked keys; every permitted widget if no role has one."""
    allowed = available_widgets(user)
    layouts = _role_layouts(user)
    if not layouts:
        return [{"key": key, "width": widget.default_width} for key, widget in allowed.items()], set()
    merged, locked = [], set()
    for layout in layouts:
        merged.extend(layout.widgets)
        locked |= set(layout.locked)
    return _clean(merged, allowed), locked & set(allowed)


def effective_layout(user: User) -> tuple[list[PlacedWidget], int]:
    """The user's homepage: locked widgets first, then theirs. Returns (widgets, version)."""
    allowed = available_widgets(user)
    defaults, locked = default_layout(user)
    stored = db.session.execute(select(UserLayout).where(UserLayout.user_id == user.id)).scalar_one_or_none()
    own = _clean(stored.widgets, allowed) if stored else defaults
    by_key = {item["key"]: item for item in defaults}
    placed = [
        PlacedWidget(key, by_key.get(key, {}).get("width", allowed[key].default_width), True, allowed[key])
        for key in [item["key"] for item in defaults if item["key"] in locked]
    ]
    placed += [
        PlacedWidget(item["key"], item["width"], False, allowed[item["key"]])
        for item in own
        if item["key"] not in locked
    ]
    return placed, stored.version if stored else 0


def save_layout(user: User, items: list[dict], version: int | None = None) -> int:
    """Keep the user's arrangement of their unlocked widgets. Returns the new version.

    Refused whole (nothing saved) on an unknown or forbidden widget, a bad width, or a layout
    based on an older version than the one stored (two tabs editing at once).
    """
    if not isinstance(items, list):
        raise ServiceError(_l("The layout must be a list of widgets."))
    allowed = available_widgets(user)
    _defaults, locked = default_layout(user)
    cleaned, seen = [], set()
    for item in items:
        if not isinstance(item, dict) or "key" not in item:
            raise ServiceError(_l("Each widget needs a key."))
        key = item["key"]
        if key not in allowed:
            raise ServiceError(_l("Unknown widget: %(key)s", key=key))
        width = item.get("width", allowed[key].default_width)
        if width not in WIDTHS:
            raise ServiceError(_l("Widget width must be one of 3, 4, 6, 8 or 12."))
        if key in locked or key in seen:
            continue  # locked widgets are placed by the admin's layout, not the user's
        seen.add(key)
        cleaned.append({"key": key, "width": width})
    stored = db.session.execute(select(UserLayout).where(UserLayout.user_id == user.id)).scalar_one_or_none()
    if stored is None:
        if version not in (None, 0):
            raise Conflict(_l("Your layout was changed elsewhere. Reload the page and try again."))
        stored = UserLayout(user_id=user.id, widgets=cleaned, version=1)
        db.session.add(stored)
    else:
        if version is not None and version != stored.version:
            raise Conflict(_l("Your layout was changed elsewhere. Reload the page and try again."))
        stored.widgets = cleaned
        stored.version += 1
    db.session.flush()
    return stored.version


def reset_layout(user: User) -> None:
    stored = db.session.execute(select(UserLayout).where(UserLayout.user_id == user.id)).scalar_one_or_none()
    if stored is not None:
        db.session.delete(stored)


def set_role_layout(actor: User, role: Role, items: list[dict], locked: list[str]) -> RoleLayout:
    """An admin sets a role's default layout and which of its widgets are locked."""
    if not actor.can("admin.homepage"):
        raise NotAllowed(_l("You may not change default layouts."))
    widgets = registry().widgets
    cleaned, seen = [], set()
    for item in items:
        key, width = item.get("key"), item.get("width")
        if key not in widgets:
            raise ServiceError(_l("Unknown widget: %(key)s", key=key))
        if width not in WIDTHS:
            raise ServiceError(_l("Widget width must be one of 3, 4, 6, 8 or 12."))
        if key not in seen:
            seen.add(key)
            cleaned.append({"key": key, "width": width})
    bad_locks = [key for key in locked if key not in seen]
    if bad_locks:
        raise ServiceError(_l("Only widgets on the layout can be locked."))
    layout = db.session.execute(select(RoleLayout).where(RoleLayout.role_id == role.id)).scalar_one_or_none()
    if layout is None:
        layout = RoleLayout(role_id=role.id)
        db.session.add(layout)
    layout.widgets = cleaned
    layout.locked = list(dict.fromkeys(locked))
    return layout
