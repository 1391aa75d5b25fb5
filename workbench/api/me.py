"""GET /api/v1/me: the signed-in user, their roles, permissions and data scope."""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import documents_errors

bp = Blueprint("api_me", __name__, url_prefix="/api/v1", description="The signed-in user")


class UnitSchema(ma.Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    level = ma.fields.Str()


class MeSchema(ma.Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    display_name = ma.fields.Str()
    roles = ma.fields.List(ma.fields.Str())
    permissions = ma.fields.List(ma.fields.Str())
    scope_level = ma.fields.Str(metadata={"description": "none, own, unit or all"})
    org_unit = ma.fields.Nested(UnitSchema, allow_none=True)


@bp.route("/me")
@api_login_required
@bp.response(200, MeSchema)
@documents_errors(bp, 401, 403)
def me():
    """The signed-in user, their roles, permissions and data scope."""
    return {
        "id": current_user.id,
        "username": current_user.username,
        "display_name": current_user.name,
        "roles": sorted(current_user.role_names),
        "permissions": sorted(current_user.permission_set),
        "scope_level": current_user.scope.level,
        "org_unit": current_user.org_unit,
    }
