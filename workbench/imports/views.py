"""Import pages (placeholder until the import framework lands)."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_security import auth_required

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.route("/")
@auth_required("session")
def index():
    abort(404)
