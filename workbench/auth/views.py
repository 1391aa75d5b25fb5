"""Account pages: single sign-on routes, the user's own settings (language, API token)."""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user, login_user
from joserfc.errors import JoseError

from workbench.app_setup import LOCALES
from workbench.auth import sso
from workbench.auth.next_url import local_path
from workbench.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

SSO_NEXT_KEY = "sso_next"
# Network trouble talking to the provider (discovery, token or key endpoint).
PROVIDER_UNREACHABLE = (requests.RequestException,)
# The provider said no, the callback does not match our request, or the ID token is invalid.
PROVIDER_REFUSED = (AuthlibBaseError, JoseError)


@bp.record_once
def _setup(state):
    sso.init_sso(state.app)
    if "security.two_factor_rescue" in state.app.view_functions:
        state.app.view_functions["security.two_factor_rescue"] = two_factor_rescue_unavailable


def two_factor_rescue_unavailable():
    """Flask-Security's two-factor "rescue" e-mails a code to the user or a plea to the
    administrators; the workbench sends no such mail (and would fail trying), so the page
    does not exist. The code page tells people to ask an administrator instead."""
    abort(404)


@bp.route("/sso/login")
def sso_login():
    """Send the browser to the corporate provider; it comes back to /sso/callback."""
    if not sso.sso_enabled():
        abort(404)
    # A `next` left over from an abandoned attempt must not steer this one.
    session.pop(SSO_NEXT_KEY, None)
    next_path = local_path(request.args.get("next"))
    if next_path:
        session[SSO_NEXT_KEY] = next_path
    extra = {}
    login_hint = (request.args.get("login_hint") or "").strip()
    if login_hint:
        extra["login_hint"] = login_hint[:255]
    redirect_uri = url_for("auth.sso_callback", _external=True)
    try:
        return sso.corporate_client().authorize_redirect(redirect_uri, **extra)
    except PROVIDER_UNREACHABLE as exc:
        log.warning("SSO provider unreachable: %s", exc)
        return render_template("auth/sso_failed.html", reason="unreachable"), 503


@bp.route("/sso/callback")
def sso_callback():
    """Finish the code flow: exchange the code, verify the ID token, sign the person in."""
    if not sso.sso_enabled():
        abort(404)
    try:
        token = sso.corporate_client().authorize_access_token()
    except PROVIDER_UNREACHABLE as exc:
        log.warning("SSO provider unreachable during the callback: %s", exc)
        return render_template("auth/sso_failed.html", reason="unreachable"), 503
    except PROVIDER_REFUSED as exc:
        # Refused by the provider, a forged or replayed callback (state mismatch), or an ID
        # token that fails verification: nobody is signed in.
        log.warning("SSO sign-in refused: %s", exc)
        return render_template("auth/sso_failed.html", reason="provider"), 403
    claims = dict(token.get("userinfo") or {})
    try:
        user = sso.user_for_claims(claims)
    except sso.SsoRefused as exc:
        db.session.rollback()
        log.warning("SSO sign-in of %s refused: %s", claims.get("sub"), exc.reason)
        return render_template("auth/sso_failed.html", reason=exc.reason, claims=exc.claims), 403
    next_path = local_path(session.pop(SSO_NEXT_KEY, None))
    # The portal does not exempt anyone from two-factor sign-in: an admin when
    # WORKBENCH_ADMIN_2FA_REQUIRED is on (or anyone who turned it on) is sent to set it up or
    # to enter the code, exactly as after a password, and is signed in only after that.
    second_step = current_app.extensions["security"].two_factor_plugins.tf_enter(
        user, False, "sso", next_loc=next_path
    )
    if second_step is not None:
        db.session.commit()
        return second_step
    login_user(user, authn_via=["sso"])
    db.session.commit()
    return redirect(next_path or url_for("homepage.index"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in LOCALES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(local_path(request.form.get("next")) or url_for("homepage.index"))


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
