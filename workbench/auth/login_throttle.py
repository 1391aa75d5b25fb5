"""Throttling of failed sign-ins, per account and per address (Flask-Limiter).

Only failures count: a successful sign-in redirects (or answers 200 to JSON), so the limiter's
`deduct_when` deducts a hit only when the login view answers with the form again or 400.
Both limits are settings (WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT / _PER_ADDRESS).
"""
from __future__ import annotations

from flask import Flask, request

from workbench.extensions import client_address, limiter


def _account_key() -> str:
    submitted = request.form.get("username") or ""
    if not submitted and request.is_json:
        submitted = (request.get_json(silent=True) or {}).get("username") or ""
    return "account:" + submitted.strip().lower()


def _address_key() -> str:
    return "address:" + client_address()


def _failed(response) -> bool:
    if request.method != "POST":
        return False
    if request.is_json:
        return response.status_code >= 400
    # A failed form sign-in re-renders the page (200); success redirects.
    return response.status_code == 200 or response.status_code >= 400


def limit_failures(view, app: Flask):
    """Wrap a sign-in view (form or API) with both limits."""
    per_account = limiter.limit(
        lambda: app.config["WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-account",
    )
    per_address = limiter.limit(
        lambda: app.config["WORKBENCH_LOGIN_LIMIT_PER_ADDRESS"],
        key_func=_address_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-address",
    )
    return per_address(per_account(view))


def protect_login(app: Flask) -> None:
    for endpoint in ("security.login", "security.two_factor_token_validation"):
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limit_failures(app.view_functions[endpoint], app)
