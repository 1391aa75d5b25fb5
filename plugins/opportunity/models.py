"""Records of the opportunity plugin (商机): the category catalogue, opportunities, their
follow-up actions, pool claims, the step log, per-step SLA settings and the alerts already
raised (so an overdue warning goes out once).

Every table is named opportunity_... (checked at start-up). An opportunity belongs to an org
unit and an owner (ScopedMixin): the central data-scope rule decides who sees it, widened
(see Opportunity.scope_clause) for the person who must act on the current step, the person
who reported it and — while it is open for claiming — the account managers of the pool's
unit.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, and_, literal, or_, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.models import OrgUnit
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


def _in_chinese() -> bool:
    locale = get_locale()
    return locale is None or str(locale).startswith("zh")


class Category(Audited, TimestampMixin, db.Model):
    """A business category (业务类型) of the catalogue and the extra fields its opportunities
    carry. `fields` is a list of {"key", "label", "label_zh", "type", "required", "choices",
    "group"} (see services.FIELD_TYPES); leased-line categories also carry the "basic
    situation" block (group "basic")."""

    __tablename__ = "opportunity_category"
    __audit_label__ = _l("Opportunity category")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity_category.id"), nullable=True)
    is_ict: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_leased_line: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    fields: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)

    # Two levels deep: a category first met as another's parent then has its own parent at
    # hand too, so showing `full_label` never costs a query of its own.
    parent = relationship("plugins.opportunity.models.Category", remote_side=lambda: [Category.id], lazy="joined",
                          join_depth=2)

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        if not _in_chinese() and self.name_en:
            return self.name_en
        return self.name

    @property
    def full_label(self) -> str:
        return f"{self.parent.label} · {self.label}" if self.parent is not None else self.label

    def __repr__(self) -> str:
        return f"<Category {self.code}>"


class Opportunity(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One opportunity and where it stands in the flow (services.Stage)."""

    __tablename__ = "opportunity_opportunity"
    __audit_label__ = _l("Opportunity")
    __audit_labels__ = {
        "stage": _l("Stage"), "handler_id": _l("Handler"), "expected_revenue": _l("Expected revenue"),
        "signed_revenue": _l("Signed revenue"), "details": _l("Category details"),
        "closed_reason": _l("Reason for closing"), "stage_due_at": _l("Step due"),
        "pool_unit_id": _l("Pool unit"), "pool_closes_at": _l("Claims close"),
        "category_id": _l("Category"), "kind": _l("Kind"), "contract_id": _l("Contract"),
    }
    __audit_exclude__ = ("last_followup_at", "stage_entered_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("opportunity_category.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="new")
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    stage_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    pool_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), nullable=True)
    pool_closes_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expected_revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    signed_revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")
    contract_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_followup_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    category = relationship("plugins.opportunity.models.Category", lazy="joined")
    customer = relationship("Customer", lazy="joined")
    owner = relationship("User", foreign_keys="Opportunity.owner_id", lazy="joined")
    handler = relationship("User", foreign_keys="Opportunity.handler_id", lazy="joined")
    created_by = relationship("User", foreign_keys="Opportunity.created_by_id", lazy="select")
    org_unit = relationship("OrgUnit", foreign_keys="Opportunity.org_unit_id", lazy="joined")
    pool_unit = relationship("OrgUnit", foreign_keys="Opportunity.pool_unit_id", lazy="select")

    __table_args__ = (
        Index("ix_opportunity_opportunity_stage_due", "stage", "stage_due_at"),
        Index("ix_opportunity_opportunity_org_unit_stage", "org_unit_id", "stage"),
    )

    @classmethod
    def scope_clause(cls, scope):
        """Widen the core rule: the handler of the current step and the reporter see the
        opportunity, and while it is in the pool so do the people of the pool's unit and
        below (claiming itself still needs the opportunity.claim permission)."""
        base = super().scope_clause(scope)
        if scope.level == "all" or scope.user_id is None:
            return base
        clauses = [base, cls.handler_id == scope.user_id, cls.created_by_id == scope.user_id]
        if scope.unit_path:
            pool_units = select(OrgUnit.id).where(literal(scope.unit_path).startswith(OrgUnit.path))
            clauses.append(and_(cls.stage == "pool", cls.pool_unit_id.in_(pool_units)))
        return or_(*clauses)

    def __repr__(self) -> str:
        return f"<Opportunity {self.code} {self.stage}>"


class FollowUp(Audited, db.Model):
    """A follow-up action on an opportunity: a visit, a call, a note, a proposal sent."""

    __tablename__ = "opportunity_followup"
    __audit_label__ = _l("Follow-up")
    __audit_parent__ = "opportunity_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    happened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    author = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_opportunity_followup_opportunity", "opportunity_id", "happened_at"),)


class Claim(Audited, db.Model):
    """An account manager's claim (抢单) on a pooled opportunity; one per person."""

    __tablename__ = "opportunity_claim"
    __audit_label__ = _l("Claim")
    __audit_parent__ = "opportunity_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    user = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("opportunity_id", "user_id"),)


class StepLog(db.Model):
    """One move of an opportunity from a stage to the next, with who did it and why (the
    flow timeline on the page; the field-level history is in the audit table)."""

    __tablename__ = "opportunity_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=False)
    from_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_stage: Mapped[str] = mapped_column(String(20), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    actor = relationship("User", foreign_keys="StepLog.actor_id", lazy="joined")
    handler = relationship("User", foreign_keys="StepLog.handler_id", lazy="joined")

    __table_args__ = (Index("ix_opportunity_step_opportunity", "opportunity_id", "at"),)


class StepSetting(Audited, db.Model):
    """The SLA of one step in hours, set by an administrator (defaults from the config)."""

    __tablename__ = "opportunity_step_setting"
    __audit_label__ = _l("Step deadline")

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    sla_hours: Mapped[int] = mapped_column(Integer, nullable=False)


class Alert(db.Model):
    """An alert already raised for an opportunity (overdue step, month without follow-up):
    the unique key makes it go out once even when two scans run at the same time."""

    __tablename__ = "opportunity_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity_opportunity.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    raised_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("opportunity_id", "kind", "key"),)


class OpportunityTarget(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A monthly target (目标) for converted revenue and converted leased lines, of an org
    unit (owner_id empty) or of one account manager (owner_id, in their unit). Set by the
    summary's targets page (plugins/opportunity/summary.py); scoped like any record."""

    __tablename__ = "opportunity_target"
    __audit_label__ = _l("Opportunity target")
    __audit_labels__ = {"month": _l("Month"), "revenue_target": _l("Revenue target"),
                        "leased_line_target": _l("Leased-line target")}
    __audit_exclude__ = ("target_key", "set_by_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), nullable=False, index=True)  # "2026-11"
    # "YYYY-MM:<unit id>:<owner id or 0>": one target per month and unit or person.
    target_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    revenue_target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    leased_line_target: Mapped[int | None] = mapped_column(Integer, nullable=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    org_unit = relationship("OrgUnit", foreign_keys="OpportunityTarget.org_unit_id", lazy="select")
    owner = relationship("User", foreign_keys="OpportunityTarget.owner_id", lazy="select")
