"""The homepage shell, the lazy widget endpoint and layout saving."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_security import auth_required, current_user

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.homepage import services, widget_cache

log = logging.getLogger(__name__)
bp = Blueprint("homepage", __name__)
bp.record_once(lambda state: widget_cache.init_app(state.app))


@bp.route("/")
@auth_required("session")
def index():
    """The shell: the layout at once, every widget loads from its own endpoint."""
    placed, version = services.effective_layout(current_user)
    placed_keys = {item.key for item in placed}
    addable = [w for k, w in services.available_widgets(current_user).items() if k not in placed_keys]
    return render_template(
        "homepage/index.html", placed=placed, layout_version=version, addable=addable,
        widths=services.WIDTHS,
    )


@bp.route("/homepage/widgets/<key>")
@auth_required("session")
def widget(key: str):
    widget = services.available_widgets(current_user).get(key)
    if widget is None:
        abort(404)
    try:
        body = widget_cache.render(widget, current_user)
    except Exception:
        # A broken widget shows a small error card; the rest of the homepage keeps working.
        log.exception("homepage widget %s failed", key)
        db.session.rollback()
        return render_template("homepage/widget_error.html", widget=widget), 200, {"X-Widget-Error": "1"}
    return body


@bp.route("/homepage/layout", methods=["POST"])
@auth_required("session")
def save_layout():
    payload = request.get_json(silent=True) or {}
    try:
        version = services.save_layout(current_user, payload.get("widgets"), payload.get("version"))
    except ServiceError as exc:
        db.session.rollback()
        return jsonify({"code": exc.status_code, "message": str(exc.message)}), exc.status_code
    db.session.commit()
    return jsonify({"version": version, "message": _("Layout saved.")})


@bp.route("/homepage/layout/reset", methods=["POST"])
@auth_required("session")
def reset_layout():
    services.reset_layout(current_user)
    db.session.commit()
    return jsonify({"message": _("Layout reset to your role's default.")})
