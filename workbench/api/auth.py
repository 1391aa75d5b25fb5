"""Authentication for the JSON API.

Two ways in:
* API clients send a token (POST /api/v1/auth/token) in the Authentication-Token header. The
  token is a credential no other site can hold, so these calls need no CSRF token; the account
  must hold the `api.use` permission on every call, so revoking it stops old tokens too.
* Pages of the workbench call the API with the browser session. A cookie is sent by the
  browser whatever site started the request, so state-changing calls must carry the CSRF
  token in the X-CSRFToken header, exactly as forms do.

Tokens travel only in the header: a token in a URL ends up in access logs, browser history and
Referer headers. Flask-Security's query/body token parameter is switched off in config
(SECURITY_TOKEN_AUTHENTICATION_KEY = None) and a request under /api/ that still tries one is
refused outright, so the client learns about the leak instead of silently being signed out.
"""
from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_security.utils import get_request_attr
from flask_wtf.csrf import CSRFError

from workbench.api.errors import API_PREFIX, api_abort, csrf_failure_message
from workbench.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
API_PERMISSION = "api.use"
# Query parameters a client might use to pass a token in the URL: Flask-Security's historic
# default name and the header's name (the configured name, if any, is added at request time).
TOKEN_QUERY_PARAMETERS = ("auth_token", "authentication-token")


def token_header_name() -> str:
    return current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token")


def _token_user():
    """The user the request's token belongs to, or None when it is invalid or expired.

    Flask-Login has already asked Flask-Security's request loader when there was no session;
    when a session cookie came along too, the loader is asked here (signature, expiry and the
    account being active are checked by it)."""
    if current_user.is_authenticated and get_request_attr("fs_authn_via") == "token":
        return current_user._get_current_object()
    return current_app.login_manager.request_callback(request)


def _check_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        csrf.protect()
    except CSRFError:
        api_abort(400, csrf_failure_message())


def authenticate() -> None:
    """Refuse the request unless it carries a valid token or a session (plus CSRF to change)."""
    if request.headers.get(token_header_name()):
        user = _token_user()
        if user is None:
            api_abort(401, _("The API token is invalid or has expired. "
                             "Request a new one with POST /api/v1/auth/token."))
        if current_user.is_authenticated and current_user.id != user.id:
            api_abort(401, _("The API token and the signed-in session belong to different "
                             "accounts. Send only one of them."))
        if not user.can(API_PERMISSION):
            api_abort(403, _("Your account may not use the API."))
        return
    if not current_user.is_authenticated or get_request_attr("fs_authn_via") == "token":
        # No header, yet signed in by token: it came in the URL or the body, which is refused
        # whatever Flask-Security's settings say.
        api_abort(401, _("Sign in, or send an API token in the Authentication-Token header."))
    if request.method not in SAFE_METHODS:
        _check_csrf()


def api_login_required(view):
    """Decorator for API views: see authenticate(). Put it right under @bp.route, above
    @bp.arguments, so an unauthenticated caller gets 401 before the body is even parsed."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return wrapper


def install(app: Flask) -> None:
    """Refuse tokens in URLs under /api/ before anything else looks at the request."""

    @app.before_request
    def _refuse_token_in_url():
        if not request.path.startswith(API_PREFIX):
            return None
        names = {name.lower() for name in request.args}
        configured = current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_KEY")
        refused = set(TOKEN_QUERY_PARAMETERS) | ({configured.lower()} if configured else set())
        if names & refused:
            api_abort(400, _("Never put an API token in a URL; send it in the "
                             "Authentication-Token header."))
        return None
