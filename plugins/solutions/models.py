"""Records of the solution library (方案库): industries, products, the curated pieces of
material per product (with a snapshot per published version), and the proposals generated
from them for a customer, with their editable sections.

The library (industries, products, pieces) is shared by everybody holding solutions.use, so it
is not scoped. A proposal belongs to its author and their unit (ScopedMixin): the core's scope
rule decides who sees it, like a customer. Every table is named solutions_...
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow

# Kinds of piece, in the order they appear in a proposal's product section.
PIECE_KINDS = ("intro", "functions", "case", "technical", "prices")
PIECE_KIND_LABELS = {
    "intro": _l("Introduction"),
    "functions": _l("Functions"),
    "case": _l("Typical case"),
    "technical": _l("Technical solution"),
    "prices": _l("Prices"),
}

# Curation states of a piece (like knowledge articles).
DRAFT, REVIEW, PUBLISHED, ARCHIVED = "draft", "review", "published", "archived"
PIECE_STATES = (DRAFT, REVIEW, PUBLISHED, ARCHIVED)
PIECE_STATE_LABELS = {
    DRAFT: _l("Draft"), REVIEW: _l("In review"), PUBLISHED: _l("Published"), ARCHIVED: _l("Archived"),
}

# States of a proposal: a large one is built by a background job.
GENERATING, READY, FAILED = "generating", "ready", "failed"

product_industry = Table(
    "solutions_product_industry",
    db.Model.metadata,
    Column("product_id", ForeignKey("solutions_product.id"), primary_key=True),
    Column("industry_id", ForeignKey("solutions_industry.id"), primary_key=True),
)


class Industry(Audited, TimestampMixin, db.Model):
    """An industry (行业) products serve and cases are tagged with. Matched to a customer by
    its name (the customer record's `industry` text)."""

    __tablename__ = "solutions_industry"
    __audit_label__ = _l("Industry")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Product(Audited, TimestampMixin, VersionedMixin, db.Model):
    """A product or industry application (产品/行业应用) the library holds material for."""

    __tablename__ = "solutions_product"
    __audit_label__ = _l("Product")
    __audit_labels__ = {"name": _l("Name"), "product_line": _l("Product line"), "summary": _l("Summary")}
    __audit_collections__ = ("industries",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    product_line: Mapped[str] = mapped_column(String(100), nullable=False, default="", index=True)
    summary: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    industries = relationship(Industry, secondary=product_industry, order_by=Industry.order, lazy="selectin")
    pieces = relationship("Piece", back_populates="product", order_by="Piece.position, Piece.id",
                          lazy="select")


class Piece(Audited, TimestampMixin, VersionedMixin, db.Model):
    """One standardised piece of material of a product: its working copy and curation state.

    What proposals use is the latest published snapshot (PieceVersion); editing a published
    piece puts its working copy back to draft while the published version stays in use until
    the edit is published as the next version.
    """

    __tablename__ = "solutions_piece"
    __audit_label__ = _l("Solution material")
    __audit_labels__ = {"title": _l("Title"), "state": _l("State"), "body_html": _l("Text"),
                        "price_rows": _l("Price table"), "industry_id": _l("Industry")}

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("solutions_product.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("solutions_industry.id"), nullable=True)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price_rows: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=DRAFT, index=True)
    published_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    product = relationship(Product, back_populates="pieces", lazy="joined")
    industry = relationship(Industry, lazy="joined")
    versions = relationship("PieceVersion", back_populates="piece", order_by="PieceVersion.number.desc()",
                            lazy="select")

    @property
    def live(self) -> "PieceVersion | None":
        """The published version proposals use (None before the first publication or once archived)."""
        if self.state == ARCHIVED or not self.published_number:
            return None
        return next((v for v in self.versions if v.number == self.published_number), None)


class PieceVersion(db.Model):
    """An immutable snapshot of a piece as published (append-only; restore copies one back)."""

    __tablename__ = "solutions_piece_version"
    __table_args__ = (UniqueConstraint("piece_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    piece_id: Mapped[int] = mapped_column(ForeignKey("solutions_piece.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("solutions_industry.id"), nullable=True)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price_rows: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    published_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    piece = relationship(Piece, back_populates="versions")
    industry = relationship(Industry, lazy="joined")
    published_by = relationship("User", lazy="joined")

    @property
    def industry_name(self) -> str:
        return self.industry.name if self.industry is not None else ""


class Proposal(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A customer-specific proposal (方案建议书) generated from the library and edited after."""

    __tablename__ = "solutions_proposal"
    __audit_label__ = _l("Proposal")
    __audit_labels__ = {"title": _l("Title"), "state": _l("State"), "archived": _l("Archived"),
                        "generated_at": _l("Generated"), "product_ids": _l("Products"),
                        "customer_id": _l("Customer"), "prospect_name": _l("Prospect")}
    __audit_exclude__ = ("job_key", "revision")

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    prospect_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("solutions_industry.id"), nullable=True)
    # No foreign key: the opportunity plugin may be disabled (see docs/modules/solutions.md).
    opportunity_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    product_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=READY)
    job_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    generated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Bumped by every change of the content; a PDF is made for one revision (its file and job
    # key name it), so a PDF of older content is never served.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    customer = relationship("Customer", lazy="joined")
    industry = relationship(Industry, lazy="joined")
    owner = relationship("User", foreign_keys="Proposal.owner_id", lazy="joined")
    sections = relationship("ProposalSection", back_populates="proposal",
                            order_by="ProposalSection.position, ProposalSection.id", lazy="select")

    @property
    def recipient(self) -> str:
        """Who the proposal is for: the customer's name, or the prospect's."""
        return self.customer.name if self.customer is not None else self.prospect_name


class ProposalSection(Audited, TimestampMixin, db.Model):
    """One product's section of a proposal: its text (editable), its price rows, and which
    published piece versions it was built from (to tell when the material is newer)."""

    __tablename__ = "solutions_proposal_section"
    __audit_parent__ = "proposal_id"
    __audit_label__ = _l("Proposal section")
    __audit_labels__ = {"heading": _l("Heading"), "body_html": _l("Text"), "removed": _l("Removed"),
                        "position": _l("Position")}
    __audit_exclude__ = ("source_versions", "price_rows")

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("solutions_proposal.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("solutions_product.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    heading: Mapped[str] = mapped_column(String(200), nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price_rows: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    source_versions: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    edited: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    proposal = relationship(Proposal, back_populates="sections")
    product = relationship(Product, lazy="joined")
