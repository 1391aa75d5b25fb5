"""Global search over JSON: GET /api/v1/search?q=&type=&page=&per_page=.

The same service as the results page, so the same rule holds: only records the caller may
see are returned, counted or highlighted.
"""
from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, documents_errors
from workbench.api.paging import PageArgsSchema, PageSchema
from workbench.errors import ServiceError
from workbench.search import services

bp = Blueprint(
    "api_search", __name__, url_prefix="/api/v1/search",
    description="Global search (全局搜索) over every record type the caller may see.",
)


class SearchArgsSchema(PageArgsSchema):
    q = ma.fields.Str(required=True, metadata={
        "description": "The words to look for: Chinese, English, digits, codes or pinyin initials "
                       "(hwjs finds 华为技术). Longer queries are cut to 100 characters; "
                       "query syntax (AND, *, quotes) is read as plain words."})
    type = ma.fields.Str(metadata={"description": "Only results of this type (a `type` from `counts`)."})

    @ma.validates("q")
    def validate_q(self, value, **_kwargs):
        if not value.strip():
            raise ma.ValidationError(_("Type what you are looking for."))

    @ma.validates("type")
    def validate_type(self, value, **_kwargs):
        if value not in services.sources_for(current_user):
            raise ma.ValidationError(_("There is no result type “%(type)s”.", type=value[:40]))


class SearchResultSchema(ma.Schema):
    type = ma.fields.Str(required=True, metadata={"description": "The result type, e.g. customer."})
    type_label = ma.fields.Str(required=True)
    id = ma.fields.Int(required=True, metadata={"description": "The record's id in its type."})
    title = ma.fields.Str(required=True)
    title_html = ma.fields.Str(required=True, metadata={
        "description": "The title, HTML-escaped, with the matched words in <mark>."})
    snippet_html = ma.fields.Str(required=True, metadata={
        "description": "A passage of the text around the matches, HTML-escaped, matches in <mark>."})
    detail = ma.fields.Str(metadata={"description": "A short line about the record (code, industry …)."})
    url = ma.fields.Str(required=True, metadata={"description": "Page of the record in the workbench."})


class TypeCountSchema(ma.Schema):
    type = ma.fields.Str(required=True)
    label = ma.fields.Str(required=True)
    count = ma.fields.Int(required=True, metadata={"description": "Visible results of this type."})


class SearchPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(SearchResultSchema), required=True)
    counts = ma.fields.List(ma.fields.Nested(TypeCountSchema), required=True, metadata={
        "description": "Results per type, for every type the caller may search."})
    query = ma.fields.Str(required=True, metadata={"description": "The query as searched (trimmed, capped)."})
    notices = ma.fields.List(ma.fields.Str(), required=True, metadata={
        "description": "Messages for the reader, e.g. that the query was shortened."})


@bp.route("")
@api_login_required
@bp.arguments(SearchArgsSchema, location="query")
@bp.response(200, SearchPageSchema)
@documents_errors(bp, 401, 403)
def search(args):
    """Search every record type the caller may see, best matches first.

    Results are checked against the caller's data scope before they are counted or shown;
    `counts` gives the number per type whatever `type` filters.
    """
    type_key = args.get("type")
    try:
        outcome = services.search(current_user, args["q"], type_key)
    except ServiceError as exc:
        api_abort(422, str(exc.message), {"type": [str(exc.message)]})
    page = services.result_page(outcome, type_key, args["page"], args["per_page"])
    return {
        "items": [{
            "type": item.source.key, "type_label": str(item.source.label), "id": item.record_id,
            "title": item.title, "title_html": str(item.title_html), "snippet_html": str(item.snippet_html),
            "detail": item.detail, "url": item.url,
        } for item in page.items],
        "counts": [{"type": count.source.key, "label": str(count.source.label), "count": count.count}
                   for count in outcome.counts],
        "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
        "query": outcome.query, "notices": [str(notice) for notice in outcome.notices],
    }
