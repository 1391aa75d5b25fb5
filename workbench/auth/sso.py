"""Single sign-on with OpenID Connect (Authlib). A user arriving from the corporate portal is
signed in without a password; their account is created on first sign-in from ID-token claims,
mapped to an org unit and roles by the `workbench_resolve_sso_user` hook (first result wins).

Accounts are matched by issuer + subject (`User.sso_subject`), never by a name the provider
could reuse. The Authlib registry is kept per app (in `app.extensions`) because Authlib caches
a client per name: one registry shared by several apps would hand every app the first app's
issuer and secret.
"""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from sqlalchemy import func, select

from workbench.auth.models import Role, User
from workbench.contracts import SsoIdentity
from workbench.extensions import db
from workbench.org.models import OrgUnit

EXTENSION_KEY = "workbench.sso"
CLIENT_NAME = "corporate"
# Seconds to wait for the provider (discovery, token, keys) before showing the failure page.
PROVIDER_TIMEOUT = 10


class SsoRefused(Exception):
    """The sign-in cannot proceed; `reason` selects the explanation on auth/sso_failed.html."""

    def __init__(self, reason: str, claims: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.claims = claims or {}



def init_sso(app: Flask) -> None:
    """Register the corporate provider for this app when an issuer is configured."""
    oauth = OAuth(app)
    app.extensions[EXTENSION_KEY] = oauth
    issuer = app.config.get("WORKBENCH_OIDC_ISSUER")
    if not issuer:
        return
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["WORKBENCH_OIDC_CLIENT_ID"],
        client_secret=app.config["WORKBENCH_OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["WORKBENCH_OIDC_SCOPE"],
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT,
        },
    )


def sso_enabled() -> bool:
    return bool(current_app.config.get("WORKBENCH_OIDC_ISSUER")) and EXTENSION_KEY in current_app.extensions


def corporate_client():
    """The Authlib client of the current app's provider."""
    return current_app.extensions[EXTENSION_KEY].create_client(CLIENT_NAME)


def subject_key(claims: dict) -> str:
    """The stable identity of a person at a provider: issuer and subject together."""
    return f"{claims.get('iss', '')}|{claims['sub']}"


def resolve_identity(claims: dict) -> SsoIdentity:
    """Ask the hooks (plugins first, the core's claim mapping last) who this is."""
    registry = current_app.extensions["workbench.plugins"]
    identity = registry.pm.hook.workbench_resolve_sso_user(claims=claims)
    if identity is None:
        raise SsoRefused("no_mapping", claims)
    return identity


def _find_by_subject(subject: str) -> User | None:
    return db.session.execute(select(User).where(User.sso_subject == subject)).scalar_one_or_none()


def _find_by_username(username: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.username) == username.lower())
    ).scalar_one_or_none()


def _email_is_free(email: str | None, user: User | None) -> bool:
    if not email:
        return False
    owner = db.session.execute(
        select(User.id).where(func.lower(User.email) == email.lower())
    ).scalar_one_or_none()
    return owner is None or (user is not None and owner == user.id)


def user_for_claims(claims: dict) -> User:
    """The account for verified claims: found by subject, linked, or created.

    Unit and roles of an existing account are refreshed from the claims on each sign-in so a
    transfer in the corporate directory follows the person here. An account created by an
    administrator ahead of SSO (no password, not yet linked) is linked by username; an
    account with a password is never taken over that way.
    """
    if not claims.get("sub"):
        raise SsoRefused("provider", claims)
    subject = subject_key(claims)
    user = _find_by_subject(subject)
    if user is not None and not user.active:
        raise SsoRefused("inactive", claims)

    identity = resolve_identity(claims)
    unit = db.session.execute(
        select(OrgUnit).where(OrgUnit.code == identity.org_unit_code, OrgUnit.active.is_(True))
    ).scalar_one_or_none()
    if unit is None:
        raise SsoRefused("unknown_unit", claims)
    roles = db.session.execute(select(Role).where(Role.name.in_(identity.roles))).scalars().all()
    if not roles:
        raise SsoRefused("unknown_roles", claims)

    if user is None:
        user = _find_by_username(identity.username)
        if user is not None:
            if user.sso_subject or user.password:
                raise SsoRefused("username_taken", claims)
            if not user.active:
                raise SsoRefused("inactive", claims)
    if user is None:
        datastore = current_app.extensions["security"].datastore
        user = datastore.create_user(
            username=identity.username.strip().lower(),
            email=identity.email if _email_is_free(identity.email, None) else None,
            password=None,
            active=True,
        )
    elif identity.email and not user.email and _email_is_free(identity.email, user):
        user.email = identity.email
    user.sso_subject = subject
    user.org_unit_id = unit.id
    user.display_name = identity.display_name or user.display_name or identity.username
    if identity.phone:
        user.phone = identity.phone
    user.roles = list(roles)
    db.session.flush()
    return user
