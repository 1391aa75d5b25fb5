"""Rules of the worklog plugin: writing and editing logs, system logs from other modules'
events, weekly visit plans, the calendar, history queries and team figures.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
(naming the field at fault) and leave committing to the caller. Reads need no scope filter:
the core applies the data-scope rule to every SELECT, so a list, a count, the calendar, the
team figures and an export all show only what the reader may see.

Times: `happened_at` is stored as naive UTC like every timestamp; plan dates and follow-up
dates are calendar dates in the workbench's time zone (Beijing by default).
"""
from __future__ import annotations

import calendar as _calendar
import enum
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from plugins.worklog import system_entries
from plugins.worklog.models import VisitPlan, WorkLog
from workbench.auth.models import User
from workbench.customers.models import Customer, CustomerContact
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit, emit_batch
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem
from workbench.notify.services import recipient_locale
from workbench.records import utcnow


class Kind(str, enum.Enum):
    SERVICE = "service"
    WORK = "work"
    PROJECT = "project"
    VISIT = "visit"


KIND_LABELS = {Kind.SERVICE: _l("Customer service"), Kind.WORK: _l("Work"), Kind.PROJECT: _l("Project"),
               Kind.VISIT: _l("Visit")}
KIND_ICONS = {Kind.SERVICE: "bi-headset", Kind.WORK: "bi-briefcase", Kind.PROJECT: "bi-kanban",
              Kind.VISIT: "bi-geo-alt"}
KIND_VALUES = tuple(kind.value for kind in Kind)
CUSTOMER_REQUIRED = (Kind.SERVICE.value, Kind.VISIT.value)


class PlanStatus(str, enum.Enum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


PLAN_LABELS = {"planned": _l("Planned"), "done": _l("Done"), "cancelled": _l("Cancelled"),
               "missed": _l("Missed")}
PLAN_COLOURS = {"planned": "primary", "done": "success", "cancelled": "secondary", "missed": "danger"}

# Permissions (declared in plugin.py)
PERM_VIEW = "worklog.view"
PERM_WRITE = "worklog.write"
PERM_PLAN = "worklog.plan"
PERM_TEAM = "worklog.view_team"
PERM_EXPORT = "worklog.export"

# To-do kinds (declared in plugin.py)
TODO_FOLLOW_UP = "worklog.follow_up"
TODO_VISIT = "worklog.visit"
LOG_SOURCE = "worklog_log"
PLAN_SOURCE = "worklog_plan"

CONTENT_MAX = 4000
NEXT_STEP_MAX = 1000
PURPOSE_MAX = 300
CONTACTS_MAX = 20
CONTACT_NAME_MAX = 100
# A log describes what happened: a little clock skew is fine, a time tomorrow is not.
FUTURE_SLACK = timedelta(minutes=10)
FOLLOW_UP_MAX_DAYS = 366
PLAN_AHEAD_MAX_DAYS = 90


# -- time -------------------------------------------------------------------------------------

def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def today() -> date:
    """Today in the workbench's time zone."""
    return datetime.now(zone()).date()


def to_utc(local: datetime) -> datetime:
    """A naive local (workbench time zone) time as naive UTC, as stored."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def to_local(stored: datetime) -> datetime:
    """A stored naive-UTC time as naive local time."""
    return stored.replace(tzinfo=timezone.utc).astimezone(zone()).replace(tzinfo=None)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in stored UTC covering the local days first..last."""
    return to_utc(datetime.combine(first, time.min)), to_utc(datetime.combine(last + timedelta(days=1), time.min))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def edit_window() -> timedelta:
    return timedelta(days=int(current_app.config.get("WORKLOG_EDIT_DAYS", 7)))


def parse_datetime(value, field_name: str = "happened_at") -> datetime:
    """A local date-time from a form or API ("2026-11-23T09:30", "2026-11-23 09:30") as UTC."""
    if isinstance(value, datetime):
        return to_utc(value) if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    text = (str(value) if value is not None else "").strip()
    if not text:
        raise ServiceError(_l("Enter the date and time."), field=field_name)
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise ServiceError(_l("Enter the date and time as YYYY-MM-DD HH:MM."), field=field_name) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return to_utc(parsed)


def parse_date(value, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field=field_name) from None


# -- reading ----------------------------------------------------------------------------------

def log_link(log: WorkLog) -> str:
    return f"/worklog/{log.id}"


def plan_link(plan: VisitPlan) -> str:
    return f"/worklog/plans/{plan.id}"


@dataclass(frozen=True)
class LogFilter:
    q: str | None = None
    kind: str | None = None
    customer_id: int | None = None
    owner_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    origin: str | None = None  # "typed", "system" or None for both

    @classmethod
    def from_args(cls, args) -> "LogFilter":
        """The filters of the list page's query string; values that do not parse are ignored
        (a list filter never fails the page)."""
        def as_int(name):
            try:
                return int(args.get(name)) if args.get(name) not in (None, "") else None
            except (TypeError, ValueError):
                return None

        def as_date(name):
            try:
                return parse_date(args.get(name), name)
            except ServiceError:
                return None

        kind = args.get("type")  # not "kind": the export URL uses that name for the export kind
        origin = args.get("origin")
        return cls(q=(args.get("q") or "").strip()[:100] or None,
                   kind=kind if kind in KIND_VALUES else None,
                   customer_id=as_int("customer_id"), owner_id=as_int("owner_id"),
                   date_from=as_date("date_from"), date_to=as_date("date_to"),
                   origin=origin if origin in ("typed", "system") else None)

    def as_args(self) -> dict:
        values = {"q": self.q, "type": self.kind, "customer_id": self.customer_id, "owner_id": self.owner_id,
                  "date_from": self.date_from.isoformat() if self.date_from else None,
                  "date_to": self.date_to.isoformat() if self.date_to else None, "origin": self.origin}
        return {key: value for key, value in values.items() if value not in (None, "")}


def log_query(filters: LogFilter | None = None) -> Select:
    """Logs the reader may see, newest first, filtered."""
    filters = filters or LogFilter()
    query = select(WorkLog).order_by(WorkLog.happened_at.desc(), WorkLog.id.desc())
    if filters.q:
        term = filters.q.strip()
        matching_customers = select(Customer.id).where(or_(Customer.name.contains(term, autoescape=True),
                                                           Customer.code.contains(term, autoescape=True)))
        query = query.where(or_(WorkLog.content.contains(term, autoescape=True),
                                WorkLog.next_step.contains(term, autoescape=True),
                                WorkLog.customer_id.in_(matching_customers)))
    if filters.kind:
        query = query.where(WorkLog.kind == filters.kind)
    if filters.customer_id:
        query = query.where(WorkLog.customer_id == filters.customer_id)
    if filters.owner_id:
        query = query.where(WorkLog.owner_id == filters.owner_id)
    if filters.date_from or filters.date_to:
        start, end = day_bounds(filters.date_from or date(1970, 1, 1), filters.date_to or date(9999, 12, 30))
        if filters.date_from:
            query = query.where(WorkLog.happened_at >= start)
        if filters.date_to:
            query = query.where(WorkLog.happened_at < end)
    if filters.origin == "typed":
        query = query.where(WorkLog.system.is_(False))
    elif filters.origin == "system":
        query = query.where(WorkLog.system.is_(True))
    return query


def get_log(log_id: int) -> WorkLog:
    """A log within the current scope, or NotFound (out of scope looks absent)."""
    log = db.session.execute(select(WorkLog).where(WorkLog.id == log_id)).unique().scalar_one_or_none()
    if log is None:
        raise NotFound(_l("Work log not found."))
    return log


def get_plan(plan_id: int) -> VisitPlan:
    plan = db.session.execute(select(VisitPlan).where(VisitPlan.id == plan_id)).unique().scalar_one_or_none()
    if plan is None:
        raise NotFound(_l("Visit plan not found."))
    return plan


def trail_query(customer_id: int, kind: str | None = None) -> Select:
    """The customer's service trail: typed and system logs, newest first."""
    return log_query(LogFilter(customer_id=customer_id, kind=kind if kind in KIND_VALUES else None))


def describe(log: WorkLog) -> str:
    """What a log says, in the reader's language: the typed content, or the system sentence."""
    if log.system:
        return system_entries.describe(log.event_name, log.payload)
    return log.content


def system_detail(log: WorkLog) -> str:
    return system_entries.detail_of(log.event_name, log.payload) if log.system else ""


def source_link(log: WorkLog) -> str | None:
    return system_entries.link_of(log.event_name, log.payload) if log.system else None


def contact_names(log: WorkLog) -> str:
    return "、".join(contact.get("name", "") for contact in (log.contacts or []) if contact.get("name"))


def kind_label(kind: str) -> str:
    try:
        return str(KIND_LABELS[Kind(kind)])
    except ValueError:
        return kind


def may_edit(actor: User, log: WorkLog, now: datetime | None = None) -> bool:
    return edit_refusal(actor, log, now) is None


def edit_refusal(actor: User, log: WorkLog, now: datetime | None = None):
    """Why `actor` may not edit `log` now (a message), or None when they may."""
    if log.system:
        return _l("System entries are written from other modules' records and cannot be edited.")
    if actor.id != (log.created_by_id or log.owner_id):
        return _l("Only the author of a log can change it.")
    if (now or utcnow()) - log.created_at > edit_window():
        return _l("Logs can be changed for %(days)d days after they are written; this one is older.",
                  days=edit_window().days)
    return None


def editable_until(log: WorkLog) -> datetime:
    return log.created_at + edit_window()


# -- customers and contacts ------------------------------------------------------------------

def _customer(customer_id, required: bool, kind: str | None = None) -> Customer | None:
    if customer_id in (None, "", 0):
        if required:
            raise ServiceError(_l("Choose the customer: %(kind)s logs are always about a customer.",
                                  kind=kind_label(kind or "")), field="customer_id")
        return None
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise ServiceError(_l("Choose a customer from the list."), field="customer_id") from None
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).unique().scalar_one_or_none()
    if customer is None:  # missing or outside the actor's scope: the same answer
        raise ServiceError(_l("Choose a customer from your own customers."), field="customer_id")
    if customer.archived:
        raise ServiceError(_l("This customer is archived; choose an active one."), field="customer_id")
    return customer


def suggest_customers(q: str | None, limit: int = 8) -> list[Customer]:
    """Customers in the reader's scope whose name or code contains `q` (the pickers' list)."""
    term = (q or "").strip()[:50]
    if not term:
        return []
    query = (select(Customer).where(Customer.archived.is_(False),
                                    or_(Customer.name.contains(term, autoescape=True),
                                        Customer.code.contains(term, autoescape=True)))
             .order_by(Customer.name).limit(limit))
    return list(db.session.execute(query).unique().scalars())


def contacts_of(customer: Customer | None) -> list[CustomerContact]:
    if customer is None:
        return []
    return list(db.session.execute(select(CustomerContact).where(CustomerContact.customer_id == customer.id)
                                   .order_by(CustomerContact.is_key.desc(), CustomerContact.id)).scalars())


def clean_contacts(customer: Customer | None, contact_ids, contacts_text) -> list[dict]:
    """Picked contacts (must be the customer's) and free-text names, one list without repeats."""
    chosen: list[dict] = []
    ids = []
    for value in contact_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ServiceError(_l("Choose contacts from the customer's list."), field="contact_ids") from None
    if ids:
        if customer is None:
            raise ServiceError(_l("Choose the customer before picking its contacts."), field="contact_ids")
        known = {contact.id: contact for contact in contacts_of(customer)}
        for contact_id in dict.fromkeys(ids):
            if contact_id not in known:
                raise ServiceError(_l("Choose contacts from the customer's list."), field="contact_ids")
            chosen.append({"id": contact_id, "name": known[contact_id].name})
    text = contacts_text if isinstance(contacts_text, str) else "、".join(contacts_text or [])
    for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        name = part.strip()
        if not name:
            continue
        if len(name) > CONTACT_NAME_MAX:
            raise ServiceError(_l("A contact's name has at most %(max)d characters.", max=CONTACT_NAME_MAX),
                               field="contacts_text")
        if name not in {entry["name"] for entry in chosen}:
            chosen.append({"id": None, "name": name})
    if len(chosen) > CONTACTS_MAX:
        raise ServiceError(_l("Name at most %(max)d contacts.", max=CONTACTS_MAX), field="contacts_text")
    return chosen


# -- writing logs -----------------------------------------------------------------------------

@dataclass
class LogInput:
    """What a person writes; every field is checked by clean_log()."""

    kind: str = ""
    customer_id: object = None
    happened_at: object = None
    content: str = ""
    contact_ids: list = field(default_factory=list)
    contacts_text: str = ""
    next_step: str = ""
    follow_up_on: object = None
    plan_id: object = None


def clean_log(values: LogInput, now: datetime | None = None) -> dict:
    """Check a log's fields; returns the cleaned values or raises ServiceError naming the field."""
    now = now or utcnow()
    kind = (values.kind or "").strip()
    if kind not in KIND_VALUES:
        raise ServiceError(_l("Choose the type of log."), field="kind")
    customer = _customer(values.customer_id, kind in CUSTOMER_REQUIRED, kind)
    happened_at = parse_datetime(values.happened_at) if values.happened_at not in (None, "") else now
    if happened_at > now + FUTURE_SLACK:
        raise ServiceError(_l("A log records what happened: the time cannot be in the future. "
                              "Plan future visits as visit plans."), field="happened_at")
    if happened_at < now - timedelta(days=365):
        raise ServiceError(_l("The time is more than a year ago; check the date."), field="happened_at")
    content = (values.content or "").strip()
    if not content:
        raise ServiceError(_l("Write what happened."), field="content")
    if len(content) > CONTENT_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=CONTENT_MAX), field="content")
    next_step = (values.next_step or "").strip()
    if len(next_step) > NEXT_STEP_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=NEXT_STEP_MAX), field="next_step")
    follow_up_on = parse_date(values.follow_up_on, "follow_up_on")
    if follow_up_on is not None:
        if not next_step:
            raise ServiceError(_l("Describe the next step the follow-up date is for."), field="next_step")
        if follow_up_on < today():
            raise ServiceError(_l("The follow-up date cannot be in the past."), field="follow_up_on")
        if follow_up_on > today() + timedelta(days=FOLLOW_UP_MAX_DAYS):
            raise ServiceError(_l("The follow-up date is more than a year ahead."), field="follow_up_on")
    contacts = clean_contacts(customer, values.contact_ids, values.contacts_text)
    return {"kind": kind, "customer": customer, "happened_at": happened_at, "content": content,
            "contacts": contacts, "next_step": next_step, "follow_up_on": follow_up_on}


def _payload(log: WorkLog) -> dict:
    return {"log_id": log.id, "customer_id": log.customer_id, "kind": log.kind, "owner_id": log.owner_id,
            "org_unit_id": log.org_unit_id, "system": bool(log.system)}


def _require(actor: User, permission: str, message) -> None:
    if not actor.can(permission):
        raise NotAllowed(message)


def create_log(actor: User, values: LogInput) -> WorkLog:
    """Write a log. A visit log may name the plan it fulfils (the plan is then done); a
    follow-up date opens a to-do; the author's open follow-ups of the same customer close."""
    _require(actor, PERM_WRITE, _l("You may not write work logs."))
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit; ask an administrator to place you in one."))
    cleaned = clean_log(values)
    plan = _plan_to_fulfil(actor, values.plan_id, cleaned) if values.plan_id not in (None, "", 0) else None
    customer = cleaned["customer"]
    log = WorkLog(kind=cleaned["kind"], customer_id=customer.id if customer else None,
                  happened_at=cleaned["happened_at"], content=cleaned["content"], contacts=cleaned["contacts"],
                  next_step=cleaned["next_step"], follow_up_on=cleaned["follow_up_on"],
                  plan_id=plan.id if plan else None, created_by_id=actor.id, owner_id=actor.id,
                  org_unit_id=actor.org_unit_id, system=False)
    db.session.add(log)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("This visit plan was just marked done by another log.")) from None
    if customer is not None:
        _close_earlier_follow_ups(actor, log)
    if plan is not None:
        _mark_plan_done(actor, plan, log)
    if log.follow_up_on is not None:
        _open_follow_up(actor, log)
    emit("worklog.logged", actor=actor, **_payload(log))
    return log


def _plan_to_fulfil(actor: User, plan_id, cleaned: dict) -> VisitPlan:
    try:
        plan = get_plan(int(plan_id))
    except (TypeError, ValueError, NotFound):
        raise ServiceError(_l("Choose one of your planned visits."), field="plan_id") from None
    if plan.owner_id != actor.id:
        raise ServiceError(_l("Only the person who planned a visit can write its visit log."), field="plan_id")
    if plan.status != PlanStatus.PLANNED.value:
        raise ServiceError(_l("This visit plan is already %(status)s.", status=PLAN_LABELS[plan.status]),
                           field="plan_id")
    if cleaned["kind"] != Kind.VISIT.value:
        raise ServiceError(_l("A planned visit is done with a visit log."), field="kind")
    if cleaned["customer"] is None or cleaned["customer"].id != plan.customer_id:
        raise ServiceError(_l("The visit log must be about the planned customer."), field="customer_id")
    return plan


def _mark_plan_done(actor: User, plan: VisitPlan, log: WorkLog) -> None:
    plan.status = PlanStatus.DONE.value
    plan.done_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else changed this visit plan at the same time. Reload and try again.")) from None
    inbox.close_todos_for((PLAN_SOURCE, plan.id), actor=actor,
                          note=str(_l("Visit log written")))


def _follow_up_due(day: date) -> datetime:
    return to_utc(datetime.combine(day, time(18, 0)))


def _open_follow_up(actor: User, log: WorkLog) -> None:
    owner = db.session.get(User, log.owner_id)
    if owner is None or not owner.active:
        return
    customer_name = log.customer.name if log.customer_id and log.customer else ""
    with force_locale(recipient_locale(owner)):  # stored text: in the assignee's language
        title = str(_l("Follow up: %(step)s", step=log.next_step[:120]))
        if customer_name:
            title = f"{title} · {customer_name}"
    inbox.open_todo(kind=TODO_FOLLOW_UP, title=title, assignee=owner, created_by=actor,
                    due_at=_follow_up_due(log.follow_up_on), link=log_link(log), customer=log.customer_id,
                    source=(LOG_SOURCE, log.id), description=log.next_step)


def _close_earlier_follow_ups(actor: User, log: WorkLog) -> None:
    """Writing a new log about a customer is following it up: the author's open follow-up
    to-dos of that customer from earlier logs are done."""
    rows = db.session.execute(
        select(TodoItem.source_id).where(TodoItem.kind == TODO_FOLLOW_UP, TodoItem.owner_id == actor.id,
                                         TodoItem.customer_id == log.customer_id, TodoItem.status == "open",
                                         TodoItem.source_type == LOG_SOURCE)).scalars().all()
    for source_id in rows:
        if source_id != str(log.id):
            inbox.close_todos_for((LOG_SOURCE, source_id), actor=actor, kind=TODO_FOLLOW_UP,
                                  note=str(_l("Followed up in a new log")))


def update_log(actor: User, log: WorkLog, values: LogInput, version) -> WorkLog:
    """Change one's own log within the edit window, checking the version read. A visit log
    that fulfilled a plan keeps its customer and type."""
    refusal = edit_refusal(actor, log)
    if refusal is not None:
        raise NotAllowed(refusal)
    log.check_version(version)
    cleaned = clean_log(values)
    customer = cleaned["customer"]
    if log.plan_id is not None and (cleaned["kind"] != log.kind or getattr(customer, "id", None) != log.customer_id):
        raise ServiceError(_l("This visit log marked a plan done: its type and customer stay as planned."),
                           field="kind")
    old_follow_up = log.follow_up_on
    old_next_step = log.next_step
    log.kind = cleaned["kind"]
    log.customer_id = customer.id if customer else None
    log.happened_at = cleaned["happened_at"]
    log.content = cleaned["content"]
    log.contacts = cleaned["contacts"]
    log.next_step = cleaned["next_step"]
    log.follow_up_on = cleaned["follow_up_on"]
    _flush_log()
    if (old_follow_up, old_next_step) != (log.follow_up_on, log.next_step):
        inbox.close_todos_for((LOG_SOURCE, log.id), actor=actor, kind=TODO_FOLLOW_UP,
                              note=str(_l("Follow-up date changed")))
        if log.follow_up_on is not None:
            db.session.refresh(log, ["customer"])
            _open_follow_up(actor, log)
    emit("worklog.updated", actor=actor, **_payload(log))
    return log


def _flush_log() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else changed this log at the same time. Reload the page to see "
                          "their change.")) from None


# -- system logs ------------------------------------------------------------------------------

def _json_payload(payload: dict) -> dict:
    return json.loads(json.dumps(payload or {}, default=str))


def record_system_log(event) -> WorkLog | None:
    """Write the system log of an event of another module (see system_entries.REGISTRY).

    Skipped: events not in the registry, worklog's own events, events without a customer_id,
    and an event id already recorded — a redelivered event writes nothing twice, also when two
    deliveries race (the unique event_id decides). Runs in the system scope of the handler."""
    if event.name not in system_entries.SYSTEM_EVENTS:
        return None
    payload = event.payload or {}
    customer_id = payload.get("customer_id")
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        return None
    exists = db.session.execute(select(WorkLog.id).where(WorkLog.event_id == event.id)
                                .execution_options(skip_scope=True)).first()
    if exists is not None:
        return None
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)
                                  .execution_options(skip_scope=True)).unique().scalar_one_or_none()
    if customer is None:
        return None
    owner = _user(payload.get("owner_id")) or _user(customer.owner_id) or _user(event.actor_id)
    unit_id = payload.get("org_unit_id") if isinstance(payload.get("org_unit_id"), int) else None
    if unit_id is None:
        unit_id = customer.org_unit_id or (owner.org_unit_id if owner else None)
    log = WorkLog(kind=system_entries.kind_of(event.name), customer_id=customer.id,
                  happened_at=event.occurred_at or utcnow(), content="", contacts=[], next_step="",
                  created_by_id=None, owner_id=owner.id if owner else None, org_unit_id=unit_id, system=True,
                  event_name=event.name, event_id=event.id, payload=_json_payload(payload))
    try:
        with db.session.begin_nested():
            db.session.add(log)
            db.session.flush()
    except IntegrityError:
        return None  # the same event recorded by a concurrent delivery
    # Others may follow the trail too; our own handler ignores worklog.* events (no loop).
    emit("worklog.logged", actor=event.actor_id, **_payload(log))
    return log


def _an_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


SYSTEM_LOG_CHUNK = 500  # events written per INSERT (and read per query)


def record_system_logs(events) -> int:
    """record_system_log for many events at once (a batch: a scan's warning.raised), with the
    same rules — which events, owner, unit, one log per event id — set-wise: per chunk of
    SYSTEM_LOG_CHUNK events one query each for the ids already recorded, the customers and
    the people named, one INSERT ... ON CONFLICT (event_id) DO NOTHING and one INSERT of the
    audit entries; then one worklog.logged batch. Returns the number of logs written.

    System logs are never search documents (search.typed_only), so nothing is handed to
    the indexer."""
    wanted = [event for event in events if event.name in system_entries.SYSTEM_EVENTS
              and _an_id((event.payload or {}).get("customer_id"))]
    logged = []
    for start in range(0, len(wanted), SYSTEM_LOG_CHUNK):
        logged.extend(_write_system_logs(wanted[start:start + SYSTEM_LOG_CHUNK]))
    by_actor: dict = {}
    for payload, actor_id in logged:  # worklog.logged acts for the actor of its event, as one by one
        by_actor.setdefault(actor_id, []).append(payload)
    for actor_id, payloads in by_actor.items():
        emit_batch("worklog.logged", payloads, actor=actor_id)
    return len(logged)


def _write_system_logs(events) -> list[tuple[dict, int | None]]:
    from workbench.audit import recorder
    from workbench.audit.models import AuditEntry

    recorded = set(db.session.execute(select(WorkLog.event_id).where(WorkLog.event_id.in_([e.id for e in events]))
                                      .execution_options(skip_scope=True)).scalars())
    events = [event for event in events if event.id not in recorded]
    if not events:
        return []
    customers = {row.id: row for row in db.session.execute(
        select(Customer.id, Customer.owner_id, Customer.org_unit_id)
        .where(Customer.id.in_({event.payload["customer_id"] for event in events}))
        .execution_options(skip_scope=True))}
    named = {value for event in events for value in (event.payload.get("owner_id"), event.actor_id) if _an_id(value)}
    named |= {row.owner_id for row in customers.values() if row.owner_id}
    people = dict(db.session.execute(select(User.id, User.org_unit_id).where(User.id.in_(named))).all())
    now = utcnow()
    rows, actors = [], {}
    for event in events:
        payload = event.payload
        customer = customers.get(payload["customer_id"])
        if customer is None:
            continue
        owner_id = next((candidate for candidate in (payload.get("owner_id"), customer.owner_id, event.actor_id)
                         if _an_id(candidate) and candidate in people), None)
        unit_id = payload.get("org_unit_id") if _an_id(payload.get("org_unit_id")) else None
        if unit_id is None:
            unit_id = customer.org_unit_id or people.get(owner_id)
        rows.append({"kind": system_entries.kind_of(event.name), "customer_id": customer.id,
                     "happened_at": event.occurred_at or now, "content": "", "contacts": [], "next_step": "",
                     "follow_up_on": None, "plan_id": None, "created_by_id": None, "owner_id": owner_id,
                     "org_unit_id": unit_id, "system": True, "event_name": event.name, "event_id": event.id,
                     "payload": _json_payload(payload), "created_at": now, "updated_at": now, "version": 1})
        actors[event.id] = event.actor_id
    if not rows:
        return []
    table = WorkLog.__table__
    insert = _insert_for_dialect(table).on_conflict_do_nothing(index_elements=["event_id"])
    # A concurrent delivery of the same events may have written some: RETURNING names ours.
    written = dict(db.session.execute(insert.returning(table.c.event_id, table.c.id), rows).all())
    plan = recorder.plan_for(WorkLog)
    entries, logged = [], []
    for row in rows:
        log_id = written.get(row["event_id"])
        if log_id is None:
            continue
        entries.append({
            "model_key": plan.key, "record_id": log_id, "action": "create",
            "actor_id": actors[row["event_id"]], "at": now, "org_unit_id": row["org_unit_id"],
            "owner_id": row["owner_id"], "parent_key": None, "parent_id": None,
            "changes": {key: [None, recorder.json_safe(row[key])] for key in plan.columns
                        if key in row and not _blank_value(row[key])},
            "summary": next((str(row[name])[:200] for name in plan.summary_fields
                             if row.get(name) not in (None, "")), ""),
        })
        logged.append(({"log_id": log_id, "customer_id": row["customer_id"], "kind": row["kind"],
                        "owner_id": row["owner_id"], "org_unit_id": row["org_unit_id"], "system": True},
                       actors[row["event_id"]]))
    if entries:
        db.session.execute(AuditEntry.__table__.insert(), entries)
    return logged


def _blank_value(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _insert_for_dialect(table):
    """An INSERT that can say ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _user(user_id) -> User | None:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return db.session.get(User, user_id)


# -- visit plans ------------------------------------------------------------------------------

def plan_state(plan: VisitPlan, on: date | None = None) -> str:
    """planned / done / cancelled, or missed: still planned after its day."""
    if plan.status == PlanStatus.PLANNED.value and plan.planned_on < (on or today()):
        return "missed"
    return plan.status


def _visit_due(day: date) -> datetime:
    return to_utc(datetime.combine(day, time(20, 0)))


def clean_plan(customer_id, planned_on, purpose) -> tuple[Customer, date, str]:
    customer = _customer(customer_id, True, Kind.VISIT.value)
    day = parse_date(planned_on, "planned_on")
    if day is None:
        raise ServiceError(_l("Choose the day of the visit."), field="planned_on")
    if day < today():
        raise ServiceError(_l("A visit cannot be planned for a day that has passed."), field="planned_on")
    if day > today() + timedelta(days=PLAN_AHEAD_MAX_DAYS):
        raise ServiceError(_l("Plan visits at most %(days)d days ahead.", days=PLAN_AHEAD_MAX_DAYS),
                           field="planned_on")
    text = (purpose or "").strip()
    if not text:
        raise ServiceError(_l("Say what the visit is for."), field="purpose")
    if len(text) > PURPOSE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=PURPOSE_MAX), field="purpose")
    return customer, day, text


def _duplicate_plan(owner_id: int, customer_id: int, day: date, exclude: int | None = None) -> bool:
    query = select(VisitPlan.id).where(VisitPlan.owner_id == owner_id, VisitPlan.customer_id == customer_id,
                                       VisitPlan.planned_on == day, VisitPlan.status != PlanStatus.CANCELLED.value)
    if exclude:
        query = query.where(VisitPlan.id != exclude)
    return db.session.execute(query).first() is not None


def create_plan(actor: User, customer_id, planned_on, purpose) -> VisitPlan:
    """Plan a visit: a to-do for that day opens in the inbox."""
    _require(actor, PERM_PLAN, _l("You may not plan visits."))
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit; ask an administrator to place you in one."))
    customer, day, text = clean_plan(customer_id, planned_on, purpose)
    if _duplicate_plan(actor.id, customer.id, day):
        raise ServiceError(_l("You already plan to visit this customer that day."), field="planned_on")
    plan = VisitPlan(customer_id=customer.id, planned_on=day, purpose=text, status=PlanStatus.PLANNED.value,
                     owner_id=actor.id, org_unit_id=actor.org_unit_id, created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    _open_visit_todo(actor, plan, customer)
    emit("worklog.plan_created", actor=actor, plan_id=plan.id, customer_id=plan.customer_id, owner_id=plan.owner_id,
         org_unit_id=plan.org_unit_id, planned_on=plan.planned_on.isoformat())
    return plan


def _open_visit_todo(actor: User, plan: VisitPlan, customer: Customer) -> None:
    with force_locale(recipient_locale(actor)):
        title = str(_l("Visit %(customer)s: %(purpose)s", customer=customer.name, purpose=plan.purpose[:100]))
    inbox.open_todo(kind=TODO_VISIT, title=title, assignee=actor, created_by=actor, due_at=_visit_due(plan.planned_on),
                    link=plan_link(plan), customer=customer.id, source=(PLAN_SOURCE, plan.id),
                    description=plan.purpose)


def _require_own_open_plan(actor: User, plan: VisitPlan) -> None:
    if plan.owner_id != actor.id:
        raise NotAllowed(_l("Only the person who planned a visit can change it."))
    if plan.status != PlanStatus.PLANNED.value:
        raise ServiceError(_l("This visit plan is already %(status)s.", status=PLAN_LABELS[plan.status]))


def update_plan(actor: User, plan: VisitPlan, planned_on, purpose, version) -> VisitPlan:
    """Move a planned visit to another day or change its purpose (the to-do follows)."""
    _require_own_open_plan(actor, plan)
    plan.check_version(version)
    customer, day, text = clean_plan(plan.customer_id, planned_on, purpose)
    if _duplicate_plan(actor.id, customer.id, day, exclude=plan.id):
        raise ServiceError(_l("You already plan to visit this customer that day."), field="planned_on")
    plan.planned_on = day
    plan.purpose = text
    _flush_plan()
    inbox.close_todos_for((PLAN_SOURCE, plan.id), actor=actor, note=str(_l("Visit rescheduled")))
    _open_visit_todo(actor, plan, customer)
    emit("worklog.plan_updated", actor=actor, plan_id=plan.id, customer_id=plan.customer_id, owner_id=plan.owner_id,
         org_unit_id=plan.org_unit_id, planned_on=plan.planned_on.isoformat())
    return plan


def cancel_plan(actor: User, plan: VisitPlan, reason: str, version) -> VisitPlan:
    """Call a planned visit off, with a reason (the plan is kept, marked cancelled)."""
    _require_own_open_plan(actor, plan)
    plan.check_version(version)
    text = (reason or "").strip()
    if not text:
        raise ServiceError(_l("Say why the visit is called off."), field="reason")
    if len(text) > PURPOSE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=PURPOSE_MAX), field="reason")
    plan.status = PlanStatus.CANCELLED.value
    plan.cancel_reason = text
    _flush_plan()
    inbox.close_todos_for((PLAN_SOURCE, plan.id), actor=actor, note=text)
    emit("worklog.plan_cancelled", actor=actor, plan_id=plan.id, customer_id=plan.customer_id,
         owner_id=plan.owner_id, org_unit_id=plan.org_unit_id, planned_on=plan.planned_on.isoformat())
    return plan


def _flush_plan() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else changed this visit plan at the same time. Reload and try again.")) from None


def plan_query(first: date | None = None, last: date | None = None, owner_id: int | None = None,
               customer_id: int | None = None, status: str | None = None) -> Select:
    query = select(VisitPlan).order_by(VisitPlan.planned_on, VisitPlan.id)
    if first:
        query = query.where(VisitPlan.planned_on >= first)
    if last:
        query = query.where(VisitPlan.planned_on <= last)
    if owner_id:
        query = query.where(VisitPlan.owner_id == owner_id)
    if customer_id:
        query = query.where(VisitPlan.customer_id == customer_id)
    if status == "missed":
        query = query.where(VisitPlan.status == PlanStatus.PLANNED.value, VisitPlan.planned_on < today())
    elif status in {s.value for s in PlanStatus}:
        query = query.where(VisitPlan.status == status)
    return query


def open_plans_of(actor: User, customer_id: int | None = None) -> list[VisitPlan]:
    """The actor's plans still to be done (today's and missed first): what a visit log may fulfil."""
    query = plan_query(owner_id=actor.id, customer_id=customer_id, status=PlanStatus.PLANNED.value)
    return list(db.session.execute(query.limit(50)).unique().scalars())


@dataclass
class WeekVisits:
    start: date
    plans: list
    planned: int
    done: int
    missed: int
    cancelled: int
    unplanned_visits: int  # visit logs of the week that fulfilled no plan


def week_visits(owner_id: int | None = None, start: date | None = None) -> WeekVisits:
    """This week's visit plans vs visits done, in the reader's scope (or one person's)."""
    start = start or week_start(today())
    end = start + timedelta(days=6)
    plans = list(db.session.execute(plan_query(start, end, owner_id=owner_id)).unique().scalars())
    states = [plan_state(plan) for plan in plans]
    low, high = day_bounds(start, end)
    visits = select(func.count(WorkLog.id)).where(WorkLog.kind == Kind.VISIT.value, WorkLog.system.is_(False),
                                                  WorkLog.plan_id.is_(None), WorkLog.happened_at >= low,
                                                  WorkLog.happened_at < high)
    if owner_id:
        visits = visits.where(WorkLog.owner_id == owner_id)
    return WeekVisits(start=start, plans=plans, planned=sum(1 for s in states if s != "cancelled"),
                      done=states.count("done"), missed=states.count("missed"), cancelled=states.count("cancelled"),
                      unplanned_visits=db.session.execute(visits).scalar_one())


# -- calendar ---------------------------------------------------------------------------------

@dataclass
class CalendarDay:
    day: date
    in_month: bool
    plans: list = field(default_factory=list)
    logs: list = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == today()


def calendar_days(first: date, last: date, owner_id: int | None = None, in_month: int | None = None,
                  log_limit: int = 500) -> list[CalendarDay]:
    """Each local day from first to last with its plans and logs (in the reader's scope)."""
    days = {}
    cursor = first
    while cursor <= last:
        days[cursor] = CalendarDay(cursor, in_month is None or cursor.month == in_month)
        cursor += timedelta(days=1)
    for plan in db.session.execute(plan_query(first, last, owner_id=owner_id)).unique().scalars():
        days[plan.planned_on].plans.append(plan)
    low, high = day_bounds(first, last)
    logs = log_query(LogFilter(owner_id=owner_id)).where(WorkLog.happened_at >= low, WorkLog.happened_at < high)
    for log in db.session.execute(logs.order_by(None).order_by(WorkLog.happened_at).limit(log_limit)).unique().scalars():
        local_day = to_local(log.happened_at).date()
        if local_day in days:
            days[local_day].logs.append(log)
    return list(days.values())


def month_grid(year: int, month: int, owner_id: int | None = None) -> list[list[CalendarDay]]:
    """Weeks (Monday first) covering the month, for the month view."""
    weeks = _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    days = calendar_days(weeks[0][0], weeks[-1][-1], owner_id=owner_id, in_month=month)
    return [days[index:index + 7] for index in range(0, len(days), 7)]


# -- team figures -----------------------------------------------------------------------------

@dataclass
class PersonActivity:
    user: User
    logs: int
    visits: int
    system: int


def team_activity(start: date | None = None) -> list[PersonActivity]:
    """Logs per person this week (typed logs, visits among them, and system entries), for
    everyone whose logs the reader sees — grouped in SQL on the mapped class, so scoped."""
    start = start or week_start(today())
    low, high = day_bounds(start, start + timedelta(days=6))
    rows = db.session.execute(
        select(WorkLog.owner_id, func.count(WorkLog.id),
               func.sum(case((WorkLog.system.is_(False) & (WorkLog.kind == Kind.VISIT.value), 1), else_=0)),
               func.sum(case((WorkLog.system.is_(True), 1), else_=0)))
        .where(WorkLog.happened_at >= low, WorkLog.happened_at < high, WorkLog.owner_id.is_not(None))
        .group_by(WorkLog.owner_id)).all()
    people = {user.id: user for user in db.session.execute(
        select(User).where(User.id.in_([row[0] for row in rows]))).scalars()} if rows else {}
    result = [PersonActivity(people[owner_id], int(total) - int(system or 0), int(visits or 0), int(system or 0))
              for owner_id, total, visits, system in rows if owner_id in people]
    return sorted(result, key=lambda item: (-item.logs, item.user.username))


def people_in_view(actor: User) -> list[User]:
    """Whom the reader may filter logs by: their team (a lead) or everybody (an admin)."""
    if actor.scope.level == "own":
        return [actor]
    return list(inbox.team_members(actor))
