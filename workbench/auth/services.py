"""Account rules: built-in roles with their default permissions, creating users, roles."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_security.utils import hash_password
from sqlalchemy import func, select

from workbench.auth.models import Role, User
from workbench.auth.roles import BUILTIN_ROLES
from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.org.models import OrgUnit
from workbench.plugins import registry


def ensure_builtin_roles() -> dict[str, Role]:
    """Create missing built-in roles and grant each permission a hook declares to its default
    roles — once per role and permission. A grant an admin removed later stays removed; a
    permission a newly installed plugin declares is granted the first time this runs."""
    roles = {role.name: role for role in db.session.execute(select(Role)).scalars()}
    for definition in BUILTIN_ROLES:
        role = roles.get(definition.name)
        if role is None:
            role = Role(name=definition.name, label=str(definition.label),
                        scope_level=definition.scope_level, builtin=True, permissions=[],
                        default_grants=[])
            db.session.add(role)
            roles[definition.name] = role
    for permission in registry().permissions.values():
        for role_name in permission.default_roles:
            role = roles.get(role_name)
            if role is None or permission.name in (role.default_grants or []):
                continue
            role.default_grants = list(role.default_grants or []) + [permission.name]
            if permission.name not in (role.permissions or []):
                role.permissions = list(role.permissions or []) + [permission.name]
    db.session.flush()
    return roles


def create_user(*, username: str, password: str | None, display_name: str = "", unit: OrgUnit | None,
                roles: list[Role], email: str | None = None, phone: str | None = None) -> User:
    username = (username or "").strip().lower()
    if not username:
        raise ServiceError(_l("The username is required."), field="username")
    if db.session.execute(select(User.id).where(func.lower(User.username) == username)).first():
        raise ServiceError(_l("The username %(name)s is taken.", name=username), field="username")
    if email and db.session.execute(select(User.id).where(func.lower(User.email) == email.lower())).first():
        raise ServiceError(_l("The e-mail address %(email)s is already used.", email=email), field="email")
    if not roles:
        raise ServiceError(_l("Give the user at least one role."), field="roles")
    datastore = current_app.extensions["security"].datastore
    user = datastore.create_user(
        username=username,
        password=hash_password(password) if password else None,
        email=email or None,
        display_name=display_name or username,
        org_unit_id=unit.id if unit else None,
        phone=phone,
        roles=list(dict.fromkeys(roles)),  # a role given twice is linked once (unique index)
        active=True,
    )
    db.session.flush()
    return user


def set_roles(actor: User, user: User, roles: list[Role]) -> None:
    """Only user admins change roles, and nobody raises their own."""
    if not actor.can("admin.users"):
        raise NotAllowed(_l("You may not change roles."))
    if actor.id == user.id:
        raise NotAllowed(_l("You cannot change your own roles."))
    if not roles:
        raise ServiceError(_l("Give the user at least one role."), field="roles")
    user.roles = list(dict.fromkeys(roles))  # once each: the link table has a unique index


def password_problems(password: str, **context) -> list[str]:
    """Why `password` is not acceptable under the configured Flask-Security rules (length,
    complexity, breach check); an empty list when it is fine. `context` is passed to the
    complexity checker (e.g. username, display name) so it can refuse passwords built from them."""
    from flask_security import (password_breached_validator, password_complexity_validator,
                                password_length_validator)

    password = password or ""
    # One check at a time: the breach check may ask a remote service, so only when needed.
    checks = (lambda: password_length_validator(password),
              lambda: password_breached_validator(password),
              lambda: password_complexity_validator(password, True, **context))
    for check in checks:
        problems = check()
        if problems:
            return [str(problem) for problem in problems]
    return []
