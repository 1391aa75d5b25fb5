"""Records of the contract plugin (合同): contract work orders, their step log, the expiry
notices already sent, and the standard template library (合同标准模版库).

A contract belongs to the org unit and owner of the opportunity it was generated from
(ScopedMixin): the central data-scope rule decides who sees it, widened for the person who
must act on the current step (a reviewer or the contract manager named as handler). Files
(the contract text, the signed scan, templates) live in the core file store; the rows here
point at them.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, or_)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class Contract(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One contract work order and where it stands (services.State)."""

    __tablename__ = "contract_contract"
    __audit_label__ = _l("Contract")
    __audit_labels__ = {
        "state": _l("State"), "handler_id": _l("Handler"), "title": _l("Contract title"),
        "party_a": _l("Party A (customer)"), "party_b": _l("Party B (our company)"),
        "amount": _l("Amount"), "start_date": _l("Term starts"), "end_date": _l("Term ends"),
        "products": _l("Products and services"), "payment_terms": _l("Payment terms"),
        "notes": _l("Notes"), "contract_file_id": _l("Contract file"),
        "signed_file_id": _l("Signed copy"), "construction": _l("Survey and construction"),
        "return_reason": _l("Reason sent back"), "cancel_reason": _l("Reason withdrawn"),
        "template_id": _l("Template"),
    }
    __audit_exclude__ = ("active_opportunity_id",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=False,
                                                index=True)
    # Set while the order is not withdrawn: the unique key allows one live order per opportunity,
    # enforced by the database even when two people generate one at the same moment.
    active_opportunity_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    is_leased_line: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    party_a: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    party_b: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    products: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payment_terms: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contract_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), nullable=True)
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), nullable=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("contract_template.id"), nullable=True)
    # 报勘建设 results of a leased-line contract: bandwidth, sites, circuit_ids, completed_on.
    construction: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    business_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    state_entered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    # Loaded on use (the detail page): joining it into every contract list pulled the
    # opportunity's own joins along, 26 in all, and PostgreSQL spent ~12 ms planning each list.
    opportunity = relationship("Opportunity", lazy="select")
    customer = relationship("Customer", lazy="joined")
    owner = relationship("User", foreign_keys="Contract.owner_id", lazy="joined")
    handler = relationship("User", foreign_keys="Contract.handler_id", lazy="joined")
    org_unit = relationship("OrgUnit", foreign_keys="Contract.org_unit_id", lazy="joined")
    contract_file = relationship("StoredFile", foreign_keys="Contract.contract_file_id", lazy="joined")
    signed_file = relationship("StoredFile", foreign_keys="Contract.signed_file_id", lazy="joined")
    template = relationship("ContractTemplate", lazy="select")

    __table_args__ = (
        Index("ix_contract_contract_org_unit_state", "org_unit_id", "state"),
    )

    @classmethod
    def scope_clause(cls, scope):
        """Widen the core rule: whoever must act on the current step sees the order."""
        base = super().scope_clause(scope)
        if scope.level == "all" or scope.user_id is None:
            return base
        return or_(base, cls.handler_id == scope.user_id)

    def __repr__(self) -> str:
        return f"<Contract {self.code} {self.state}>"


class ContractStep(db.Model):
    """One move of a contract from a state to the next: who, when, why (the page's timeline;
    field-level changes are in the audit history)."""

    __tablename__ = "contract_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract_contract.id"), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    actor = relationship("User", foreign_keys="ContractStep.actor_id", lazy="joined")
    handler = relationship("User", foreign_keys="ContractStep.handler_id", lazy="joined")

    __table_args__ = (Index("ix_contract_step_contract", "contract_id", "at"),)


class ExpiryNotice(db.Model):
    """An expiry warning already raised (threshold "90", "30", "7" or "expired"): the unique
    key makes each go out once per contract, even when two scans run at the same time."""

    __tablename__ = "contract_expiry_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract_contract.id"), nullable=False)
    threshold: Mapped[str] = mapped_column(String(16), nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("contract_id", "threshold", "end_date"),)


class ContractTemplate(Audited, TimestampMixin, VersionedMixin, db.Model):
    """A standard contract template (.docx with docxtpl fields such as {{ customer.name }}).
    Shared by everybody; archived rather than deleted."""

    __tablename__ = "contract_template"
    __audit_label__ = _l("Contract template")
    __audit_labels__ = {"name": _l("Name"), "description": _l("Description"), "file_id": _l("File"),
                        "active": _l("In use"), "leased_line": _l("For leased lines")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    leased_line: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)
    fields_used: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    file = relationship("StoredFile", lazy="joined")

    def __repr__(self) -> str:
        return f"<ContractTemplate {self.id} {self.name!r}>"
