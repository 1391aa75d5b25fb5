"""The knowledge base's rules: categories and tags, writing and curating articles (draft →
in review → published → archived), versions, diffs and restore, readers' ratings, comments
and views, search, and the articles shown beside the pages of a help context.

Functions take the acting user, change the session and leave committing to the caller.
Visibility: published articles are shared with everyone signed in; a working copy (draft,
in review, archived) is seen by its author, the author's managers (the central scope rule)
and knowledge curators (`knowledge.curate`), who read past the scope on purpose.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from workbench.auth.models import User
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.notify.services import notify
from workbench.records import EditConflict, utcnow

from plugins.knowledge.models import (
    ARCHIVED, DRAFT, IN_REVIEW, KINDS, PUBLISHED, SPACES, KnowledgeArticle as Article,
    KnowledgeArticleContext as ArticleContext, KnowledgeCategory as Category, KnowledgeComment as Comment,
    KnowledgeRating as Rating, KnowledgeRevision as Revision, KnowledgeTag as Tag,
)
from plugins.knowledge.sanitize import clean_html, html_to_text, plain_text

CURATE = "knowledge.curate"
WRITE = "knowledge.write"
REVIEW_TODO = "knowledge.review"
REVISE_TODO = "knowledge.revise"
SOURCE_TYPE = "knowledge_article"
SEARCH_KEY = "knowledge.article"
TITLE_MAX = 200
BODY_MAX = 500_000
TAG_MAX = 40
TAGS_PER_ARTICLE = 12
SORTS = ("relevance", "newest", "useful")


def article_link(article) -> str:
    return f"/knowledge/articles/{article.id}"


def can_curate(user) -> bool:
    return bool(user and user.can(CURATE))


# --- categories and tags ---------------------------------------------------------------------

def check_space(space: str | None) -> str:
    if space not in SPACES:
        raise ServiceError(_l("Choose a space: business or system knowledge."), field="space")
    return space


def categories(space: str | None = None, active_only: bool = True) -> list[Category]:
    statement = select(Category).order_by(Category.space, Category.order, Category.name)
    if space:
        statement = statement.where(Category.space == space)
    if active_only:
        statement = statement.where(Category.active.is_(True))
    return list(db.session.execute(statement).scalars())


@dataclass
class CategoryNode:
    category: Category
    depth: int
    children: list = field(default_factory=list)


def category_tree(space: str) -> list[CategoryNode]:
    """The space's categories as a flat list in tree order, each with its depth."""
    items = categories(space)
    by_parent: dict[int | None, list[Category]] = {}
    for item in items:
        by_parent.setdefault(item.parent_id, []).append(item)
    out: list[CategoryNode] = []

    def walk(parent_id, depth):
        for item in by_parent.get(parent_id, []):
            out.append(CategoryNode(item, depth))
            if depth < 6:
                walk(item.id, depth + 1)

    walk(None, 0)
    return out


def descendant_ids(category: Category) -> list[int]:
    items = categories(category.space)
    by_parent: dict[int | None, list[int]] = {}
    for item in items:
        by_parent.setdefault(item.parent_id, []).append(item.id)
    found, todo = [category.id], [category.id]
    while todo:
        children = by_parent.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def ancestor_ids(category: Category | None) -> list[int]:
    ids, seen = [], set()
    while category is not None and category.id not in seen:
        ids.append(category.id)
        seen.add(category.id)
        category = category.parent
    return ids


def create_category(actor: User, *, space: str, name: str, parent: Category | None = None,
                    order: int = 100) -> Category:
    if not can_curate(actor):
        raise NotAllowed(_l("Only knowledge admins can change the categories."))
    space = check_space(space)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Give the category a name."), field="name")
    if len(name) > 80:
        raise ServiceError(_l("A category name has at most 80 characters."), field="name")
    if parent is not None and parent.space != space:
        raise ServiceError(_l("The parent category belongs to the other space."), field="parent_id")
    siblings = select(Category.id).where(
        Category.space == space, Category.name == name,
        Category.parent_id == parent.id if parent is not None else Category.parent_id.is_(None))
    if db.session.execute(siblings).first():
        raise ServiceError(_l("This category already exists here."), field="name")
    category = Category(space=space, name=name, parent=parent, order=order, active=True)
    db.session.add(category)
    db.session.flush()
    return category


def get_category(category_id) -> Category:
    category = db.session.get(Category, category_id) if str(category_id).isdigit() else None
    if category is None:
        raise NotFound(_l("Category not found."))
    return category


def tags_from_text(text: str | list | None) -> list[Tag]:
    """Tags named in `text` (comma, 、, ，, ; or space separated); new ones are created."""
    if isinstance(text, (list, tuple)):
        names = [str(name) for name in text]
    else:
        names = (text or "").replace("，", ",").replace("、", ",").replace(";", ",").replace("；", ",").split(",")
    cleaned = []
    for name in names:
        name = " ".join(name.split()).lstrip("#")
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise ServiceError(_l("A tag has at most %(count)d characters.", count=TAG_MAX), field="tags")
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > TAGS_PER_ARTICLE:
        raise ServiceError(_l("Use at most %(count)d tags.", count=TAGS_PER_ARTICLE), field="tags")
    found = {tag.name: tag for tag in db.session.execute(select(Tag).where(Tag.name.in_(cleaned))).scalars()}
    tags = []
    for name in cleaned:
        tag = found.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def popular_tags(limit: int = 30) -> list[tuple[Tag, int]]:
    from plugins.knowledge.models import article_tag
    statement = (select(Tag, func.count(article_tag.c.article_id))
                 .join(article_tag, article_tag.c.tag_id == Tag.id)
                 .join(Article, Article.id == article_tag.c.article_id)
                 .where(Article.published_at.isnot(None), Article.status != ARCHIVED)
                 .group_by(Tag.id).order_by(func.count(article_tag.c.article_id).desc(), Tag.name).limit(limit))
    return [(tag, count) for tag, count in db.session.execute(statement).all()]


# --- help contexts ---------------------------------------------------------------------------

def declared_contexts() -> dict:
    from workbench.plugins import registry
    return dict(registry().help_contexts)


def _check_contexts(keys, current: list[str]) -> list[str]:
    declared = declared_contexts()
    chosen = []
    for key in keys or ():
        key = str(key).strip()
        if not key:
            continue
        if key not in declared and key not in current:
            raise ServiceError(_l("“%(key)s” is not a page that shows knowledge.", key=key[:60]), field="contexts")
        if key not in chosen:
            chosen.append(key)
    return chosen


# --- reading ---------------------------------------------------------------------------------

def _unscoped(statement):
    # Knowledge curators review every author's working copies: they read past the scope rule
    # on purpose, after the permission check in the caller.
    return statement.execution_options(skip_scope=True)


def get_article(article_id, user: User | None = None) -> Article:
    """An article the user may see (published, or a working copy in their scope, or any when
    they curate); NotFound otherwise — a hidden draft looks absent."""
    if not str(article_id).isdigit():
        raise NotFound(_l("Article not found."))
    statement = select(Article).where(Article.id == int(article_id))
    if can_curate(user):
        statement = _unscoped(statement)
    article = db.session.execute(statement).scalar_one_or_none()
    if article is None:
        raise NotFound(_l("Article not found."))
    return article


def can_edit(user: User, article: Article) -> bool:
    if can_curate(user):
        return article.status != ARCHIVED
    return (article.owner_id == user.id and user.can(WRITE)
            and article.status in (DRAFT,) and article.published_at is None)


def can_see_working_copy(user: User, article: Article) -> bool:
    return can_curate(user) or article.owner_id == user.id


@dataclass
class ArticleFilter:
    q: str = ""
    space: str | None = None
    category_id: int | None = None
    tag: str | None = None
    sort: str = "relevance"
    kind: str | None = None


def _published():
    return select(Article).where(Article.published_at.isnot(None), Article.status != ARCHIVED)


def browse_query(filters: ArticleFilter, category: Category | None = None, tag: Tag | None = None):
    """Published articles without a search text, filtered and sorted (newest by default)."""
    statement = _published()
    if filters.space:
        statement = statement.where(Article.space == filters.space)
    if category is not None:
        statement = statement.where(Article.category_id.in_(descendant_ids(category)))
    if tag is not None:
        statement = statement.where(Article.tags.any(Tag.id == tag.id))
    if filters.kind:
        statement = statement.where(Article.kind == filters.kind)
    if filters.sort == "useful":
        return statement.order_by(Article.useful_count.desc(), Article.published_at.desc(), Article.id.desc())
    return statement.order_by(Article.published_at.desc(), Article.id.desc())


@dataclass
class SearchResults:
    items: list
    page: int
    per_page: int
    total: int
    notices: list = field(default_factory=list)

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def search_articles(user: User, filters: ArticleFilter, page: int = 1, per_page: int = 20) -> SearchResults:
    """Full-text search of published articles through the core search service: Chinese
    segmentation, title above body, highlights; filtered by space / category (and below) /
    tag in the index; sorted by relevance, or by the database's newest / most useful."""
    from workbench.search import services as search

    facet_filters: dict[str, list] = {}
    if filters.space:
        facet_filters["space"] = [filters.space]
    if filters.category_id:
        facet_filters["category"] = [filters.category_id]
    if filters.tag:
        facet_filters["tag"] = [filters.tag]
    if filters.kind:
        facet_filters["kind"] = [filters.kind]
    outcome = search.search_type(user, filters.q, SEARCH_KEY, facet_filters)
    hits = outcome.hits
    page = max(1, page)
    if filters.sort in ("newest", "useful") and hits:
        # The database orders the checked hits and returns only the page: a page of 20 rows
        # rather than a row per hit to sort here.
        order = [Article.published_at.desc().nulls_last(), Article.id.desc()]
        if filters.sort == "useful":
            order.insert(0, Article.useful_count.desc().nulls_last())
        by_id = {hit.record_id: hit for hit in hits}
        page_ids = db.session.execute(select(Article.id).where(Article.id.in_(list(by_id))).order_by(*order)
                                      .limit(per_page).offset((page - 1) * per_page)).scalars()
        chosen = [by_id[article_id] for article_id in page_ids]
    else:
        chosen = hits[(page - 1) * per_page: page * per_page]
    items = search.present(outcome.query, chosen)
    return SearchResults(items=items, page=page, per_page=per_page, total=len(hits), notices=list(outcome.notices))


def my_articles(user: User, status: str | None = None):
    statement = select(Article).where(Article.owner_id == user.id)
    if status:
        statement = statement.where(Article.status == status)
    return statement.order_by(Article.updated_at.desc(), Article.id.desc())


def review_queue():
    return _unscoped(select(Article).where(Article.status == IN_REVIEW).order_by(Article.submitted_at, Article.id))


def curator_query(status: str | None = None, q: str = ""):
    statement = select(Article)
    if status:
        statement = statement.where(Article.status == status)
    if q:
        statement = statement.where(Article.title.contains(q, autoescape=True))
    return _unscoped(statement.order_by(Article.updated_at.desc(), Article.id.desc()))


def most_useful(limit: int = 5) -> list[Article]:
    return list(db.session.execute(
        _published().where(Article.useful_count > 0)
        .order_by(Article.useful_count.desc(), Article.published_at.desc()).limit(limit)).scalars())


def new_this_week(limit: int = 6, now=None) -> list[Article]:
    since = (now or utcnow()) - timedelta(days=7)
    return list(db.session.execute(
        _published().where(Article.first_published_at >= since)
        .order_by(Article.first_published_at.desc(), Article.id.desc()).limit(limit)).scalars())


def articles_for_context(context_key: str, limit: int = 8) -> list[Article]:
    statement = (_published().join(ArticleContext, ArticleContext.article_id == Article.id)
                 .where(ArticleContext.context_key == context_key)
                 .order_by(Article.useful_count.desc(), Article.published_at.desc()).limit(limit))
    return list(db.session.execute(statement).scalars())


def articles_for_customer(customer, limit: int = 20) -> list[Article]:
    return list(db.session.execute(
        _published().where(Article.customer_id == customer.id).order_by(Article.published_at.desc())
        .limit(limit)).scalars())


def counts_by_space() -> dict[str, int]:
    rows = db.session.execute(
        select(Article.space, func.count(Article.id))
        .where(Article.published_at.isnot(None), Article.status != ARCHIVED).group_by(Article.space)).all()
    counts = {space: 0 for space in SPACES}
    counts.update({space: count for space, count in rows})
    return counts


# --- writing ---------------------------------------------------------------------------------

def _clean_fields(*, title, body_html, space, category_id):
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError(_l("Give the article a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("A title has at most %(count)d characters.", count=TITLE_MAX), field="title")
    space = check_space(space)
    if body_html and len(body_html) > BODY_MAX:
        raise ServiceError(_l("The text is too long (at most %(count)d characters).", count=BODY_MAX),
                           field="body_html")
    body = clean_html(body_html)
    category = None
    if category_id not in (None, "", 0, "0"):
        category = get_category(category_id)
        if category.space != space:
            raise ServiceError(_l("This category belongs to the other space."), field="category_id")
    return title, body, space, category


def create_article(actor: User, *, title: str, body_html: str = "", space: str = "business",
                   category_id=None, tags=None, contexts=None, kind: str = "article",
                   customer_id=None) -> Article:
    """A new draft written by `actor` (in the actor's unit)."""
    if not (actor.can(WRITE) or can_curate(actor)):
        raise NotAllowed(_l("You cannot write knowledge articles."))
    if kind not in KINDS:
        raise ServiceError(_l("Unknown kind of article."), field="kind")
    if actor.org_unit_id is None:
        raise ServiceError(_l("You need an org unit to write articles."))
    title, body, space, category = _clean_fields(title=title, body_html=body_html, space=space,
                                                 category_id=category_id)
    customer = _check_customer(customer_id)
    article = Article(kind=kind, space=space, category=category, title=title, body_html=body,
                      body_text=html_to_text(body), status=DRAFT, owner_id=actor.id, org_unit_id=actor.org_unit_id,
                      customer_id=customer.id if customer else None)
    article.tags = tags_from_text(tags)
    article.contexts = [ArticleContext(context_key=key) for key in _check_contexts(contexts, [])]
    db.session.add(article)
    db.session.flush()
    _claim_images(actor, article)
    emit("knowledge.article_created", actor=actor, article_id=article.id, kind=kind, space=space)
    return article


def _check_customer(customer_id):
    if customer_id in (None, "", 0, "0"):
        return None
    from workbench.customers.services import get_customer
    try:
        return get_customer(int(customer_id))
    except (NotFound, ValueError, TypeError):
        raise ServiceError(_l("Choose a customer you look after."), field="customer_id") from None


def update_article(actor: User, article: Article, *, version, title: str, body_html: str, space: str,
                   category_id=None, tags=None, contexts=None, customer_id=None) -> Article:
    """Change the working copy. A published article keeps showing its published version to
    readers until the change is approved (it becomes a draft with unpublished changes)."""
    if not can_edit(actor, article):
        raise NotAllowed(_l("You cannot edit this article now."))
    try:
        article.check_version(version)
    except EditConflict:
        raise Conflict(_l("Someone else changed this article meanwhile. Reload it and make your change again.")) \
            from None
    title, body, space, category = _clean_fields(title=title, body_html=body_html, space=space,
                                                 category_id=category_id)
    keys = _check_contexts(contexts, article.context_keys)
    customer = _check_customer(customer_id) if customer_id not in (None, "", 0, "0") else None
    content_changed = title != article.title or body != article.body_html
    article.title, article.body_html, article.body_text = title, body, html_to_text(body)
    article.space, article.category = space, category
    article.customer_id = customer.id if customer else None
    article.tags = tags_from_text(tags)
    existing = {context.context_key: context for context in article.contexts}
    article.contexts = [existing.get(key) or ArticleContext(context_key=key) for key in keys]
    if content_changed and article.status == PUBLISHED:
        article.status = DRAFT
    _flush_or_conflict()
    _claim_images(actor, article)
    emit("knowledge.article_updated", actor=actor, article_id=article.id)
    return article


def _claim_images(actor, article):
    from plugins.knowledge.files import claim_images

    claim_images(actor, article)


def _flush_or_conflict():
    """Flush: the UPDATE carries `WHERE id = ? AND version = ?` (the version the change was
    based on, which also fixes the state it saw); no row matched means another actor moved
    the article first — of two concurrent actors one wins and the other is told."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else acted on this article at the same moment. Reload it to see "
                          "what changed.")) from None


def _curators() -> list[User]:
    """Who reviews: the knowledge admins; only when there are none, anyone else who may curate."""
    users = [user for user in db.session.execute(
                 select(User).where(User.active.is_(True)).options(selectinload(User.roles))).scalars()
             if user.can(CURATE)]
    admins = [user for user in users if "knowledge_admin" in user.role_names]
    return admins or users


def _transition(article: Article, expected: tuple[str, ...], new_status: str, message) -> None:
    if article.status not in expected:
        raise Conflict(message)
    article.status = new_status


def submit(actor: User, article: Article) -> Article:
    """draft → in review; the knowledge admins get a review to-do."""
    if article.owner_id != actor.id and not can_curate(actor):
        raise NotAllowed(_l("Only the author can submit this article."))
    if not (article.body_text or "").strip():
        raise ServiceError(_l("Write the text before submitting the article."), field="body_html")
    _transition(article, (DRAFT,), IN_REVIEW, _l("Only a draft can be submitted for review."))
    article.submitted_at = utcnow()
    article.review_comment = ""
    _flush_or_conflict()
    inbox.close_todos_for((SOURCE_TYPE, article.id), actor=actor, kind=REVISE_TODO, note="submitted")
    label = _l("Experience sharing") if article.kind == "experience" else _l("Article")
    for curator in _curators():
        inbox.open_todo(kind=REVIEW_TODO, title=f"{article.title}"[:200], assignee=curator,
                        due_at=utcnow() + timedelta(days=3), link=article_link(article),
                        customer=article.customer_id, source=(SOURCE_TYPE, article.id), created_by=actor,
                        description=str(label))
    emit("knowledge.article_submitted", actor=actor, article_id=article.id, owner_id=article.owner_id,
         kind=article.kind)
    return article


def approve(actor: User, article: Article, note: str = "") -> Revision:
    """in review (or a curator's own draft) → published: a new version readers now see."""
    if not can_curate(actor):
        raise NotAllowed(_l("Only knowledge admins can publish articles."))
    if not (article.body_text or "").strip():
        raise ServiceError(_l("An article without text cannot be published."), field="body_html")
    _transition(article, (IN_REVIEW, DRAFT), PUBLISHED, _l("This article is not waiting to be published."))
    now = utcnow()
    number = article.published_revision + 1
    revision = Revision(article_id=article.id, number=number, title=article.title, body_html=article.body_html,
                        body_text=article.body_text, note=plain_text(note, 200), author_id=article.owner_id,
                        approved_by_id=actor.id, created_at=now)
    db.session.add(revision)
    article.published_revision = number
    article.published_title, article.published_html = article.title, article.body_html
    article.published_text = article.body_text
    article.published_at = now
    article.first_published_at = article.first_published_at or now
    article.reviewer_id = actor.id
    article.review_comment = ""
    _flush_or_conflict()
    inbox.close_todos_for((SOURCE_TYPE, article.id), actor=actor, note="published")
    if article.owner_id and article.owner_id != actor.id:
        notify(db.session.get(User, article.owner_id), "notice",
               _l("Your article “%(title)s” was published.", title=article.title), link=article_link(article))
    emit("knowledge.article_published", actor=actor, article_id=article.id, revision=number,
         owner_id=article.owner_id, space=article.space, title=article.title)
    return revision


def send_back(actor: User, article: Article, comment: str) -> Article:
    """in review → draft with the reviewer's comment; the author gets a to-do to revise."""
    if not can_curate(actor):
        raise NotAllowed(_l("Only knowledge admins can review articles."))
    comment = plain_text(comment, 2000)
    if not comment:
        raise ServiceError(_l("Say what the author should change."), field="comment")
    _transition(article, (IN_REVIEW,), DRAFT, _l("This article is not in review."))
    article.review_comment = comment
    article.reviewer_id = actor.id
    _flush_or_conflict()
    inbox.close_todos_for((SOURCE_TYPE, article.id), actor=actor, kind=REVIEW_TODO, note="sent back")
    author = db.session.get(User, article.owner_id) if article.owner_id else None
    if author is not None:
        inbox.open_todo(kind=REVISE_TODO, title=article.title[:200], assignee=author,
                        due_at=utcnow() + timedelta(days=5), link=article_link(article),
                        source=(SOURCE_TYPE, article.id), created_by=actor, description=comment[:500])
    emit("knowledge.article_sent_back", actor=actor, article_id=article.id, owner_id=article.owner_id,
         comment=comment)
    return article


def withdraw(actor: User, article: Article) -> Article:
    """in review → draft, by the author (to change something before the review)."""
    if article.owner_id != actor.id and not can_curate(actor):
        raise NotAllowed(_l("Only the author can withdraw this article."))
    _transition(article, (IN_REVIEW,), DRAFT, _l("This article is not in review."))
    _flush_or_conflict()
    inbox.close_todos_for((SOURCE_TYPE, article.id), actor=actor, kind=REVIEW_TODO, note="withdrawn")
    emit("knowledge.article_withdrawn", actor=actor, article_id=article.id)
    return article


def archive(actor: User, article: Article) -> Article:
    if not can_curate(actor):
        raise NotAllowed(_l("Only knowledge admins can archive articles."))
    _transition(article, (DRAFT, IN_REVIEW, PUBLISHED), ARCHIVED, _l("This article is already archived."))
    _flush_or_conflict()
    inbox.close_todos_for((SOURCE_TYPE, article.id), actor=actor, note="archived")
    emit("knowledge.article_archived", actor=actor, article_id=article.id)
    return article


def unarchive(actor: User, article: Article) -> Article:
    if not can_curate(actor):
        raise NotAllowed(_l("Only knowledge admins can bring back archived articles."))
    _transition(article, (ARCHIVED,), PUBLISHED if article.published_at else DRAFT,
                _l("This article is not archived."))
    if article.published_at:
        # Back to what readers saw last; any unpublished change was archived with it.
        article.title, article.body_html = article.published_title, article.published_html
        article.body_text = article.published_text
    _flush_or_conflict()
    emit("knowledge.article_unarchived", actor=actor, article_id=article.id)
    return article


# --- versions --------------------------------------------------------------------------------

def revisions(article: Article) -> list[Revision]:
    return list(db.session.execute(select(Revision).where(Revision.article_id == article.id)
                                   .order_by(Revision.number.desc())).scalars())


def get_revision(article: Article, number) -> Revision:
    revision = None
    if str(number).isdigit():
        revision = db.session.execute(select(Revision).where(
            Revision.article_id == article.id, Revision.number == int(number))).scalar_one_or_none()
    if revision is None:
        raise NotFound(_l("This version does not exist."))
    return revision


def restore(actor: User, article: Article, revision: Revision) -> Article:
    """Put an older version back as the working copy (a draft). Nothing is lost: every
    version stays, and publishing the restored text makes a new version."""
    if not can_curate(actor) and not (article.owner_id == actor.id and actor.can(WRITE)):
        raise NotAllowed(_l("You cannot restore versions of this article."))
    if article.status == ARCHIVED:
        raise Conflict(_l("Bring the article back from the archive first."))
    if article.status == IN_REVIEW:
        raise Conflict(_l("The article is in review; withdraw or review it first."))
    article.title, article.body_html, article.body_text = revision.title, revision.body_html, revision.body_text
    article.status = DRAFT
    _flush_or_conflict()
    emit("knowledge.article_restored", actor=actor, article_id=article.id, revision=revision.number)
    return article


@dataclass
class DiffRow:
    """One row of a side-by-side diff: `kind` is equal / insert / delete / replace."""

    kind: str
    left: Markup
    right: Markup


def _mark_inline(old: str, new: str) -> tuple[Markup, Markup]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    left, right = [], []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        a, b = escape(old[a1:a2]), escape(new[b1:b2])
        if tag == "equal":
            left.append(a)
            right.append(b)
        else:
            if a:
                left.append(Markup('<del class="bg-danger-subtle">%s</del>') % a)
            if b:
                right.append(Markup('<ins class="bg-success-subtle">%s</ins>') % b)
    return Markup("").join(left), Markup("").join(right)


def diff(old_text: str, new_text: str) -> list[DiffRow]:
    """Side-by-side diff of two texts, line by line, with changed characters marked (Chinese
    has no spaces, so a word diff would be a line diff)."""
    old_lines, new_lines = (old_text or "").splitlines(), (new_text or "").splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", escape(line), escape(line)) for line in old_lines[a1:a2])
        elif tag == "delete":
            rows.extend(DiffRow("delete", escape(line), Markup("")) for line in old_lines[a1:a2])
        elif tag == "insert":
            rows.extend(DiffRow("insert", Markup(""), escape(line)) for line in new_lines[b1:b2])
        else:
            olds, news = old_lines[a1:a2], new_lines[b1:b2]
            for n in range(max(len(olds), len(news))):
                old = olds[n] if n < len(olds) else ""
                new = news[n] if n < len(news) else ""
                left, right = _mark_inline(old, new)
                rows.append(DiffRow("replace", left, right))
    return rows


def diff_revisions(article: Article, old: Revision, new: Revision | None) -> list[DiffRow]:
    """Diff of version `old` against `new` (None: the current working copy)."""
    new_title = new.title if new else article.title
    new_text = new.body_text if new else article.body_text
    return diff(f"# {old.title}\n{old.body_text}", f"# {new_title}\n{new_text}")


# --- readers ---------------------------------------------------------------------------------

def record_view(article: Article) -> None:
    """One more view (an UPDATE of the counter only: no new version, no re-indexing)."""
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(view_count=Article.view_count + 1)
                       .execution_options(synchronize_session=False))


def _require_public(article: Article) -> None:
    if not article.is_public:
        raise ServiceError(_l("Only published articles can be rated or commented on."))


def has_rated(user: User, article: Article) -> bool:
    return db.session.execute(select(Rating.id).where(Rating.article_id == article.id,
                                                      Rating.user_id == user.id)).first() is not None


def rate_useful(user: User, article: Article) -> bool:
    """Mark the article useful, once per reader. Returns False when already rated (a second
    rating, concurrent or not, counts nothing: the unique (article, user) pair decides)."""
    _require_public(article)
    try:
        with db.session.begin_nested():
            db.session.add(Rating(article_id=article.id, user_id=user.id))
            db.session.flush()
    except IntegrityError:
        return False
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(useful_count=Article.useful_count + 1).execution_options(synchronize_session=False))
    emit("knowledge.article_rated", actor=user, article_id=article.id)
    return True


def unrate(user: User, article: Article) -> bool:
    rating = db.session.execute(select(Rating).where(Rating.article_id == article.id,
                                                     Rating.user_id == user.id)).scalar_one_or_none()
    if rating is None:
        return False
    db.session.delete(rating)
    db.session.flush()
    db.session.execute(update(Article).where(Article.id == article.id, Article.useful_count > 0)
                       .values(useful_count=Article.useful_count - 1).execution_options(synchronize_session=False))
    return True


def add_comment(user: User, article: Article, body: str) -> Comment:
    _require_public(article)
    text = plain_text(body, 2001)
    if not text:
        raise ServiceError(_l("Write a comment first."), field="body")
    if len(text) > 2000:
        raise ServiceError(_l("A comment has at most 2000 characters."), field="body")
    comment = Comment(article_id=article.id, author_id=user.id, body=text)
    db.session.add(comment)
    db.session.flush()
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(comment_count=Article.comment_count + 1).execution_options(synchronize_session=False))
    if article.owner_id and article.owner_id != user.id:
        notify(db.session.get(User, article.owner_id), "notice",
               _l("New comment on “%(title)s”.", title=article.published_title or article.title),
               link=article_link(article))
    emit("knowledge.comment_added", actor=user, article_id=article.id, comment_id=comment.id)
    return comment


def hide_comment(actor: User, comment: Comment) -> None:
    if not (can_curate(actor) or comment.author_id == actor.id):
        raise NotAllowed(_l("You cannot remove this comment."))
    if comment.hidden:
        return
    comment.hidden = True
    db.session.flush()
    db.session.execute(update(Article).where(Article.id == comment.article_id, Article.comment_count > 0)
                       .values(comment_count=Article.comment_count - 1).execution_options(synchronize_session=False))


def comments(article: Article) -> list[Comment]:
    return list(db.session.execute(select(Comment).where(Comment.article_id == article.id,
                                                         Comment.hidden.is_(False))
                                   .order_by(Comment.created_at, Comment.id)).scalars())


def get_comment(article: Article, comment_id) -> Comment:
    comment = db.session.get(Comment, int(comment_id)) if str(comment_id).isdigit() else None
    if comment is None or comment.article_id != article.id or comment.hidden:
        raise NotFound(_l("Comment not found."))
    return comment


def get_article_unscoped_by_title(title: str) -> Article:
    """System work only (demo seeding): the newest article with this title."""
    return db.session.execute(_unscoped(select(Article).where(Article.title == title)
                                        .order_by(Article.id.desc()).limit(1))).scalar_one()


def search_max_hits() -> int:
    return current_app.config["WORKBENCH_SEARCH_MAX_HITS"]
