"""Announcements (系统公告): written by an administrator as a draft, published to everybody or
to units (each with every unit below it), withdrawn when no longer true.

Publishing writes one in-app notification per person in the audience with a single
INSERT … SELECT, so the header bell and the notification list show it until read; the
homepage widget asks the audience rule directly, so somebody who joins a unit later still
sees the announcements addressed to it.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, insert, literal, or_, select, update
from sqlalchemy.orm import aliased

from workbench.auth.models import User
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.notify.models import Announcement, AnnouncementStatus, AnnouncementUnit, Notification
from workbench.org.models import OrgUnit
from workbench.records import utcnow

PERMISSION = "notify.announce"
MAX_BODY = 10_000
EXCERPT = 200


def _require(actor: User) -> None:
    if not actor.can(PERMISSION):
        raise NotAllowed(_l("You may not publish announcements."))


def _check_units(actor: User, units: list[OrgUnit]) -> None:
    scope = actor.scope
    for unit in units:
        if not (scope.sees_everything or (scope.unit_path and unit.path.startswith(scope.unit_path))):
            raise NotFound(_l("Unit not found."))


def create(actor: User, *, title: str, body: str = "", target_all: bool = False,
           units: list[OrgUnit] = ()) -> Announcement:
    """A draft announcement. Everybody (target_all) is for those who see the whole tree."""
    _require(actor)
    title = (title or "").strip()
    body = (body or "").strip()
    units = list(dict.fromkeys(units))
    if not title:
        raise ServiceError(_l("An announcement needs a title."), field="title")
    if len(title) > 200:
        raise ServiceError(_l("Keep the title to 200 characters."), field="title")
    if len(body) > MAX_BODY:
        raise ServiceError(_l("Keep the text to %(count)d characters.", count=MAX_BODY), field="body")
    if not target_all and not units:
        raise ServiceError(_l("Choose who should see it: everybody, or at least one unit."), field="units")
    if target_all and not actor.scope.sees_everything:
        raise NotAllowed(_l("Only administrators who see the whole organisation may announce to everybody."))
    _check_units(actor, units)
    announcement = Announcement(title=title, body=body, target_all=bool(target_all),
                                status=AnnouncementStatus.DRAFT, created_by_id=actor.id)
    announcement.units = [] if target_all else units
    db.session.add(announcement)
    db.session.flush()
    return announcement


def manageable(actor: User):
    """SELECT of the announcements the actor administers: all for whole-tree admins, else
    the ones they wrote."""
    query = select(Announcement)
    if not actor.scope.sees_everything:
        query = query.where(Announcement.created_by_id == actor.id)
    return query


def get_managed(actor: User, announcement_id: int) -> Announcement:
    _require(actor)
    found = db.session.execute(
        manageable(actor).where(Announcement.id == announcement_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Announcement not found."))
    return found


def _audience(announcement: Announcement):
    """SELECT of the ids of the active people an announcement reaches."""
    query = select(User.id).where(User.active.is_(True))
    if announcement.target_all:
        return query
    unit_paths = [unit.path for unit in announcement.units]
    if not unit_paths:
        return query.where(false())
    return query.join(OrgUnit, User.org_unit_id == OrgUnit.id).where(
        or_(*[OrgUnit.path.startswith(path) for path in unit_paths]))


def publish(actor: User, announcement: Announcement, now: datetime | None = None) -> int:
    """Publish a draft: it appears in the audience's notification list and bell (one row per
    person, written set-wise) and in the homepage widget. Returns how many people it reaches."""
    _require(actor)
    if announcement.status != AnnouncementStatus.DRAFT:
        raise ServiceError(_l("Only a draft can be published."))
    now = now or utcnow()
    announcement.status = AnnouncementStatus.PUBLISHED
    announcement.published_at = now
    excerpt = announcement.body[:EXCERPT] or announcement.title
    audience = _audience(announcement).subquery()
    rows = select(
        audience.c.id, literal("announcement"), literal(announcement.title[:200]), literal(excerpt),
        literal(f"/notifications/announcements/{announcement.id}"), literal(True), literal(now),
        literal(actor.id), literal(announcement.id),
    )
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "title", "message", "link", "in_app", "created_at", "actor_id", "announcement_id"],
            rows,
        )
    )
    # rowcount of INSERT … SELECT is not reported by every driver: count what was written.
    announcement.recipient_count = db.session.execute(
        select(func.count(Notification.id)).where(Notification.announcement_id == announcement.id)
    ).scalar_one()
    return announcement.recipient_count


def withdraw(actor: User, announcement: Announcement, now: datetime | None = None) -> int:
    """Take a published announcement back: it leaves the widget, the lists and the bells.
    The announcement itself is kept (withdrawn), so the record of what was said stays."""
    _require(actor)
    if announcement.status != AnnouncementStatus.PUBLISHED:
        raise ServiceError(_l("Only a published announcement can be withdrawn."))
    announcement.status = AnnouncementStatus.WITHDRAWN
    announcement.withdrawn_at = now or utcnow()
    return db.session.execute(
        update(Notification).where(Notification.announcement_id == announcement.id)
        .values(in_app=False).execution_options(synchronize_session=False)
    ).rowcount


def _unit_ids_on_path(user: User) -> list[int]:
    """The user's unit and every unit above it, from the materialised path "/1/4/17/"."""
    if user.org_unit is None:
        return []
    return [int(part) for part in user.org_unit.path.strip("/").split("/") if part]


def addressed_to(user: User):
    """Criterion: a published announcement whose audience includes `user`."""
    above = _unit_ids_on_path(user)
    targeted = select(AnnouncementUnit.announcement_id).where(
        AnnouncementUnit.announcement_id == Announcement.id, AnnouncementUnit.unit_id.in_(above or [-1]))
    return and_(Announcement.status == AnnouncementStatus.PUBLISHED,
                or_(Announcement.target_all.is_(True), targeted.exists()))


def for_reader(user: User, limit: int = 5) -> list[tuple[Announcement, bool]]:
    """The newest announcements addressed to the user, each with whether they have read it
    (one query: the user's own notification row carries the read state)."""
    mine = aliased(Notification)
    rows = db.session.execute(
        select(Announcement, mine.read_at)
        .outerjoin(mine, and_(mine.announcement_id == Announcement.id, mine.user_id == user.id))
        .where(addressed_to(user))
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()
    # No row at all (joined after publishing) counts as unread until they open it.
    return [(announcement, read_at is not None) for announcement, read_at in rows]


def read(user: User, announcement_id: int, now: datetime | None = None) -> Announcement:
    """Open an announcement addressed to the user (or one they administer) and mark it read."""
    found = db.session.execute(
        select(Announcement).where(Announcement.id == announcement_id, addressed_to(user))
    ).scalar_one_or_none()
    if found is None and user.can(PERMISSION):
        found = db.session.execute(
            manageable(user).where(Announcement.id == announcement_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Announcement not found."))
    db.session.execute(
        update(Notification)
        .where(Notification.announcement_id == found.id, Notification.user_id == user.id,
               Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    return found
