"""Issuing API tokens: the rules behind POST /api/v1/auth/token, testable without HTTP.

A token is Flask-Security's signed auth token (user.get_auth_token()); it stays valid for
SECURITY_TOKEN_MAX_AGE and dies with the account (deactivation, or a new fs_uniquifier after a
password reset). Every failure to identify the person answers the same message, so the
endpoint cannot be used to find out which usernames exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_security.utils import hash_password, verify_and_update_password, verify_password
from sqlalchemy import func, select

from workbench.api.auth import API_PERMISSION
from workbench.auth.identity import username_mapper
from workbench.auth.models import User
from workbench.errors import NotAllowed, ServiceError
from workbench.events import emit
from workbench.extensions import db


class BadCredentials(ServiceError):
    """The username, password or two-factor code did not identify an account."""

    status_code = 401


@dataclass(frozen=True)
class IssuedToken:
    user: User
    token: str
    max_age: int


def _generic_failure() -> BadCredentials:
    return BadCredentials(_l("Invalid username or password."))


def _spend_hash_time(password: str) -> None:
    """Verify against a throw-away hash so an unknown username takes as long as a known one."""
    dummy = current_app.extensions.get("workbench.api.dummy_hash")
    if dummy is None:
        dummy = current_app.extensions["workbench.api.dummy_hash"] = hash_password("not a password")
    verify_password(password, dummy)


def _find_user(username: str) -> User | None:
    mapped = username_mapper(username)
    if not mapped:
        return None
    return db.session.execute(
        select(User).where(func.lower(User.username) == mapped)
    ).scalar_one_or_none()


def _needs_second_factor(user: User) -> bool:
    return bool(user.tf_primary_method) or user.check_tf_required_setup()


def _check_second_factor(user: User, code: str | None) -> None:
    if not (user.tf_primary_method and user.tf_totp_secret):
        # Required by policy but never set up: that is done once, in the browser.
        raise NotAllowed(_l("Set up two-factor sign-in in the browser before requesting an API token."))
    if not code:
        raise BadCredentials(_l("This account uses two-factor sign-in: send the current code "
                                "from your authenticator app in `code`."), field="code")
    security = current_app.extensions["security"]
    valid = security.totp_factory.verify_totp(
        token=code.strip(), totp_secret=user.tf_totp_secret, user=user,
        window=current_app.config.get("SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY", 120),
    )
    if not valid:
        raise BadCredentials(_l("The two-factor code is not valid."), field="code")


def _token_max_age() -> int:
    """Seconds a token lives; the setting may be a number of seconds or a timedelta."""
    max_age = current_app.config.get("SECURITY_TOKEN_MAX_AGE") or 0
    if isinstance(max_age, timedelta):
        return int(max_age.total_seconds())
    return int(max_age)


def issue_token(username: str, password: str, code: str | None = None) -> IssuedToken:
    """A token for the account, or BadCredentials (401) / NotAllowed (403).

    The caller commits: verifying may upgrade the stored password hash.
    """
    user = _find_user(username)
    if user is None or not user.password:
        _spend_hash_time(password)
        raise _generic_failure()
    if not verify_and_update_password(password, user) or not user.active:
        raise _generic_failure()
    if _needs_second_factor(user):
        _check_second_factor(user, code)
    if not user.can(API_PERMISSION):
        raise NotAllowed(_l("Your account may not use the API."))
    token = user.get_auth_token()
    # The token itself is never logged or put in an event: it works like a password until it expires.
    emit("auth.api_token_issued", actor=user, user_id=user.id)
    return IssuedToken(user=user, token=token, max_age=_token_max_age())
