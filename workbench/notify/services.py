"""The notification service: notify(), the in-app list, deliveries, reminders and the digest.

    from workbench.notify.services import notify

    notify(user, "opportunity.review", _l("Please review %(name)s", name=opp.name),
           link=f"/opportunity/{opp.id}")
    db.session.commit()

notify() writes one Notification row per recipient in the caller's transaction and queues an
e-mail and/or SMS delivery job for each; the jobs are handed over only when the caller
commits (a rolled-back action notifies nobody) and run outside the request. Which channels a
person gets is their reminder setting for the kind (待办设置, stored by the inbox), or the
kind's default channels when they never chose.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale, format_datetime, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, func, insert, or_, select, update

from workbench.auth.models import User
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import CHANNELS, ReminderSetting, TodoItem, TodoStatus
from workbench.jobs import enqueue
from workbench.notify import email as mail
from workbench.notify import settings as notify_settings
from workbench.notify import sms
from workbench.notify.models import Delivery, Notification, Preference, ReminderSent
from workbench.org.models import OrgUnit
from workbench.plugins import registry
from workbench.records import utcnow


# The centre's own kinds, beside the to-do kinds the hooks declare. Their channels are
# in-app only unless the caller names channels (the digest uses the person's choice).
OWN_KINDS = {
    "announcement": (_l("Announcement"), "bi-megaphone"),
    "digest": (_l("Daily digest"), "bi-calendar-check"),
    "notice": (_l("Notice"), "bi-info-circle"),
}
REMINDER_RULES = ("due_soon", "overdue")
MAX_MESSAGE = 2000


class DeliveryFailed(Exception):
    """A delivery failed in a way worth retrying; raising it makes the job try again later."""


# --- who, how, in which language ------------------------------------------------------------

def kind_label(kind: str) -> str:
    if kind in OWN_KINDS:
        return str(OWN_KINDS[kind][0])
    todo_kind = registry().todo_kinds.get(kind)
    return str(todo_kind.label) if todo_kind else kind


def kind_icon(kind: str) -> str:
    if kind in OWN_KINDS:
        return OWN_KINDS[kind][1]
    todo_kind = registry().todo_kinds.get(kind)
    return todo_kind.icon if todo_kind else "bi-bell"


def recipient_locale(user: User) -> str:
    from workbench.app_setup import LOCALES

    if user.locale in LOCALES:
        return user.locale
    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_Hans_CN"


def _recipients(target, include_subunits: bool) -> list[User]:
    """Active people a notification goes to: a user; a list of users; or a unit's members
    (that unit only, unless include_subunits — a unit queue belongs to its own members)."""
    if isinstance(target, User):
        return [target] if target.active else []
    if isinstance(target, OrgUnit):
        query = select(User).where(User.active.is_(True))
        if include_subunits:
            query = query.join(OrgUnit, User.org_unit_id == OrgUnit.id).where(OrgUnit.path.startswith(target.path))
        else:
            query = query.where(User.org_unit_id == target.id)
        return list(db.session.execute(query.order_by(User.id)).scalars())
    if isinstance(target, (list, tuple, set)):
        seen, people = set(), []
        for user in target:
            if not isinstance(user, User):
                raise ServiceError(_l("Notify a person, a list of people or an org unit."))
            if user.active and user.id not in seen:
                seen.add(user.id)
                people.append(user)
        return people
    raise ServiceError(_l("Notify a person, a list of people or an org unit."))


def channels_for(users: list[User], kind: str) -> dict[int, list[str]]:
    """Each person's channels for `kind`: their reminder setting, else the kind's default.
    One query for all of them."""
    todo_kind = registry().todo_kinds.get(kind)
    default = list(todo_kind.default_channels) if todo_kind else ["in_app"]
    chosen: dict[int, list[str]] = {}
    if todo_kind and users:
        chosen = dict(db.session.execute(
            select(ReminderSetting.user_id, ReminderSetting.channels)
            .where(ReminderSetting.kind == kind, ReminderSetting.user_id.in_([u.id for u in users]))
        ).all())
    return {user.id: list(chosen.get(user.id, default)) for user in users}


def _check_link(link: str | None) -> str | None:
    if link is None or link == "":
        return None
    link = str(link)
    # "//host" and "/\\host" are read by browsers as another site: only local paths.
    if not link.startswith("/") or link[1:2] in ("/", "\\") or len(link) > 500:
        raise ServiceError(_l("A notification links to a page of the workbench: a path starting with /."),
                           field="link")
    return link


def _check_channels(channels) -> list[str]:
    channels = list(channels)
    for channel in channels:
        if channel not in CHANNELS:
            raise ServiceError(_l("Unknown notification channel: %(channel)s", channel=channel), field="channels")
    return channels


# --- notify ----------------------------------------------------------------------------------

def notify(target, kind: str, message, link: str | None = None, *, title=None, channels=None,
           actor=None, include_subunits: bool = False, now: datetime | None = None) -> list[Notification]:
    """Notify a person, a list of people or an org unit's active members.

    `kind` is a to-do kind (the person's reminder settings for it choose the channels) or
    one of "announcement", "digest", "notice". `message` and `title` may be lazy strings
    (lazy_gettext): each recipient gets them in their own language. `channels` overrides
    the settings. Returns the rows written (the caller commits; deliveries go after commit).
    """
    if kind not in OWN_KINDS and kind not in registry().todo_kinds:
        raise ServiceError(_l("Unknown notification kind: %(kind)s", kind=kind), field="kind")
    if message is None or not str(message).strip():
        raise ServiceError(_l("A notification needs a message."), field="message")
    link = _check_link(link)
    forced = _check_channels(channels) if channels is not None else None
    people = _recipients(target, include_subunits)
    per_person = {user.id: forced for user in people} if forced is not None else channels_for(people, kind)
    now = now or utcnow()
    actor_id = getattr(actor, "id", actor)
    written = []
    for user in people:
        chosen = per_person[user.id]
        if not chosen:
            continue  # they turned every channel off for this kind
        with force_locale(recipient_locale(user)):
            text = str(message).strip()[:MAX_MESSAGE]
            heading = str(title).strip()[:200] if title else kind_label(kind)
        row = Notification(user_id=user.id, kind=kind, title=heading, message=text, link=link,
                           in_app="in_app" in chosen, created_at=now, actor_id=actor_id)
        db.session.add(row)
        written.append((row, user, chosen))
    db.session.flush()
    for row, user, chosen in written:
        for channel in ("email", "sms"):
            if channel in chosen:
                _queue_delivery(row, channel, user, now)
    return [row for row, _user, _chosen in written]


def sms_text(notification: Notification, user: User) -> str:
    with force_locale(recipient_locale(user)):
        text = _("[Workbench] %(title)s: %(message)s", title=notification.title, message=notification.message)
    return sms.fit(text, notify_settings.current())


def email_subject(notification: Notification, user: User) -> str:
    with force_locale(recipient_locale(user)):
        return _("[Workbench] %(title)s", title=notification.title)


def email_body(notification: Notification, user: User) -> str:
    """The plain-text e-mail, in the recipient's language (links made absolute with
    WORKBENCH_PUBLIC_URL when it is set)."""
    settings = notify_settings.current()
    link = notification.link
    if link and settings.public_url:
        link = settings.public_url + link
    with force_locale(recipient_locale(user)):
        lines = [_("Hello %(name)s,", name=user.name), "", notification.title, notification.message, ""]
        if link:
            lines += [_("Open it in the workbench: %(link)s", link=link), ""]
        lines += ["-- ", _("Account Manager Workbench. Choose how you are reminded under Reminder settings.")]
    return "\n".join(lines) + "\n"


def _queue_delivery(notification: Notification, channel: str, user: User, now: datetime) -> Delivery:
    settings = notify_settings.current()
    delivery = Delivery(notification_id=notification.id, channel=channel, created_at=now, status="pending",
                        attempts=0, detail="")
    if channel == "email":
        delivery.address = (user.email or "").strip()
        delivery.text = email_subject(notification, user)
        if not settings.email_enabled:
            delivery.status, delivery.detail = "skipped", "e-mail is not configured (WORKBENCH_SMTP_HOST)"
        elif not delivery.address:
            delivery.status, delivery.detail = "skipped", "no e-mail address"
    else:
        delivery.address = sms.mobile_number(user.phone) or ""
        delivery.text = sms_text(notification, user)
        if not delivery.address:
            delivery.status = "skipped"
            delivery.detail = "not a mobile number" if user.phone else "no mobile number"
    db.session.add(delivery)
    if delivery.status == "pending":
        delivery.not_before = sms.quiet_until(now, settings.quiet_hours, settings.timezone) if channel == "sms" else None
        enqueue(f"notify.send_{channel}", key=f"notify.{channel}:{notification.id}",
                run_after=delivery.not_before, notification_id=notification.id)
    return delivery


def deliver(notification_id: int, channel: str, now: datetime | None = None) -> dict:
    """Send one pending delivery (the body of the delivery jobs). Safe to run twice: a sent
    or skipped delivery is left alone. A failure worth retrying raises DeliveryFailed after
    recording it, so the job runs again later; a permanent one is recorded and ends."""
    settings = notify_settings.current()
    now = now or utcnow()
    delivery = db.session.execute(
        select(Delivery).where(Delivery.notification_id == notification_id, Delivery.channel == channel)
    ).scalar_one_or_none()
    if delivery is None or delivery.status in ("sent", "skipped"):
        return {"status": delivery.status if delivery else "missing"}
    notification = delivery.notification
    user = db.session.get(User, notification.user_id)
    if channel == "sms":
        morning = sms.quiet_until(now, settings.quiet_hours, settings.timezone)
        if morning is not None:
            # A retry or a late broker landed in quiet hours: wait for the morning again.
            delivery.not_before = morning
            enqueue("notify.send_sms", key=f"notify.sms:{notification_id}:{morning:%Y%m%d}",
                    run_after=morning, notification_id=notification_id)
            return {"status": "deferred", "until": morning.isoformat()}
        result = sms.gateway(settings).send(delivery.address, delivery.text)
    else:
        if not settings.email_enabled:
            delivery.status, delivery.detail = "skipped", "e-mail is not configured (WORKBENCH_SMTP_HOST)"
            return {"status": "skipped"}
        result = mail.send(settings, delivery.address, delivery.text, email_body(notification, user))
    delivery.attempts += 1
    delivery.detail = (result.detail or "")[:500]
    if result.ok:
        delivery.status, delivery.sent_at = "sent", utcnow()
        return {"status": "sent"}
    delivery.status = "failed"
    if result.permanent:
        return {"status": "failed", "detail": delivery.detail}
    db.session.commit()  # keep the failure on record; the job's retry tries again
    raise DeliveryFailed(f"{channel} delivery of notification {notification_id} failed: {delivery.detail}")


# --- the in-app list -------------------------------------------------------------------------

def unread_count(user: User) -> int:
    """The header bell: one COUNT on the (user_id, in_app, read_at) index."""
    return db.session.execute(
        select(func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.in_app.is_(True), Notification.read_at.is_(None))
    ).scalar_one()


def list_query(user: User, unread_only: bool = False, q: str | None = None):
    """The person's in-app notifications, unread first, newest first."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.in_app.is_(True))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if q and q.strip():
        words = q.strip()
        query = query.where(or_(Notification.title.contains(words, autoescape=True),
                                Notification.message.contains(words, autoescape=True)))
    return query.order_by(case((Notification.read_at.is_(None), 0), else_=1), Notification.id.desc())


def get_notification(user: User, notification_id: int) -> Notification:
    """One of the person's own notifications; anybody else's is NotFound."""
    row = db.session.execute(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id,
                                   Notification.in_app.is_(True))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_l("Notification not found."))
    return row


def mark_read(user: User, notification_id: int, now: datetime | None = None) -> Notification:
    row = get_notification(user, notification_id)
    if row.read_at is None:
        row.read_at = now or utcnow()
    return row


def mark_all_read(user: User, now: datetime | None = None) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.in_app.is_(True), Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def deliveries_of(notification_ids: list[int]) -> dict[int, list[Delivery]]:
    """The e-mail/SMS copies of a page of notifications, in one query."""
    if not notification_ids:
        return {}
    found: dict[int, list[Delivery]] = {}
    rows = db.session.execute(
        select(Delivery).where(Delivery.notification_id.in_(notification_ids)).order_by(Delivery.channel)
    ).scalars()
    for delivery in rows:
        found.setdefault(delivery.notification_id, []).append(delivery)
    return found


# --- preferences -----------------------------------------------------------------------------

def preference(user: User) -> Preference:
    """The person's preferences (unsaved defaults when they never chose)."""
    row = db.session.execute(select(Preference).where(Preference.user_id == user.id)).scalar_one_or_none()
    return row or Preference(user_id=user.id, digest_enabled=False, digest_channels=["in_app"])


def save_preference(user: User, *, digest_enabled: bool, digest_channels) -> Preference:
    channels = _check_channels(digest_channels)
    if digest_enabled and not channels:
        raise ServiceError(_l("Choose at least one way to receive the daily digest."), field="digest_channels")
    row = preference(user)
    row.digest_enabled = bool(digest_enabled)
    row.digest_channels = [c for c in CHANNELS if c in channels]
    db.session.add(row)
    return row


# --- reminders -------------------------------------------------------------------------------

def _format_due(due_at: datetime | None) -> str:
    return format_datetime(due_at.replace(tzinfo=timezone.utc), "short") if due_at else ""


def notify_todo(todo: TodoItem, reason: str, actor_id: int | None = None, now: datetime | None = None) -> list[Notification]:
    """Tell a to-do's assignee (or the members of the unit it is queued for) about it.

    reason: "opened", "reassigned", "due_soon" or "overdue".
    """
    if todo.owner_id is not None:
        target = db.session.get(User, todo.owner_id)
        if target is None or target.id == actor_id:
            return []  # nobody needs telling about a to-do they gave themselves
    elif todo.assignee_unit_id is not None:
        unit = db.session.get(OrgUnit, todo.assignee_unit_id)
        target = [user for user in _recipients(unit, False) if user.id != actor_id] if unit else []
    else:
        return []
    if not target:
        return []
    texts = {
        "opened": _l("New to-do: %(title)s", title=todo.title),
        "reassigned": _l("A to-do was handed to you: %(title)s", title=todo.title),
        "due_soon": _l("Due soon: %(title)s", title=todo.title),
        "overdue": _l("Overdue: %(title)s", title=todo.title),
    }
    message = _DueSuffix(texts[reason], todo.due_at)
    return notify(target, todo.kind, message, link=f"/inbox/{todo.id}", actor=actor_id, now=now)


class _DueSuffix:
    """A message rendered in the recipient's language, with the due time when there is one."""

    def __init__(self, text, due_at):
        self.text, self.due_at = text, due_at

    def __str__(self) -> str:
        if self.due_at is None:
            return str(self.text)
        return _("%(text)s (due %(due)s)", text=str(self.text), due=_format_due(self.due_at))


@dataclass
class ScanResult:
    due_soon: int = 0
    overdue: int = 0


def _reminder_candidates(rule: str, now: datetime, soon: datetime, limit: int):
    open_assigned = and_(
        TodoItem.status == TodoStatus.OPEN, TodoItem.owner_id.is_not(None), TodoItem.due_at.is_not(None),
        or_(TodoItem.snoozed_until.is_(None), TodoItem.snoozed_until <= now),
    )
    window = TodoItem.due_at <= now if rule == "overdue" else and_(TodoItem.due_at > now, TodoItem.due_at <= soon)
    already = select(ReminderSent.id).where(ReminderSent.todo_id == TodoItem.id, ReminderSent.rule == rule)
    return db.session.execute(
        select(TodoItem).where(open_assigned, window, ~already.exists()).order_by(TodoItem.id).limit(limit)
    ).scalars().all()


def scan_reminders(now: datetime | None = None, batch: int = 500, checkpoint=None) -> ScanResult:
    """Remind assignees of to-dos due within WORKBENCH_REMINDER_DUE_SOON_HOURS and of overdue
    ones, once per (to-do, rule). Runs in system scope (the reminder job). The candidates are
    found set-wise in SQL; the unique (todo_id, rule) row written with each reminder is what
    keeps the next scan — or a second scanner running at the same time — from repeating it.
    `checkpoint(done)` is called after each batch (the job commits there)."""
    now = now or utcnow()
    soon = now + timedelta(hours=notify_settings.current().due_soon_hours)
    result = ScanResult()
    for rule in REMINDER_RULES:
        while True:
            todos = _reminder_candidates(rule, now, soon, batch)
            if not todos:
                break
            db.session.execute(insert(ReminderSent), [{"todo_id": t.id, "rule": rule, "created_at": now} for t in todos])
            for todo in todos:
                notify_todo(todo, rule, now=now)
            setattr(result, rule, getattr(result, rule) + len(todos))
            if checkpoint is not None:
                checkpoint(result.due_soon + result.overdue)
            if len(todos) < batch:
                break
    return result


# --- daily digest ----------------------------------------------------------------------------

def local_today(now: datetime | None = None):
    settings = notify_settings.current()
    return (now or utcnow()).replace(tzinfo=timezone.utc).astimezone(settings.timezone).date()


def send_digests(now: datetime | None = None) -> dict:
    """The morning digest for everyone who turned it on: open, overdue and due-today counts.
    Once per local day per person; people with nothing open get none."""
    now = now or utcnow()
    today = local_today(now)
    settings = notify_settings.current()
    local_midnight = datetime.combine(today, datetime.min.time(), tzinfo=settings.timezone)
    day_start = local_midnight.astimezone(timezone.utc).replace(tzinfo=None)
    day_end = day_start + timedelta(days=1)
    prefs = db.session.execute(
        select(Preference).join(User, User.id == Preference.user_id)
        .where(Preference.digest_enabled.is_(True), User.active.is_(True),
               or_(Preference.last_digest_on.is_(None), Preference.last_digest_on < today))
    ).scalars().all()
    if not prefs:
        return {"sent": 0, "nothing_open": 0}
    counts = {
        owner_id: (int(total), int(overdue or 0), int(due_today or 0))
        for owner_id, total, overdue, due_today in db.session.execute(
            select(
                TodoItem.owner_id, func.count(TodoItem.id),
                func.sum(case((TodoItem.due_at < now, 1), else_=0)),
                func.sum(case((and_(TodoItem.due_at >= day_start, TodoItem.due_at < day_end), 1), else_=0)),
            )
            .where(TodoItem.status == TodoStatus.OPEN, TodoItem.owner_id.in_([p.user_id for p in prefs]))
            .group_by(TodoItem.owner_id)
        ).all()
    }
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_([p.user_id for p in prefs]))).scalars()}
    sent = quiet = 0
    for pref in prefs:
        pref.last_digest_on = today
        total, overdue, due_today = counts.get(pref.user_id, (0, 0, 0))
        if not total:
            quiet += 1
            continue
        notify(users[pref.user_id], "digest",
               _l("Open to-dos: %(total)d, overdue: %(overdue)d, due today: %(today)d.",
                  total=total, overdue=overdue, today=due_today),
               link="/inbox/", channels=pref.digest_channels or ["in_app"], now=now)
        sent += 1
    return {"sent": sent, "nothing_open": quiet}


# --- the inbox's events ----------------------------------------------------------------------

def on_todo_event(name: str, payload: dict, actor_id: int | None) -> list[Notification]:
    """todo.opened / todo.reassigned → tell the assignee, per their settings.

    Works whether events arrive inside the emitter's transaction or after its commit: the
    to-do is read again by the id in the payload (in system scope: the actor who opened it
    may not see it, e.g. an AM whose step opens a to-do for a reviewer elsewhere)."""
    from workbench.org.scope import system_scope

    with system_scope():
        todo = db.session.execute(
            select(TodoItem).where(TodoItem.id == payload.get("todo_id"))
        ).scalar_one_or_none()
    if todo is None or not todo.is_open:
        return []
    if name == "todo.reassigned":
        if todo.owner_id != payload.get("to_user"):
            return []  # it moved on again before we got here; that move sends its own event
        return notify_todo(todo, "reassigned", actor_id=actor_id)
    return notify_todo(todo, "opened", actor_id=actor_id)
