"""Authentication for the JSON API: a token in the Authentication-Token header for API
clients, or the browser session — in which case state-changing calls need the CSRF token
(X-CSRFToken header), exactly as forms do."""
from __future__ import annotations

from functools import wraps

from flask import request
from flask_login import current_user
from flask_smorest import abort
from flask_wtf.csrf import CSRFError

from workbench.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def api_login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, message="Sign in, or send an API token in the Authentication-Token header.")
        token_header = request.headers.get("Authentication-Token")
        if not token_header and request.method not in SAFE_METHODS:
            try:
                csrf.protect()
            except CSRFError as exc:
                abort(400, message=exc.description)
        return view(*args, **kwargs)

    return wrapper
