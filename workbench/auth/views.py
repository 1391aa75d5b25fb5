"""Account pages: single sign-on routes, the user's own settings (language, API token)."""
from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user, login_user


from workbench.app_setup import LOCALES
from workbench.auth import sso
from workbench.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.record_once
def _setup(state):
    sso.init_sso(state.app)


@bp.route("/sso/login")
def sso_login():
    if not sso.sso_enabled():
        abort(404)
    next_url = request.args.get("next")
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        session["sso_next"] = next_url
    redirect_uri = url_for("auth.sso_callback", _external=True)
    extra = {}
    if request.args.get("login_hint"):
        extra["login_hint"] = request.args["login_hint"]
    return sso.oauth.corporate.authorize_redirect(redirect_uri, **extra)


@bp.route("/sso/callback")
def sso_callback():
    if not sso.sso_enabled():
        abort(404)
    try:
        token = sso.oauth.corporate.authorize_access_token()
    except OAuthError as exc:
        log.warning("SSO sign-in refused by the provider: %s", exc)
        return render_template("auth/sso_failed.html", reason="provider", detail=exc.error), 401
    claims = dict(token.get("userinfo") or {})
    try:
        user = sso.user_for_claims(claims)
    except sso.UnmappedIdentity as exc:
        db.session.rollback()
        log.warning("SSO claims of %s do not map: %s", claims.get("sub"), exc.reason)
        return render_template("auth/sso_failed.html", reason=exc.reason, claims=exc.claims), 403
    if not user.active:
        db.session.rollback()
        return render_template("auth/sso_failed.html", reason="inactive"), 403
    login_user(user, authn_via=["sso"])
    db.session.commit()
    next_url = session.pop("sso_next", None)
    return redirect(next_url or url_for("homepage.index"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in LOCALES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("homepage.index")
    return redirect(target)


@bp.route("/account", methods=["GET"])
@auth_required("session")
def account():
    return render_template("auth/account.html", locales=LOCALES)


@bp.route("/account/api-token", methods=["POST"])
@auth_required("session")
def new_api_token():
    """Show a fresh API token once. Tokens are bound to the account's uniquifier, so
    changing the password (which rotates it) ends every token and session."""
    if not current_user.can("api.use"):
        abort(403)
    token = current_user.get_auth_token()
    flash(_("Your API token was created. Copy it now; it will not be shown again."), "success")
    return render_template("auth/account.html", locales=LOCALES, api_token=token)
