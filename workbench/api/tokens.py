"""POST /api/v1/auth/token: exchange a username and password for an API token.

Failures count against the same per-account and per-address limits as the sign-in form
(workbench.auth.login_throttle): the limits are attached in register_core_api, after the view
is registered, exactly as protect_login does for the form.
"""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from workbench.api import credentials
from workbench.api.errors import commit_service_call, documents_errors

bp = Blueprint(
    "api_auth", __name__, url_prefix="/api/v1/auth",
    description="API tokens. Send the token in the Authentication-Token header of every call.",
)

TOKEN_ENDPOINT = "api_auth.issue_token"


class TokenRequestSchema(ma.Schema):
    username = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=254))
    password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024))
    code = ma.fields.Str(
        load_default=None, validate=ma.validate.Length(max=16),
        metadata={"description": "The current authenticator code, for accounts with two-factor sign-in."},
    )


class TokenSchema(ma.Schema):
    token = ma.fields.Str(required=True, metadata={
        "description": "Send it in the Authentication-Token header. Never put it in a URL."})
    expires_in = ma.fields.Int(required=True, metadata={"description": "Seconds the token stays valid."})
    username = ma.fields.Str(required=True)


@bp.route("/token", methods=["POST"])
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema)
@documents_errors(bp, 401, 403, 429)
@bp.doc(security=[])
def issue_token(body):
    """Get an API token for a username and password.

    Wrong or unknown credentials answer 401 with one generic message. The account needs the
    `api.use` permission (403 otherwise). Repeated failures are throttled per account and per
    address like the sign-in form (429).
    """
    issued = commit_service_call(
        lambda: credentials.issue_token(body["username"], body["password"], body.get("code"))
    )
    # no-store: the answer is a credential and must not sit in any cache.
    return (
        {"token": issued.token, "expires_in": issued.max_age, "username": issued.user.username},
        200,
        {"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
