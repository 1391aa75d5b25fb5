"""Rules of the administration pages: which units and users an admin may manage, editing users
with stale-form detection, granting roles and permissions, custom roles, default homepage
layouts per role, and the counts of the admin overview.

Users and org units carry no owner, so the central data-scope rule does not filter them; an
admin's *reach* is applied here instead: an admin whose roles reach "all" manages everything,
any other admin only their own unit and the units below it. Out-of-reach records answer
NotFound, exactly like out-of-scope business records.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import case, false, func, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from workbench.auth import services as accounts
from workbench.auth.models import Role, User
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.homepage import services as homepage
from workbench.homepage.models import RoleLayout
from workbench.inbox import services as inbox
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.org.scope import SCOPE_LEVELS
from workbench.plugins import registry

UNIT_LEVEL_LABELS = {
    "province": _l("Province"),
    "city": _l("City"),
    "county": _l("County / district"),
    "grid": _l("Grid"),
}
ROLE_SCOPE_LABELS = {
    "own": _l("Own records"),
    "unit": _l("Own unit and below"),
    "all": _l("Everything"),
}
ROLE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
STALE_USER_MESSAGE = _l("Someone else changed this user while you were editing. Their changes "
                        "are shown below; make your changes again and save.")
STALE_UNIT_MESSAGE = _l("Someone else changed this unit while you were editing. Their changes "
                        "are shown below; make your changes again and save.")


# --- reach: what an admin manages ---------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    """The part of the org tree an admin manages: everything, or one subtree (by path)."""

    everything: bool
    path: str | None = None  # org path prefix when not everything; None means nothing at all

    def covers(self, unit: OrgUnit | None) -> bool:
        if self.everything:
            return True
        return unit is not None and self.path is not None and unit.path.startswith(self.path)

    def clause(self, path_column):
        """SQL criterion on an org path column for the units within reach."""
        if self.everything:
            return true()
        if self.path is None:
            return false()
        return path_column.startswith(self.path)


def reach_of(actor: User) -> Reach:
    scope = actor.scope
    if scope.sees_everything:
        return Reach(everything=True)
    if scope.level == "unit" and scope.unit_path:
        return Reach(everything=False, path=scope.unit_path)
    return Reach(everything=False)


def _require(actor: User, permission: str, message) -> None:
    if not actor.can(permission):
        raise NotAllowed(message)


def snapshot_of(values: dict) -> str:
    """A short fingerprint of a record's editable fields. Users and units have no version
    column, so edit forms carry the fingerprint they were rendered with; a different one at
    save time means someone else saved in between."""
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:32]


# --- org units -----------------------------------------------------------------------------

def unit_snapshot(unit: OrgUnit) -> str:
    return snapshot_of({"code": unit.code, "name": unit.name, "level": unit.level,
                        "parent": unit.parent_id, "path": unit.path, "active": unit.active,
                        "sort": unit.sort_order})


@dataclass(frozen=True)
class UnitFilter:
    q: str | None = None
    include_inactive: bool = False


def unit_query(actor: User, filters: UnitFilter | None = None):
    """Units the admin manages, in tree order (the path puts children after their parent)."""
    filters = filters or UnitFilter()
    query = select(OrgUnit).where(reach_of(actor).clause(OrgUnit.path))
    if not filters.include_inactive:
        query = query.where(OrgUnit.active.is_(True))
    if filters.q:
        pattern = f"%{filters.q.strip()}%"
        query = query.where(or_(OrgUnit.name.ilike(pattern), OrgUnit.code.ilike(pattern)))
    return query.order_by(OrgUnit.path)


@dataclass(frozen=True)
class MemberCounts:
    direct: int  # active users placed in the unit itself
    total: int  # active users in the unit and every unit below it


def member_counts(unit_ids: list[int]) -> dict[int, MemberCounts]:
    """Active member counts of the given units, in two grouped queries whatever their number."""
    if not unit_ids:
        return {}
    direct = dict(db.session.execute(
        select(User.org_unit_id, func.count(User.id))
        .where(User.org_unit_id.in_(unit_ids), User.active.is_(True))
        .group_by(User.org_unit_id)
    ).all())
    below = aliased(OrgUnit)
    total = dict(db.session.execute(
        select(OrgUnit.id, func.count(User.id))
        .join(below, below.path.startswith(OrgUnit.path))
        .join(User, User.org_unit_id == below.id)
        .where(OrgUnit.id.in_(unit_ids), User.active.is_(True))
        .group_by(OrgUnit.id)
    ).all())
    return {uid: MemberCounts(int(direct.get(uid, 0)), int(total.get(uid, 0))) for uid in unit_ids}


def get_unit(actor: User, unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not reach_of(actor).covers(unit):
        raise NotFound(_l("Unit not found."))
    return unit


def managed_units(actor: User, active_only: bool = True) -> list[OrgUnit]:
    """Units the admin may place people or sub-units in, in tree order."""
    return db.session.execute(unit_query(actor, UnitFilter(include_inactive=not active_only))).scalars().all()


def create_unit(actor: User, *, code: str, name: str, level: str, parent: OrgUnit | None,
                sort_order: int = 0) -> OrgUnit:
    """A new unit below `parent` (or a new province at the top, for admins of everything)."""
    _require(actor, "admin.org", _l("You may not change the org tree."))
    reach = reach_of(actor)
    if parent is None:
        if not reach.everything:
            raise ServiceError(_l("Choose the unit to add this one under."), field="parent")
    else:
        if not reach.covers(parent):
            raise NotFound(_l("Unit not found."))
        if not parent.active:
            raise ServiceError(_l("%(name)s is inactive; reactivate it before adding units under it.",
                                  name=parent.name), field="parent")
    unit = org.create_unit(code=code, name=name, level=level, parent=parent, sort_order=sort_order or 0)
    emit("org.unit_created", actor=actor, unit_id=unit.id)
    return unit


def update_unit(actor: User, unit: OrgUnit, *, code: str, name: str, sort_order: int | None,
                snapshot: str | None) -> OrgUnit:
    _require(actor, "admin.org", _l("You may not change the org tree."))
    if not reach_of(actor).covers(unit):
        raise NotFound(_l("Unit not found."))
    if snapshot != unit_snapshot(unit):
        raise Conflict(STALE_UNIT_MESSAGE)
    org.update_unit(unit, code=code, name=name, sort_order=sort_order)
    emit("org.unit_updated", actor=actor, unit_id=unit.id)
    return unit


def move_unit(actor: User, unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Re-parent a unit within the admin's reach; descendants' paths follow (org.move_unit)."""
    _require(actor, "admin.org", _l("You may not change the org tree."))
    reach = reach_of(actor)
    if not reach.covers(unit) or not reach.covers(new_parent):
        raise NotFound(_l("Unit not found."))
    if unit.parent_id is not None and reach.path == unit.path:
        raise NotAllowed(_l("You cannot move the unit your own administration starts from."))
    if not new_parent.active:
        raise ServiceError(_l("%(name)s is inactive; choose an active unit.", name=new_parent.name),
                           field="parent")
    if new_parent.id == unit.parent_id:
        return
    unit_id = unit.id
    org.move_unit(unit, new_parent)
    emit("org.unit_moved", actor=actor, unit_id=unit_id, parent_id=new_parent.id)


def set_unit_active(actor: User, unit: OrgUnit, active: bool) -> None:
    """Deactivate or reactivate a unit (units are never deleted)."""
    _require(actor, "admin.org", _l("You may not change the org tree."))
    if not reach_of(actor).covers(unit):
        raise NotFound(_l("Unit not found."))
    if active:
        org.reactivate_unit(unit)
    else:
        org.deactivate_unit(unit)
    emit("org.unit_activated" if active else "org.unit_deactivated", actor=actor, unit_id=unit.id)


def parent_choices(actor: User, unit: OrgUnit) -> list[OrgUnit]:
    """Active units within reach that `unit` could move under: a higher level, not itself or
    anything below it."""
    rank = org.LEVEL_ORDER.index(unit.level)
    return [
        candidate for candidate in managed_units(actor)
        if org.LEVEL_ORDER.index(candidate.level) < rank and not candidate.is_within(unit)
    ]


# --- users ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserFilter:
    q: str | None = None
    unit_id: int | None = None
    role: str | None = None
    active: str | None = None  # "1" active only, "0" inactive only, None both


def user_query(actor: User, filters: UserFilter | None = None):
    """Users the admin manages, filtered; a unit filter covers that unit and the ones below."""
    filters = filters or UserFilter()
    reach = reach_of(actor)
    query = select(User).outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id)
    if not reach.everything:
        query = query.where(reach.clause(OrgUnit.path))
    if filters.q:
        pattern = f"%{filters.q.strip()}%"
        query = query.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if filters.unit_id:
        unit = db.session.get(OrgUnit, filters.unit_id)
        query = query.where(OrgUnit.path.startswith(unit.path) if unit else false())
    if filters.role:
        query = query.where(User.roles.any(Role.name == filters.role))
    if filters.active in ("0", "1"):
        query = query.where(User.active.is_(filters.active == "1"))
    # The list shows each user's roles: one query for the page's users, not one per row.
    return query.order_by(User.active.desc(), User.username).options(selectinload(User.roles))


def all_roles() -> list[Role]:
    return db.session.execute(select(Role).order_by(Role.builtin.desc(), Role.name)).scalars().all()


def grantable_roles(actor: User) -> list[Role]:
    """Roles the admin may give: an admin of everything any role; anyone else only roles no
    wider than their own scope and carrying no permission they lack themselves."""
    roles = all_roles()
    if reach_of(actor).everything:
        return roles
    own_level = SCOPE_LEVELS.index(actor.scope.level)
    held = actor.permission_set
    return [
        role for role in roles
        if SCOPE_LEVELS.index(role.scope_level) <= own_level and set(role.get_permissions()) <= held
    ]


def grantable_permissions(actor: User) -> dict:
    """Registry permissions the admin may give a person directly, by name."""
    permissions = registry().permissions
    if reach_of(actor).everything:
        return dict(permissions)
    held = actor.permission_set
    return {name: permission for name, permission in permissions.items() if name in held}


def _ensure_can_manage(actor: User, user: User) -> None:
    _require(actor, "admin.users", _l("You may not manage users."))
    reach = reach_of(actor)
    if not reach.covers(user.org_unit):
        raise NotFound(_l("User not found."))
    if reach.everything or actor.id == user.id:
        return
    grantable = {role.id for role in grantable_roles(actor)}
    beyond_roles = any(role.id not in grantable for role in user.roles)
    beyond_permissions = not set(user.extra_permissions or []) <= actor.permission_set
    if beyond_roles or beyond_permissions:
        raise NotAllowed(_l("%(name)s holds rights wider than yours; ask an administrator with a "
                            "wider scope.", name=user.name))


def get_managed_user(actor: User, user_id: int) -> User:
    """A user the admin may manage, or NotFound (out of reach looks absent)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("User not found."))
    _ensure_can_manage(actor, user)
    return user


def user_snapshot(user: User) -> str:
    return snapshot_of({
        "username": user.username, "name": user.display_name, "email": user.email,
        "phone": user.phone, "unit": user.org_unit_id, "active": bool(user.active),
        "roles": sorted(role.id for role in user.roles),
        "permissions": sorted(user.extra_permissions or []),
    })


def _check_unit_for_user(actor: User, unit: OrgUnit | None, current: OrgUnit | None = None) -> None:
    if unit is None:
        raise ServiceError(_l("Choose the user's unit."), field="unit")
    if not reach_of(actor).covers(unit):
        raise ServiceError(_l("Choose a unit you manage."), field="unit")
    if not unit.active and (current is None or unit.id != current.id):
        raise ServiceError(_l("%(name)s is inactive; choose an active unit.", name=unit.name), field="unit")


def _check_roles_grantable(actor: User, roles: list[Role]) -> None:
    if not roles:
        raise ServiceError(_l("Give the user at least one role."), field="roles")
    grantable = {role.id for role in grantable_roles(actor)}
    for role in roles:
        if role.id not in grantable:
            raise ServiceError(_l("You cannot grant the role %(role)s.", role=role.label or role.name),
                               field="roles")


def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip()
    return email or None


def _check_password(password: str, **context) -> None:
    problems = accounts.password_problems(password, **context)
    if problems:
        raise ServiceError(" ".join(problems), field="password")


def create_user(actor: User, *, username: str, display_name: str, email: str | None, phone: str | None,
                unit: OrgUnit | None, roles: list[Role], password: str) -> User:
    """A local account (argon2 password hash) in a unit the admin manages."""
    _require(actor, "admin.users", _l("You may not manage users."))
    _check_unit_for_user(actor, unit)
    _check_roles_grantable(actor, roles)
    _check_password(password, username=username, display_name=display_name)
    user = accounts.create_user(
        username=username, password=password, display_name=(display_name or "").strip(), unit=unit,
        roles=roles, email=_clean_email(email), phone=(phone or "").strip() or None,
    )
    emit("user.created", actor=actor, user_id=user.id)
    return user


def update_user(actor: User, user: User, *, snapshot: str | None, display_name: str, email: str | None,
                phone: str | None, unit: OrgUnit | None, roles: list[Role] | None,
                extra_permissions: list[str] | None, active: bool) -> User:
    """Save the edit form. `roles` / `extra_permissions` None means "unchanged".

    Everything is checked before anything is written, so a refusal leaves the user as it was.
    Nobody changes their own roles, permissions or active flag.
    """
    _ensure_can_manage(actor, user)
    if snapshot != user_snapshot(user):
        raise Conflict(STALE_USER_MESSAGE)
    is_self = actor.id == user.id
    email = _clean_email(email)
    if email and (user.email or "").lower() != email.lower():
        taken = db.session.execute(
            select(User.id).where(func.lower(User.email) == email.lower(), User.id != user.id)
        ).first()
        if taken:
            raise ServiceError(_l("The e-mail address %(email)s is already used.", email=email),
                               field="email")
    _check_unit_for_user(actor, unit, current=user.org_unit)
    if is_self and unit.id != user.org_unit_id and not reach_of(actor).everything:
        # Moving yourself would change what you manage; another admin has to do it.
        raise NotAllowed(_l("You cannot move yourself to another unit."))

    roles_changed = roles is not None and {r.id for r in roles} != {r.id for r in user.roles}
    if roles_changed:
        if is_self:
            raise NotAllowed(_l("You cannot change your own roles."))
        _check_roles_grantable(actor, roles)

    new_permissions = None
    if extra_permissions is not None:
        known = registry().permissions
        unknown = [name for name in extra_permissions if name not in known]
        if unknown:
            raise ServiceError(_l("Unknown permission: %(name)s", name=unknown[0]), field="extra_permissions")
        # Grants of plugins that are switched off stay; the form cannot show them.
        kept = [name for name in (user.extra_permissions or []) if name not in known]
        new_permissions = sorted(set(extra_permissions) | set(kept))
        if new_permissions == sorted(user.extra_permissions or []):
            new_permissions = None
    if new_permissions is not None:
        if is_self:
            raise NotAllowed(_l("You cannot change your own permissions."))
        grantable = grantable_permissions(actor)
        added = set(new_permissions) - set(user.extra_permissions or [])
        refused = sorted(name for name in added if name not in grantable)
        if refused:
            raise ServiceError(_l("You cannot grant the permission %(name)s.", name=refused[0]),
                               field="extra_permissions")
    if is_self and not active:
        raise NotAllowed(_l("You cannot deactivate your own account."))

    user.display_name = (display_name or "").strip() or user.username
    user.email = email
    user.phone = (phone or "").strip() or None
    user.org_unit_id = unit.id
    user.org_unit = unit
    if roles_changed:
        accounts.set_roles(actor, user, roles)
    if new_permissions is not None:
        user.extra_permissions = new_permissions
    user.active = bool(active)
    emit("user.updated", actor=actor, user_id=user.id)
    return user


def reset_password(actor: User, user: User, password: str) -> None:
    """Set a new password; the user's sessions and API tokens end at once."""
    from flask_security.changeable import admin_change_password

    _ensure_can_manage(actor, user)
    if actor.id == user.id:
        raise NotAllowed(_l("Change your own password from your account page."))
    _check_password(password, username=user.username, display_name=user.display_name)
    admin_change_password(user, password, notify=False)
    emit("user.password_reset", actor=actor, user_id=user.id)


def reset_two_factor(actor: User, user: User) -> None:
    """Clear a user's authenticator (lost phone); their sessions end so the next sign-in
    asks them to set it up again where required."""
    from flask import current_app

    _ensure_can_manage(actor, user)
    if actor.id == user.id:
        raise NotAllowed(_l("Manage your own two-factor sign-in from your account page."))
    if not user.tf_primary_method:
        raise ServiceError(_l("%(name)s has no two-factor sign-in to reset.", name=user.name))
    # The datastore's reset, not flask_security.tf_disable: that one also clears two-factor
    # state of the *current* session, which is the admin's, not the user's.
    current_app.extensions["security"].datastore.tf_reset(user)
    user.fs_uniquifier = uuid.uuid4().hex  # ends every session and API token of the user
    emit("user.two_factor_reset", actor=actor, user_id=user.id)


def set_user_active(actor: User, user: User, active: bool) -> None:
    _ensure_can_manage(actor, user)
    if actor.id == user.id:
        raise NotAllowed(_l("You cannot deactivate or reactivate your own account."))
    if active and user.org_unit is not None and not user.org_unit.active:
        raise ServiceError(_l("%(name)s is inactive; move the user to an active unit first.",
                              name=user.org_unit.name))
    user.active = bool(active)
    emit("user.activated" if active else "user.deactivated", actor=actor, user_id=user.id)


def successor_choices(actor: User, departing: User) -> list[User]:
    """Active people within the admin's reach who can take over `departing`'s work."""
    query = (select(User).join(OrgUnit, User.org_unit_id == OrgUnit.id)
             .where(User.active.is_(True), User.id != departing.id, reach_of(actor).clause(OrgUnit.path))
             .order_by(OrgUnit.path, User.username))
    return db.session.execute(query).scalars().all()


def hand_over_work(actor: User, departing: User, successor: User, deactivate: bool) -> inbox.HandOverResult:
    """交接: move open to-dos and customers to the successor (inbox.hand_over does the moving)."""
    _ensure_can_manage(actor, departing)
    if not reach_of(actor).covers(successor.org_unit):
        raise ServiceError(_l("Choose a successor you manage."), field="successor")
    if deactivate and actor.id == departing.id:
        raise NotAllowed(_l("You cannot deactivate your own account."))
    return inbox.hand_over(actor, departing, successor, deactivate=deactivate)


# --- roles ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleRow:
    role: Role
    active_users: int
    all_users: int


def role_rows() -> list[RoleRow]:
    """Every role with the number of people holding it (active ones, and all)."""
    counts = {
        role_id: (int(active or 0), int(total))
        for role_id, active, total in db.session.execute(
            select(Role.id, func.sum(case((User.active.is_(True), 1), else_=0)), func.count(User.id))
            .select_from(User).join(User.roles).group_by(Role.id)
        ).all()
    }
    return [RoleRow(role, *counts.get(role.id, (0, 0))) for role in all_roles()]


def can_edit_roles(actor: User) -> bool:
    return actor.can("admin.users") and reach_of(actor).everything


def _ensure_can_edit_roles(actor: User) -> None:
    if not can_edit_roles(actor):
        raise NotAllowed(_l("Roles apply everywhere, so only an administrator whose scope is "
                            "everything can change them."))


def get_role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(_l("Role not found."))
    return role


def permission_groups(permission_names=None) -> list[tuple[str, list]]:
    """Registry permissions grouped by the prefix of their name ("admin", "inbox", ...)."""
    groups: dict[str, list] = {}
    for name, permission in sorted(registry().permissions.items()):
        if permission_names is None or name in permission_names:
            groups.setdefault(name.split(".", 1)[0], []).append(permission)
    return sorted(groups.items())


def update_role(actor: User, role: Role, *, label: str, permissions: list[str]) -> Role:
    """Change a role's label and permissions. Permissions of plugins that are switched off are
    kept (the page cannot show them); nobody changes the permissions of a role they hold."""
    _ensure_can_edit_roles(actor)
    label = (label or "").strip()
    if not label:
        raise ServiceError(_l("The label is required."), field="label")
    known = registry().permissions
    current = set(role.get_permissions())
    unknown = [name for name in permissions if name not in known and name not in current]
    if unknown:
        raise ServiceError(_l("Unknown permission: %(name)s", name=unknown[0]), field="permissions")
    wanted = set(permissions) | {name for name in current if name not in known}
    if wanted != current and role.id in {held.id for held in actor.roles}:
        raise NotAllowed(_l("You cannot change the permissions of a role you hold."))
    role.label = label
    role.permissions = sorted(wanted)
    emit("role.updated", actor=actor, role_id=role.id)
    return role


def create_role(actor: User, *, name: str, label: str, scope_level: str) -> Role:
    _ensure_can_edit_roles(actor)
    name, label = (name or "").strip().lower(), (label or "").strip()
    if not ROLE_NAME_PATTERN.match(name):
        raise ServiceError(_l("Use 2–80 lower-case letters, digits or underscores, starting with a "
                              "letter."), field="name")
    if db.session.execute(select(Role.id).where(func.lower(Role.name) == name)).first():
        raise ServiceError(_l("A role named %(name)s already exists.", name=name), field="name")
    if not label:
        raise ServiceError(_l("The label is required."), field="label")
    if scope_level not in ROLE_SCOPE_LABELS:
        raise ServiceError(_l("Choose what the role may see."), field="scope_level")
    role = Role(name=name, label=label, scope_level=scope_level, builtin=False, permissions=[])
    db.session.add(role)
    db.session.flush()
    emit("role.created", actor=actor, role_id=role.id)
    return role


def delete_role(actor: User, role: Role) -> None:
    """Custom roles nobody holds may go; built-in roles stay."""
    _ensure_can_edit_roles(actor)
    if role.builtin:
        raise ServiceError(_l("Built-in roles cannot be deleted."))
    holders = db.session.execute(
        select(func.count(User.id)).where(User.roles.any(Role.id == role.id))
    ).scalar_one()
    if holders:
        raise ServiceError(lazy_ngettext(
            "%(num)d user still holds this role. Give them another role first.",
            "%(num)d users still hold this role. Give them another role first.", holders))
    layout = db.session.execute(select(RoleLayout).where(RoleLayout.role_id == role.id)).scalar_one_or_none()
    if layout is not None:
        db.session.delete(layout)
    role_id = role.id
    db.session.delete(role)
    db.session.flush()
    emit("role.deleted", actor=actor, role_id=role_id)


# --- default homepage layouts per role -----------------------------------------------------

@dataclass(frozen=True)
class LayoutRow:
    """One widget on the role-layout form."""

    key: str
    widget: object
    included: bool
    width: int
    locked: bool
    hidden_from_role: bool  # the role lacks the widget's permission, so its members won't see it


def role_layout_rows(role: Role, items: list[dict] | None = None,
                     locked: list[str] | None = None) -> list[LayoutRow]:
    """The layout form's rows: the widgets on the layout in their order, then the rest.

    Without `items` the stored layout is shown (or, before one is saved, what members see
    today); with them (a form being rearranged) those are.
    """
    widgets = registry().widgets
    role_permissions = set(role.get_permissions())
    if items is None:
        stored = db.session.execute(select(RoleLayout).where(RoleLayout.role_id == role.id)).scalar_one_or_none()
        if stored is not None:
            items, locked = list(stored.widgets), list(stored.locked)
        else:
            # No default saved yet: members see every widget they may use, so show exactly that.
            items = [{"key": key, "width": widget.default_width} for key, widget in widgets.items()
                     if not _hidden_from(widget, role_permissions)]
            locked = []
    locked = set(locked or [])
    rows, seen = [], set()
    for item in items:
        key = item.get("key")
        if key in widgets and key not in seen:
            seen.add(key)
            width = item.get("width") if item.get("width") in homepage.WIDTHS else widgets[key].default_width
            rows.append(LayoutRow(key, widgets[key], True, width, key in locked,
                                  _hidden_from(widgets[key], role_permissions)))
    for key, widget in widgets.items():
        if key not in seen:
            rows.append(LayoutRow(key, widget, False, widget.default_width, False,
                                  _hidden_from(widget, role_permissions)))
    return rows


def _hidden_from(widget, role_permissions: set[str]) -> bool:
    return bool(widget.permission) and widget.permission not in role_permissions


def save_role_layout(actor: User, role: Role, items: list[dict], locked: list[str]) -> RoleLayout:
    layout = homepage.set_role_layout(actor, role, items, locked)
    emit("homepage.role_layout_saved", actor=actor, role_id=role.id)
    return layout


def role_layout_summary() -> dict[int, tuple[int, int]]:
    """Per role id: (widgets on its default layout, locked ones)."""
    return {
        layout.role_id: (len(layout.widgets or []), len(layout.locked or []))
        for layout in db.session.execute(select(RoleLayout)).scalars()
    }


# --- overview ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    active_users: int
    inactive_users: int
    active_units: int
    roles: int
    role_layouts: int
    plugins_enabled: int
    plugins_installed: int


def overview(actor: User) -> Overview:
    """The figures of the admin index cards, counted within the admin's reach."""
    reach = reach_of(actor)
    users = dict(db.session.execute(
        select(User.active, func.count(User.id)).outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(true() if reach.everything else reach.clause(OrgUnit.path)).group_by(User.active)
    ).all())
    units = db.session.execute(
        select(func.count(OrgUnit.id)).where(OrgUnit.active.is_(True), reach.clause(OrgUnit.path))
    ).scalar_one()
    plugins = registry()
    return Overview(
        active_users=int(users.get(True, 0)), inactive_users=int(users.get(False, 0)),
        active_units=int(units),
        roles=db.session.execute(select(func.count(Role.id))).scalar_one(),
        role_layouts=db.session.execute(select(func.count(RoleLayout.id))).scalar_one(),
        plugins_enabled=len(plugins.enabled), plugins_installed=len(plugins.installed),
    )
