"""Single sign-on with OpenID Connect (Authlib). A user arriving from the corporate portal is
signed in without a password; their account is created on first sign-in from ID-token claims,
mapped to an org unit and roles by the `workbench_resolve_sso_user` hook (first result wins)."""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from sqlalchemy import func, select

from workbench.auth.models import Role, User
from workbench.contracts import SsoIdentity
from workbench.extensions import db
from workbench.org.models import OrgUnit

oauth = OAuth()


class UnmappedIdentity(Exception):
    """The claims name no unit (or no known unit); the user sees a page that says so."""

    def __init__(self, reason: str, claims: dict):
        super().__init__(reason)
        self.reason = reason
        self.claims = claims


def init_sso(app: Flask) -> None:
    oauth.init_app(app)
    issuer = app.config.get("WORKBENCH_OIDC_ISSUER")
    if issuer:
        oauth.register(
            "corporate",
            client_id=app.config["WORKBENCH_OIDC_CLIENT_ID"],
            client_secret=app.config["WORKBENCH_OIDC_CLIENT_SECRET"],
            server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": app.config["WORKBENCH_OIDC_SCOPE"], "code_challenge_method": "S256"},
        )


def sso_enabled() -> bool:
    return bool(current_app.config.get("WORKBENCH_OIDC_ISSUER"))


def subject_key(claims: dict) -> str:
    return f"{claims.get('iss', '')}|{claims['sub']}"


def resolve_identity(claims: dict) -> SsoIdentity:
    registry = current_app.extensions["workbench.plugins"]
    identity = registry.pm.hook.workbench_resolve_sso_user(claims=claims)
    if identity is None:
        raise UnmappedIdentity("no_mapping", claims)
    return identity


def user_for_claims(claims: dict) -> User:
    """The account for verified claims: found by subject, linked by username, or created.

    Units and roles of an existing account are refreshed from the claims on each sign-in so a
    transfer in the corporate directory follows the person here.
    """
    identity = resolve_identity(claims)
    unit = db.session.execute(
        select(OrgUnit).where(OrgUnit.code == identity.org_unit_code, OrgUnit.active.is_(True))
    ).scalar_one_or_none()
    if unit is None:
        raise UnmappedIdentity("unknown_unit", claims)
    roles = db.session.execute(select(Role).where(Role.name.in_(identity.roles))).scalars().all()
    if not roles:
        raise UnmappedIdentity("unknown_roles", claims)

    subject = subject_key(claims)
    user = db.session.execute(select(User).where(User.sso_subject == subject)).scalar_one_or_none()
    if user is None:
        user = db.session.execute(
            select(User).where(func.lower(User.username) == identity.username.lower())
        ).scalar_one_or_none()
        if user is not None and user.sso_subject and user.sso_subject != subject:
            raise UnmappedIdentity("username_taken", claims)
    if user is None:
        datastore = current_app.extensions["security"].datastore
        user = datastore.create_user(
            username=identity.username.lower(),
            email=identity.email or None,
            password=None,
            active=True,
        )
    user.sso_subject = subject
    user.org_unit_id = unit.id
    user.display_name = identity.display_name or user.display_name or identity.username
    if identity.phone:
        user.phone = identity.phone
    user.roles = list(roles)
    db.session.flush()
    return user
