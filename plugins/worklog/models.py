"""Records of the worklog plugin (工作日志): work logs (typed by people or written by the system
from other modules' events) and weekly visit plans (拜访计划).

Both belong to an owner and an org unit (ScopedMixin), so the central data-scope rule decides
who sees them: an account manager their own, a lead the team's, an admin everything. A system
log stores the event's name and payload (not a sentence): the text is rendered at display time
in the reader's language. The unique `event_id` column makes one event write one log, however
often it is delivered.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class WorkLog(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One log entry: customer service, work, project or visit (services.Kind)."""

    __tablename__ = "worklog_log"
    __audit_label__ = _l("Work log")
    __audit_labels__ = {
        "kind": _l("Type"), "customer_id": _l("Customer"), "happened_at": _l("Date and time"),
        "content": _l("Content"), "contacts": _l("Contacts met"), "next_step": _l("Next step"),
        "follow_up_on": _l("Follow-up date"), "plan_id": _l("Visit plan"),
    }
    __audit_exclude__ = ("payload",)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True)
    happened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # [{"id": <customer_contact.id> or None, "name": str}] — picked contacts and free text alike
    contacts: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    next_step: Mapped[str] = mapped_column(Text, nullable=False, default="")
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("worklog_plan.id"), nullable=True, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    # System entries: written from another module's event, never editable.
    system: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    event_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    customer = relationship("Customer", lazy="joined")
    owner = relationship("User", foreign_keys="WorkLog.owner_id", lazy="joined")
    plan = relationship("VisitPlan", foreign_keys="WorkLog.plan_id", lazy="select")

    __table_args__ = (
        Index("ix_worklog_log_customer_happened", "customer_id", "happened_at"),
        Index("ix_worklog_log_owner_happened", "owner_id", "happened_at"),
        Index("ix_worklog_log_unit_happened", "org_unit_id", "happened_at"),
    )

    def __repr__(self) -> str:
        return f"<WorkLog {self.id} {self.kind}{' system' if self.system else ''}>"


class VisitPlan(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A visit planned for a day of the week; done when its visit log (WorkLog.plan_id) is written."""

    __tablename__ = "worklog_plan"
    __audit_label__ = _l("Visit plan")
    __audit_labels__ = {"customer_id": _l("Customer"), "planned_on": _l("Planned for"),
                        "purpose": _l("Purpose"), "status": _l("Status"),
                        "cancel_reason": _l("Reason cancelled")}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    purpose: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="planned")
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    customer = relationship("Customer", lazy="joined")
    owner = relationship("User", foreign_keys="VisitPlan.owner_id", lazy="joined")
    # The visit log that marked it done (WorkLog.plan_id is unique: one log per plan).
    log = relationship("WorkLog", primaryjoin="WorkLog.plan_id == VisitPlan.id", uselist=False, viewonly=True,
                       lazy="select")

    __table_args__ = (
        Index("ix_worklog_plan_owner_planned", "owner_id", "planned_on"),
        Index("ix_worklog_plan_unit_planned", "org_unit_id", "planned_on"),
        Index("ix_worklog_plan_customer", "customer_id"),
    )

    def __repr__(self) -> str:
        return f"<VisitPlan {self.id} {self.planned_on} {self.status}>"
