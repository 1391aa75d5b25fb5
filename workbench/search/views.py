"""The search pages: results of the header's search box, and autocomplete as JSON."""
from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, jsonify, render_template, request
from flask_security import auth_required, current_user

from workbench.errors import ServiceError
from workbench.search import services

bp = Blueprint("search", __name__, url_prefix="/search")

SUGGEST_LIMIT = 10


@bp.route("/")
@auth_required("session")
def results():
    """Grouped by type (the best few of each) without a type filter; one type, paged, with."""
    type_key = request.args.get("type") or None
    page = request.args.get("page", 1, type=int)
    error = None
    try:
        outcome = services.search(current_user, request.args.get("q"), type_key)
    except ServiceError as exc:
        error, type_key = exc.message, None
        outcome = services.search(current_user, request.args.get("q"))
    sources = services.sources_for(current_user)
    result_page = groups = None
    if outcome.searched:
        if type_key:
            result_page = services.result_page(outcome, type_key, page, current_app.config["WORKBENCH_PAGE_SIZE"])
        else:
            groups = services.groups(outcome)
    return render_template("search/results.html", outcome=outcome, type_key=type_key, error=error,
                           sources=sources, result_page=result_page, groups=groups)


@bp.route("/suggest")
@auth_required("session")
def suggest():
    """GET /search/suggest?type=customer&q=华为 → {"items": [{id, title, detail, url}]}:
    records of that type in the reader's scope whose words start with what was typed."""
    try:
        limit = min(max(request.args.get("limit", SUGGEST_LIMIT, type=int), 1), SUGGEST_LIMIT)
        items = services.suggest(current_user, request.args.get("q"), request.args.get("type"), limit=limit)
    except ServiceError as exc:
        return jsonify({"message": str(exc.message), "field": exc.field}), 400
    return jsonify({"items": [{"id": item.record_id, "title": item.title, "detail": item.detail,
                               "url": item.url} for item in items]})


@bp.app_context_processor
def search_box_context():
    """The header box keeps the words on the results page."""
    if has_request_context() and request.blueprint == "search":
        return {"search_box_query": (request.args.get("q") or "")[:200]}
    return {"search_box_query": ""}
