"""Rules of the intel plugin (竞争情报): recording intelligence, screening it (rate, tag),
merging duplicates, pushing valuable items to the people concerned, the competitor list, and
the "pushed to me" read receipts.

The life of an item:

    new ──rate (intel.screen)──▶ screened ──push (intel.screen)──▶ pushed to people (to-dos)
     │                              │
     └──────────merge into another item (the survivor)──────────▶ merged (points at it)

* An account manager records an item about a competitor (optionally a customer of their
  scope and one of its competitive opportunities); the intel admins of the nearest unit above
  get an intel.screen to-do. The submitter may correct it while it is still new.
* An intel admin rates its value (high / medium / low / worthless), tags it, and may re-rate
  it later. Rating closes the screening to-dos.
* Merging a duplicate points it (and anything merged into it before) at the survivor; the
  people it had been pushed to keep seeing it through the survivor. A merge is refused
  across scope, of an item into itself, and into (or of) an already-merged item.
* Pushing a rated, not worthless item to people within the admin's scope gives each an
  intel.pushed to-do (which notifies them) and lets them open the item even when it lies
  outside their own data scope (models.Intel.scope_clause). They mark it read when done.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Reads need no scope filter: the core applies the
data-scope rule to every SELECT. Screening rights are checked against the admin's *own*
scope (within_own_scope), never the widened one: being pushed an item lets one read it,
not screen, merge or push it.
"""
from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from plugins.intel.models import Competitor, Intel, IntelAttachment, IntelPush, IntelTag
from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.files import services as files
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.notify.services import notify, recipient_locale
from workbench.org.models import OrgUnit
from workbench.records import utcnow


class Status(str, enum.Enum):
    NEW = "new"
    SCREENED = "screened"
    MERGED = "merged"

    def __str__(self) -> str:
        return self.value


STATUS_LABELS = {Status.NEW: _l("Waiting for screening"), Status.SCREENED: _l("Screened"),
                 Status.MERGED: _l("Merged")}
STATUS_COLOURS = {Status.NEW: "warning", Status.SCREENED: "success", Status.MERGED: "secondary"}

VALUES = {"high": _l("High value"), "medium": _l("Medium value"), "low": _l("Low value"),
          "worthless": _l("Worthless")}
VALUE_COLOURS = {"high": "danger", "medium": "primary", "low": "info", "worthless": "secondary"}
PUSHABLE_VALUES = ("high", "medium", "low")

SOURCES = {"visit": _l("Customer visit"), "customer": _l("Told by the customer"),
           "tender": _l("Tender or bid notice"), "material": _l("Competitor's material or flyer"),
           "public": _l("Media or internet"), "partner": _l("Partner or channel"),
           "colleague": _l("Colleague"), "other": _l("Other")}
COMPETITOR_KINDS = {"operator": _l("Telecom operator"), "local_isp": _l("Local ISP"),
                    "cloud": _l("Cloud or IT provider"), "other": _l("Other")}
DEFAULT_COMPETITORS = (
    ("中国移动", "operator"), ("中国联通", "operator"), ("中国广电", "operator"),
    ("长城宽带", "local_isp"), ("地方有线电视网络公司", "local_isp"), ("阿里云", "cloud"),
)

# Permissions (declared in plugin.py).
PERM_VIEW = "intel.view"
PERM_SUBMIT = "intel.submit"
PERM_SCREEN = "intel.screen"
PERM_COMPETITORS = "intel.manage_competitors"
PERM_SUMMARY = "intel.view_summary"

# To-do kinds (declared in plugin.py); the source links a to-do to its item.
TODO_SCREEN = "intel.screen"
TODO_PUSHED = "intel.pushed"
SOURCE = "intel_intel"

ATTACHMENT_KINDS = ("pdf", "jpeg", "png", "docx", "xlsx")
MAX_ATTACHMENTS = 10
MAX_RECIPIENTS = 50
MAX_TAGS = 10
TAG_MAX = 30
TITLE_MAX = 200
PRODUCT_MAX = 100
OFFER_MAX = 500
SOURCE_DETAIL_MAX = 200
TEXT_MAX = 4000
NOTE_MAX = 2000
SCREEN_DAYS = 3
READ_DAYS = 3
OLDEST = date(2000, 1, 1)


# -- small readers -----------------------------------------------------------------------------

def today() -> date:
    """Today in the workbench's time zone (an item is learned on a Beijing calendar date)."""
    zone = "Asia/Shanghai"
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or zone
    return datetime.now(ZoneInfo(zone)).date()


def intel_link(intel: Intel | int) -> str:
    """An item's page as a plain path (to-dos, notifications and search use it)."""
    return f"/intel/{getattr(intel, 'id', intel)}"


def status_label(status) -> str:
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return str(status)


def value_label(value) -> str:
    return str(VALUES.get(value, "")) if value else ""


def source_label(source) -> str:
    return str(SOURCES.get(source, source or ""))


def event_payload(intel: Intel, **extra) -> dict:
    """The keys every intel.* event carries (see the cross-plugin contract)."""
    return {"intel_id": intel.id, "owner_id": intel.owner_id, "org_unit_id": intel.org_unit_id, **extra}


def get_intel(intel_id) -> Intel:
    """An item within the reader's scope (including what was pushed to them), or NotFound."""
    try:
        intel_id = int(intel_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Intelligence not found.")) from None
    found = db.session.execute(select(Intel).where(Intel.id == intel_id)).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Intelligence not found."))
    return found


def get_by_code(code: str) -> Intel:
    found = db.session.execute(select(Intel).where(Intel.code == (code or "").strip().upper())
                               ).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Intelligence not found."))
    return found


def survivor_of(intel: Intel) -> Intel | None:
    """Where a merged item now lives (None when it is not merged or the survivor is unseen)."""
    if intel.merged_into_id is None:
        return None
    try:
        return get_intel(intel.merged_into_id)
    except NotFound:
        return None


def within_own_scope(actor: User, intel: Intel) -> bool:
    """True when `intel` lies in the actor's own data scope — not merely pushed to them.
    Screening, merging and pushing are limited to this."""
    scope = actor.scope
    if scope.sees_everything:
        return True
    if intel.owner_id is not None and intel.owner_id == actor.id:
        return scope.level in ("own", "unit")
    if scope.level == "unit" and scope.unit_path:
        unit = intel.org_unit or db.session.get(OrgUnit, intel.org_unit_id)
        return unit is not None and unit.path.startswith(scope.unit_path)
    return False


def user_within_scope(actor: User, person: User) -> bool:
    """True when `person` works in a unit the actor's scope covers (push recipients)."""
    scope = actor.scope
    if scope.sees_everything:
        return True
    if scope.level == "unit" and scope.unit_path and person.org_unit is not None:
        return person.org_unit.path.startswith(scope.unit_path)
    return False


def tags_of(intel: Intel) -> list[str]:
    return list(db.session.execute(select(IntelTag.tag).where(IntelTag.intel_id == intel.id)
                                   .order_by(IntelTag.tag)).scalars())


def attachments_of(intel: Intel) -> list[IntelAttachment]:
    return list(db.session.execute(select(IntelAttachment).where(IntelAttachment.intel_id == intel.id)
                                   .order_by(IntelAttachment.id)).unique().scalars())


def pushes_of(intel: Intel) -> list[IntelPush]:
    return list(db.session.execute(select(IntelPush).where(IntelPush.intel_id == intel.id)
                                   .order_by(IntelPush.pushed_at, IntelPush.id)).unique().scalars())


def my_push(actor: User, intel: Intel) -> IntelPush | None:
    return db.session.execute(select(IntelPush).where(IntelPush.intel_id == intel.id,
                                                      IntelPush.recipient_id == actor.id)).unique().scalar_one_or_none()


def merged_into(intel: Intel) -> list[Intel]:
    """The duplicates merged into `intel` that the reader may see."""
    return list(db.session.execute(select(Intel).where(Intel.merged_into_id == intel.id)
                                   .order_by(Intel.observed_on, Intel.id)).unique().scalars())


def attachment_of(intel: Intel, attachment_id) -> IntelAttachment:
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Attachment not found.")) from None
    found = db.session.execute(select(IntelAttachment).where(IntelAttachment.id == attachment_id,
                                                             IntelAttachment.intel_id == intel.id)
                               ).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Attachment not found."))
    return found


def available_actions(actor: User, intel: Intel) -> set[str]:
    """What `actor` may do with the item now (the page shows only these; services re-check)."""
    actions: set[str] = set()
    if intel.status == Status.MERGED.value:
        return actions
    if intel.status == Status.NEW.value and actor.id == intel.owner_id and actor.can(PERM_SUBMIT):
        actions.add("edit")
    if actor.id == intel.owner_id or (actor.can(PERM_SCREEN) and within_own_scope(actor, intel)):
        actions.add("attach")
    if actor.can(PERM_SCREEN) and within_own_scope(actor, intel):
        actions |= {"rate", "merge"}
        if intel.status == Status.SCREENED.value and intel.value in PUSHABLE_VALUES:
            actions.add("push")
    push = my_push(actor, intel)
    if push is not None and push.done_at is None:
        actions.add("mark_read")
    return actions


# -- the list --------------------------------------------------------------------------------

TABS = ("mine", "pushed", "all", "screening")


@dataclass(frozen=True)
class IntelFilter:
    tab: str = "all"
    q: str | None = None
    competitor_id: int | None = None
    status: str | None = None       # a Status value; merged items are listed only when asked for
    value: str | None = None
    customer_id: int | None = None
    tag: str | None = None
    unread: bool = False            # pushed to me and not yet marked read
    user_id: int | None = None


def default_tab(user: User) -> str:
    if user.can(PERM_SCREEN):
        return "screening"
    if user.scope.level in ("unit", "all"):
        return "all"
    return "mine"


def intel_query(filters: IntelFilter | None = None):
    """Items visible to whoever is acting, newest learned first, filtered by the tab and the
    filters. The same query feeds the page, its export and the API."""
    filters = filters or IntelFilter()
    query = select(Intel)
    if filters.tab == "mine" and filters.user_id:
        query = query.where(Intel.owner_id == filters.user_id)
    elif filters.tab == "pushed" and filters.user_id:
        pushed = select(IntelPush.intel_id).where(IntelPush.recipient_id == filters.user_id)
        if filters.unread:
            pushed = pushed.where(IntelPush.done_at.is_(None))
        query = query.where(Intel.id.in_(pushed))
    elif filters.tab == "screening":
        query = query.where(Intel.status == Status.NEW.value)
    if filters.status in {s.value for s in Status}:
        query = query.where(Intel.status == filters.status)
    else:
        query = query.where(Intel.status != Status.MERGED.value)
    if filters.q:
        text = filters.q.strip()
        query = query.where(or_(Intel.title.contains(text, autoescape=True),
                                Intel.code.contains(text.upper(), autoescape=True),
                                Intel.product.contains(text, autoescape=True),
                                Intel.offer.contains(text, autoescape=True),
                                Intel.customer_name.contains(text, autoescape=True),
                                Intel.description.contains(text, autoescape=True)))
    if filters.competitor_id:
        query = query.where(Intel.competitor_id == filters.competitor_id)
    if filters.value in VALUES:
        query = query.where(Intel.value == filters.value)
    if filters.customer_id:
        query = query.where(Intel.customer_id == filters.customer_id)
    if filters.tag:
        query = query.where(Intel.id.in_(select(IntelTag.intel_id).where(IntelTag.tag == filters.tag.strip())))
    return query.order_by(Intel.observed_on.desc(), Intel.id.desc())


def tab_counts(user: User) -> dict[str, int]:
    """How many items each tab holds for `user` (the tab badges)."""
    counts = {}
    for tab in TABS:
        query = intel_query(IntelFilter(tab=tab, user_id=user.id))
        counts[tab] = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    unread = intel_query(IntelFilter(tab="pushed", user_id=user.id, unread=True))
    counts["unread"] = db.session.execute(select(func.count()).select_from(unread.order_by(None).subquery())).scalar_one()
    return counts


def unread_count(user: User) -> int:
    """Items pushed to `user` not yet marked read (one indexed count)."""
    return db.session.execute(select(func.count(IntelPush.id)).where(
        IntelPush.recipient_id == user.id, IntelPush.done_at.is_(None))).scalar_one()


def known_tags(limit: int = 50) -> list[str]:
    """Tags in use on the items the reader sees, most used first (filter and form hints)."""
    rows = db.session.execute(
        select(IntelTag.tag, func.count(IntelTag.id)).where(IntelTag.intel_id.in_(select(Intel.id)))
        .group_by(IntelTag.tag).order_by(func.count(IntelTag.id).desc(), IntelTag.tag).limit(limit)).all()
    return [tag for tag, _count in rows]


def intel_of_customer(customer, limit: int = 20) -> list[Intel]:
    query = intel_query(IntelFilter(tab="all", customer_id=customer.id))
    return list(db.session.execute(query.limit(limit)).unique().scalars())


def pushed_to(user: User, limit: int = 6) -> list[tuple[Intel, IntelPush]]:
    """The latest items pushed to `user`, with their push (read or not)."""
    rows = db.session.execute(
        select(Intel, IntelPush).join(IntelPush, IntelPush.intel_id == Intel.id)
        .where(IntelPush.recipient_id == user.id).order_by(IntelPush.pushed_at.desc(), IntelPush.id.desc())
        .limit(limit)).unique().all()
    return [(intel, push) for intel, push in rows]


def possible_duplicates(intel: Intel, limit: int = 8) -> list[Intel]:
    """Other live items about the same competitor and customer (or, without a customer, the
    same product) learned within 60 days of this one — merge candidates for the admin."""
    window = timedelta(days=60)
    query = select(Intel).where(Intel.id != intel.id, Intel.status != Status.MERGED.value,
                                Intel.competitor_id == intel.competitor_id,
                                Intel.observed_on >= intel.observed_on - window,
                                Intel.observed_on <= intel.observed_on + window)
    if intel.customer_id:
        query = query.where(Intel.customer_id == intel.customer_id)
    elif intel.product:
        query = query.where(Intel.product == intel.product)
    else:
        return []
    return list(db.session.execute(query.order_by(Intel.observed_on.desc(), Intel.id.desc()).limit(limit))
                .unique().scalars())


# -- competitors -----------------------------------------------------------------------------

def competitors(active_only: bool = True) -> list[Competitor]:
    query = select(Competitor).order_by(Competitor.active.desc(), Competitor.order, Competitor.id)
    if active_only:
        query = query.where(Competitor.active.is_(True))
    return list(db.session.execute(query).scalars())


def get_competitor(competitor_id) -> Competitor:
    try:
        found = db.session.get(Competitor, int(competitor_id))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(_l("Competitor not found."))
    return found


def ensure_competitors() -> int:
    """Add the shipped competitors that are missing (by name); never changes edited ones."""
    existing = {row.name for row in db.session.execute(select(Competitor)).scalars()}
    added = 0
    for order, (name, kind) in enumerate(DEFAULT_COMPETITORS, start=1):
        if name not in existing:
            db.session.add(Competitor(name=name, kind=kind, order=order * 10, active=True))
            added += 1
    db.session.flush()
    return added


def save_competitor(actor: User, competitor: Competitor | None, *, name: str, kind: str = "other",
                    notes: str = "", active: bool = True, order=100, version=None) -> Competitor:
    """Add (competitor None) or change a competitor of the maintained list."""
    if not actor.can(PERM_COMPETITORS):
        raise NotAllowed(_l("You may not edit the list of competitors."))
    if competitor is not None and version is not None:
        _check_version(competitor, version, _l("Someone else changed this competitor while you were editing it. "
                                               "Reload the page to see the current values."))
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Name the competitor."), field="name")
    if len(name) > 100:
        raise ServiceError(_l("At most %(max)d characters.", max=100), field="name")
    if kind not in COMPETITOR_KINDS:
        raise ServiceError(_l("Choose the kind of competitor."), field="kind")
    notes = (notes or "").strip()
    if len(notes) > NOTE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=NOTE_MAX), field="notes")
    try:
        order = int(order if order not in (None, "") else 100)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter the order as a whole number."), field="order") from None
    if not 0 <= order <= 10000:
        raise ServiceError(_l("The order is a whole number from 0 to 10000."), field="order")
    clash = db.session.execute(select(Competitor.id).where(func.lower(Competitor.name) == name.lower())
                               ).scalar_one_or_none()
    if clash is not None and (competitor is None or clash != competitor.id):
        raise ServiceError(_l("%(name)s is already on the list.", name=name), field="name")
    if competitor is None:
        competitor = Competitor(name=name)
        db.session.add(competitor)
    competitor.name, competitor.kind, competitor.notes = name, kind, notes
    competitor.active, competitor.order = bool(active), order
    _flush(_l("Someone else changed this competitor at the same time. Reload the page."))
    return competitor


# -- cleaning input ----------------------------------------------------------------------------

EDITABLE_FIELDS = ("title", "competitor_id", "customer_id", "opportunity_id", "product", "offer", "source",
                   "source_detail", "observed_on", "description")


def _text(values: dict, name: str, limit: int, required_message=None, multiline: bool = False) -> str:
    value = values.get(name)
    text = "" if value is None else str(value)
    text = text.strip() if multiline else " ".join(text.split())
    if required_message is not None and not text:
        raise ServiceError(required_message, field=name)
    if len(text) > limit:
        raise ServiceError(_l("At most %(max)d characters.", max=limit), field=name)
    return text


def parse_observed_on(value) -> date:
    """The date the intel was learned: required, a real date, not in the future, not before 2000."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ServiceError(_l("Enter the date you learned this."), field="observed_on")
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field="observed_on") from None
    if value > today():
        raise ServiceError(_l("The date cannot be in the future."), field="observed_on")
    if value < OLDEST:
        raise ServiceError(_l("The date is too far in the past."), field="observed_on")
    return value


def _competitor_for(value) -> Competitor:
    if value in (None, ""):
        raise ServiceError(_l("Choose the competitor."), field="competitor_id")
    try:
        competitor = get_competitor(value)
    except NotFound:
        raise ServiceError(_l("Choose a competitor from the list."), field="competitor_id") from None
    if not competitor.active:
        raise ServiceError(_l("%(name)s is no longer on the list of competitors; choose another.",
                              name=competitor.name), field="competitor_id")
    return competitor


def _customer_for(value) -> Customer | None:
    """A customer of the actor's scope (the scoped query finds nothing else), or None."""
    if value in (None, ""):
        return None
    try:
        customer = db.session.execute(select(Customer).where(Customer.id == int(value))).unique().scalar_one_or_none()
    except (TypeError, ValueError):
        customer = None
    if customer is None or customer.archived:
        raise ServiceError(_l("Choose a customer from your own book (type a few characters of its name)."),
                           field="customer_id")
    return customer


def _opportunity_for(value, customer: Customer | None):
    """A competitive opportunity (竞争类) of the same customer in the actor's scope, or None."""
    if value in (None, ""):
        return None
    from plugins.opportunity import services as opportunities

    if customer is None:
        raise ServiceError(_l("Choose the customer before linking one of its opportunities."), field="opportunity_id")
    try:
        opportunity = opportunities.get_opportunity(value)
    except NotFound:
        raise ServiceError(_l("Choose one of the customer's competitive opportunities."),
                           field="opportunity_id") from None
    if opportunity.customer_id != customer.id:
        raise ServiceError(_l("The linked opportunity must be one of this customer's."), field="opportunity_id")
    if opportunity.kind != "competitive":
        raise ServiceError(_l("Only competitive opportunities (竞争类) can be linked to intel."),
                           field="opportunity_id")
    return opportunity


def clean_values(values: dict) -> dict:
    """Check every field of an item; the first bad one is refused beside its field."""
    cleaned: dict = {
        "title": _text(values, "title", TITLE_MAX, _l("Give the intel a short title.")),
        "competitor": _competitor_for(values.get("competitor_id")),
        "product": _text(values, "product", PRODUCT_MAX),
        "offer": _text(values, "offer", OFFER_MAX),
    }
    source = values.get("source") or ""
    if source not in SOURCES:
        raise ServiceError(_l("Choose where the intel came from."), field="source")
    cleaned["source"] = source
    cleaned["source_detail"] = _text(values, "source_detail", SOURCE_DETAIL_MAX)
    cleaned["observed_on"] = parse_observed_on(values.get("observed_on"))
    cleaned["description"] = _text(values, "description", TEXT_MAX, multiline=True)
    cleaned["customer"] = _customer_for(values.get("customer_id"))
    cleaned["opportunity"] = _opportunity_for(values.get("opportunity_id"), cleaned["customer"])
    if not any(cleaned[name] for name in ("product", "offer", "description")):
        raise ServiceError(_l("Say what you learned: the product, the price or offer, or a description."),
                           field="description")
    return cleaned


def current_values(intel: Intel) -> dict:
    """The item's fields as a form or an API body would send them."""
    return {"title": intel.title, "competitor_id": intel.competitor_id, "customer_id": intel.customer_id,
            "opportunity_id": intel.opportunity_id, "product": intel.product, "offer": intel.offer,
            "source": intel.source, "source_detail": intel.source_detail,
            "observed_on": intel.observed_on.isoformat() if intel.observed_on else None,
            "description": intel.description}


def _apply(intel: Intel, cleaned: dict) -> None:
    for name in ("title", "product", "offer", "source", "source_detail", "observed_on", "description"):
        if name in cleaned:
            setattr(intel, name, cleaned[name])
    if "competitor" in cleaned:
        intel.competitor_id = cleaned["competitor"].id
        intel.competitor = cleaned["competitor"]
    if "customer" in cleaned:
        customer = cleaned["customer"]
        intel.customer_id = customer.id if customer else None
        intel.customer_name = customer.name if customer else ""
    if "opportunity" in cleaned:
        intel.opportunity_id = cleaned["opportunity"].id if cleaned["opportunity"] else None


# -- recording -------------------------------------------------------------------------------

def _new_code(now: datetime) -> str:
    # QB + date + 6 random hex digits: unique in practice, and the unique index catches the rest.
    return f"QB{now:%Y%m%d}{secrets.token_hex(3).upper()}"


def submit_intel(actor: User, values: dict, uploads=()) -> Intel:
    """Record a new item for the actor's unit; the nearest intel admins get a screening to-do.

    `values` holds the fields of EDITABLE_FIELDS; `uploads` are werkzeug FileStorage objects
    (photos, PDFs, Word or Excel files). Nothing is written when any input is refused."""
    if not actor.can(PERM_SUBMIT):
        raise NotAllowed(_l("You may not record intelligence."))
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit yet; ask an administrator to place you."))
    cleaned = clean_values(values)
    uploads = [upload for upload in (uploads or []) if upload is not None and getattr(upload, "filename", "")]
    if len(uploads) > MAX_ATTACHMENTS:
        raise ServiceError(_l("Attach at most %(max)d files.", max=MAX_ATTACHMENTS), field="files")
    now = utcnow()
    intel = Intel(code=_new_code(now), owner_id=actor.id, org_unit_id=actor.org_unit_id,
                  status=Status.NEW.value, push_count=0, customer_name="")
    _apply(intel, cleaned)
    db.session.add(intel)
    db.session.flush()
    for upload in uploads:
        _attach(actor, intel, upload)
    _open_screen_todos(intel, actor)
    emit("intel.submitted", actor=actor, **event_payload(
        intel, customer_id=intel.customer_id, competitor=intel.competitor.name, title=intel.title))
    return intel


def update_intel(actor: User, intel: Intel, values: dict, version) -> Intel:
    """The submitter corrects an item while it still waits for screening (version-checked)."""
    _check_version(intel, version)
    if intel.owner_id != actor.id or not actor.can(PERM_SUBMIT):
        raise NotAllowed(_l("Only the person who recorded this intel can change it."))
    if intel.status != Status.NEW.value:
        raise ServiceError(_l("This intel has been screened and can no longer be changed; add an attachment or "
                              "record a new item instead."))
    merged = current_values(intel)
    merged.update({name: value for name, value in values.items() if name in EDITABLE_FIELDS})
    if "customer_id" in values and "opportunity_id" not in values and values["customer_id"] != intel.customer_id:
        merged["opportunity_id"] = None  # another customer: the old link cannot stay
    _apply(intel, clean_values(merged))
    _flush()
    return intel


def add_attachments(actor: User, intel: Intel, uploads) -> list[IntelAttachment]:
    """The submitter, or an intel admin of the item's scope, adds files (not to a merged item)."""
    if intel.status == Status.MERGED.value:
        raise ServiceError(_l("This intel was merged; add files to the item it was merged into."))
    if actor.id != intel.owner_id and not (actor.can(PERM_SCREEN) and within_own_scope(actor, intel)):
        raise NotAllowed(_l("Only the person who recorded this intel or an intel admin can add files."))
    uploads = [upload for upload in (uploads or []) if upload is not None and getattr(upload, "filename", "")]
    if not uploads:
        raise ServiceError(_l("Choose a file to upload."), field="files")
    existing = db.session.execute(select(func.count(IntelAttachment.id))
                                  .where(IntelAttachment.intel_id == intel.id)).scalar_one()
    if existing + len(uploads) > MAX_ATTACHMENTS:
        raise ServiceError(_l("An item holds at most %(max)d files.", max=MAX_ATTACHMENTS), field="files")
    return [_attach(actor, intel, upload) for upload in uploads]


def _attach(actor: User, intel: Intel, upload) -> IntelAttachment:
    try:
        stored = files.store_upload(upload, kinds=ATTACHMENT_KINDS, owner=actor)
    except ServiceError as exc:
        raise ServiceError(_l("%(name)s: %(problem)s", name=files.sanitise_name(upload.filename),
                              problem=exc.message), field="files") from None
    attachment = IntelAttachment(intel_id=intel.id, file_id=stored.id, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


# -- screening ---------------------------------------------------------------------------------

def screeners_for(unit_id: int | None) -> list[User]:
    """Active intel admins (intel.screen) of the unit or, failing that, the nearest unit above
    that has any: they screen what arrives in their unit. Province-wide holders only when no
    intel admin sits closer."""
    if unit_id is None:
        return []
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] or [unit.id]
    for level_id in reversed(ids):
        people = db.session.execute(select(User).where(User.org_unit_id == level_id, User.active.is_(True))
                                    .order_by(User.id).options(selectinload(User.roles))).unique().scalars().all()
        found = [person for person in people if person.can(PERM_SCREEN)]
        if found:
            return found
    return []


def _open_screen_todos(intel: Intel, actor: User | None) -> int:
    opened = 0
    for admin in screeners_for(intel.org_unit_id):
        with force_locale(recipient_locale(admin)):  # stored text: in the admin's language
            title = str(_l("Screen intel: %(title)s (%(competitor)s)", title=intel.title,
                           competitor=intel.competitor.name))
        inbox.open_todo(kind=TODO_SCREEN, title=title, assignee=admin, created_by=actor,
                        due_at=utcnow() + timedelta(days=SCREEN_DAYS), link=intel_link(intel),
                        customer=intel.customer_id, source=(SOURCE, intel.id),
                        description=intel.customer_name or "")
        opened += 1
    return opened


def _require_screener(actor: User, intel: Intel) -> None:
    if not actor.can(PERM_SCREEN):
        raise NotAllowed(_l("Only an intel admin screens intelligence."))
    if not within_own_scope(actor, intel):
        # Seen through a push, not one's own to screen: answer like a missing record.
        raise NotFound(_l("Intelligence not found."))


def clean_tags(tags) -> list[str]:
    """Tags from a list or a comma/space separated text: trimmed, deduplicated, at most 10
    of at most 30 characters each."""
    if tags is None:
        return []
    if isinstance(tags, str):
        parts = re.split(r"[,，;；\n]+", tags)
    elif isinstance(tags, (list, tuple)):
        parts = [str(part) for part in tags]
    else:
        raise ServiceError(_l("Give the tags as a list or separated by commas."), field="tags")
    cleaned: list[str] = []
    for part in parts:
        tag = " ".join(part.split()).lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise ServiceError(_l("A tag has at most %(max)d characters: %(tag)s", max=TAG_MAX, tag=tag[:40]),
                               field="tags")
        if tag.lower() not in {existing.lower() for existing in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ServiceError(_l("At most %(max)d tags.", max=MAX_TAGS), field="tags")
    return cleaned


def rate(actor: User, intel: Intel, *, value: str, tags=None, note: str = "", version=None) -> Intel:
    """Screen an item: its value, tags and a note. Re-rating a screened item is allowed (the
    audit history keeps the earlier rating). Closes the screening to-dos."""
    _check_version(intel, version)
    _require_screener(actor, intel)
    if intel.status == Status.MERGED.value:
        raise ServiceError(_l("This intel was merged into another item; screen that one."))
    if value not in VALUES:
        raise ServiceError(_l("Choose how valuable the intel is."), field="value")
    cleaned_tags = clean_tags(tags)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=NOTE_MAX), field="note")
    first = intel.status == Status.NEW.value
    intel.value = value
    intel.screening_note = note
    intel.status = Status.SCREENED.value
    intel.screened_by_id = actor.id
    intel.screened_at = utcnow()
    _flush()
    _replace_tags(intel, cleaned_tags)
    inbox.close_todos_for((SOURCE, intel.id), actor=actor, kind=TODO_SCREEN,
                          note=str(_l("Rated: %(value)s", value=value_label(value))))
    owner = db.session.get(User, intel.owner_id) if intel.owner_id else None
    if first and owner is not None and owner.active and owner.id != actor.id:
        notify(owner, "notice", _l("Your intel “%(title)s” was screened: %(value)s.", title=intel.title,
                                   value=VALUES[value]), link=intel_link(intel), actor=actor)
    emit("intel.rated", actor=actor, **event_payload(intel, value=value, tags=cleaned_tags,
                                                     customer_id=intel.customer_id))
    return intel


def _replace_tags(intel: Intel, tags: list[str]) -> None:
    current = {row.tag: row for row in db.session.execute(select(IntelTag).where(IntelTag.intel_id == intel.id)).scalars()}
    for tag, row in current.items():
        if tag not in tags:
            db.session.delete(row)
    for tag in tags:
        if tag not in current:
            db.session.add(IntelTag(intel_id=intel.id, tag=tag))
    db.session.flush()


# -- merging -----------------------------------------------------------------------------------

def merge(actor: User, intel: Intel, survivor_ref, version=None) -> Intel:
    """Merge `intel` (a duplicate) into the survivor (an id, a code or an Intel).

    Refused: into itself, into or of an already-merged item, and across scope — both items
    must lie in the admin's own data scope. The duplicate and anything merged into it before
    point at the survivor; people the duplicate was pushed to keep it through the survivor."""
    _check_version(intel, version)
    _require_screener(actor, intel)
    survivor = _survivor_from(actor, survivor_ref)
    if survivor.id == intel.id:
        raise ServiceError(_l("An item cannot be merged into itself."), field="survivor")
    if intel.status == Status.MERGED.value:
        raise ServiceError(_l("This intel is already merged into another item."), field="survivor")
    if survivor.status == Status.MERGED.value:
        raise ServiceError(_l("%(code)s is itself merged into another item; merge into that one instead.",
                              code=survivor.code), field="survivor")
    now = utcnow()
    intel.status = Status.MERGED.value
    intel.merged_into_id = survivor.id
    intel.merged_by_id = actor.id
    intel.merged_at = now
    _flush()
    # Earlier duplicates of this one move on with it: every merged item points at a live one.
    earlier = db.session.execute(select(Intel).where(Intel.merged_into_id == intel.id)
                                 .execution_options(skip_scope=True)).unique().scalars().all()  # system rule: all of them
    for row in earlier:
        row.merged_into_id = survivor.id
    carried = _carry_pushes(actor, intel, survivor, [row.id for row in earlier])
    # The survivor's own row changes too, so search re-indexes it (see search.intel_document).
    survivor.duplicate_count = (survivor.duplicate_count or 0) + 1 + len(earlier)
    survivor.push_count = (survivor.push_count or 0) + carried
    intel.duplicate_count = 0
    _flush()
    inbox.close_todos_for((SOURCE, intel.id), actor=actor, kind=TODO_SCREEN,
                          note=str(_l("Merged into %(code)s", code=survivor.code)))
    owner = db.session.get(User, intel.owner_id) if intel.owner_id else None
    if owner is not None and owner.active and owner.id != actor.id:
        notify(owner, "notice", _l("Your intel “%(title)s” duplicated %(code)s and was merged into it.",
                                   title=intel.title, code=survivor.code), link=intel_link(survivor), actor=actor)
    emit("intel.merged", actor=actor, **event_payload(intel, survivor_id=survivor.id, survivor_code=survivor.code,
                                                      customer_id=intel.customer_id))
    return survivor


def _survivor_from(actor: User, ref) -> Intel:
    if isinstance(ref, Intel):
        candidate = ref
    else:
        text = str(ref if ref is not None else "").strip()
        if not text:
            raise ServiceError(_l("Enter the number of the item to merge into."), field="survivor")
        try:
            candidate = get_intel(text) if text.isdigit() else get_by_code(text)
        except NotFound:
            raise ServiceError(_l("No intel %(ref)s in your scope.", ref=text[:40]), field="survivor") from None
    if not within_own_scope(actor, candidate):
        raise ServiceError(_l("No intel %(ref)s in your scope.", ref=candidate.code), field="survivor")
    return candidate


def _carry_pushes(actor: User, intel: Intel, survivor: Intel, earlier_ids: list[int]) -> int:
    """Recipients of the duplicate (or of its earlier duplicates) get a push row on the
    survivor, marked as carried over, so they keep seeing it; no new to-do."""
    ids = [intel.id, *earlier_ids]
    rows = db.session.execute(select(IntelPush).where(IntelPush.intel_id.in_(ids))).unique().scalars().all()
    have = set(db.session.execute(select(IntelPush.recipient_id).where(IntelPush.intel_id == survivor.id)).scalars())
    carried = 0
    for row in rows:
        if row.recipient_id in have:
            continue
        have.add(row.recipient_id)
        db.session.add(IntelPush(intel_id=survivor.id, recipient_id=row.recipient_id, pushed_by_id=actor.id,
                                 note=row.note, via_merge_of=row.intel_id, pushed_at=row.pushed_at,
                                 read_at=row.read_at, done_at=row.done_at))
        carried += 1
    return carried


# -- pushing -----------------------------------------------------------------------------------

def push_candidates(actor: User, intel: Intel) -> list[User]:
    """People the admin may push to (active, within the admin's scope), those concerned first:
    the customer's account manager, the submitter, then the leads of the item's units."""
    from workbench.inbox.services import team_members

    people = [person for person in team_members(actor) if person.id != actor.id]
    concerned = suggested_recipients(intel)
    order = {person.id: index for index, person in enumerate(concerned)}
    return sorted(people, key=lambda person: (order.get(person.id, len(order)),
                                              person.org_unit.path if person.org_unit else "", person.username))


def suggested_recipients(intel: Intel) -> list[User]:
    """Who an item most likely concerns: the customer's AM, the submitter, and the leads
    (and city managers) of the item's unit and the units above it."""
    people: list[User] = []
    if intel.customer_id:
        owner_id = db.session.execute(select(Customer.owner_id).where(Customer.id == intel.customer_id)
                                      .execution_options(skip_scope=True)).scalar_one_or_none()  # a name lookup only
        if owner_id:
            owner = db.session.get(User, owner_id)
            if owner is not None and owner.active:
                people.append(owner)
    if intel.owner_id:
        submitter = db.session.get(User, intel.owner_id)
        if submitter is not None and submitter.active and submitter not in people:
            people.append(submitter)
    unit = db.session.get(OrgUnit, intel.org_unit_id)
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] if unit else []
    if ids:
        leads = db.session.execute(select(User).where(User.org_unit_id.in_(ids), User.active.is_(True))
                                   .order_by(User.id)).unique().scalars().all()
        for person in sorted(leads, key=lambda p: -ids.index(p.org_unit_id)):
            if person.role_names & {"lead", "city_manager"} and person not in people:
                people.append(person)
    return people


def push(actor: User, intel: Intel, recipient_ids, note: str = "", version=None) -> list[IntelPush]:
    """Push a rated, not worthless item to people within the admin's scope. Each new
    recipient gets an intel.pushed to-do (which notifies them by their settings) and may
    open the item from then on. People it was pushed to before are skipped."""
    _check_version(intel, version)
    _require_screener(actor, intel)
    if intel.status == Status.MERGED.value:
        raise ServiceError(_l("This intel was merged; push the item it was merged into."))
    if intel.status != Status.SCREENED.value or intel.value is None:
        raise ServiceError(_l("Rate the intel before pushing it."), field="recipients")
    if intel.value not in PUSHABLE_VALUES:
        raise ServiceError(_l("Intel rated worthless is not pushed; change its rating first."), field="recipients")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=NOTE_MAX), field="note")
    try:
        wanted = list(dict.fromkeys(int(value) for value in (recipient_ids or [])))
    except (TypeError, ValueError):
        raise ServiceError(_l("Choose the people from the list."), field="recipients") from None
    if not wanted:
        raise ServiceError(_l("Choose at least one person to push the intel to."), field="recipients")
    if len(wanted) > MAX_RECIPIENTS:
        raise ServiceError(_l("Push to at most %(max)d people at once.", max=MAX_RECIPIENTS), field="recipients")
    people = []
    for person_id in wanted:
        person = db.session.get(User, person_id)
        if person is None or not user_within_scope(actor, person):
            raise ServiceError(_l("One of the people chosen is outside your scope; choose from the list."),
                               field="recipients")
        if not person.active:
            raise ServiceError(_l("%(name)s is not active.", name=person.name), field="recipients")
        people.append(person)
    already = set(db.session.execute(select(IntelPush.recipient_id).where(IntelPush.intel_id == intel.id)).scalars())
    new_people = [person for person in people if person.id not in already]
    if not new_people:
        raise ServiceError(_l("The intel was already pushed to everybody chosen."), field="recipients")
    now = utcnow()
    # The item's own UPDATE goes first: two admins pushing at once meet on its row (the
    # version decides, the loser is told) before either writes a push row.
    intel.pushed_at = now
    intel.push_count = (intel.push_count or 0) + len(new_people)
    _flush()
    rows = []
    for person in new_people:
        row = IntelPush(intel_id=intel.id, recipient_id=person.id, pushed_by_id=actor.id, note=note, pushed_at=now)
        db.session.add(row)
        rows.append(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("Someone else pushed this intel to the same people at the same time. Reload the page.")) from None
    for person in new_people:
        with force_locale(recipient_locale(person)):
            title = str(_l("Intel for you: %(title)s (%(competitor)s)", title=intel.title,
                           competitor=intel.competitor.name))
        inbox.open_todo(kind=TODO_PUSHED, title=title, assignee=person, created_by=actor,
                        due_at=now + timedelta(days=READ_DAYS), link=intel_link(intel),
                        customer=intel.customer_id if _customer_visible_to(person, intel) else None,
                        source=(SOURCE, intel.id), description=note,
                        priority=2 if intel.value == "high" else 1)
    emit("intel.pushed", actor=actor, **event_payload(
        intel, customer_id=intel.customer_id, competitor=intel.competitor.name, title=intel.title,
        recipient_ids=[person.id for person in new_people], value=intel.value))
    return rows


def _customer_visible_to(person: User, intel: Intel) -> bool:
    """Whether the recipient's own scope covers the item's customer (then the to-do shows on
    that customer's page too); a to-do never links a customer the person cannot open."""
    if not intel.customer_id:
        return False
    row = db.session.execute(select(Customer.owner_id, Customer.org_unit_id).where(Customer.id == intel.customer_id)
                             .execution_options(skip_scope=True)).first()  # checked against person's scope below
    if row is None:
        return False
    scope = person.scope
    if scope.sees_everything or row.owner_id == person.id:
        return True
    if scope.level == "unit" and scope.unit_path:
        unit = db.session.get(OrgUnit, row.org_unit_id)
        return unit is not None and unit.path.startswith(scope.unit_path)
    return False


def record_view(actor: User, intel: Intel) -> bool:
    """The recipient opened the pushed item: note the first time (a read receipt for the admin)."""
    row = my_push(actor, intel)
    if row is None or row.read_at is not None:
        return False
    row.read_at = utcnow()
    db.session.flush()
    return True


def mark_read(actor: User, intel: Intel, note: str = "") -> IntelPush:
    """The recipient has read the pushed item: the push is done and their to-do closes —
    also for the duplicates merged into it that had been pushed to them."""
    row = my_push(actor, intel)
    if row is None:
        raise ServiceError(_l("This intel was not pushed to you."))
    now = utcnow()
    table = Intel.__table__
    duplicates = select(table.c.id).where(table.c.merged_into_id == intel.id)  # plain columns: ids only
    rows = db.session.execute(select(IntelPush).where(
        IntelPush.recipient_id == actor.id, or_(IntelPush.intel_id == intel.id, IntelPush.intel_id.in_(duplicates)),
        IntelPush.done_at.is_(None))).unique().scalars().all()
    for each in rows:
        each.read_at = each.read_at or now
        each.done_at = now
    db.session.flush()
    for item in _open_push_todos(actor, [each.intel_id for each in rows]):
        inbox.mark_done(item, actor, note=note or str(_l("Read")))
    return row


def _open_push_todos(actor: User, intel_ids: list[int]) -> list[TodoItem]:
    return list(db.session.execute(select(TodoItem).where(
        TodoItem.kind == TODO_PUSHED, TodoItem.source_type == SOURCE,
        TodoItem.source_id.in_([str(i) for i in intel_ids]), TodoItem.owner_id == actor.id,
        TodoItem.status == TodoStatus.OPEN)).scalars())


def on_todo_closed(payload: dict, actor_id: int | None) -> bool:
    """A recipient ticked their intel.pushed to-do off in the inbox: the push counts as read.
    Runs in the system scope as an event handler; a repeated delivery changes nothing."""
    if payload.get("kind") != TODO_PUSHED:
        return False
    todo = db.session.get(TodoItem, payload.get("todo_id"))
    if todo is None or todo.source_type != SOURCE or not todo.owner_id:
        return False
    try:
        intel_id = int(todo.source_id)
    except (TypeError, ValueError):
        return False
    row = db.session.execute(select(IntelPush).where(IntelPush.intel_id == intel_id,
                                                     IntelPush.recipient_id == todo.owner_id)).unique().scalar_one_or_none()
    if row is None or row.done_at is not None:
        return False
    row.done_at = todo.closed_at or utcnow()
    row.read_at = row.read_at or row.done_at
    return True


# -- shared helpers ----------------------------------------------------------------------------

def _check_version(record, version, message=None) -> None:
    if version is None or version == "":
        return
    try:
        submitted = int(version)
    except (TypeError, ValueError):
        submitted = None
    if submitted != record.version:
        raise Conflict(message or _l("Someone else changed this intel while you were looking at it. Reload the "
                                     "page to see its current state."))


def _flush(message=None) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(message or _l("Someone else acted on this intel at the same time. Reload the page to see "
                                     "where it stands.")) from None
