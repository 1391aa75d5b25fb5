"""Users and roles. Roles carry a data-scope level and a permission list; users may hold
several roles and extra per-person permissions (权限细分到每个角色和人)."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from flask_security.models.fsqla_v3 import FsRoleMixin, FsUserMixin, FsModels

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import Scope, wider

FsModels.set_db_info(db, user_table_name="user", role_table_name="role")
# Flask-Security's link table has neither key nor index: every sign-in and every page's user
# load scanned all of it (5,000 rows at province scale). One unique index serves the look-up by
# user and keeps a role from being linked twice (migration 0008_core_roles_users).
Index("uq_roles_users_user_id_role_id", FsModels.roles_users.c.user_id, FsModels.roles_users.c.role_id,
      unique=True)



class Role(Audited, db.Model, FsRoleMixin):
    __tablename__ = "role"
    __audit_exclude__ = ("default_grants",)  # bookkeeping of ensure_builtin_roles
    __audit_permission__ = "admin.users"

    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # none / own / unit / all — see workbench.org.scope
    scope_level: Mapped[str] = mapped_column(String(8), nullable=False, default="own")
    builtin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Default permissions already granted once from the hooks' Permission.default_roles; an
    # admin who removes one later must not see it come back on the next upgrade.
    default_grants: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class User(Audited, db.Model, FsUserMixin):
    __tablename__ = "user"
    # Sign-in bookkeeping is not a change anyone made; roles are recorded by name.
    __audit_exclude__ = ("last_login_at", "current_login_at", "last_login_ip", "current_login_ip", "login_count")
    __audit_collections__ = ("roles",)
    __audit_permission__ = "admin.users"

    # Accounts are identified by username; e-mail is optional for AMs arriving by SSO.
    email = Column(String(255), unique=True, nullable=True)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    extra_permissions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    locale: Mapped[str | None] = mapped_column(String(16))
    # "<issuer>|<sub>" for accounts created or linked by single sign-on.
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # WebAuthn is not offered; without this the mixin would map a relationship to a model
    # that does not exist whenever the optional `webauthn` package happens to be installed.
    webauthn: tuple = ()

    # Loaded on first use, not with every user: pages that show people (owners, handlers)
    # need no roles, and the signed-in user's one query is the same on every page. Code that
    # checks many people's permissions loads their roles with selectinload(User.roles).
    roles = relationship("Role", secondary="roles_users", backref="users", lazy="select")
    org_unit = relationship("OrgUnit", lazy="joined")

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def role_names(self) -> set[str]:
        return {role.name for role in self.roles}

    @property
    def permission_set(self) -> set[str]:
        granted = set(self.extra_permissions or [])
        for role in self.roles:
            granted |= set(role.get_permissions())
        return granted

    def can(self, permission: str) -> bool:
        return self.active and permission in self.permission_set

    @property
    def scope(self) -> Scope:
        if not self.active:
            return Scope(level="none")
        level = "none"
        for role in self.roles:
            level = wider(level, role.scope_level)
        if level == "unit" and self.org_unit is None:
            level = "own"
        return Scope(
            level=level,
            user_id=self.id,
            unit_id=self.org_unit_id,
            unit_path=self.org_unit.path if self.org_unit else None,
        )

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def _admin_two_factor_required(user: "User") -> bool:
    from flask import current_app

    from workbench.auth.roles import ADMIN_ROLES

    return bool(current_app.config.get("WORKBENCH_ADMIN_2FA_REQUIRED")) and bool(
        user.role_names & ADMIN_ROLES
    )


def _check_tf_required(self, tf_setup_methods, tf_fresh):
    """Flask-Security asks this after the password check: admins must use two-factor when
    WORKBENCH_ADMIN_2FA_REQUIRED is set, everybody else when they have set it up."""
    required, methods = FsUserMixin.check_tf_required(self, tf_setup_methods, tf_fresh)
    if not required and _admin_two_factor_required(self):
        return True, tf_setup_methods
    return required, methods


def _check_tf_required_setup(self) -> bool:
    return FsUserMixin.check_tf_required_setup(self) or _admin_two_factor_required(self)


User.check_tf_required = _check_tf_required
User.check_tf_required_setup = _check_tf_required_setup
