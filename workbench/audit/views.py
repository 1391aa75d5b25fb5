"""The history panel: GET /audit/<model_key>/<record_id>, an htmx fragment, newest first.

Answers 404 — as for a missing record — when the reader cannot see the record itself.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_security import auth_required, current_user

from workbench.audit import services
from workbench.audit.models import audit_key
from workbench.errors import NotFound

bp = Blueprint("audit", __name__, url_prefix="/audit")


def render_history(model: type, record, kind: str | None = None, page: int = 1) -> str:
    """The history fragment of a record the reader is known to see."""
    kinds = services.record_kinds(model)
    if kind not in {key for key, _label in kinds}:
        kind = None
    entries = services.history_page(model, record.id, page=page, kind=kind)
    return render_template("audit/_history.html", model_key=audit_key(model), record=record, kind=kind,
                           kinds=kinds, page=entries, rows=services.describe(entries.items, model, record.id))


@bp.route("/<model_key>/<int:record_id>")
@auth_required("session")
def history(model_key: str, record_id: int):
    try:
        model = services.audited_model(model_key)
    except NotFound:
        abort(404)
    record = services.visible_record(model, record_id, current_user)
    if record is None:
        abort(404)
    return render_history(model, record, kind=request.args.get("kind") or None,
                          page=request.args.get("page", 1, type=int))


def customer_section(customer) -> str:
    """The customer page's "History" section: the customer's and its contacts', members' and
    links' changes (the section endpoint has already checked the customer is visible)."""
    from workbench.customers.models import Customer

    return render_history(Customer, customer)
