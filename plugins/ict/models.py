"""Records of the ICT project plugin. Every table is named ict_... (checked at start-up).

A project belongs to the account manager who found it and to their org unit (ScopedMixin), so
the core's scope rule decides who sees it — widened, for this model only, to the members of
its project team (see IctProject.scope_clause). Team, milestones, notes, documents and stage
changes hang off the project: they carry no scope columns of their own and are only ever read
through a project the reader may see.

`opportunity_id` is a plain integer on purpose: the opportunity plugin's table is created by
its own migration branch, which need not run before this one; the services check it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, or_, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import Scope, ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin, utcnow


class IctProject(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An ICT project: discovery → review → monitoring → closed, or abandoned."""

    __tablename__ = "ict_project"
    __audit_label__ = _l("ICT project")
    __audit_labels__ = {
        "name": _l("Name"), "stage": _l("Stage"), "scope_of_work": _l("Scope of work"),
        "estimated_value": _l("Estimated value"), "confirmed_value": _l("Confirmed value"),
        "expected_start": _l("Expected start"), "expected_end": _l("Expected end"),
        "handler_id": _l("Handler"), "opportunity_id": _l("Opportunity work order"),
        "abandon_reason": _l("Reason for abandoning"), "outcome": _l("Outcome"),
        "category_code": _l("Business category"), "signed_at": _l("Signed on"),
        "submitted_at": _l("Submitted for review"), "approved_at": _l("Approved on"),
        "closed_at": _l("Closed on"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    category_code: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    scope_of_work: Mapped[str] = mapped_column(Text, nullable=False, default="")
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    confirmed_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    expected_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    expected_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="discovery", index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    opportunity_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    abandon_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    customer = relationship("Customer", lazy="select")
    owner = relationship("User", foreign_keys="IctProject.owner_id", lazy="joined")
    handler = relationship("User", foreign_keys="IctProject.handler_id", lazy="joined")
    org_unit = relationship("OrgUnit", lazy="joined")
    members = relationship("IctMember", back_populates="project", order_by="IctMember.id",
                           lazy="select")
    milestones = relationship("IctMilestone", back_populates="project",
                              order_by="(IctMilestone.planned_date, IctMilestone.id)", lazy="select")

    __table_args__ = (Index("ix_ict_project_owner_stage", "owner_id", "stage"),)

    @classmethod
    def scope_clause(cls, scope: Scope):
        """The central rule, plus: an active member of the project team sees the project.

        Only widens for the member's own user id; every other reader gets exactly the central
        rule (and the 'all' level stays 'all')."""
        base = super().scope_clause(scope)
        if scope.level == "all" or scope.user_id is None or scope.level == "none":
            return base
        on_team = select(IctMember.project_id).where(IctMember.user_id == scope.user_id,
                                                     IctMember.active.is_(True))
        return or_(base, cls.id.in_(on_team))

    def __repr__(self) -> str:
        return f"<IctProject {self.code} {self.stage}>"


class IctMember(Audited, TimestampMixin, db.Model):
    """A person on a project team, with a role; removing sets `active` off (kept for history)."""

    __tablename__ = "ict_member"
    __audit_label__ = _l("Team member")
    __audit_parent__ = "project_id"
    __audit_labels__ = {"user_id": _l("Person"), "role": _l("Role"), "active": _l("On the team")}
    __audit_summary__ = ("role",)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ict_project.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    project = relationship("IctProject", back_populates="members")
    user = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_ict_member_project_user"),)


class IctMilestone(Audited, TimestampMixin, VersionedMixin, db.Model):
    """A dated step of the project's plan; `actual_date` is set when it is done."""

    __tablename__ = "ict_milestone"
    __audit_label__ = _l("Milestone")
    __audit_parent__ = "project_id"
    __audit_labels__ = {"title": _l("Milestone"), "planned_date": _l("Planned date"),
                        "actual_date": _l("Actual date"), "done": _l("Done"), "archived": _l("Removed")}

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ict_project.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    planned_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    actual_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    project = relationship("IctProject", back_populates="milestones")


class IctNote(Audited, db.Model):
    """A progress note written on the project (append-only from the page)."""

    __tablename__ = "ict_note"
    __audit_label__ = _l("Progress note")
    __audit_parent__ = "project_id"
    __audit_summary__ = ("body",)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ict_project.id"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)

    author = relationship("User", lazy="joined")


class IctDocument(Audited, db.Model):
    """A document attached to the project, kept in the core file store."""

    __tablename__ = "ict_document"
    __audit_label__ = _l("Document")
    __audit_parent__ = "project_id"
    __audit_summary__ = ("title",)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ict_project.id"), nullable=False, index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    uploaded_by = relationship("User", lazy="joined")


class IctStageChange(db.Model):
    """One move of a project between stages: the project's step history (append-only).

    `actor_id` is None for a move the system made by itself (the work order advanced)."""

    __tablename__ = "ict_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ict_project.id"), nullable=False, index=True)
    from_stage: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    to_stage: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    actor = relationship("User", lazy="joined")
