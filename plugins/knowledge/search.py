"""The knowledge base's search source: published articles, found by everyone signed in.

Only the published version is indexed (title weighted above body by the core), with facets
to filter on (space, the category and its ancestors, tags, kind). Drafts are never indexed,
so nobody finds a draft through search; the database check of the core search service
still decides for every hit (an article archived a moment ago is not shown).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import SearchSource

from plugins.knowledge.models import ARCHIVED, SPACE_LABELS, KnowledgeArticle as Article


def article_document(article: Article) -> dict:
    from plugins.knowledge.services import ancestor_ids

    path = []
    category = article.category
    while category is not None and len(path) < 8:
        path.insert(0, category.name)
        category = category.parent
    space = str(SPACE_LABELS.get(article.space, article.space))
    return {
        "title": article.published_title or article.title,
        "body": article.published_text or "",
        "keywords": " ".join([tag.name for tag in article.tags] + path),
        "detail": " / ".join([space, *path]),
        "public": True,
        "facets": {"space": article.space, "category": ancestor_ids(article.category),
                   "tag": [tag.name for tag in article.tags], "kind": article.kind},
    }


ARTICLES = SearchSource(
    "knowledge.article", _l("Knowledge"), Article, article_document,
    url=lambda article: f"/knowledge/articles/{article.id}", icon="bi-journal-text",
    query=lambda statement: statement.where(Article.published_at.isnot(None), Article.status != ARCHIVED),
    order=60,
)
