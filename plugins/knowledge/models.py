"""Knowledge base tables.

Articles are org-wide content: once published, every signed-in user may read them. The
working copy of an article (a draft, a change waiting for review) belongs to its author
(`owner_id`) in the author's unit (`org_unit_id`), so the central data-scope rule applies:
`KnowledgeArticle.scope_clause` widens it with "published and not archived" — never narrowing it.
Readers see the `published_*` columns (the last approved version); editors work on
`title` / `body_html`. Every approval writes a `KnowledgeRevision`.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint, and_, or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow

SPACES = ("business", "system")
SPACE_LABELS = {"business": _l("Business knowledge"), "system": _l("System knowledge")}

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = "draft", "in_review", "published", "archived"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED)
STATUS_LABELS = {DRAFT: _l("Draft"), IN_REVIEW: _l("In review"), PUBLISHED: _l("Published"),
                 ARCHIVED: _l("Archived")}
KINDS = ("article", "experience")
KIND_LABELS = {"article": _l("Article"), "experience": _l("Experience sharing")}


article_tag = Table(
    "knowledge_article_tag",
    db.metadata,
    Column("article_id", Integer, ForeignKey("knowledge_article.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("knowledge_tag.id", ondelete="CASCADE"), primary_key=True),
)


class KnowledgeCategory(TimestampMixin, db.Model):
    """A node of a space's category tree."""

    __tablename__ = "knowledge_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    space: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_category.id"), index=True)
    order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["KnowledgeCategory | None"] = relationship(remote_side=[id])


class KnowledgeTag(db.Model):
    __tablename__ = "knowledge_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class KnowledgeArticle(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "knowledge_article"
    __audit_label__ = _l("Knowledge article")
    __audit_labels__ = {"title": _l("Title"), "status": _l("Status"), "body_html": _l("Text"),
                        "category_id": _l("Category"), "space": _l("Space")}
    __audit_exclude__ = ("body_text", "published_html", "published_text", "view_count", "useful_count",
                         "comment_count")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="article")
    space: Mapped[str] = mapped_column(String(20), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_category.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    # The working copy (what editors change).
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    # What readers see: the last approved version.
    published_title: Mapped[str | None] = mapped_column(String(200))
    published_html: Mapped[str | None] = mapped_column(Text)
    published_text: Mapped[str | None] = mapped_column(Text)
    published_revision: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    useful_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[KnowledgeCategory | None] = relationship()
    tags: Mapped[list[KnowledgeTag]] = relationship(secondary=article_tag, order_by=KnowledgeTag.name)
    owner = relationship("User", foreign_keys="KnowledgeArticle.owner_id")
    contexts: Mapped[list["KnowledgeArticleContext"]] = relationship(cascade="all, delete-orphan",
                                                            order_by="KnowledgeArticleContext.context_key")

    @classmethod
    def scope_clause(cls, scope):
        """Published articles are shared with everyone signed in; the working copies of
        unpublished ones follow the central rule (their author, the author's managers)."""
        shared = and_(cls.published_at.isnot(None), cls.status != ARCHIVED)
        if scope.level == "none":
            return super().scope_clause(scope)
        return or_(shared, super().scope_clause(scope))

    @property
    def is_public(self) -> bool:
        return self.published_at is not None and self.status != ARCHIVED

    @property
    def has_unpublished_changes(self) -> bool:
        return self.status in (DRAFT, IN_REVIEW) and self.published_at is not None

    @property
    def context_keys(self) -> list[str]:
        return [context.context_key for context in self.contexts]


class KnowledgeArticleContext(db.Model):
    """A help context (a page that declared it) an article is shown beside."""

    __tablename__ = "knowledge_article_context"
    __table_args__ = (UniqueConstraint("article_id", "context_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_article.id", ondelete="CASCADE"), index=True)
    context_key: Mapped[str] = mapped_column(String(80), index=True)


class KnowledgeRevision(db.Model):
    """One approved version of an article (append-only)."""

    __tablename__ = "knowledge_revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_article.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    approved_by = relationship("User", foreign_keys=[approved_by_id])


class KnowledgeAttachment(db.Model):
    """An image or an attachment of an article, kept in the core file store."""

    __tablename__ = "knowledge_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_article.id"), index=True)
    stored_file_id: Mapped[int] = mapped_column(Integer, index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="attachment")  # image | attachment
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KnowledgeRating(db.Model):
    """A reader found an article useful (once per reader)."""

    __tablename__ = "knowledge_rating"
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_article.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KnowledgeComment(Audited, db.Model):
    __tablename__ = "knowledge_comment"
    __audit_label__ = _l("Comment")
    __audit_parent__ = "article_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_article.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author = relationship("User")


class KnowledgeImport(TimestampMixin, db.Model):
    """A bulk import of Markdown (.zip) or .docx files into drafts, run as a job."""

    __tablename__ = "knowledge_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_file_id: Mapped[int | None] = mapped_column(Integer)
    space: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_category.id"))
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued running done failed
    created: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[list] = mapped_column(JSON, default=list)
