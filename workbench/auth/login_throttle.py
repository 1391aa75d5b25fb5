"""Throttling of failed sign-ins, per account and per address (Flask-Limiter).

Every place that checks a credential is guarded: the password form (`security.login`), the
two-factor code (`security.two_factor_token_validation`), and the two pages where a signed-in
user types their password again (`security.verify`, `security.change_password`) — otherwise
a stolen session could guess the password there. They share two buckets — one per account,
one per client address — so every kind of wrong guess counts against the same account.

Only failures count. The limiter's `deduct_when` sees the response: a failed form sign-in
answers the form again (200) or an error (4xx); a success redirects (or answers 200 to JSON).
A refusal by the limiter itself (429) is not counted again, so a blocked account is free
again when its window ends.

Limits come from the settings WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT / _PER_ADDRESS. The
decorators are built once per process: Flask-Limiter keeps decorated limits in the limiter
(a process-wide instance), and building them again for every app would pile up copies.
"""
from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_login import current_user
from sqlalchemy import select

from workbench.extensions import client_address, db, limiter

TWO_FACTOR_ENDPOINT = "security.two_factor_token_validation"
# Pages where the signed-in user re-enters their own password.
SIGNED_IN_ENDPOINTS = ("security.verify", "security.change_password")
GUARDED_ENDPOINTS = ("security.login", TWO_FACTOR_ENDPOINT, *SIGNED_IN_ENDPOINTS)


def _submitted_username() -> str:
    submitted = request.form.get("username") or ""
    if not submitted and request.is_json:
        payload = request.get_json(silent=True)
        if isinstance(payload, dict):
            submitted = str(payload.get("username") or "")
    return submitted


def _two_factor_username() -> str:
    """The account whose password was accepted and now owes its code (kept in the session)."""
    from workbench.auth.models import User

    uniquifier = session.get("tf_user_id")
    if not uniquifier:
        return ""
    username = db.session.execute(
        select(User.username).where(User.fs_uniquifier == uniquifier)
    ).scalar_one_or_none()
    return username or ""


def _signed_in_username() -> str:
    return current_user.username if current_user.is_authenticated else ""


def account_key() -> str:
    """The bucket of the account being signed in to; empty (no account limit) when unnamed."""
    if request.endpoint == TWO_FACTOR_ENDPOINT:
        # Signing in: the session names the account; confirming a new app: the user is in.
        username = _two_factor_username() or _signed_in_username()
    elif request.endpoint in SIGNED_IN_ENDPOINTS:
        username = _signed_in_username()
    else:
        username = _submitted_username()
    # Normalised like the sign-in form does (workbench.auth.identity), so "AM1 " and "am1"
    # share a bucket.
    username = username.strip().lower()
    return f"account:{username}" if username else ""


def address_key() -> str:
    return "address:" + client_address()


def failed_sign_in(response) -> bool:
    """True when the response to a sign-in POST means the credentials were refused."""
    if request.method != "POST" or response.status_code == 429:
        return False
    if request.is_json:
        return response.status_code >= 400
    # A failed form sign-in re-renders the page (200); success redirects.
    return response.status_code == 200 or response.status_code >= 400


def _per_account_limit() -> str:
    return current_app.config["WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT"]


def _per_address_limit() -> str:
    return current_app.config["WORKBENCH_LOGIN_LIMIT_PER_ADDRESS"]


# Shared limits: one bucket for both guarded endpoints instead of one per endpoint.
_per_account = limiter.shared_limit(
    _per_account_limit, "login-account", key_func=account_key, methods=["POST"],
    deduct_when=failed_sign_in,
)
_per_address = limiter.shared_limit(
    _per_address_limit, "login-address", key_func=address_key, methods=["POST"],
    deduct_when=failed_sign_in,
)


def limit_failures(view):
    """Wrap a sign-in view (form or API) with both limits."""
    return _per_address(_per_account(view))


def protect_login(app: Flask) -> None:
    """Put the limits in front of Flask-Security's sign-in views of `app`."""
    for endpoint in GUARDED_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limit_failures(app.view_functions[endpoint])
