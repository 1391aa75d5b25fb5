"""Admin pages (placeholder until the admin pages land)."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_security import auth_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@auth_required("session")
def index():
    abort(404)
