"""The knowledge base over JSON: list / search published articles, read one, write a draft.

GET  /api/v1/knowledge/articles?q=&space=&category=&tag=&sort=&page=&per_page=
GET  /api/v1/knowledge/articles/<id>
POST /api/v1/knowledge/articles            (a new draft of the caller)
Drafts of others answer 404, like missing articles.
"""
from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, documents_errors, from_service_error
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db

from plugins.knowledge import services
from plugins.knowledge.models import KINDS, SPACES, KnowledgeTag as Tag

api_bp = Blueprint("api_knowledge", __name__, url_prefix="/api/v1/knowledge",
                   description="Knowledge base (知识库): published articles, search, drafts.")


class ArticleArgsSchema(PageArgsSchema):
    q = ma.fields.Str(load_default="", metadata={"description": "Words to search (Chinese segmented)."})
    space = ma.fields.Str(validate=ma.validate.OneOf(SPACES))
    category = ma.fields.Int(metadata={"description": "A category id; its sub-categories count too."})
    tag = ma.fields.Str(validate=ma.validate.Length(max=40))
    sort = ma.fields.Str(validate=ma.validate.OneOf(services.SORTS),
                         metadata={"description": "relevance (with q), newest or useful."})


class ArticleSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    title = ma.fields.Str(required=True)
    space = ma.fields.Str(required=True)
    category = ma.fields.Str(allow_none=True)
    tags = ma.fields.List(ma.fields.Str())
    published_at = ma.fields.DateTime(allow_none=True)
    useful_count = ma.fields.Int()
    view_count = ma.fields.Int()
    url = ma.fields.Str(required=True)
    title_html = ma.fields.Str(metadata={"description": "Search only: the title with <mark>ed matches."})
    snippet_html = ma.fields.Str(metadata={"description": "Search only: passages with <mark>ed matches."})


class ArticlePageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ArticleSummarySchema), required=True)


class ArticleSchema(ArticleSummarySchema):
    status = ma.fields.Str(required=True)
    kind = ma.fields.Str(required=True)
    html = ma.fields.Str(required=True, metadata={"description": "Sanitized HTML of the version shown."})
    version = ma.fields.Int(required=True)
    revision = ma.fields.Int(metadata={"description": "Published version number (0: never published)."})
    contexts = ma.fields.List(ma.fields.Str())


class DraftSchema(ma.Schema):
    title = ma.fields.Str(required=True)
    body_html = ma.fields.Str(load_default="")
    space = ma.fields.Str(load_default="business")
    category_id = ma.fields.Int(allow_none=True)
    tags = ma.fields.List(ma.fields.Str(), load_default=list)
    contexts = ma.fields.List(ma.fields.Str(), load_default=list)
    kind = ma.fields.Str(load_default="article", validate=ma.validate.OneOf(KINDS))


def _summary(article) -> dict:
    return {"id": article.id, "title": article.published_title or article.title, "space": article.space,
            "category": article.category.name if article.category else None,
            "tags": [tag.name for tag in article.tags], "published_at": article.published_at,
            "useful_count": article.useful_count, "view_count": article.view_count,
            "url": services.article_link(article)}


@api_bp.route("/articles")
@api_login_required
@api_bp.arguments(ArticleArgsSchema, location="query")
@api_bp.response(200, ArticlePageSchema)
@documents_errors(api_bp, 401, 422)
def list_articles(args):
    """Published articles: searched when `q` is given (best first), else newest first."""
    filters = services.ArticleFilter(q=args["q"].strip(), space=args.get("space"),
                                     category_id=args.get("category"), tag=args.get("tag"),
                                     sort=args.get("sort") or ("relevance" if args["q"].strip() else "newest"))
    if filters.q:
        try:
            results = services.search_articles(current_user, filters, args["page"], args["per_page"])
        except ServiceError as exc:
            raise from_service_error(exc) from None
        articles = {a.id: a for a in db.session.execute(
            services._published().where(services.Article.id.in_([i.record_id for i in results.items]))).scalars()}
        items = []
        for item in results.items:
            if item.record_id in articles:
                items.append({**_summary(articles[item.record_id]), "title_html": str(item.title_html),
                              "snippet_html": str(item.snippet_html)})
        return {"items": items, "total": results.total, "page": results.page, "per_page": results.per_page,
                "pages": results.pages}
    category = None
    if filters.category_id:
        try:
            category = services.get_category(filters.category_id)
        except NotFound:
            api_abort(422, "Unknown category.", {"category": ["Unknown category."]})
    tag = db.session.query(Tag).filter_by(name=filters.tag).first() if filters.tag else None
    if filters.tag and tag is None:
        return {"items": [], "total": 0, "page": args["page"], "per_page": args["per_page"], "pages": 0}
    page = paginate(services.browse_query(filters, category, tag), args)
    page["items"] = [_summary(article) for article in page["items"]]
    return page


@api_bp.route("/articles/<int:article_id>")
@api_login_required
@api_bp.response(200, ArticleSchema)
@documents_errors(api_bp, 401, 404)
def get_article(article_id):
    """One article: the published version, or the working copy for its author and curators."""
    try:
        article = services.get_article(article_id, current_user)
    except NotFound:
        api_abort(404, "Article not found.")
    public_view = article.is_public and not services.can_see_working_copy(current_user, article)
    return {**_summary(article), "status": article.status, "kind": article.kind,
            "title": article.published_title if public_view else article.title,
            "html": article.published_html if public_view else article.body_html,
            "version": article.version, "revision": article.published_revision, "contexts": article.context_keys}


@api_bp.route("/articles", methods=["POST"])
@api_login_required
@api_bp.arguments(DraftSchema)
@api_bp.response(201, ArticleSchema)
@documents_errors(api_bp, 400, 401, 403, 422)
def create_draft(data):
    """Write a new draft (HTML is sanitized on save)."""
    try:
        article = services.create_article(current_user, **data)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise from_service_error(exc) from None
    return {**_summary(article), "status": article.status, "kind": article.kind, "html": article.body_html,
            "version": article.version, "revision": 0, "contexts": article.context_keys}
