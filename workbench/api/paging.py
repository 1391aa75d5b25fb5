"""Paging of API lists: `page` and `per_page` in the query, and the answer in the body as
{"items", "total", "page", "per_page", "pages"} — one self-describing object rather than an
X-Pagination header, so a client needs no header parsing and the OpenAPI schema shows it all."""
from __future__ import annotations

import marshmallow as ma

from workbench.extensions import db

MAX_PER_PAGE = 100


class PageArgsSchema(ma.Schema):
    page = ma.fields.Int(load_default=1, validate=ma.validate.Range(min=1),
                         metadata={"description": "Page number, from 1."})
    per_page = ma.fields.Int(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
                             metadata={"description": f"Items per page (at most {MAX_PER_PAGE})."})


class PageSchema(ma.Schema):
    """Subclasses add `items = List(Nested(ItemSchema))`."""

    total = ma.fields.Int(required=True, metadata={"description": "Items matching, on all pages."})
    page = ma.fields.Int(required=True)
    per_page = ma.fields.Int(required=True)
    pages = ma.fields.Int(required=True, metadata={"description": "Number of pages (0 when empty)."})


def paginate(query, args: dict) -> dict:
    """Run a scoped SELECT one page at a time; a page past the end is empty, not an error."""
    result = db.paginate(query, page=args["page"], per_page=args["per_page"], error_out=False,
                         max_per_page=MAX_PER_PAGE)
    return {"items": list(result.items), "total": result.total, "page": result.page,
            "per_page": result.per_page, "pages": result.pages}
