"""Tables of the notification centre: notifications and their deliveries, reminders already
sent, per-user preferences, announcements (系统公告) and bulk SMS campaigns (短信群发).

Notifications belong to one person and are never shown to anybody else, so they are not
ScopedMixin records (a lead must not read their team's notifications): every query filters
on user_id itself. Bulk SMS campaigns are ordinary scoped records of their sender.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.extensions import db
from workbench.org.scope import ScopedMixin
from workbench.records import TimestampMixin, utcnow

DELIVERY_CHANNELS = ("email", "sms")
DELIVERY_STATES = ("pending", "sent", "failed", "skipped")


class Notification(db.Model):
    """One message to one person. `in_app` rows show in the list and the header bell; a row
    exists for every notify() recipient anyway, as the record the deliveries hang on."""

    __tablename__ = "notify_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    # A to-do kind ("task", "opportunity.review") or one of the centre's own kinds.
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    message: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(500))
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_announcement.id", ondelete="CASCADE"), index=True)

    __table_args__ = (
        # The bell (unread count) and the list: one person's in-app rows, unread first.
        Index("ix_notify_notification_user_inbox", "user_id", "in_app", "read_at", "id"),
    )

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Delivery(db.Model):
    """The e-mail or SMS copy of a notification: where it went and how it ended."""

    __tablename__ = "notify_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notify_notification.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")
    address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # What was (or will be) sent: the SMS text or the e-mail subject.
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    not_before: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    notification = relationship("Notification", lazy="joined")

    __table_args__ = (UniqueConstraint("notification_id", "channel"),)


class ReminderSent(db.Model):
    """A reminder rule that has fired for a to-do. The unique pair is what makes each rule
    remind once, however often the scan runs and however many scanners run at once."""

    __tablename__ = "notify_reminder_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    todo_id: Mapped[int] = mapped_column(ForeignKey("todo_item.id", ondelete="CASCADE"), nullable=False)
    rule: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("todo_id", "rule"),)


class Preference(db.Model):
    """A person's notification preferences beyond the per-kind reminder settings of the inbox."""

    __tablename__ = "notify_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True, nullable=False)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    digest_channels: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # The local date of the last digest, so a second run the same morning sends nothing.
    last_digest_on: Mapped[date | None] = mapped_column(Date)


class AnnouncementStatus:
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Announcement(TimestampMixin, db.Model):
    """系统公告: a message from an administrator to everybody or to units and everything below."""

    __tablename__ = "notify_announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    target_all: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=AnnouncementStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    recipient_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    units = relationship("OrgUnit", secondary="notify_announcement_unit", lazy="selectin",
                         order_by="OrgUnit.path")
    created_by = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_notify_announcement_status_published", "status", "published_at"),)


class AnnouncementUnit(db.Model):
    """A unit an announcement goes to (with every unit below it)."""

    __tablename__ = "notify_announcement_unit"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("notify_announcement.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)


class SmsCampaign(ScopedMixin, TimestampMixin, db.Model):
    """短信群发: one text sent to chosen customer contacts by a background job. owner_id is
    the sender, so the sender, their leads and admins see it (the central scope rule)."""

    __tablename__ = "notify_sms_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The job now (or last) sending it; a resumed or retried run gets a new one.
    job_key: Mapped[str | None] = mapped_column(String(160))
    runs: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    sender = relationship("User", foreign_keys="SmsCampaign.owner_id", lazy="joined")


RECIPIENT_STATES = ("pending", "sending", "sent", "failed", "skipped")


class SmsRecipient(db.Model):
    """One contact of a campaign and what happened to their SMS."""

    __tablename__ = "notify_sms_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("notify_sms_campaign.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contact.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    # Copied when the campaign is written: the report says whom it went to, even if the
    # contact is edited later.
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    customer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_notify_sms_recipient_campaign_status", "campaign_id", "status"),
    )
