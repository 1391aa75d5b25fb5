"""Records of the resources plugin (资源申请): resource types with their approval steps, the
catalogue of items, stock per org unit with its append-only ledger, and requests with their
lines and step log.

- A catalogue item (礼品, 营销物料, 体验卡, 活动经费 …) is shared by everybody; stock of it is held
  per org unit (ResourceStock: on hand, reserved; available = on hand − reserved). Stock is
  scoped by the central rule, widened so that a person sees the stock their unit can draw
  from (their own unit and its ancestors) besides the units they manage.
- Stock quantities change only through one conditional UPDATE each (services.py), and every
  change writes a ledger entry (ResourceStockEntry) holding the deltas and the balances after
  it. The ledger is append-only: the ORM and the database refuse to change or delete a row.
- A request belongs to the account manager who made it and their unit (ScopedMixin), so the
  lead and the city manager above see it; it carries a copy of its type's approval steps.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (DDL, JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric,
                        String, Text, UniqueConstraint, event, or_)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class ResourceType(Audited, TimestampMixin, VersionedMixin, db.Model):
    """A kind of resource (礼品, 营销物料, 体验卡, 活动经费) and how its requests are approved.

    `steps` is the ordered approval chain, each step naming a role or a permission and the
    org-unit level whose holder decides it: [{"role": "lead", "level": "county"},
    {"role": "city_manager", "level": "city"}]."""

    __tablename__ = "resources_type"
    __audit_label__ = _l("Resource type")
    __audit_labels__ = {"name": _l("Name"), "code": _l("Code"), "steps": _l("Approval steps"),
                        "active": _l("In use"), "description": _l("Description")}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    steps: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"<ResourceType {self.code}>"


class ResourceItem(Audited, TimestampMixin, VersionedMixin, db.Model):
    """One entry of the catalogue: what it is, its measure (件, 张, 元) and its unit value."""

    __tablename__ = "resources_item"
    __audit_label__ = _l("Catalogue item")
    __audit_labels__ = {"name": _l("Name"), "code": _l("Code"), "type_id": _l("Resource type"),
                        "measure": _l("Measure"), "unit_value": _l("Unit value"),
                        "description": _l("Description"), "active": _l("In use")}
    __audit_exclude__ = ("pinyin",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type_id: Mapped[int] = mapped_column(ForeignKey("resources_type.id"), nullable=False, index=True)
    measure: Mapped[str] = mapped_column(String(16), nullable=False, default="件")
    unit_value: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=Decimal("0"))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # " hwjs huawei … ": the name's pinyin keys between spaces, so " " + typed finds a key start.
    pinyin: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    type = relationship("ResourceType", lazy="joined")

    def __repr__(self) -> str:
        return f"<ResourceItem {self.code} {self.name!r}>"


def _ancestor_ids(path: str | None) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", path or "")]


class ResourceStock(ScopedMixin, TimestampMixin, db.Model):
    """The stock of one item held by one org unit. `on_hand` and `reserved` change only through
    the conditional UPDATEs of services.py (never below zero, never more reserved than on
    hand — the database checks it too), each with its ledger entry."""

    __tablename__ = "resources_stock"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("resources_item.id"), nullable=False, index=True)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reserved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    low_threshold: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    item = relationship("ResourceItem", lazy="joined")
    org_unit = relationship("OrgUnit", foreign_keys="ResourceStock.org_unit_id", lazy="joined")

    __table_args__ = (
        UniqueConstraint("item_id", "org_unit_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.low_threshold

    @classmethod
    def scope_clause(cls, scope):
        """Widen the core rule: the stock of one's own unit and of every unit above it is what
        one can draw from, so everybody sees it (the core rule adds the units one manages)."""
        base = super().scope_clause(scope)
        if scope.level == "all":
            return base
        ancestors = _ancestor_ids(scope.unit_path)
        if not ancestors:
            return base
        return or_(base, cls.org_unit_id.in_(ancestors))

    def __repr__(self) -> str:
        return f"<ResourceStock item={self.item_id} unit={self.org_unit_id} {self.on_hand}/{self.reserved}>"


class ResourceStockEntry(db.Model):
    """One movement of a stock (the ledger): goods in, out, an adjustment after a count, a
    reservation at final approval, its release, an issue. Append-only."""

    __tablename__ = "resources_stock_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("resources_stock.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    on_hand_delta: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer, nullable=False)
    reserved_after: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("resources_request.id"), nullable=True, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    actor = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_resources_stock_entry_stock", "stock_id", "id"),)


class StockLedgerIsAppendOnly(Exception):
    """Raised when code tries to change or delete a ledger entry."""


@event.listens_for(ResourceStockEntry, "before_update")
def _refuse_update(_mapper, _connection, entry) -> None:
    raise StockLedgerIsAppendOnly(f"stock entry {entry.id} cannot be changed: the ledger is append-only")


@event.listens_for(ResourceStockEntry, "before_delete")
def _refuse_delete(_mapper, _connection, entry) -> None:
    raise StockLedgerIsAppendOnly(f"stock entry {entry.id} cannot be deleted: the ledger is append-only")


# The database refuses too (bulk statements, raw connections). The migration creates the same.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS resources_stock_entry_no_update BEFORE UPDATE ON resources_stock_entry "
    "BEGIN SELECT RAISE(ABORT, 'resources_stock_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS resources_stock_entry_no_delete BEFORE DELETE ON resources_stock_entry "
    "BEGIN SELECT RAISE(ABORT, 'resources_stock_entry is append-only'); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION resources_stock_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'resources_stock_entry is append-only'; END $$",
    "CREATE TRIGGER resources_stock_entry_append_only BEFORE UPDATE OR DELETE ON resources_stock_entry "
    "FOR EACH ROW EXECUTE FUNCTION resources_stock_entry_refuse_change()",
)
for _statement in SQLITE_TRIGGERS:
    event.listen(ResourceStockEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(ResourceStockEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class ResourceRequest(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An account manager's request of resources for a customer, and where it stands."""

    __tablename__ = "resources_request"
    __audit_label__ = _l("Resource request")
    __audit_labels__ = {"state": _l("State"), "step_index": _l("Approval step"), "title": _l("Title"),
                        "purpose": _l("Purpose"), "reject_reason": _l("Reason rejected"),
                        "cancel_reason": _l("Reason cancelled"), "use_note": _l("Use note"),
                        "use_photo_id": _l("Photo of use")}
    __audit_exclude__ = ("steps", "issued_month")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("resources_type.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    steps: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    step_index: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0"))
    reject_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    use_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    use_photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    issued_month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    customer = relationship("Customer", lazy="joined")
    type = relationship("ResourceType", lazy="joined")
    owner = relationship("User", foreign_keys="ResourceRequest.owner_id", lazy="joined")
    org_unit = relationship("OrgUnit", foreign_keys="ResourceRequest.org_unit_id", lazy="joined")
    use_photo = relationship("StoredFile", lazy="select")
    lines = relationship("ResourceRequestLine", lazy="selectin", order_by="ResourceRequestLine.id",
                         back_populates="request")

    __table_args__ = (
        Index("ix_resources_request_unit_state", "org_unit_id", "state"),
        Index("ix_resources_request_issued", "issued_month", "type_id"),
    )

    def __repr__(self) -> str:
        return f"<ResourceRequest {self.code} {self.state}>"


class ResourceRequestLine(Audited, db.Model):
    """One item of a request: which stock it draws from, how many, their value at the time."""

    __tablename__ = "resources_request_line"
    __audit_label__ = _l("Requested item")
    __audit_parent__ = "request_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resources_request.id"), nullable=False, index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("resources_stock.id"), nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("resources_item.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_value: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)

    request = relationship("ResourceRequest", back_populates="lines")
    item = relationship("ResourceItem", lazy="joined")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class ResourceRequestStep(db.Model):
    """One decision or move of a request (the page's timeline; field changes are audited)."""

    __tablename__ = "resources_request_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resources_request.id"), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    step_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_state: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    actor = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_resources_request_step_request", "request_id", "at"),)
