"""Records of the warning plugin (预警): the customer indicators it watches (metrics), the
warnings raised from them or from other modules' events, and the thresholds admins set per
org unit and rule.

A warning belongs to the customer's org unit and account manager (ScopedMixin), so the
central data-scope rule decides who sees it. The unique key (customer, rule, period) makes
"the same signal in the same period" one warning, however often the scan runs and however
many sources (the scan, the contract module's event) report it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class Metric(db.Model):
    """One period of a customer's indicators: a month (period = its first day) or a day.
    Empty figures are unknown, not zero. Written in bulk by the import and the API (upsert
    on customer + granularity + period), read set-wise by the scan."""

    __tablename__ = "warning_metric"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    granularity: Mapped[str] = mapped_column(String(5), nullable=False, default="month")
    period: Mapped[date] = mapped_column(Date, nullable=False)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))       # yuan in the period
    traffic: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))       # product traffic, GB
    balance: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))       # account balance, yuan
    arrears: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))       # amount owed, yuan
    arrears_days: Mapped[int | None] = mapped_column(Integer)             # age of the oldest arrears
    members: Mapped[int | None] = mapped_column(Integer)                  # member numbers in use
    contract_end: Mapped[date | None] = mapped_column(Date)               # the main contract ends
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("customer_id", "granularity", "period"),
        # The scan reads one period of every customer: (granularity, period) then customer.
        Index("ix_warning_metric_period", "granularity", "period", "customer_id"),
    )


def _service_labels(name: str) -> dict:
    """Labels the services define (they import this module, hence looked up when shown)."""
    from plugins.warning import rules, services

    return getattr(services, name, None) or getattr(rules, name)


class CustomerWarning(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One warning about a customer (or about work for a customer) and its closed loop:
    raised → (escalated once if unhandled past its due time) → handled with a record."""

    __tablename__ = "warning_warning"
    __audit_label__ = _l("Warning")
    __audit_labels__ = {
        "status": _l("Status"), "severity": _l("Severity"), "action": _l("What was done"),
        "outcome": _l("Outcome"), "note": _l("Handling note"), "handled_by_id": _l("Handled by"),
        "handled_at": _l("Handled at"), "escalated_at": _l("Escalated at"), "due_at": _l("Due"),
    }
    __audit_values__ = {"status": lambda: _service_labels("STATUS_LABELS"),
                        "action": lambda: _service_labels("ACTIONS"),
                        "outcome": lambda: _service_labels("OUTCOMES"),
                        "severity": lambda: _service_labels("SEVERITY_LABELS")}
    __audit_exclude__ = ("scan_token", "escalation_token")

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(40), nullable=False)
    # "2026-10" for a month's indicators, the end date for a contract, "opp12:survey" for work.
    period: Mapped[str] = mapped_column(String(40), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False, default="medium")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    # The figures behind it (what the page and the to-do show).
    value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    change_pct: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    days: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="scan")
    reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    raised_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    outcome: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Which scan raised / escalated the row: the scan reads back exactly its own rows.
    scan_token: Mapped[str | None] = mapped_column(String(32), index=True)
    escalation_token: Mapped[str | None] = mapped_column(String(32), index=True)

    customer = relationship("Customer", lazy="joined")
    owner = relationship("User", foreign_keys="CustomerWarning.owner_id", lazy="joined")
    handled_by = relationship("User", foreign_keys="CustomerWarning.handled_by_id", lazy="joined")
    org_unit = relationship("OrgUnit", foreign_keys="CustomerWarning.org_unit_id", lazy="joined")

    __table_args__ = (
        UniqueConstraint("customer_id", "rule", "period"),
        Index("ix_warning_warning_owner_status", "owner_id", "status"),
        Index("ix_warning_warning_unit_status", "org_unit_id", "status"),
        Index("ix_warning_warning_status_due", "status", "due_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<CustomerWarning {self.id} {self.rule} {self.period} {self.status}>"


class Threshold(Audited, TimestampMixin, db.Model):
    """An admin's setting of one parameter of one rule for an org unit. The nearest unit up
    the tree with a setting wins; without any, the rule's default applies."""

    __tablename__ = "warning_threshold"
    __audit_label__ = _l("Warning threshold")
    __audit_labels__ = {"value": _l("Value")}
    __audit_permission__ = "warning.configure"
    __audit_summary__ = ("rule",)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False)
    rule: Mapped[str] = mapped_column(String(40), nullable=False)
    param: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (UniqueConstraint("org_unit_id", "rule", "param"),)
