"""The caller's homepage layout over JSON: read the effective layout, save an arrangement.

Rules (locked widgets, permitted widgets, widths, the version check) are those of
workbench.homepage.services; this module only translates.
"""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import commit_service_call, documents_errors
from workbench.homepage import services

bp = Blueprint(
    "api_homepage", __name__, url_prefix="/api/v1/homepage",
    description="The caller's homepage (工作台) layout.",
)


class PlacedWidgetSchema(ma.Schema):
    key = ma.fields.Str(required=True)
    width = ma.fields.Int(required=True, metadata={"description": "Columns out of 12 on a desktop."})
    locked = ma.fields.Bool(required=True, metadata={
        "description": "Placed by the role's default layout; the user cannot move or remove it."})
    title = ma.fields.Str(required=True)


class AvailableWidgetSchema(ma.Schema):
    key = ma.fields.Str(required=True)
    title = ma.fields.Str(required=True)
    description = ma.fields.Str()
    default_width = ma.fields.Int()


class LayoutSchema(ma.Schema):
    version = ma.fields.Int(required=True, metadata={
        "description": "Send it back when saving; 0 until the user saves a layout."})
    widgets = ma.fields.List(ma.fields.Nested(PlacedWidgetSchema), required=True,
                             metadata={"description": "In display order, locked widgets first."})
    available = ma.fields.List(ma.fields.Nested(AvailableWidgetSchema), required=True,
                               metadata={"description": "Widgets the user may add."})


class LayoutItemSchema(ma.Schema):
    key = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    width = ma.fields.Int(validate=ma.validate.OneOf(services.WIDTHS), metadata={
        "description": "Columns out of 12; the widget's default when left out."})


class LayoutUpdateSchema(ma.Schema):
    widgets = ma.fields.List(ma.fields.Nested(LayoutItemSchema), required=True, metadata={
        "description": "The user's unlocked widgets in order; locked ones are placed anyway."})
    version = ma.fields.Int(required=True, validate=ma.validate.Range(min=0), metadata={
        "description": "The version read; 409 if the layout was saved elsewhere since."})


def _layout() -> dict:
    placed, version = services.effective_layout(current_user)
    placed_keys = {item.key for item in placed}
    return {
        "version": version,
        "widgets": [
            {"key": item.key, "width": item.width, "locked": item.locked, "title": str(item.widget.title)}
            for item in placed
        ],
        "available": [
            {"key": key, "title": str(widget.title), "description": str(widget.description or ""),
             "default_width": widget.default_width}
            for key, widget in services.available_widgets(current_user).items()
            if key not in placed_keys
        ],
    }


@bp.route("/layout")
@api_login_required
@bp.response(200, LayoutSchema)
@documents_errors(bp, 401, 403)
def get_layout():
    """The caller's effective homepage: locked widgets first, then their own arrangement."""
    return _layout()


@bp.route("/layout", methods=["PUT"])
@api_login_required
@bp.arguments(LayoutUpdateSchema)
@bp.response(200, LayoutSchema)
@documents_errors(bp, 400, 401, 403, 409)
def save_layout(body):
    """Save the caller's arrangement of their unlocked widgets.

    Refused whole (400, nothing saved) for a widget that is unknown or not permitted; 409 when
    the layout was saved elsewhere (another tab) since `version` was read.
    """
    commit_service_call(lambda: services.save_layout(current_user, body["widgets"], body["version"]))
    return _layout()
