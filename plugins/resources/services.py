"""Rules of the resources plugin (资源申请): the catalogue, stock and its ledger, requests and
their approval, issue and confirmed use, and the issued-value report.

The flow of a request:

    pending (step 1 … n, each decided by the holders of the step's role/permission at the
      │       step's unit level; a decision carries the version read: of two approvers
      │       acting at once one wins, the other gets a Conflict)
      ├─ approve at the last step ─▶ approved   (stock reserved: one conditional UPDATE per line)
      ├─ reject (reason) ─────────▶ rejected
      └─ cancel by the requester ─▶ cancelled   (also from approved: the reservation is released)
    approved ──issue (resources.manage over the stock's unit)──▶ issued  (on hand − q, reserved − q)
    issued ──the account manager confirms use (photo or note)──▶ used

Stock never goes negative, however many approvals arrive at the same moment: the
reservation is ONE statement, ``UPDATE resources_stock SET reserved = reserved + :q WHERE id
= :id AND on_hand - reserved >= :q``, whose result tells whether it happened. The database
checks the same invariants (CHECK constraints), and every change of a stock writes its ledger
entry with the balances the UPDATE returned, so the ledger always adds up to the stock.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Reads need no scope filter: the core applies it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import util as orm_util
from sqlalchemy.orm.exc import StaleDataError

from plugins.resources.models import (ResourceItem, ResourceRequest, ResourceRequestLine, ResourceRequestStep,
                                      ResourceStock, ResourceStockEntry, ResourceType)
from workbench.auth.models import User
from workbench.auth.roles import BUILTIN_ROLES
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.files import services as files
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.notify.services import notify, recipient_locale
from workbench.org.models import OrgUnit, UnitLevel
from workbench.records import EditConflict, utcnow
from workbench.search.analysis import pinyin_keys


class State(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    ISSUED = "issued"
    USED = "used"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


STATE_LABELS = {
    State.PENDING: _l("Awaiting approval"), State.APPROVED: _l("Approved, awaiting issue"),
    State.ISSUED: _l("Issued, awaiting use"), State.USED: _l("Use confirmed"),
    State.REJECTED: _l("Rejected"), State.CANCELLED: _l("Cancelled"),
}
STATE_COLOURS = {
    State.PENDING: "primary", State.APPROVED: "info", State.ISSUED: "warning", State.USED: "success",
    State.REJECTED: "danger", State.CANCELLED: "secondary",
}
OPEN_STATES = (State.PENDING, State.APPROVED, State.ISSUED)
ISSUED_STATES = (State.ISSUED.value, State.USED.value)

MOVEMENT_KINDS = ("in", "out", "adjust")
ENTRY_LABELS = {
    "in": _l("Goods in"), "out": _l("Goods out"), "adjust": _l("Adjustment"), "reserve": _l("Reserved"),
    "release": _l("Reservation released"), "issue": _l("Issued"), "open": _l("Stock opened"),
}
ACTION_LABELS = {
    "submit": _l("Submitted"), "approve": _l("Approved"), "reject": _l("Rejected"), "cancel": _l("Cancelled"),
    "issue": _l("Issued"), "use": _l("Use confirmed"),
}
LEVEL_LABELS = {
    UnitLevel.PROVINCE.value: _l("Province"), UnitLevel.CITY.value: _l("City"),
    UnitLevel.COUNTY.value: _l("County / district"), UnitLevel.GRID.value: _l("Grid"),
}

# Permissions (declared in plugin.py)
PERM_VIEW = "resources.view"
PERM_REQUEST = "resources.request"
PERM_APPROVE = "resources.approve"
PERM_MANAGE = "resources.manage"
PERM_REPORT = "resources.report"

# To-do kinds (declared in plugin.py); the source links a to-do to its request.
TODO_APPROVE = "resources.approve"
TODO_ISSUE = "resources.issue"
TODO_CONFIRM = "resources.confirm_use"
SOURCE = "resources_request"

PHOTO_KINDS = ("jpeg", "png")
MAX_LINES = 10
MAX_QUANTITY = 100_000
MAX_STEPS = 5
MAX_UNIT_VALUE = Decimal("9999999.99")
TEXT_MAX = 2000
STEP_DAYS = 2


# -- small helpers ----------------------------------------------------------------------------

def request_link(request: ResourceRequest) -> str:
    return f"/resources/requests/{request.id}"


def local_now() -> datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return datetime.now(zone)


def _text(value, field: str, *, required, max_length: int = TEXT_MAX) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text and required:
        raise ServiceError(required, field=field)
    if len(text) > max_length:
        raise ServiceError(_l("At most %(max)d characters.", max=max_length), field=field)
    return text


def parse_quantity(value, field: str = "quantity", allow_negative: bool = False) -> int:
    """A whole number of items (1 … 100000; for an adjustment also negative, not zero)."""
    text = str(value if value is not None else "").strip()
    try:
        number = int(text)
    except ValueError:
        raise ServiceError(_l("Enter a whole number of items, e.g. 5."), field=field) from None
    if number == 0 or (number < 0 and not allow_negative):
        raise ServiceError(_l("Enter a quantity above zero.") if not allow_negative
                           else _l("Enter a change other than zero, e.g. -2 or 5."), field=field)
    if abs(number) > MAX_QUANTITY:
        raise ServiceError(_l("At most %(max)d items at a time.", max=MAX_QUANTITY), field=field)
    return number


def parse_money(value, field: str = "unit_value") -> Decimal:
    text = str(value if value is not None else "").replace(",", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ServiceError(_l("Enter the value in yuan, e.g. 35.00."), field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ServiceError(_l("Enter the value in yuan, e.g. 35.00."), field=field)
    if amount > MAX_UNIT_VALUE:
        raise ServiceError(_l("The value is too large."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_l("The value can have at most two decimals."), field=field)
    return amount.quantize(Decimal("0.01"))


def _flush_versioned(message) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(message) from None


def _check_version(record, version) -> None:
    if version is None:
        return
    try:
        record.check_version(version)
    except EditConflict:
        raise Conflict(_l("Someone else acted on this record since you opened it. Reload the page to see "
                          "where it stands.")) from None


def managed_unit_ids(actor: User) -> list[int] | None:
    """The units whose stock `actor` manages (their unit and below), None for everything."""
    if not actor.can(PERM_MANAGE):
        return []
    scope = actor.scope
    if scope.level == "all":
        return None
    if actor.org_unit is None:
        return []
    return list(db.session.execute(select(OrgUnit.id).where(OrgUnit.path.startswith(actor.org_unit.path)))
                .scalars())


def manages_unit(actor: User, unit_id: int) -> bool:
    managed = managed_unit_ids(actor)
    return managed is None or unit_id in managed


def drawable_unit_ids(actor: User) -> list[int]:
    """The units whose stock `actor` can draw from: their own unit and every unit above it."""
    if actor.org_unit is None:
        return []
    return [int(part) for part in actor.org_unit.path.strip("/").split("/") if part]


# -- resource types and their approval steps ------------------------------------------------------

def role_choices() -> list[tuple[str, str]]:
    return [(role.name, str(role.label)) for role in BUILTIN_ROLES]


def step_label(step: dict) -> str:
    level = str(LEVEL_LABELS.get(step.get("level"), step.get("level", "")))
    if step.get("role"):
        labels = dict(role_choices())
        who = labels.get(step["role"], step["role"])
    else:
        who = step.get("permission", "")
    return f"{who} ({level})"


def clean_steps(steps) -> list[dict]:
    """Check an approval chain: at most five steps, each one role (or permission) and a level."""
    if not isinstance(steps, (list, tuple)):
        raise ServiceError(_l("The approval steps must be a list."), field="steps")
    roles = {name for name, _label in role_choices()}
    levels = {level.value for level in UnitLevel}
    cleaned = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ServiceError(_l("Step %(n)d is not understood.", n=number), field="steps")
        role = (step.get("role") or "").strip()
        permission = (step.get("permission") or "").strip()
        level = (step.get("level") or "").strip()
        if not role and not permission:
            continue  # an empty row of the form
        if bool(role) == bool(permission):
            raise ServiceError(_l("Step %(n)d names either a role or a permission, not both.", n=number),
                               field="steps")
        if role and role not in roles:
            raise ServiceError(_l("Step %(n)d names an unknown role.", n=number), field="steps")
        if permission and "." not in permission:
            raise ServiceError(_l("Step %(n)d names an unknown permission.", n=number), field="steps")
        if level not in levels:
            raise ServiceError(_l("Choose the org-unit level of step %(n)d.", n=number), field="steps")
        cleaned.append({"role": role, "level": level} if role else {"permission": permission, "level": level})
    if len(cleaned) > MAX_STEPS:
        raise ServiceError(_l("At most %(max)d approval steps.", max=MAX_STEPS), field="steps")
    return cleaned


def types(active_only: bool = True) -> list[ResourceType]:
    query = select(ResourceType).order_by(ResourceType.active.desc(), ResourceType.code)
    if active_only:
        query = query.where(ResourceType.active.is_(True))
    return list(db.session.execute(query).scalars())


def get_type(type_id) -> ResourceType:
    try:
        found = db.session.get(ResourceType, int(type_id))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(_l("Resource type not found."))
    return found


def _require_manager(actor: User) -> None:
    if not actor.can(PERM_MANAGE):
        raise NotAllowed(_l("You may not manage resources."))


def save_type(actor: User, values: dict, resource_type: ResourceType | None = None, version=None) -> ResourceType:
    """Create a resource type, or change one (its name, description, steps, in use)."""
    _require_manager(actor)
    code = _text(values.get("code"), "code", required=_l("Give the type a short code, e.g. GIFT."), max_length=32)
    name = _text(values.get("name"), "name", required=_l("Give the type a name."), max_length=100)
    description = _text(values.get("description"), "description", required=None)
    steps = clean_steps(values.get("steps") or [])
    clash = db.session.execute(select(ResourceType.id).where(ResourceType.code == code)).scalar()
    if clash is not None and (resource_type is None or clash != resource_type.id):
        raise ServiceError(_l("Another resource type has this code."), field="code")
    if resource_type is None:
        resource_type = ResourceType(code=code, name=name, description=description, steps=steps,
                                     active=bool(values.get("active", True)))
        db.session.add(resource_type)
    else:
        _check_version(resource_type, version)
        resource_type.code, resource_type.name, resource_type.description = code, name, description
        resource_type.steps = steps
        resource_type.active = bool(values.get("active", True))
    _flush_versioned(_l("Someone else changed this resource type at the same time. Reload and try again."))
    return resource_type


# -- the catalogue ---------------------------------------------------------------------------

def item_pinyin(name: str) -> str:
    return f" {pinyin_keys(name)} " if name else ""


def get_item(item_id) -> ResourceItem:
    try:
        found = db.session.get(ResourceItem, int(item_id))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(_l("Catalogue item not found."))
    return found


def items(active_only: bool = False) -> list[ResourceItem]:
    query = select(ResourceItem).order_by(ResourceItem.active.desc(), ResourceItem.code)
    if active_only:
        query = query.where(ResourceItem.active.is_(True))
    return list(db.session.execute(query).unique().scalars())


def save_item(actor: User, values: dict, item: ResourceItem | None = None, version=None) -> ResourceItem:
    """Create or change a catalogue item (code, name, type, measure, unit value)."""
    _require_manager(actor)
    code = _text(values.get("code"), "code", required=_l("Give the item a code, e.g. LP-001."), max_length=32)
    name = _text(values.get("name"), "name", required=_l("Give the item a name."), max_length=200)
    measure = _text(values.get("measure"), "measure", required=_l("Say how it is counted, e.g. 件, 张, 元."),
                    max_length=16)
    try:
        resource_type = get_type(values.get("type_id"))
    except NotFound:
        raise ServiceError(_l("Choose the resource type."), field="type_id") from None
    unit_value = parse_money(values.get("unit_value"))
    description = _text(values.get("description"), "description", required=None)
    clash = db.session.execute(select(ResourceItem.id).where(ResourceItem.code == code)).scalar()
    if clash is not None and (item is None or clash != item.id):
        raise ServiceError(_l("Another catalogue item has this code."), field="code")
    if item is None:
        item = ResourceItem(code=code)
        db.session.add(item)
    else:
        _check_version(item, version)
    item.code, item.name, item.measure, item.type_id = code, name, measure, resource_type.id
    item.unit_value, item.description, item.pinyin = unit_value, description, item_pinyin(name)
    item.active = bool(values.get("active", True))
    _flush_versioned(_l("Someone else changed this item at the same time. Reload and try again."))
    return item


@dataclass(frozen=True)
class CatalogueFilter:
    q: str | None = None
    type_id: int | None = None
    available_only: bool = False
    low_only: bool = False
    managed_only: bool = False  # stock the reader manages instead of stock they draw from


def stock_query(actor: User, filters: CatalogueFilter | None = None) -> Select:
    """Stock rows: by default what `actor` can draw from (own unit and above); with
    managed_only the units they manage. Searches the item's name, code and pinyin."""
    filters = filters or CatalogueFilter()
    query = (select(ResourceStock).join(ResourceItem, ResourceItem.id == ResourceStock.item_id)
             .where(ResourceItem.active.is_(True)))
    if filters.managed_only:
        managed = managed_unit_ids(actor)
        if managed is not None:
            query = query.where(ResourceStock.org_unit_id.in_(managed))
    else:
        query = query.where(ResourceStock.org_unit_id.in_(drawable_unit_ids(actor)))
    if filters.q:
        term = filters.q.strip()
        lowered = term.lower().replace(" ", "")
        conditions = [ResourceItem.name.contains(term, autoescape=True),
                      ResourceItem.code.contains(term, autoescape=True)]
        if lowered.isascii() and lowered:
            conditions.append(ResourceItem.pinyin.contains(" " + lowered, autoescape=True))
        query = query.where(or_(*conditions))
    if filters.type_id:
        query = query.where(ResourceItem.type_id == filters.type_id)
    if filters.available_only:
        query = query.where(ResourceStock.on_hand - ResourceStock.reserved > 0)
    if filters.low_only:
        query = query.where(ResourceStock.on_hand - ResourceStock.reserved <= ResourceStock.low_threshold)
    return query.order_by(ResourceItem.type_id, ResourceItem.name, ResourceStock.org_unit_id)


def get_stock(stock_id) -> ResourceStock:
    try:
        stock_id = int(stock_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Stock not found.")) from None
    stock = db.session.execute(select(ResourceStock).where(ResourceStock.id == stock_id)).unique().scalar_one_or_none()
    if stock is None:
        raise NotFound(_l("Stock not found."))
    return stock


def ledger_of(stock: ResourceStock, limit: int = 200) -> list[ResourceStockEntry]:
    return list(db.session.execute(select(ResourceStockEntry).where(ResourceStockEntry.stock_id == stock.id)
                                   .order_by(ResourceStockEntry.id.desc()).limit(limit)).unique().scalars())


# -- stock: the one way quantities change ------------------------------------------------------

def _change_stock(stock_id: int, *, on_hand: int = 0, reserved: int = 0, condition=None) -> tuple[int, int] | None:
    """One conditional UPDATE of a stock row; the balances after it, or None when the
    condition did not hold (nothing changed). The row lock the UPDATE takes serialises
    concurrent writers, and the condition is evaluated again on the row they left."""
    statement = (update(ResourceStock).where(ResourceStock.id == stock_id)
                 .values(on_hand=ResourceStock.on_hand + on_hand, reserved=ResourceStock.reserved + reserved,
                         updated_at=utcnow())
                 .returning(ResourceStock.on_hand, ResourceStock.reserved)
                 .execution_options(synchronize_session=False))
    if condition is not None:
        statement = statement.where(condition)
    row = db.session.execute(statement).first()
    loaded = db.session.identity_map.get(orm_util.identity_key(ResourceStock, stock_id))
    if loaded is not None:
        db.session.expire(loaded, ["on_hand", "reserved", "updated_at"])
    return None if row is None else (row[0], row[1])


def _ledger(stock_id: int, kind: str, balances: tuple[int, int], *, on_hand: int = 0, reserved: int = 0,
            reason: str = "", request_id: int | None = None, actor: User | None = None) -> ResourceStockEntry:
    entry = ResourceStockEntry(stock_id=stock_id, kind=kind, on_hand_delta=on_hand, reserved_delta=reserved,
                               on_hand_after=balances[0], reserved_after=balances[1], reason=reason,
                               request_id=request_id, actor_id=getattr(actor, "id", None))
    db.session.add(entry)
    return entry


def open_stock(actor: User, item_id, unit_id, low_threshold=0, quantity=None, reason: str = "") -> ResourceStock:
    """Start holding an item in a unit the actor manages (optionally with a first delivery)."""
    _require_manager(actor)
    try:
        item = get_item(item_id)
    except NotFound:
        raise ServiceError(_l("Choose a catalogue item."), field="item_id") from None
    try:
        unit = db.session.get(OrgUnit, int(unit_id))
    except (TypeError, ValueError):
        unit = None
    if unit is None or not manages_unit(actor, unit.id):
        raise ServiceError(_l("Choose a unit you manage."), field="org_unit_id")
    threshold = _threshold(low_threshold)
    exists = db.session.execute(select(ResourceStock.id).where(ResourceStock.item_id == item.id,
                                                               ResourceStock.org_unit_id == unit.id)
                                .execution_options(skip_scope=True)).scalar()  # a uniqueness check
    if exists is not None:
        raise ServiceError(_l("%(unit)s already holds %(item)s; record goods in on its stock.", unit=unit.name,
                              item=item.name), field="item_id")
    stock = ResourceStock(item_id=item.id, org_unit_id=unit.id, on_hand=0, reserved=0, low_threshold=threshold)
    try:
        with db.session.begin_nested():
            db.session.add(stock)
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_l("%(unit)s already holds %(item)s; record goods in on its stock.", unit=unit.name,
                              item=item.name), field="item_id") from None
    _ledger(stock.id, "open", (0, 0), reason=_text(reason, "reason", required=None) or "", actor=actor)
    if quantity not in (None, "", 0, "0"):
        record_movement(actor, stock, "in", quantity, reason or str(_l("First delivery")))
    return stock


def _threshold(value) -> int:
    text = str(value if value is not None else "0").strip() or "0"
    try:
        number = int(text)
    except ValueError:
        raise ServiceError(_l("Enter the low-stock threshold as a whole number (0 for none)."),
                           field="low_threshold") from None
    if number < 0 or number > MAX_QUANTITY:
        raise ServiceError(_l("Enter the low-stock threshold as a whole number (0 for none)."), field="low_threshold")
    return number


def set_low_threshold(actor: User, stock: ResourceStock, value) -> ResourceStock:
    _require_manager(actor)
    if not manages_unit(actor, stock.org_unit_id):
        raise NotAllowed(_l("You do not manage the stock of this unit."))
    stock.low_threshold = _threshold(value)
    db.session.flush()
    return stock


def record_movement(actor: User, stock: ResourceStock, kind: str, quantity, reason: str) -> ResourceStockEntry:
    """Goods in, goods out, or an adjustment after a count (±), always with a reason.
    Out and a negative adjustment never take stock below what is reserved."""
    _require_manager(actor)
    if not manages_unit(actor, stock.org_unit_id):
        raise NotAllowed(_l("You do not manage the stock of this unit."))
    if kind not in MOVEMENT_KINDS:
        raise ServiceError(_l("Choose goods in, goods out or an adjustment."), field="kind")
    number = parse_quantity(quantity, allow_negative=(kind == "adjust"))
    reason = _text(reason, "reason", required=_l("Say why the stock changes (delivery note, count, damage …)."))
    delta = {"in": number, "out": -number, "adjust": number}[kind]
    condition = None
    if delta < 0:
        condition = ResourceStock.on_hand - ResourceStock.reserved >= -delta
    balances = _change_stock(stock.id, on_hand=delta, condition=condition)
    if balances is None:
        db.session.refresh(stock)
        raise ServiceError(_l("Only %(available)d %(measure)s of %(item)s are available (the rest is reserved "
                              "for approved requests).", available=stock.available, measure=stock.item.measure,
                              item=stock.item.name), field="quantity")
    entry = _ledger(stock.id, kind, balances, on_hand=delta, reason=reason, actor=actor)
    db.session.flush()
    emit("resources.stock_changed", actor=actor, stock_id=stock.id, item_id=stock.item_id,
         org_unit_id=stock.org_unit_id, kind=kind, quantity=delta, on_hand=balances[0], reserved=balances[1])
    return entry


# -- requests: reading -------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestFilter:
    q: str | None = None
    state: str | None = None
    mine: bool = False         # requests I made
    waiting: bool = False      # requests waiting for my decision or my issue
    customer_id: int | None = None
    type_id: int | None = None


def _waiting_ids(actor: User):
    return (select(TodoItem.source_id).where(TodoItem.source_type == SOURCE, TodoItem.owner_id == actor.id,
                                             TodoItem.status == TodoStatus.OPEN,
                                             TodoItem.kind.in_((TODO_APPROVE, TODO_ISSUE)))
            .execution_options(skip_scope=True))


def request_query(filters: RequestFilter | None = None, actor: User | None = None) -> Select:
    filters = filters or RequestFilter()
    query = select(ResourceRequest).order_by(ResourceRequest.updated_at.desc(), ResourceRequest.id.desc())
    if filters.q:
        term = filters.q.strip()
        query = query.where(or_(ResourceRequest.title.contains(term, autoescape=True),
                                ResourceRequest.code.contains(term, autoescape=True),
                                ResourceRequest.purpose.contains(term, autoescape=True),
                                ResourceRequest.customer_id.in_(select(Customer.id).where(
                                    Customer.name.contains(term, autoescape=True)))))
    if filters.state == "open":
        query = query.where(ResourceRequest.state.in_([s.value for s in OPEN_STATES]))
    elif filters.state in {s.value for s in State}:
        query = query.where(ResourceRequest.state == filters.state)
    if filters.mine and actor is not None:
        query = query.where(ResourceRequest.owner_id == actor.id)
    if filters.waiting and actor is not None:
        query = query.where(cast(ResourceRequest.id, String).in_(_waiting_ids(actor)))
    if filters.customer_id:
        query = query.where(ResourceRequest.customer_id == filters.customer_id)
    if filters.type_id:
        query = query.where(ResourceRequest.type_id == filters.type_id)
    return query


def get_request(request_id) -> ResourceRequest:
    """A request in the current scope, or NotFound (out of scope looks absent)."""
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Request not found.")) from None
    found = db.session.execute(select(ResourceRequest).where(ResourceRequest.id == request_id)).unique() \
        .scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Request not found."))
    return found


def steps_of(request: ResourceRequest) -> list[ResourceRequestStep]:
    return list(db.session.execute(select(ResourceRequestStep).where(ResourceRequestStep.request_id == request.id)
                                   .order_by(ResourceRequestStep.at, ResourceRequestStep.id)).unique().scalars())


def counts_by_state(actor: User | None = None, only_mine: bool = False) -> dict[str, int]:
    query = select(ResourceRequest.state, func.count(ResourceRequest.id)).group_by(ResourceRequest.state)
    if only_mine and actor is not None:
        query = query.where(ResourceRequest.owner_id == actor.id)
    return {state: count for state, count in db.session.execute(query).all()}


def requests_of_customer(customer, limit: int = 30) -> list[ResourceRequest]:
    return list(db.session.execute(request_query(RequestFilter(customer_id=customer.id)).limit(limit))
                .unique().scalars())


def customer_totals(customer) -> dict[str, Decimal]:
    """Requested (still open) and issued value for one customer, within the reader's scope."""
    rows = db.session.execute(select(ResourceRequest.state, func.coalesce(func.sum(ResourceRequest.total_value), 0))
                              .where(ResourceRequest.customer_id == customer.id)
                              .group_by(ResourceRequest.state)).all()
    totals = {"requested": Decimal("0"), "issued": Decimal("0")}
    for state, value in rows:
        if state in ISSUED_STATES:
            totals["issued"] += Decimal(value)
        elif state in (State.PENDING.value, State.APPROVED.value):
            totals["requested"] += Decimal(value)
    return totals


# -- who decides ---------------------------------------------------------------------------------

def _holds(user: User, step: dict) -> bool:
    if step.get("role"):
        return user.active and any(role.name == step["role"] for role in user.roles)
    return user.can(step.get("permission", ""))


def _step_unit(request_unit: OrgUnit, level: str) -> OrgUnit | None:
    """The request unit itself or its ancestor at `level`; None when the unit sits above it."""
    chain = [request_unit] + list(reversed(_ancestors(request_unit)))
    for unit in chain:
        if unit.level == level:
            return unit
    return None


def _ancestors(unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    return list(db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.path)).scalars())


def approvers(step: dict, exclude: set[int] = frozenset()) -> list[User]:
    """Active holders of the step's role/permission in its unit or, failing that, the nearest
    unit above it (so a vacancy does not block the chain)."""
    unit = db.session.get(OrgUnit, step.get("unit_id")) if step.get("unit_id") else None
    if unit is None:
        return []
    for level in [unit] + list(reversed(_ancestors(unit))):
        people = db.session.execute(select(User).where(User.org_unit_id == level.id, User.active.is_(True))
                                    .order_by(User.id)).unique().scalars().all()
        found = [person for person in people if person.id not in exclude and _holds(person, step)]
        if found:
            return found
    return []


def resolve_steps(resource_type: ResourceType, request_unit: OrgUnit, requester: User) -> list[dict]:
    """The type's chain for one request: each step bound to the unit that decides it. Steps
    at a level above which the request unit sits are skipped; a step nobody can decide is
    refused with a message naming it."""
    resolved = []
    for step in resource_type.steps or []:
        unit = _step_unit(request_unit, step.get("level"))
        if unit is None:
            continue
        bound = dict(step, unit_id=unit.id, unit_name=unit.name)
        if not approvers(bound, exclude={requester.id}):
            raise ServiceError(_l("Nobody can decide the approval step “%(step)s” for your unit; ask an "
                                  "administrator.", step=step_label(step)))
        resolved.append(bound)
    return resolved


def current_step(request: ResourceRequest) -> dict | None:
    if request.state != State.PENDING.value or request.step_index >= len(request.steps or []):
        return None
    return request.steps[request.step_index]


def may_decide(actor: User, request: ResourceRequest) -> bool:
    step = current_step(request)
    if step is None or actor.id == request.owner_id:
        return False
    return any(person.id == actor.id for person in approvers(step, exclude={request.owner_id or 0}))


def may_issue(actor: User, request: ResourceRequest) -> bool:
    return (request.state == State.APPROVED.value and actor.can(PERM_MANAGE)
            and all(manages_unit(actor, _line_stock_unit(line)) for line in request.lines))


def _line_stock_unit(line: ResourceRequestLine) -> int:
    return db.session.execute(select(ResourceStock.org_unit_id).where(ResourceStock.id == line.stock_id)
                              .execution_options(skip_scope=True)).scalar_one()  # a key lookup, no data shown


def available_actions(actor: User, request: ResourceRequest) -> set[str]:
    actions = set()
    state = State(request.state)
    if state == State.PENDING and may_decide(actor, request):
        actions |= {"approve", "reject"}
    if state in (State.PENDING, State.APPROVED) and actor.id == request.owner_id:
        actions.add("cancel")
    if may_issue(actor, request):
        actions.add("issue")
    if state == State.ISSUED and actor.id == request.owner_id:
        actions.add("confirm")
    return actions


# -- requests: the flow --------------------------------------------------------------------------

def _new_code() -> str:
    prefix = f"ZY{utcnow():%Y%m}-"
    last = db.session.execute(select(func.max(ResourceRequest.code)).where(ResourceRequest.code.startswith(prefix))
                              .execution_options(skip_scope=True)).scalar()  # numbering sees every request
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _payload(request: ResourceRequest, **extra) -> dict:
    return {"request_id": request.id, "customer_id": request.customer_id, "title": request.title,
            "owner_id": request.owner_id, "org_unit_id": request.org_unit_id, "purpose": request.purpose,
            "items": [{"name": line.name, "quantity": line.quantity} for line in request.lines],
            "code": request.code, "total_value": str(request.total_value), **extra}


def _log(request: ResourceRequest, action: str, actor: User | None, note: str = "", step_index=None) -> None:
    db.session.add(ResourceRequestStep(request_id=request.id, action=action, step_index=step_index,
                                       to_state=request.state, actor_id=getattr(actor, "id", None), note=note or ""))


def _todo_for(people: list[User], kind: str, title, request: ResourceRequest, actor: User | None,
              days: int = STEP_DAYS, note: str = "") -> None:
    for person in people:
        if not person.active or person.org_unit_id is None:
            continue
        with force_locale(recipient_locale(person)):  # stored text: in the assignee's language
            text = f"{title % {'code': request.code}} · {request.title}"
        inbox.open_todo(kind=kind, title=text, assignee=person, created_by=actor,
                        due_at=utcnow() + timedelta(days=days), link=request_link(request),
                        customer=request.customer_id, source=(SOURCE, request.id), description=note)


def _open_approval_todos(request: ResourceRequest, actor: User | None) -> None:
    step = current_step(request)
    if step is None:
        return
    people = approvers(step, exclude={request.owner_id or 0})
    _todo_for(people, TODO_APPROVE, _l("Approve resource request %(code)s"), request, actor,
              note=request.purpose)


def _stock_keepers(request: ResourceRequest) -> list[User]:
    """Who issues: holders of resources.manage in the unit of the (first) stock drawn, or the
    nearest unit above with one."""
    if not request.lines:
        return []
    unit_id = _line_stock_unit(request.lines[0])
    return approvers({"permission": PERM_MANAGE, "unit_id": unit_id})


def _parse_lines(actor: User, lines) -> list[tuple[ResourceStock, int]]:
    if not lines:
        raise ServiceError(_l("Choose at least one item and how many."), field="lines")
    if len(lines) > MAX_LINES:
        raise ServiceError(_l("At most %(max)d items in one request.", max=MAX_LINES), field="lines")
    drawable = set(drawable_unit_ids(actor))
    merged: dict[int, int] = {}
    for line in lines:
        stock_id = line.get("stock_id") if isinstance(line, dict) else None
        try:
            stock = get_stock(stock_id)
        except NotFound:
            raise ServiceError(_l("Choose items from the catalogue of your unit."), field="lines") from None
        if stock.org_unit_id not in drawable or not stock.item.active:
            raise ServiceError(_l("Choose items from the catalogue of your unit."), field="lines")
        merged[stock.id] = merged.get(stock.id, 0) + parse_quantity(line.get("quantity"), field="lines")
    result = []
    for stock_id, quantity in merged.items():
        stock = get_stock(stock_id)
        if quantity > MAX_QUANTITY:
            raise ServiceError(_l("At most %(max)d items at a time.", max=MAX_QUANTITY), field="lines")
        if quantity > stock.available:
            raise ServiceError(_l("Only %(available)d %(measure)s of %(item)s are available now.",
                                  available=stock.available, measure=stock.item.measure, item=stock.item.name),
                               field="lines")
        result.append((stock, quantity))
    type_ids = {stock.item.type_id for stock, _quantity in result}
    if len(type_ids) > 1:
        raise ServiceError(_l("One request holds items of one resource type (they are approved alike); "
                              "make a second request for the others."), field="lines")
    return result


def create_request(actor: User, *, customer_id, title: str, purpose: str, lines) -> ResourceRequest:
    """An account manager requests items for a customer in their scope, for a purpose.

    The items come from the stock their unit can draw from, all of one resource type; the
    type's approval chain is copied onto the request and its first approvers get to-dos."""
    if not actor.can(PERM_REQUEST):
        raise NotAllowed(_l("You may not request resources."))
    if actor.org_unit is None:
        raise ServiceError(_l("You belong to no org unit; ask an administrator."))
    try:
        customer = db.session.execute(select(Customer).where(Customer.id == int(customer_id))).scalar_one_or_none()
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise ServiceError(_l("Choose one of your customers from the list."), field="customer_id")
    title = _text(title, "title", required=_l("Give the request a short title."), max_length=200)
    purpose = _text(purpose, "purpose", required=_l("Say what the resources are for (event, visit, campaign)."))
    parsed = _parse_lines(actor, lines)
    resource_type = parsed[0][0].item.type
    if not resource_type.active:
        raise ServiceError(_l("This resource type is no longer in use."), field="lines")
    steps = resolve_steps(resource_type, actor.org_unit, actor)
    request = ResourceRequest(code=_new_code(), title=title, customer_id=customer.id, type_id=resource_type.id,
                              purpose=purpose, state=State.PENDING.value, steps=steps, step_index=0,
                              owner_id=actor.id, org_unit_id=actor.org_unit_id, submitted_at=utcnow())
    total = Decimal("0")
    for stock, quantity in parsed:
        value = (stock.item.unit_value * quantity).quantize(Decimal("0.01"))
        total += value
        request.lines.append(ResourceRequestLine(stock_id=stock.id, item_id=stock.item_id, name=stock.item.name,
                                                 quantity=quantity, unit_value=stock.item.unit_value, value=value))
    request.total_value = total
    for attempt in range(5):
        try:
            with db.session.begin_nested():
                db.session.add(request)
                db.session.flush()
            break
        except IntegrityError:
            if attempt == 4:
                raise
            request.code = _new_code()
    _log(request, "submit", actor, purpose)
    emit("resources.request_submitted", actor=actor, **_payload(request))
    if not steps:  # a type without approval: approved as submitted
        request.state = State.APPROVED.value
        request.approved_at = utcnow()
        db.session.flush()
        _finish_approval(actor, request)
    else:
        _open_approval_todos(request, actor)
    return request


def _reserve(request: ResourceRequest, actor: User) -> None:
    for line in request.lines:
        balances = _change_stock(line.stock_id, reserved=line.quantity,
                                 condition=ResourceStock.on_hand - ResourceStock.reserved >= line.quantity)
        if balances is None:
            stock = db.session.execute(select(ResourceStock).where(ResourceStock.id == line.stock_id)
                                       .execution_options(skip_scope=True)).unique().scalar_one()
            db.session.refresh(stock)
            raise ServiceError(_l("Not enough stock to approve: %(item)s has %(available)d %(measure)s available, "
                                  "%(quantity)d requested. Reject the request or wait for goods in.",
                                  item=line.name, available=stock.available, measure=stock.item.measure,
                                  quantity=line.quantity))
        _ledger(line.stock_id, "reserve", balances, reserved=line.quantity, request_id=request.id, actor=actor,
                reason=request.code)


def _release(request: ResourceRequest, actor: User, reason: str) -> None:
    for line in request.lines:
        balances = _change_stock(line.stock_id, reserved=-line.quantity,
                                 condition=ResourceStock.reserved >= line.quantity)
        if balances is None:  # the invariants make this unreachable; refuse rather than go negative
            raise ServiceError(_l("The reservation of %(item)s could not be released; ask an administrator.",
                                  item=line.name))
        _ledger(line.stock_id, "release", balances, reserved=-line.quantity, request_id=request.id, actor=actor,
                reason=reason)


CONFLICT = _l("Someone else decided this request at the same time. Reload the page to see where it stands.")


def _finish_approval(actor: User, request: ResourceRequest) -> None:
    """The chain is complete: reserve the stock (or refuse with the figures), hand the issue
    to the stock keepers, tell the requester. The request's state is already written."""
    _reserve(request, actor)
    _todo_for(_stock_keepers(request), TODO_ISSUE, _l("Issue the resources of request %(code)s"), request, actor)
    owner = db.session.get(User, request.owner_id) if request.owner_id else None
    if owner is not None and owner.id != actor.id:
        notify(owner, "notice", _l("Resource request %(code)s is approved; the items are reserved for you.",
                                   code=request.code), link=request_link(request), actor=actor)


def approve(actor: User, request: ResourceRequest, note: str = "", version=None) -> ResourceRequest:
    """The holder of the current step approves; at the last step the stock is reserved (or
    the approval is refused, with the figures, when not enough is available)."""
    _check_version(request, version)
    if request.state != State.PENDING.value:
        raise ServiceError(_l("This cannot be done now: the request is %(state)s.",
                              state=STATE_LABELS[State(request.state)]))
    if not may_decide(actor, request):
        raise NotAllowed(_l("This approval step is not yours to decide."))
    note = _text(note, "note", required=None)
    index = request.step_index
    last = index >= len(request.steps) - 1
    # The request row is written first, with the version read: of two approvers of one step
    # acting at once, the second finds the version moved on and gets a Conflict.
    if last:
        request.state = State.APPROVED.value
        request.approved_at = utcnow()
    else:
        request.step_index = index + 1
    _flush_versioned(CONFLICT)
    inbox.close_todos_for((SOURCE, request.id), actor=actor, kind=TODO_APPROVE,
                          note=str(_l("Approved by %(name)s", name=actor.name)))
    if last:
        _finish_approval(actor, request)
    else:
        _open_approval_todos(request, actor)
    _log(request, "approve", actor, note, step_index=index)
    emit("resources.request_approved", actor=actor, **_payload(request, step=index + 1, final=last))
    return request


def reject(actor: User, request: ResourceRequest, reason: str, version=None) -> ResourceRequest:
    """The holder of the current step rejects, saying why."""
    _check_version(request, version)
    reason = _text(reason, "reason", required=_l("Say why the request is rejected."))
    if request.state != State.PENDING.value:
        raise ServiceError(_l("This cannot be done now: the request is %(state)s.",
                              state=STATE_LABELS[State(request.state)]))
    if not may_decide(actor, request):
        raise NotAllowed(_l("This approval step is not yours to decide."))
    index = request.step_index
    request.state = State.REJECTED.value
    request.reject_reason = reason
    request.closed_at = utcnow()
    _flush_versioned(CONFLICT)
    inbox.close_todos_for((SOURCE, request.id), actor=actor, note=str(_l("Rejected: %(reason)s", reason=reason)))
    _log(request, "reject", actor, reason, step_index=index)
    owner = db.session.get(User, request.owner_id) if request.owner_id else None
    if owner is not None:
        notify(owner, "notice", _l("Resource request %(code)s was rejected: %(reason)s", code=request.code,
                                   reason=reason), link=request_link(request), actor=actor)
    emit("resources.request_rejected", actor=actor, **_payload(request, step=index + 1, reason=reason))
    return request


def cancel(actor: User, request: ResourceRequest, reason: str, version=None) -> ResourceRequest:
    """The requester withdraws a request before it is issued; a reservation is released."""
    _check_version(request, version)
    reason = _text(reason, "reason", required=_l("Say why the request is cancelled."))
    if actor.id != request.owner_id:
        raise NotAllowed(_l("Only the account manager who made the request can cancel it."))
    state = State(request.state)
    if state not in (State.PENDING, State.APPROVED):
        raise ServiceError(_l("Only a request that is not issued yet can be cancelled (it is now: %(state)s).",
                              state=STATE_LABELS[state]))
    request.state = State.CANCELLED.value
    request.cancel_reason = reason
    request.closed_at = utcnow()
    _flush_versioned(CONFLICT)
    if state == State.APPROVED:
        _release(request, actor, reason)
    inbox.close_todos_for((SOURCE, request.id), actor=actor, note=str(_l("Cancelled: %(reason)s", reason=reason)))
    _log(request, "cancel", actor, reason)
    emit("resources.request_cancelled", actor=actor, **_payload(request, reason=reason))
    return request


def issue(actor: User, request: ResourceRequest, note: str = "", version=None) -> ResourceRequest:
    """The stock keeper hands the items over: on hand and reserved both go down."""
    _check_version(request, version)
    if request.state != State.APPROVED.value:
        raise ServiceError(_l("Only an approved request can be issued (it is now: %(state)s).",
                              state=STATE_LABELS[State(request.state)]))
    if not may_issue(actor, request):
        raise NotAllowed(_l("You do not manage the stock this request draws from."))
    note = _text(note, "note", required=None)
    now = utcnow()
    request.state = State.ISSUED.value
    request.issued_at = now
    request.issued_month = local_now().strftime("%Y-%m")
    _flush_versioned(CONFLICT)
    for line in request.lines:
        balances = _change_stock(line.stock_id, on_hand=-line.quantity, reserved=-line.quantity,
                                 condition=(ResourceStock.reserved >= line.quantity))
        if balances is None:
            raise ServiceError(_l("The reservation of %(item)s is missing; ask an administrator.", item=line.name))
        _ledger(line.stock_id, "issue", balances, on_hand=-line.quantity, reserved=-line.quantity,
                request_id=request.id, actor=actor, reason=request.code)
    inbox.close_todos_for((SOURCE, request.id), actor=actor, kind=TODO_ISSUE,
                          note=str(_l("Issued by %(name)s", name=actor.name)))
    _log(request, "issue", actor, note)
    owner = db.session.get(User, request.owner_id) if request.owner_id else None
    if owner is not None and owner.active:
        _todo_for([owner], TODO_CONFIRM, _l("Confirm the use of resources %(code)s"), request, actor, days=14)
    emit("resources.request_issued", actor=actor, **_payload(request))
    return request


def confirm_use(actor: User, request: ResourceRequest, *, note: str = "", photo=None, version=None) -> ResourceRequest:
    """The account manager confirms the items were used, with a photo or a note (or both)."""
    _check_version(request, version)
    if actor.id != request.owner_id:
        raise NotAllowed(_l("Only the account manager who made the request confirms its use."))
    if request.state != State.ISSUED.value:
        raise ServiceError(_l("Use is confirmed after the items are issued (the request is now: %(state)s).",
                              state=STATE_LABELS[State(request.state)]))
    note = _text(note, "note", required=None)
    has_photo = photo is not None and getattr(photo, "filename", None)
    if not note and not has_photo:
        raise ServiceError(_l("Add a photo of the items in use or a note saying how they were used."), field="note")
    if has_photo:
        stored = files.store_upload(photo, kinds=PHOTO_KINDS, owner=actor)
        request.use_photo_id = stored.id
    request.use_note = note
    request.state = State.USED.value
    request.used_at = utcnow()
    request.closed_at = request.used_at
    _flush_versioned(CONFLICT)
    inbox.close_todos_for((SOURCE, request.id), actor=actor, note=str(_l("Use confirmed")))
    _log(request, "use", actor, note)
    emit("resources.use_confirmed", actor=actor, **_payload(request, photo=bool(has_photo)))
    return request


# -- figures ------------------------------------------------------------------------------------

REPORT_GROUPS = ("unit", "type", "month")


@dataclass
class ReportRow:
    key: object
    label: str
    requests: int
    quantity: int
    value: Decimal


def issued_report(group: str = "unit", month_from: str | None = None, month_to: str | None = None,
                  type_id: int | None = None) -> list[ReportRow]:
    """Issued value (issued or used requests) by unit, resource type or month, within the
    reader's scope: the aggregate names the request's mapped attributes, so the scope rule
    applies to it like to a list."""
    if group not in REPORT_GROUPS:
        raise ServiceError(_l("Group by unit, resource type or month."), field="group")
    for name, value in (("month_from", month_from), ("month_to", month_to)):
        if value and not _is_month(value):
            raise ServiceError(_l("Enter a month as YYYY-MM."), field=name)
    if month_from and month_to and month_from > month_to:
        raise ServiceError(_l("The first month must not be after the last."), field="month_to")
    key = {"unit": ResourceRequest.org_unit_id, "type": ResourceRequest.type_id,
           "month": ResourceRequest.issued_month}[group]
    quantities = (select(ResourceRequestLine.request_id, func.sum(ResourceRequestLine.quantity).label("q"))
                  .group_by(ResourceRequestLine.request_id).subquery())
    query = (select(key, func.count(ResourceRequest.id), func.coalesce(func.sum(quantities.c.q), 0),
                    func.coalesce(func.sum(ResourceRequest.total_value), 0))
             .join(quantities, quantities.c.request_id == ResourceRequest.id)
             .where(ResourceRequest.state.in_(ISSUED_STATES)).group_by(key).order_by(key))
    if month_from:
        query = query.where(ResourceRequest.issued_month >= month_from)
    if month_to:
        query = query.where(ResourceRequest.issued_month <= month_to)
    if type_id:
        query = query.where(ResourceRequest.type_id == type_id)
    rows = db.session.execute(query).all()
    labels: dict = {}
    if group == "unit":
        ids = [row[0] for row in rows]
        labels = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all()) if ids else {}
    elif group == "type":
        labels = {t.id: t.name for t in types(active_only=False)}
    result = [ReportRow(key=row[0], label=str(labels.get(row[0], row[0])), requests=int(row[1]),
                        quantity=int(row[2]), value=Decimal(row[3]).quantize(Decimal("0.01"))) for row in rows]
    if group != "month":
        result.sort(key=lambda r: r.value, reverse=True)
    return result


def _is_month(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m")
    except (TypeError, ValueError):
        return False
    return len(value) == 7


def low_stock(actor: User, limit: int = 10) -> list[ResourceStock]:
    query = stock_query(actor, CatalogueFilter(managed_only=True, low_only=True))
    return list(db.session.execute(query.limit(limit)).unique().scalars())


def ledger_totals(stock_id: int) -> tuple[int, int]:
    """The stock as the ledger adds it up (on hand, reserved): it must equal the row."""
    row = db.session.execute(select(func.coalesce(func.sum(ResourceStockEntry.on_hand_delta), 0),
                                    func.coalesce(func.sum(ResourceStockEntry.reserved_delta), 0))
                             .where(ResourceStockEntry.stock_id == stock_id)).one()
    return int(row[0]), int(row[1])
