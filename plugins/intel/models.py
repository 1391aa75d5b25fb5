"""Records of the intel plugin (竞争情报): the maintained list of competitors, intelligence
items, their attachments and tags, and the pushes of an item to the people concerned.

An item belongs to the org unit and the account manager who submitted it (ScopedMixin): the
central data-scope rule decides who sees it, widened (Intel.scope_clause) for the people it
was pushed to — a recipient sees a pushed item even when it lies outside their own scope,
and the duplicates merged into it — and for the submitter of a duplicate, who follows it to
its survivor. Nothing else widens: a recipient gains no access to the customer, the linked
opportunity or any other item. Every table is named intel_...
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, or_,
                        select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class Competitor(Audited, TimestampMixin, VersionedMixin, db.Model):
    """A competitor intel is recorded about (中国移动, 中国联通, a local ISP …). Shared by
    everybody, kept by the intel admins; retired rather than deleted."""

    __tablename__ = "intel_competitor"
    __audit_label__ = _l("Competitor")
    __audit_labels__ = {"name": _l("Name"), "kind": _l("Kind"), "notes": _l("Notes"), "active": _l("In use"),
                        "order": _l("Order")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="other")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)

    def __repr__(self) -> str:
        return f"<Competitor {self.name}>"


class IntelPush(Audited, db.Model):
    """An item pushed to one person: who pushed it, when they first opened it and when they
    marked it read (their intel.pushed to-do done). `via_merge_of` is set on the rows copied
    to a survivor when an item already pushed to them was merged into it (no new to-do)."""

    __tablename__ = "intel_push"
    __audit_label__ = _l("Intel push")
    __audit_parent__ = "intel_id"
    __audit_exclude__ = ("read_at",)

    id: Mapped[int] = mapped_column(primary_key=True)
    intel_id: Mapped[int] = mapped_column(ForeignKey("intel_intel.id"), nullable=False)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    pushed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    via_merge_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pushed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    recipient = relationship("User", foreign_keys="IntelPush.recipient_id", lazy="joined")
    pushed_by = relationship("User", foreign_keys="IntelPush.pushed_by_id", lazy="joined")

    __table_args__ = (
        UniqueConstraint("intel_id", "recipient_id"),
        Index("ix_intel_push_recipient_pushed", "recipient_id", "pushed_at"),
    )


class Intel(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One piece of competitive intelligence and where it stands (services.Status)."""

    __tablename__ = "intel_intel"
    __audit_label__ = _l("Intelligence")
    __audit_labels__ = {
        "title": _l("Title"), "competitor_id": _l("Competitor"), "customer_id": _l("Customer"),
        "opportunity_id": _l("Linked opportunity"), "product": _l("Product"), "offer": _l("Price / offer"),
        "source": _l("Source"), "source_detail": _l("Source details"), "observed_on": _l("Date learned"),
        "description": _l("Description"), "status": _l("Status"), "value": _l("Value"),
        "screening_note": _l("Screening note"), "merged_into_id": _l("Merged into"),
    }
    __audit_exclude__ = ("customer_name", "push_count", "duplicate_count", "pushed_at", "screened_at", "screened_by_id",
                         "merged_at", "merged_by_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("intel_competitor.id"), nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    # The customer's name when the item was recorded: a recipient outside the customer's
    # scope still reads whom the intel is about, without being able to open the customer.
    customer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=True,
                                                       index=True)
    product: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    offer: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="other")
    source_detail: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    observed_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    value: Mapped[str | None] = mapped_column(String(16), nullable=True)
    screening_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    screened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("intel_intel.id"), nullable=True, index=True)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    merged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    push_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    competitor = relationship("Competitor", lazy="joined")
    owner = relationship("User", foreign_keys="Intel.owner_id", lazy="joined")
    org_unit = relationship("OrgUnit", foreign_keys="Intel.org_unit_id", lazy="joined")
    screened_by = relationship("User", foreign_keys="Intel.screened_by_id", lazy="select")
    merged_by = relationship("User", foreign_keys="Intel.merged_by_id", lazy="select")

    __table_args__ = (
        Index("ix_intel_intel_org_unit_status", "org_unit_id", "status"),
        Index("ix_intel_intel_observed_competitor", "observed_on", "competitor_id"),
    )

    @classmethod
    def scope_clause(cls, scope):
        """Widen the core rule, for reading only:

        * push recipients see an item pushed to them, wherever it lies, and the duplicates
          merged into it (opening one leads to the survivor);
        * the submitter of a duplicate sees the survivor it was merged into.

        The push table is not scoped and the second sub-select names plain table columns,
        so neither can pull the scope rule into itself."""
        base = super().scope_clause(scope)
        if scope.level == "all" or scope.user_id is None:
            return base
        pushed = select(IntelPush.intel_id).where(IntelPush.recipient_id == scope.user_id)
        table = cls.__table__
        my_duplicates = select(table.c.merged_into_id).where(table.c.owner_id == scope.user_id,
                                                             table.c.merged_into_id.is_not(None))
        return or_(base, cls.id.in_(pushed), cls.merged_into_id.in_(pushed), cls.id.in_(my_duplicates))

    def __repr__(self) -> str:
        return f"<Intel {self.code} {self.status}>"


class IntelAttachment(Audited, db.Model):
    """A file attached to an item (photo of a flyer, a quotation, a tender notice). The bytes
    live in the core file store; they are downloaded only through the item's scoped page."""

    __tablename__ = "intel_attachment"
    __audit_label__ = _l("Attachment")
    __audit_parent__ = "intel_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    intel_id: Mapped[int] = mapped_column(ForeignKey("intel_intel.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    file = relationship("StoredFile", lazy="joined")


class IntelTag(Audited, db.Model):
    """A tag an intel admin gave an item while screening (价格战, 招投标, 5G …)."""

    __tablename__ = "intel_tag"
    __audit_label__ = _l("Tag")
    __audit_parent__ = "intel_id"
    __audit_labels__ = {"tag": _l("Tag")}

    id: Mapped[int] = mapped_column(primary_key=True)
    intel_id: Mapped[int] = mapped_column(ForeignKey("intel_intel.id"), nullable=False)
    tag: Mapped[str] = mapped_column(String(30), nullable=False, index=True)

    __table_args__ = (UniqueConstraint("intel_id", "tag"),)
