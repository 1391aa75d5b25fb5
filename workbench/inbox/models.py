"""To-do items, dispatched tasks (派单) and per-kind reminder settings (待办设置)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.org.scope import Scope, ScopedMixin
from workbench.records import TimestampMixin, VersionedMixin


class TodoStatus:
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TodoItem(Audited, ScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One thing waiting for someone. owner_id is the assignee; a to-do queued for a whole
    unit has no owner and `assignee_unit_id` set instead, and any member may take it."""

    __tablename__ = "todo_item"
    __audit_values__ = {"status": {TodoStatus.OPEN: _l("Open"), TodoStatus.DONE: _l("Done"),
                                   TodoStatus.CANCELLED: _l("Cancelled")}}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    assignee_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=TodoStatus.OPEN)
    link: Mapped[str | None] = mapped_column(String(500))
    source_type: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(64))
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("todo_dispatch.id"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    result_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    owner = relationship("User", foreign_keys="TodoItem.owner_id", lazy="raise")
    customer = relationship("Customer", lazy="raise")
    assignee_unit = relationship("OrgUnit", foreign_keys=[assignee_unit_id], lazy="raise")
    dispatch = relationship("Dispatch", back_populates="todos", lazy="raise")

    __table_args__ = (
        # The inbox query: open items of one assignee ordered by due time.
        Index("ix_todo_item_owner_status_due", "owner_id", "status", "due_at"),
        Index("ix_todo_item_unit_queue", "assignee_unit_id", "status", "due_at"),
        Index("ix_todo_item_source", "source_type", "source_id", "status"),
    )

    @classmethod
    def scope_clause(cls, scope: Scope):
        clause = super().scope_clause(scope)
        if scope.level in ("own", "unit") and scope.unit_id is not None:
            # Items queued for the user's own unit are theirs to take.
            clause = or_(clause, cls.assignee_unit_id == scope.unit_id)
        return clause

    @property
    def is_open(self) -> bool:
        return self.status == TodoStatus.OPEN


class Dispatch(ScopedMixin, TimestampMixin, db.Model):
    """A task handed down by a lead (派单/交办) to people or a unit; each target person gets
    a TodoItem, and progress is counted from them. owner_id is the dispatcher."""

    __tablename__ = "todo_dispatch"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    target_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    todos = relationship("TodoItem", back_populates="dispatch", lazy="raise")
    dispatcher = relationship("User", foreign_keys="Dispatch.owner_id", lazy="joined")


class ReminderSetting(db.Model):
    """How a user wants to be reminded about one kind of to-do: in-app, SMS, e-mail."""

    __tablename__ = "todo_reminder_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    channels: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    __table_args__ = (UniqueConstraint("user_id", "kind"),)


CHANNELS = ("in_app", "sms", "email")
