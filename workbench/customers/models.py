"""Group customers with contacts, member numbers and links between groups.

A natural group (自然集团) links several billing groups; a provincial or cross-region (双跨)
group links a headquarters group with its branch groups. Both are CustomerLink rows from the
parent to each child, so "the whole group" is the parent plus its linked children.
"""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin

CUSTOMER_LEVELS = ("A", "B", "C", "D")
LINK_TYPES = ("natural", "headquarters")


class Customer(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    industry: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    level: Mapped[str] = mapped_column(String(8), nullable=False, default="C")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    owner = relationship("User", foreign_keys="Customer.owner_id", lazy="joined")
    org_unit = relationship("OrgUnit", lazy="joined")
    contacts = relationship(
        "CustomerContact", back_populates="customer", order_by="CustomerContact.id", lazy="select"
    )

    __table_args__ = (Index("ix_customer_owner_archived", "owner_id", "archived"),)

    def __repr__(self) -> str:
        return f"<Customer {self.code} {self.name}>"


class CustomerContact(Audited, TimestampMixin, db.Model):
    __tablename__ = "customer_contact"
    __audit_parent__ = "customer_id"  # shown in, and as visible as, the customer's history

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    is_key: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    customer = relationship("Customer", back_populates="contacts")


class CustomerMember(Audited, TimestampMixin, db.Model):
    """A member number (成员号码) of the group: a phone line billed to the customer."""

    __tablename__ = "customer_member"
    __audit_parent__ = "customer_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    holder_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    product: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        UniqueConstraint("customer_id", "number"),
        Index("ix_customer_member_customer_active", "customer_id", "active"),
    )


class CustomerLink(Audited, db.Model):
    """parent → child link between group customers (natural group or headquarters/branch)."""

    __tablename__ = "customer_link"
    __audit_parent__ = "parent_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    link_type: Mapped[str] = mapped_column(String(16), nullable=False)

    parent = relationship("Customer", foreign_keys=[parent_id], lazy="joined")
    child = relationship("Customer", foreign_keys=[child_id], lazy="joined")

    __table_args__ = (UniqueConstraint("parent_id", "child_id"),)
