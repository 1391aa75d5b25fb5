"""Rules of the opportunity plugin (商机): the category catalogue and its per-category field
validation, creating and editing opportunities, the flow new → pool (商机拍卖) → assignment
(分配) → survey review (报勘审核) → confirmation (确认) → contract pre-execution pool
(合同预执行库) → signed, closing with a reason, follow-up actions, and the scans that raise
overdue warnings (超期预警) and flag opportunities without a follow-up for a month.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Each transition checks the stage it starts from and the
actor's right to make it, moves the to-dos (the next handler's to-do opens, which notifies
them; the previous step's closes), writes the step log, and emits an event. Transitions are
atomic: the UPDATE carries the version the actor read (SQLAlchemy's version_id_col, so the
statement is `UPDATE ... WHERE id=? AND version=?`): of two managers awarding the same
pooled opportunity at once, one UPDATE matches and the other finds no row and is told
(Conflict) — the row lock makes the second wait for the first on PostgreSQL.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.notify.services import notify
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope
from workbench.records import utcnow
from plugins.opportunity import catalogue
from plugins.opportunity.models import Alert, Category, Claim, FollowUp, Opportunity, StepLog, StepSetting

SOURCE = "opportunity_opportunity"


class Stage(str, Enum):
    NEW = "new"
    POOL = "pool"
    ASSIGNMENT = "assignment"
    SURVEY_REVIEW = "survey_review"
    CONFIRMATION = "confirmation"
    PRE_EXECUTION = "pre_execution"
    SIGNED = "signed"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


FLOW = (Stage.NEW, Stage.POOL, Stage.ASSIGNMENT, Stage.SURVEY_REVIEW, Stage.CONFIRMATION,
        Stage.PRE_EXECUTION, Stage.SIGNED)
OPEN_STAGES = (Stage.NEW, Stage.POOL, Stage.ASSIGNMENT, Stage.SURVEY_REVIEW, Stage.CONFIRMATION,
               Stage.PRE_EXECUTION)
OPEN_STAGE_VALUES = tuple(stage.value for stage in OPEN_STAGES)

STAGE_LABELS = {
    Stage.NEW: _l("New"), Stage.POOL: _l("In the pool"), Stage.ASSIGNMENT: _l("Assigned"),
    Stage.SURVEY_REVIEW: _l("Survey review"), Stage.CONFIRMATION: _l("Confirmation"),
    Stage.PRE_EXECUTION: _l("Contract pre-execution pool"), Stage.SIGNED: _l("Signed"),
    Stage.CLOSED: _l("Closed"),
}
KINDS = {"demand": _l("Demand"), "competitive": _l("Competitive")}
SOURCES = ("manual", "ict", "import", "api")
FOLLOWUP_KINDS = {"visit": _l("Visit"), "call": _l("Call"), "note": _l("Note"), "proposal": _l("Proposal")}
FIELD_TYPES = {"text": _l("Text"), "textarea": _l("Long text"), "integer": _l("Whole number"),
               "number": _l("Number"), "choice": _l("Choice"), "date": _l("Date")}

# Permissions (declared in plugin.py with their default roles).
PERM_VIEW = "opportunity.view"
PERM_CREATE = "opportunity.create"
PERM_CLAIM = "opportunity.claim"
PERM_DISPATCH = "opportunity.dispatch"
PERM_REVIEW = "opportunity.review_survey"
PERM_CONFIRM = "opportunity.confirm"
PERM_CLOSE = "opportunity.close"
PERM_ALERTS = "opportunity.overdue_alerts"
PERM_CATALOGUE = "opportunity.manage_catalogue"

# To-do kinds (declared in plugin.py). Each open stage has the to-do of its handler.
TODO_DISPATCH = "opportunity.dispatch"
TODO_AWARD = "opportunity.award"
TODO_SURVEY = "opportunity.survey"
TODO_REVIEW = "opportunity.review"
TODO_CONFIRM = "opportunity.confirm"
TODO_CONTRACT = "opportunity.contract"
TODO_OVERDUE = "opportunity.overdue"
TODO_FOLLOWUP = "opportunity.followup"
NOTICE_POOL = "opportunity.pool_open"
STEP_TODOS = {Stage.NEW: TODO_DISPATCH, Stage.POOL: TODO_AWARD, Stage.ASSIGNMENT: TODO_SURVEY,
              Stage.SURVEY_REVIEW: TODO_REVIEW, Stage.CONFIRMATION: TODO_CONFIRM,
              Stage.PRE_EXECUTION: TODO_CONTRACT}
# Who may act on each step (besides being its handler, which is required for the survey).
STEP_PERMISSIONS = {Stage.NEW: PERM_DISPATCH, Stage.POOL: PERM_DISPATCH, Stage.ASSIGNMENT: PERM_CLAIM,
                    Stage.SURVEY_REVIEW: PERM_REVIEW, Stage.CONFIRMATION: PERM_CONFIRM}

DEFAULT_SLA_HOURS = {Stage.NEW: 24, Stage.POOL: 72, Stage.ASSIGNMENT: 120, Stage.SURVEY_REVIEW: 48,
                     Stage.CONFIRMATION: 48, Stage.PRE_EXECUTION: 720}
DEFAULT_CLAIM_HOURS = 48
STALE_DAYS = 30
TITLE_MAX = 200
TEXT_MAX = 2000
NOTE_MAX = 2000
REVENUE_MAX = Decimal("999999999999.99")


def stage_label(stage) -> str:
    try:
        return str(STAGE_LABELS[Stage(stage)])
    except ValueError:
        return str(stage)


def opportunity_link(opportunity: Opportunity) -> str:
    """The opportunity's page as a plain path (no request needed: to-dos and notifications)."""
    return f"/opportunity/{opportunity.id}"


def event_payload(opportunity: Opportunity, **extra) -> dict:
    return {"opportunity_id": opportunity.id, "customer_id": opportunity.customer_id,
            "title": opportunity.title, "org_unit_id": opportunity.org_unit_id,
            "owner_id": opportunity.owner_id, **extra}


class DetailsInvalid(ServiceError):
    """Category fields that break their rules; `errors` maps each field key to its message."""

    def __init__(self, errors: dict):
        key, message = next(iter(errors.items()))
        super().__init__(message, field=f"details.{key}")
        self.errors = errors


# --- the catalogue -----------------------------------------------------------------------

def ensure_catalogue() -> int:
    """Add the shipped categories that are missing (by code); never changes edited ones."""
    existing = {row.code: row for row in db.session.execute(select(Category)).scalars()}
    added = 0
    for order, (code, name, name_en, parent, is_ict, is_leased, extra) in enumerate(catalogue.CATEGORIES):
        if code in existing:
            continue
        category = Category(code=code, name=name, name_en=name_en, is_ict=is_ict, is_leased_line=is_leased,
                            fields=catalogue.category_fields(code, is_leased, extra), active=True,
                            order=(order + 1) * 10, parent=existing.get(parent) if parent else None)
        db.session.add(category)
        existing[code] = category
        added += 1
    db.session.flush()
    return added


def categories(active_only: bool = True) -> list[Category]:
    query = select(Category).order_by(Category.order, Category.id)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.session.execute(query).scalars())


def get_category(code_or_id) -> Category:
    if isinstance(code_or_id, int) or (isinstance(code_or_id, str) and code_or_id.isdigit()):
        category = db.session.get(Category, int(code_or_id))
    else:
        category = db.session.execute(select(Category).where(Category.code == (code_or_id or ""))).scalar_one_or_none()
    if category is None:
        raise NotFound(_l("Unknown business category."))
    return category


def _field_label(definition: dict) -> str:
    from plugins.opportunity.models import _in_chinese

    if has_app_context() and _in_chinese():
        return definition.get("label_zh") or definition.get("label") or definition["key"]
    return definition.get("label") or definition.get("label_zh") or definition["key"]


def field_label(definition: dict) -> str:
    return _field_label(definition)


def validate_details(category: Category, raw: dict | None) -> dict:
    """The category's extra fields cleaned and typed; DetailsInvalid lists every bad one.

    Keys the category does not declare are dropped (a form from another category must not
    leave stray values behind)."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ServiceError(_l("Category details must be an object of field values."), field="details")
    cleaned, errors = {}, {}
    for definition in category.fields or []:
        key, kind = definition["key"], definition.get("type", "text")
        value = raw.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if definition.get("required"):
                errors[key] = _l("%(field)s is required for %(category)s.", field=_field_label(definition),
                                 category=category.label)
            continue
        try:
            cleaned[key] = _typed(definition, kind, value)
        except ValueError as exc:
            errors[key] = exc.args[0]
    if errors:
        raise DetailsInvalid(errors)
    return cleaned


def _typed(definition: dict, kind: str, value):
    label = _field_label(definition)
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(_l("%(field)s must be a whole number.", field=label))
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(_l("%(field)s must be a whole number.", field=label)) from None
        if number < 0:
            raise ValueError(_l("%(field)s cannot be negative.", field=label))
        return number
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError(_l("%(field)s must be a number.", field=label))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_l("%(field)s must be a number.", field=label)) from None
        if not number.is_finite():
            raise ValueError(_l("%(field)s must be a number.", field=label))
        if number < 0:
            raise ValueError(_l("%(field)s cannot be negative.", field=label))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "choice":
        if str(value) not in (definition.get("choices") or []):
            raise ValueError(_l("%(value)s is not one of the choices offered for %(field)s.",
                                value=str(value)[:50], field=label))
        return str(value)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_l("%(field)s must be a date (YYYY-MM-DD).", field=label)) from None
    text = str(value)
    limit = TEXT_MAX if kind == "textarea" else 200
    if len(text) > limit:
        raise ValueError(_l("%(field)s can be at most %(max)d characters.", field=label, max=limit))
    return text


def parse_revenue(value, field: str = "expected_revenue") -> Decimal | None:
    """An amount in yuan: empty → None; not a number, negative or too large → refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ServiceError(_l("Enter the amount as a number of yuan."), field=field)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ServiceError(_l("Enter the amount as a number of yuan."), field=field) from None
    if not amount.is_finite():
        raise ServiceError(_l("Enter the amount as a number of yuan."), field=field)
    if amount < 0:
        raise ServiceError(_l("The amount cannot be negative."), field=field)
    if amount > REVENUE_MAX:
        raise ServiceError(_l("The amount is too large."), field=field)
    return amount.quantize(Decimal("0.01"))


# --- catalogue administration -------------------------------------------------------------

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def clean_field_definitions(definitions) -> list[dict]:
    """Check an administrator's field list: unique lowercase keys, known types, choices for
    a choice field. Raises ServiceError(field="fields")."""
    if not isinstance(definitions, list):
        raise ServiceError(_l("Fields must be a list."), field="fields")
    cleaned, seen = [], set()
    for number, item in enumerate(definitions, start=1):
        if not isinstance(item, dict):
            raise ServiceError(_l("Field %(n)d is not a field definition.", n=number), field="fields")
        key = str(item.get("key") or "").strip()
        if not FIELD_KEY.match(key):
            raise ServiceError(_l("Field %(n)d: the key must be lowercase letters, digits and _ (starting with a letter).",
                                  n=number), field="fields")
        if key in seen:
            raise ServiceError(_l("The field key %(key)s is used twice.", key=key), field="fields")
        seen.add(key)
        kind = str(item.get("type") or "text")
        if kind not in FIELD_TYPES:
            raise ServiceError(_l("Field %(key)s: unknown type %(type)s.", key=key, type=kind[:20]), field="fields")
        label = str(item.get("label") or "").strip()
        label_zh = str(item.get("label_zh") or "").strip()
        if not (label or label_zh):
            raise ServiceError(_l("Field %(key)s needs a label.", key=key), field="fields")
        choices = [str(choice).strip() for choice in (item.get("choices") or []) if str(choice).strip()]
        if kind == "choice" and not choices:
            raise ServiceError(_l("Field %(key)s is a choice: list the choices.", key=key), field="fields")
        cleaned.append({"key": key, "label": label[:100], "label_zh": label_zh[:100], "type": kind,
                        "required": bool(item.get("required")), "choices": choices if kind == "choice" else [],
                        "group": "basic" if item.get("group") == "basic" else "extra"})
    return cleaned


def save_category(actor: User, category: Category | None, *, code: str, name: str, name_en: str = "",
                  parent_id: int | None = None, is_ict: bool = False, is_leased_line: bool = False,
                  active: bool = True, order: int = 100, fields=None) -> Category:
    """Create (category None) or change a category of the catalogue."""
    if not actor.can(PERM_CATALOGUE):
        raise NotAllowed(_l("You may not edit the business categories."))
    code = (code or "").strip()
    name = (name or "").strip()
    if not CODE_PATTERN.match(code):
        raise ServiceError(_l("The code must be lowercase letters, digits and _ (2 to 64)."), field="code")
    clash = db.session.execute(select(Category.id).where(Category.code == code)).scalar_one_or_none()
    if clash is not None and (category is None or clash != category.id):
        raise ServiceError(_l("Another category has the code %(code)s.", code=code), field="code")
    if not name or len(name) > 100:
        raise ServiceError(_l("Give the category a name (at most 100 characters)."), field="name")
    parent = None
    if parent_id:
        parent = db.session.get(Category, int(parent_id))
        if parent is None or (category is not None and parent.id == category.id) or parent.parent_id is not None:
            raise ServiceError(_l("Choose a top-level category as the parent."), field="parent_id")
    cleaned_fields = clean_field_definitions(fields if fields is not None else (category.fields if category else []))
    if category is None:
        category = Category(code=code)
        db.session.add(category)
    category.code, category.name, category.name_en = code, name, (name_en or "").strip()[:100]
    category.parent_id = parent.id if parent else None
    category.is_ict, category.is_leased_line, category.active = bool(is_ict), bool(is_leased_line), bool(active)
    category.order = int(order or 0)
    category.fields = cleaned_fields
    db.session.flush()
    return category


# --- step deadlines -------------------------------------------------------------------------

def sla_hours(stage) -> int:
    stage = Stage(stage)
    row = db.session.execute(select(StepSetting).where(StepSetting.stage == stage.value)).scalar_one_or_none()
    if row is not None:
        return row.sla_hours
    configured = (current_app.config.get("OPPORTUNITY_SLA_HOURS") or {}) if has_app_context() else {}
    return int(configured.get(stage.value, DEFAULT_SLA_HOURS.get(stage, 72)))


def sla_table() -> list[tuple[Stage, int]]:
    return [(stage, sla_hours(stage)) for stage in OPEN_STAGES]


def save_sla(actor: User, values: dict) -> None:
    """Set the SLA (hours) of each open step; 1 hour to 90 days."""
    if not actor.can(PERM_CATALOGUE):
        raise NotAllowed(_l("You may not change the step deadlines."))
    for stage in OPEN_STAGES:
        if stage.value not in values:
            continue
        try:
            hours = int(str(values[stage.value]).strip())
        except ValueError:
            raise ServiceError(_l("Enter whole hours."), field=stage.value) from None
        if not 1 <= hours <= 24 * 90:
            raise ServiceError(_l("A step deadline is 1 hour to 90 days."), field=stage.value)
        row = db.session.execute(select(StepSetting).where(StepSetting.stage == stage.value)).scalar_one_or_none()
        if row is None:
            db.session.add(StepSetting(stage=stage.value, sla_hours=hours))
        elif row.sla_hours != hours:
            row.sla_hours = hours
    db.session.flush()


# --- finding handlers -------------------------------------------------------------------------

def _unit_chain(unit_id: int | None) -> list[OrgUnit]:
    """The unit and every unit above it, nearest first."""
    if unit_id is None:
        return []
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] or [unit.id]
    units = {row.id: row for row in db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))).scalars()}
    return [units[i] for i in reversed(ids) if i in units]


def people_with(permission: str, unit_id: int | None, *, nearest: bool = True) -> list[User]:
    """Active people holding `permission` in the unit or the nearest unit above that has any."""
    found = []
    for unit in _unit_chain(unit_id):
        members = db.session.execute(
            select(User).where(User.org_unit_id == unit.id, User.active.is_(True)).order_by(User.id)
            .options(selectinload(User.roles))
        ).scalars().all()
        here = [user for user in members if user.can(permission)]
        if here and nearest:
            return here
        found.extend(here)
    return found


def step_handler(permission: str, unit_id: int | None) -> User:
    people = people_with(permission, unit_id)
    if not people:
        raise ServiceError(_l("Nobody above this unit may handle the next step; ask an administrator to grant %(perm)s.",
                              perm=permission))
    return people[0]


def eligible_claimants(unit: OrgUnit) -> list[User]:
    """Active account managers (opportunity.claim) in the pool unit and every unit below it."""
    units = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    people = db.session.execute(
        select(User).where(User.org_unit_id.in_(units), User.active.is_(True)).order_by(User.id)
    ).scalars().all()
    return [user for user in people if user.can(PERM_CLAIM)]


def _pool_unit_for(opportunity: Opportunity) -> OrgUnit:
    """By default the county (or the nearest unit above grid level) of the opportunity."""
    chain = _unit_chain(opportunity.org_unit_id)
    for unit in chain:
        if unit.level != "grid":
            return unit
    return chain[0]


# --- reading ---------------------------------------------------------------------------------

def get_opportunity(opportunity_id) -> Opportunity:
    """An opportunity within the current scope, or NotFound (out of scope looks absent)."""
    try:
        opportunity_id = int(opportunity_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Opportunity not found.")) from None
    found = db.session.execute(select(Opportunity).where(Opportunity.id == opportunity_id)).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Opportunity not found."))
    return found


@dataclass(frozen=True)
class OpportunityFilter:
    q: str | None = None
    stage: str | None = None      # a Stage value, "open", or None
    kind: str | None = None
    category: str | None = None   # a category code (a parent includes its sub-types)
    customer_id: int | None = None
    mine: bool = False            # where I am the handler of the current step
    overdue: bool = False
    stale: bool = False
    user_id: int | None = None


def stale_before(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=STALE_DAYS)


def opportunity_query(filters: OpportunityFilter | None = None, now: datetime | None = None):
    """Opportunities visible to whoever is acting, most urgent step first, filtered."""
    filters = filters or OpportunityFilter()
    now = now or utcnow()
    query = select(Opportunity)
    if filters.q:
        text = filters.q.strip()
        query = query.where(or_(Opportunity.title.contains(text, autoescape=True),
                                Opportunity.code.contains(text, autoescape=True),
                                Opportunity.customer_id.in_(select(Customer.id).where(
                                    Customer.name.contains(text, autoescape=True)))))
    if filters.stage == "open":
        query = query.where(Opportunity.stage.in_(OPEN_STAGE_VALUES))
    elif filters.stage:
        query = query.where(Opportunity.stage == filters.stage)
    if filters.kind:
        query = query.where(Opportunity.kind == filters.kind)
    if filters.category:
        codes = select(Category.id).where(or_(Category.code == filters.category, Category.parent_id.in_(
            select(Category.id).where(Category.code == filters.category))))
        query = query.where(Opportunity.category_id.in_(codes))
    if filters.customer_id:
        query = query.where(Opportunity.customer_id == filters.customer_id)
    if filters.mine and filters.user_id:
        query = query.where(Opportunity.handler_id == filters.user_id,
                            Opportunity.stage.in_(OPEN_STAGE_VALUES))
    if filters.overdue:
        query = query.where(Opportunity.stage.in_(OPEN_STAGE_VALUES), Opportunity.stage_due_at < now)
    if filters.stale:
        query = query.where(Opportunity.stage.in_(OPEN_STAGE_VALUES),
                            func.coalesce(Opportunity.last_followup_at, Opportunity.created_at) < stale_before(now))
    return query.order_by(Opportunity.stage_due_at.is_(None), Opportunity.stage_due_at, Opportunity.id.desc())


def is_overdue(opportunity: Opportunity, now: datetime | None = None) -> bool:
    return (opportunity.stage in OPEN_STAGE_VALUES and opportunity.stage_due_at is not None
            and opportunity.stage_due_at < (now or utcnow()))


def is_stale(opportunity: Opportunity, now: datetime | None = None) -> bool:
    last = opportunity.last_followup_at or opportunity.created_at
    return opportunity.stage in OPEN_STAGE_VALUES and last is not None and last < stale_before(now)


def counts_by_stage(user: User | None = None) -> dict[str, int]:
    """{stage: count} of the opportunities visible now (owned or handled by `user` if given)."""
    query = select(Opportunity.stage, func.count(Opportunity.id)).group_by(Opportunity.stage)
    if user is not None:
        query = query.where(or_(Opportunity.owner_id == user.id, Opportunity.handler_id == user.id))
    return {stage: count for stage, count in db.session.execute(query)}


def pool_open_for(user: User, now: datetime | None = None, limit: int | None = None) -> list[Opportunity]:
    """Pooled opportunities `user` may still claim (window open, not claimed by them)."""
    if not user.can(PERM_CLAIM) or user.org_unit is None:
        return []
    now = now or utcnow()
    my_units = select(OrgUnit.id).where(literal(user.org_unit.path).startswith(OrgUnit.path))
    query = select(Opportunity).where(
        Opportunity.stage == Stage.POOL.value, Opportunity.pool_closes_at > now,
        Opportunity.pool_unit_id.in_(my_units),
        ~Opportunity.id.in_(select(Claim.opportunity_id).where(Claim.user_id == user.id)),
    ).order_by(Opportunity.pool_closes_at)
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).unique().scalars())


def claims_of(opportunity: Opportunity) -> list[Claim]:
    return list(db.session.execute(select(Claim).where(Claim.opportunity_id == opportunity.id)
                                   .order_by(Claim.created_at, Claim.id)).scalars())


def steps_of(opportunity: Opportunity) -> list[StepLog]:
    return list(db.session.execute(select(StepLog).where(StepLog.opportunity_id == opportunity.id)
                                   .order_by(StepLog.at, StepLog.id)).scalars())


def followups_of(opportunity: Opportunity, limit: int | None = None) -> list[FollowUp]:
    query = (select(FollowUp).where(FollowUp.opportunity_id == opportunity.id)
             .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


# --- creating and editing ----------------------------------------------------------------------

def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Give the opportunity a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title can be at most %(max)d characters.", max=TITLE_MAX), field="title")
    return title


def _clean_text(value: str, field: str, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(_l("At most %(max)d characters.", max=limit), field=field)
    return value


def _customer_in_scope(customer) -> Customer:
    customer_id = getattr(customer, "id", customer)
    found = None
    try:
        found = db.session.execute(select(Customer).where(Customer.id == int(customer_id))).unique().scalar_one_or_none()
    except (TypeError, ValueError):
        found = None
    if found is None or found.archived:
        raise ServiceError(_l("Choose a customer from your own book."), field="customer_id")
    return found


def create_opportunity(actor: User, *, customer, kind: str, category_code: str, title: str,
                       description: str = "", expected_revenue=None, details: dict | None = None,
                       source: str = "manual") -> Opportunity:
    """Report an opportunity for a customer in the actor's scope. It starts as "new" with the
    nearest opportunity manager as its handler (to publish it to the pool or assign it)."""
    if not actor.can(PERM_CREATE):
        raise NotAllowed(_l("You may not report opportunities."))
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit yet; ask an administrator to place you."))
    customer = _customer_in_scope(customer)
    if kind not in KINDS:
        raise ServiceError(_l("Choose demand or competitive."), field="kind")
    try:
        category = get_category(category_code)
    except NotFound:
        raise ServiceError(_l("Unknown business category."), field="category") from None
    if not category.active:
        raise ServiceError(_l("This business category is no longer offered."), field="category")
    title = _clean_title(title)
    description = _clean_text(description, "description")
    revenue = parse_revenue(expected_revenue)
    cleaned = validate_details(category, details)
    if source not in SOURCES:
        raise ServiceError(_l("Unknown source."), field="source")
    handler = step_handler(PERM_DISPATCH, actor.org_unit_id)
    now = utcnow()
    opportunity = Opportunity(
        code=_new_code(now), title=title, description=description, kind=kind, category_id=category.id,
        customer_id=customer.id, owner_id=actor.id, org_unit_id=actor.org_unit_id, created_by_id=actor.id,
        handler_id=handler.id, stage=Stage.NEW.value, stage_entered_at=now,
        stage_due_at=now + timedelta(hours=sla_hours(Stage.NEW)), expected_revenue=revenue,
        details=cleaned, source=source, last_followup_at=None,
    )
    db.session.add(opportunity)
    db.session.flush()
    db.session.add(StepLog(opportunity_id=opportunity.id, from_stage=None, to_stage=Stage.NEW.value,
                           action="create", actor_id=actor.id, handler_id=handler.id, at=now))
    _open_step_todo(opportunity, actor)
    emit("opportunity.created", actor=actor, **event_payload(opportunity, kind=kind, category=category.code,
                                                               stage=opportunity.stage, handler_id=handler.id))
    return opportunity


class _CustomerStarter:
    """The actor as the core customers service sees it when they start a customer from the
    opportunity form: the same person (id, unit, audit), holding `customers.create` for this
    one call because they may report opportunities. Core permissions stay as they are."""

    def __init__(self, actor: User):
        self._actor = actor

    def __getattr__(self, name):
        return getattr(self._actor, name)

    def can(self, permission: str) -> bool:
        return permission == "customers.create" or self._actor.can(permission)


def start_customer(actor: User, *, name: str, code: str = "", industry: str = "") -> Customer:
    """A new customer started from the "report an opportunity" form, owned by the actor in
    their own unit. Whoever may report opportunities may start one (AMs and information
    reporters too, without the core `customers.create`); the name is required and must not be
    a customer the actor can already choose; the code is numbered when left empty. Flushed
    only: the caller commits it together with the opportunity (see report_with_new_customer)."""
    from workbench.customers import services as customers

    if not actor.can(PERM_CREATE):
        raise NotAllowed(_l("You may not report opportunities."))
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit yet; ask an administrator to place you."))
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Enter the new customer's name."), field="new_customer_name")
    if len(name) > 200:
        raise ServiceError(_l("Too long (at most %(n)d characters).", n=200), field="new_customer_name")
    same = db.session.execute(select(Customer).where(
        func.lower(Customer.name) == name.lower(), Customer.archived.is_(False))).unique().scalars().first()
    if same is not None:
        raise ServiceError(_l("%(name)s is already a customer (%(code)s): choose it in the customer field "
                              "instead of creating it again.", name=same.name, code=same.code),
                           field="new_customer_name")
    code = (code or "").strip() or f"QZ{utcnow():%Y%m%d}{secrets.token_hex(3).upper()}"
    starter = actor if actor.can("customers.create") else _CustomerStarter(actor)
    try:
        return customers.create_customer(starter, code=code, owner=actor, unit=actor.org_unit,
                                         name=name, industry=industry or "")
    except ServiceError as exc:
        exc.field = {"code": "new_customer_code", "industry": "new_customer_industry"}.get(
            exc.field, "new_customer_name")
        raise


def report_with_new_customer(actor: User, *, customer_name: str, customer_code: str = "",
                             customer_industry: str = "", **values) -> Opportunity:
    """Start a customer (start_customer) and report an opportunity for it in one go, inside
    one savepoint: if either is refused, neither is written. `values` are
    create_opportunity's keyword arguments other than `customer`."""
    with db.session.begin_nested():
        customer = start_customer(actor, name=customer_name, code=customer_code, industry=customer_industry)
        return create_opportunity(actor, customer=customer, **values)


def _new_code(now: datetime) -> str:
    # SJ + date + 6 random hex digits: unique in practice, and the unique index catches the rest.
    return f"SJ{now:%Y%m%d}{secrets.token_hex(3).upper()}"


def _may_edit(actor: User, opportunity: Opportunity) -> bool:
    return (actor.id in (opportunity.owner_id, opportunity.handler_id, opportunity.created_by_id)
            or actor.can(PERM_DISPATCH) or actor.can(PERM_CLOSE))


def update_opportunity(actor: User, opportunity: Opportunity, values: dict, version) -> Opportunity:
    """Edit the title, description, kind, expected revenue and category fields of an open
    opportunity. A stale `version` raises Conflict and nothing is written."""
    _check_version(opportunity, version)
    if opportunity.stage not in OPEN_STAGE_VALUES:
        raise ServiceError(_l("A signed or closed opportunity cannot be edited."))
    if not _may_edit(actor, opportunity):
        raise NotAllowed(_l("You may not edit this opportunity."))
    if "title" in values:
        opportunity.title = _clean_title(values["title"])
    if "description" in values:
        opportunity.description = _clean_text(values["description"], "description")
    if "kind" in values:
        if values["kind"] not in KINDS:
            raise ServiceError(_l("Choose demand or competitive."), field="kind")
        opportunity.kind = values["kind"]
    if "expected_revenue" in values:
        opportunity.expected_revenue = parse_revenue(values["expected_revenue"])
    if "details" in values:
        opportunity.details = _merged_details(opportunity, values["details"] or {})
    _flush_or_conflict()
    emit("opportunity.updated", actor=actor, **event_payload(opportunity, fields=sorted(values)))
    return opportunity


def _merged_details(opportunity: Opportunity, new_values: dict) -> dict:
    """The category fields validated with `new_values` applied; values the category does not
    declare (the survey results, the survey report) are kept as they are."""
    if not isinstance(new_values, dict):
        raise ServiceError(_l("Category details must be an object of field values."), field="details")
    current = dict(opportunity.details or {})
    declared = {definition["key"] for definition in opportunity.category.fields or []}
    kept = {key: value for key, value in current.items() if key not in declared}
    return {**kept, **validate_details(opportunity.category, {**current, **new_values})}


def fill_from_survey(opportunity: Opportunity, *, actor: User | None, fields: dict) -> Opportunity:
    """Write the survey-and-construction results (报勘建设) back: keys the category declares
    update those fields (validated); every other key goes into details["survey"]."""
    if not isinstance(fields, dict) or not fields:
        raise ServiceError(_l("No survey results to record."), field="fields")
    declared = {definition["key"] for definition in opportunity.category.fields or []}
    own = {key: value for key, value in fields.items() if key in declared}
    survey = {}
    for key, value in fields.items():
        if key in declared:
            continue
        if not isinstance(key, str) or not FIELD_KEY.match(key):
            raise ServiceError(_l("Unknown survey field %(key)s.", key=str(key)[:40]), field="fields")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ServiceError(_l("Survey field %(key)s must be a plain value.", key=key), field="fields")
        survey[key] = value.strip()[:TEXT_MAX] if isinstance(value, str) else value
    details = dict(opportunity.details or {})
    if own:
        details.update(validate_details(opportunity.category, {**details, **own}))
    if survey:
        details["survey"] = {**(details.get("survey") or {}), **survey}
    opportunity.details = details
    _flush_or_conflict()
    emit("opportunity.updated", actor=actor, **event_payload(opportunity, fields=sorted(fields), source="survey"))
    return opportunity


# --- the flow ----------------------------------------------------------------------------------

def _check_version(opportunity: Opportunity, version) -> None:
    if version is None:
        return
    try:
        submitted = int(version)
    except (TypeError, ValueError):
        submitted = None
    if submitted != opportunity.version:
        raise Conflict(_l("Someone else changed this opportunity while you were looking at it. "
                          "Reload the page to see its current state."))


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else moved this opportunity on first. Reload the page to see "
                          "its current state.")) from None


def _require_stage(opportunity: Opportunity, *stages: Stage, action) -> None:
    if opportunity.stage not in {stage.value for stage in stages}:
        raise ServiceError(_l("You cannot %(action)s an opportunity that is at the step \"%(stage)s\".",
                              action=action, stage=stage_label(opportunity.stage)), field="stage")


def _require(actor: User, permission: str, message) -> None:
    if not actor.can(permission):
        raise NotAllowed(message)


def _open_step_todo(opportunity: Opportunity, actor: User | None) -> None:
    stage = Stage(opportunity.stage)
    kind = STEP_TODOS.get(stage)
    if kind is None or opportunity.handler_id is None:
        return
    handler = db.session.get(User, opportunity.handler_id)
    if handler is None or not handler.active:
        return
    title = f"{opportunity.title}（{opportunity.customer.name}）" if opportunity.customer else opportunity.title
    inbox.open_todo(kind=kind, title=title, assignee=handler, due_at=opportunity.stage_due_at,
                    link=opportunity_link(opportunity), customer=opportunity.customer_id,
                    source=(SOURCE, opportunity.id), created_by=actor,
                    description=str(stage_label(stage)))


def _close_step_todos(opportunity: Opportunity, actor: User | None, note: str = "") -> None:
    for kind in (*STEP_TODOS.values(), TODO_OVERDUE):
        inbox.close_todos_for((SOURCE, opportunity.id), actor=actor, note=note, kind=kind)


def _move(opportunity: Opportunity, actor: User | None, to: Stage, *, action: str, handler: User | None,
          note: str = "", version=None, **changes) -> Opportunity:
    """The one place a stage changes: version-checked UPDATE, to-dos, step log, event."""
    _check_version(opportunity, version)
    from_stage = opportunity.stage
    now = utcnow()
    due = (now + timedelta(hours=sla_hours(to))) if to in OPEN_STAGES else None
    with db.session.no_autoflush:
        opportunity.stage = to.value
        opportunity.stage_entered_at = now
        opportunity.handler_id = handler.id if handler else None
        opportunity.stage_due_at = due
        for name, value in changes.items():
            setattr(opportunity, name, value)
    # The opportunity's own UPDATE goes first: it is where two concurrent actors meet (the
    # row lock orders them, the version decides), before anything else is touched.
    _flush_or_conflict()
    _close_step_todos(opportunity, actor, note=str(stage_label(to)))
    db.session.add(StepLog(opportunity_id=opportunity.id, from_stage=from_stage, to_stage=to.value, action=action,
                           actor_id=getattr(actor, "id", None), handler_id=opportunity.handler_id,
                           note=note or "", at=now))
    _open_step_todo(opportunity, actor)
    emit("opportunity.stage_changed", actor=actor, **event_payload(
        opportunity, from_stage=from_stage, to_stage=to.value, handler_id=opportunity.handler_id, action=action))
    return opportunity


def publish_to_pool(opportunity: Opportunity, actor: User, *, unit: OrgUnit | None = None,
                    claim_hours: int | None = None, note: str = "", version=None) -> Opportunity:
    """商机拍卖: offer a new opportunity to the account managers of a unit, who claim it
    within `claim_hours`; the publishing manager then awards it."""
    _check_version(opportunity, version)
    _require(actor, PERM_DISPATCH, _l("Only an opportunity manager may publish to the pool."))
    _require_stage(opportunity, Stage.NEW, action=_l("publish"))
    unit = unit or _pool_unit_for(opportunity)
    hours = DEFAULT_CLAIM_HOURS if claim_hours in (None, "") else claim_hours
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter the claim window in whole hours."), field="claim_hours") from None
    if not 1 <= hours <= 24 * 14:
        raise ServiceError(_l("The claim window is 1 hour to 14 days."), field="claim_hours")
    claimants = eligible_claimants(unit)
    if not claimants:
        raise ServiceError(_l("Nobody in %(unit)s may claim opportunities; choose another unit or assign directly.",
                              unit=unit.name), field="unit")
    closes = utcnow() + timedelta(hours=hours)
    _move(opportunity, actor, Stage.POOL, action="publish", handler=actor, note=_clean_text(note, "note", NOTE_MAX),
          version=version, pool_unit_id=unit.id, pool_closes_at=closes)
    notify(claimants, NOTICE_POOL,
           _l("New opportunity open for claiming: %(title)s (claims close %(closes)s UTC)",
              title=opportunity.title, closes=closes.strftime("%Y-%m-%d %H:%M")),
           link=opportunity_link(opportunity), actor=actor)
    return opportunity


def claim(opportunity: Opportunity, actor: User, *, note: str = "") -> Claim:
    """An account manager of the pool's unit claims (抢单) the opportunity, once, in time."""
    _require(actor, PERM_CLAIM, _l("Only account managers may claim opportunities."))
    _require_stage(opportunity, Stage.POOL, action=_l("claim"))
    if opportunity.pool_closes_at is not None and opportunity.pool_closes_at <= utcnow():
        raise ServiceError(_l("Claims for this opportunity closed at %(at)s UTC.",
                              at=opportunity.pool_closes_at.strftime("%Y-%m-%d %H:%M")))
    pool_unit = db.session.get(OrgUnit, opportunity.pool_unit_id)
    if pool_unit is None or actor.org_unit is None or not actor.org_unit.path.startswith(pool_unit.path):
        raise NotAllowed(_l("This opportunity is offered to another unit."))
    existing = db.session.execute(select(Claim).where(Claim.opportunity_id == opportunity.id,
                                                      Claim.user_id == actor.id)).scalar_one_or_none()
    if existing is not None:
        raise ServiceError(_l("You have already claimed this opportunity."))
    row = Claim(opportunity_id=opportunity.id, user_id=actor.id, note=_clean_text(note, "note", NOTE_MAX))
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_l("You have already claimed this opportunity.")) from None
    emit("opportunity.claimed", actor=actor, **event_payload(opportunity, claim_id=row.id, user_id=actor.id))
    return row


def award(opportunity: Opportunity, actor: User, *, claim_id: int, note: str = "", version=None) -> Opportunity:
    """The opportunity manager awards a pooled opportunity to one claimant, who becomes its
    owner and handler; the other claimants are told. Two managers at once: one wins."""
    _check_version(opportunity, version)
    _require(actor, PERM_DISPATCH, _l("Only an opportunity manager may award pooled opportunities."))
    _require_stage(opportunity, Stage.POOL, action=_l("award"))
    chosen = db.session.execute(select(Claim).where(Claim.id == claim_id,
                                                    Claim.opportunity_id == opportunity.id)).scalar_one_or_none()
    if chosen is None:
        raise ServiceError(_l("Choose one of the claims on this opportunity."), field="claim_id")
    winner = chosen.user
    if not winner.active or winner.org_unit_id is None:
        raise ServiceError(_l("%(name)s can no longer take opportunities.", name=winner.name), field="claim_id")
    _move(opportunity, actor, Stage.ASSIGNMENT, action="award", handler=winner,
          note=_clean_text(note, "note", NOTE_MAX), version=version,
          owner_id=winner.id, org_unit_id=winner.org_unit_id)
    losers = []
    for row in claims_of(opportunity):
        row.status = "awarded" if row.id == chosen.id else "declined"
        if row.id != chosen.id:
            losers.append(row.user)
    if losers:
        notify(losers, NOTICE_POOL, _l("The opportunity %(title)s went to another account manager.",
                                       title=opportunity.title), actor=actor)
    return opportunity


def assign(opportunity: Opportunity, actor: User, *, assignee: User, note: str = "", version=None) -> Opportunity:
    """分配: give a new or pooled opportunity straight to an account manager."""
    _check_version(opportunity, version)
    _require(actor, PERM_DISPATCH, _l("Only an opportunity manager may assign opportunities."))
    _require_stage(opportunity, Stage.NEW, Stage.POOL, action=_l("assign"))
    if assignee is None or not assignee.active or not assignee.can(PERM_CLAIM) or assignee.org_unit is None:
        raise ServiceError(_l("Choose an active account manager."), field="assignee_id")
    scope = actor.scope
    if not scope.sees_everything and not (scope.unit_path and assignee.org_unit.path.startswith(scope.unit_path)):
        raise ServiceError(_l("Choose an account manager within your own units."), field="assignee_id")
    _move(opportunity, actor, Stage.ASSIGNMENT, action="assign", handler=assignee,
          note=_clean_text(note, "note", NOTE_MAX), version=version,
          owner_id=assignee.id, org_unit_id=assignee.org_unit_id)
    for row in claims_of(opportunity):
        row.status = "declined"
    return opportunity


def submit_survey(opportunity: Opportunity, actor: User, *, report: str, details: dict | None = None,
                  version=None) -> Opportunity:
    """报勘: the assigned account manager reports the survey (and may complete the category
    fields); the survey goes to review by the nearest lead."""
    _check_version(opportunity, version)
    _require_stage(opportunity, Stage.ASSIGNMENT, action=_l("submit the survey of"))
    if actor.id != opportunity.handler_id:
        raise NotAllowed(_l("Only the account manager this opportunity is assigned to may submit its survey."))
    report = _clean_text(report, "report")
    if not report:
        raise ServiceError(_l("Describe what the survey found."), field="report")
    changes = {}
    if details:
        changes["details"] = {**_merged_details(opportunity, details), "survey_report": report}
    else:
        changes["details"] = {**(opportunity.details or {}), "survey_report": report}
    reviewer = step_handler(PERM_REVIEW, opportunity.org_unit_id)
    return _move(opportunity, actor, Stage.SURVEY_REVIEW, action="submit_survey", handler=reviewer,
                 note=report, version=version, **changes)


def review_survey(opportunity: Opportunity, actor: User, *, approve: bool, note: str = "",
                  version=None) -> Opportunity:
    """报勘审核: approve (on to confirmation by the opportunity manager) or send back to the
    account manager with a reason."""
    _check_version(opportunity, version)
    _require(actor, PERM_REVIEW, _l("You may not review surveys."))
    _require_stage(opportunity, Stage.SURVEY_REVIEW, action=_l("review the survey of"))
    note = _clean_text(note, "note", NOTE_MAX)
    if approve:
        confirmer = step_handler(PERM_CONFIRM, opportunity.org_unit_id)
        return _move(opportunity, actor, Stage.CONFIRMATION, action="approve_survey", handler=confirmer,
                     note=note, version=version)
    if not note:
        raise ServiceError(_l("Say why the survey goes back."), field="note")
    return _move(opportunity, actor, Stage.ASSIGNMENT, action="return_survey",
                 handler=opportunity.owner, note=note, version=version)


def confirm(opportunity: Opportunity, actor: User, *, approve: bool, note: str = "", version=None) -> Opportunity:
    """确认: confirmed opportunities enter the contract pre-execution pool, where their owner
    raises the contract; or they go back to the account manager with a reason."""
    _check_version(opportunity, version)
    _require(actor, PERM_CONFIRM, _l("You may not confirm opportunities."))
    _require_stage(opportunity, Stage.CONFIRMATION, action=_l("confirm"))
    note = _clean_text(note, "note", NOTE_MAX)
    if approve:
        return _move(opportunity, actor, Stage.PRE_EXECUTION, action="confirm", handler=opportunity.owner,
                     note=note, version=version)
    if not note:
        raise ServiceError(_l("Say why the opportunity goes back."), field="note")
    return _move(opportunity, actor, Stage.ASSIGNMENT, action="return_confirmation",
                 handler=opportunity.owner, note=note, version=version)


def mark_signed(opportunity: Opportunity, *, actor: User | None, contract_id: int,
                signed_revenue=None) -> Opportunity:
    """The contract of an opportunity in the pre-execution pool was confirmed (the contract
    plugin calls this): the opportunity is signed."""
    _require_stage(opportunity, Stage.PRE_EXECUTION, action=_l("mark as signed"))
    revenue = parse_revenue(signed_revenue, field="signed_revenue")
    if revenue is None:
        revenue = opportunity.expected_revenue
    now = utcnow()
    _move(opportunity, actor, Stage.SIGNED, action="sign", handler=None, contract_id=contract_id,
          signed_revenue=revenue, signed_at=now)
    inbox.close_todos_for((SOURCE, opportunity.id), actor=actor, kind=TODO_FOLLOWUP)
    emit("opportunity.signed", actor=actor, **event_payload(
        opportunity, contract_id=contract_id, signed_revenue=str(revenue) if revenue is not None else None))
    return opportunity


def may_close(actor: User, opportunity: Opportunity) -> bool:
    return actor.id in (opportunity.owner_id, opportunity.created_by_id) or actor.can(PERM_CLOSE)


def close(opportunity: Opportunity, actor: User, *, reason: str, version=None) -> Opportunity:
    """Close an open opportunity as lost or withdrawn, with a reason (its owner, its reporter
    or someone holding opportunity.close)."""
    _check_version(opportunity, version)
    _require_stage(opportunity, *OPEN_STAGES, action=_l("close"))
    if not may_close(actor, opportunity):
        raise NotAllowed(_l("You may not close this opportunity."))
    reason = _clean_text(reason, "reason", NOTE_MAX)
    if not reason:
        raise ServiceError(_l("Say why the opportunity is closed."), field="reason")
    _move(opportunity, actor, Stage.CLOSED, action="close", handler=None, note=reason, version=version,
          closed_reason=reason, closed_at=utcnow())
    inbox.close_todos_for((SOURCE, opportunity.id), actor=actor, kind=TODO_FOLLOWUP)
    return opportunity


def available_actions(actor: User, opportunity: Opportunity) -> set[str]:
    """What the page offers `actor` now (the services check again when it is used)."""
    stage, actions = opportunity.stage, set()
    if stage == Stage.NEW and actor.can(PERM_DISPATCH):
        actions |= {"publish", "assign"}
    if stage == Stage.POOL:
        if actor.can(PERM_DISPATCH):
            actions |= {"award", "assign"}
        if actor.can(PERM_CLAIM) and opportunity.pool_closes_at and opportunity.pool_closes_at > utcnow():
            actions.add("claim")
    if stage == Stage.ASSIGNMENT and actor.id == opportunity.handler_id:
        actions.add("submit_survey")
    if stage == Stage.SURVEY_REVIEW and actor.can(PERM_REVIEW):
        actions.add("review")
    if stage == Stage.CONFIRMATION and actor.can(PERM_CONFIRM):
        actions.add("confirm")
    if stage in OPEN_STAGE_VALUES:
        if may_close(actor, opportunity):
            actions.add("close")
        if _may_edit(actor, opportunity):
            actions.add("edit")
        actions.add("followup")
    return actions


# --- follow-ups ------------------------------------------------------------------------------------

def record_followup(opportunity: Opportunity, actor: User | None, *, kind: str, note: str,
                    happened_at: datetime | None = None, reference: str = "") -> FollowUp:
    """Record a visit, call, note or proposal on the opportunity; closes the owner's
    "no follow-up for a month" to-do."""
    if kind not in FOLLOWUP_KINDS:
        raise ServiceError(_l("Choose visit, call, note or proposal."), field="kind")
    note = _clean_text(note, "note", NOTE_MAX)
    if not note:
        raise ServiceError(_l("Write what happened."), field="note")
    now = utcnow()
    happened_at = happened_at or now
    if happened_at > now + timedelta(minutes=5):
        raise ServiceError(_l("A follow-up cannot be in the future."), field="happened_at")
    if opportunity.stage == Stage.CLOSED.value:
        raise ServiceError(_l("This opportunity is closed."))
    row = FollowUp(opportunity_id=opportunity.id, kind=kind, note=note, happened_at=happened_at,
                   author_id=getattr(actor, "id", None), reference=(reference or "")[:64])
    db.session.add(row)
    latest = max(happened_at, opportunity.last_followup_at or happened_at)
    # A plain UPDATE of this one column: a follow-up must not make an edit form open
    # elsewhere stale (the version is for the opportunity's own fields).
    db.session.execute(update(Opportunity).where(Opportunity.id == opportunity.id)
                       .values(last_followup_at=latest).execution_options(synchronize_session=False))
    opportunity.__dict__["last_followup_at"] = latest  # keep the loaded object in step, unflagged
    db.session.flush()
    inbox.close_todos_for((SOURCE, opportunity.id), actor=actor, kind=TODO_FOLLOWUP,
                          note=str(FOLLOWUP_KINDS[kind]))
    emit("opportunity.followup_recorded", actor=actor, **event_payload(opportunity, followup_id=row.id, kind=kind))
    return row


def on_proposal_generated(payload: dict, actor_id: int | None) -> FollowUp | None:
    """A proposal was generated in the solutions plugin for an opportunity: record it as a
    follow-up when the proposal's customer is the opportunity's (runs in the system scope)."""
    opportunity_id = payload.get("opportunity_id")
    if not opportunity_id:
        return None
    opportunity = db.session.get(Opportunity, int(opportunity_id))
    if opportunity is None or opportunity.customer_id != payload.get("customer_id"):
        return None
    if opportunity.stage == Stage.CLOSED.value:
        return None
    reference = f"proposal:{payload.get('proposal_id')}"
    exists = db.session.execute(select(FollowUp.id).where(FollowUp.opportunity_id == opportunity.id,
                                                          FollowUp.reference == reference)).first()
    if exists:
        return None
    actor = db.session.get(User, actor_id) if actor_id else None
    return record_followup(opportunity, actor, kind="proposal", reference=reference,
                           note=str(_l("Proposal generated from the solution library (No. %(id)s).",
                                       id=payload.get("proposal_id"))))


# --- scans (beat jobs; run in the system scope) -------------------------------------------------------

def _raise_alert(opportunity_id: int, kind: str, key: str) -> bool:
    """Record the alert; False when it was raised before (the unique key decides, also when
    two scans race)."""
    try:
        with db.session.begin_nested():
            db.session.add(Alert(opportunity_id=opportunity_id, kind=kind, key=key))
            db.session.flush()
    except IntegrityError:
        return False
    return True


def scan_overdue(now: datetime | None = None, batch: int = 500) -> int:
    """超期预警: for every step past its SLA, once per (opportunity, stage visit): an overdue
    to-do for its handler, a notification to the lead above, and "opportunity.overdue"."""
    now = now or utcnow()
    raised = 0
    with system_scope():
        rows = db.session.execute(
            select(Opportunity).where(
                Opportunity.stage.in_(OPEN_STAGE_VALUES), Opportunity.stage_due_at < now,
                # no alert raised since the opportunity entered its current step
                ~select(Alert.id).where(Alert.opportunity_id == Opportunity.id, Alert.kind == "overdue",
                                        Alert.raised_at >= Opportunity.stage_entered_at).exists(),
            ).order_by(Opportunity.stage_due_at).limit(batch)
        ).unique().scalars().all()
        for opportunity in rows:
            key = f"{opportunity.stage}@{opportunity.stage_entered_at:%Y%m%d%H%M%S}"
            if not _raise_alert(opportunity.id, "overdue", key):
                continue
            raised += 1
            handler = opportunity.handler
            if handler is not None and handler.active:
                inbox.open_todo(kind=TODO_OVERDUE, title=str(_l("Overdue: %(title)s", title=opportunity.title)),
                                assignee=handler, due_at=now, priority=2, link=opportunity_link(opportunity),
                                customer=opportunity.customer_id, source=(SOURCE, opportunity.id),
                                description=stage_label(opportunity.stage))
            leads = [user for user in people_with(PERM_ALERTS, opportunity.org_unit_id)
                     if handler is None or user.id != handler.id]
            if leads:
                notify(leads, TODO_OVERDUE, _l("Overdue opportunity: %(title)s is past its deadline at the step "
                                               "\"%(stage)s\" (handler: %(handler)s).", title=opportunity.title,
                                               stage=STAGE_LABELS[Stage(opportunity.stage)],
                                               handler=handler.name if handler else "-"),
                       link=opportunity_link(opportunity))
            emit("opportunity.overdue", **event_payload(opportunity, stage=opportunity.stage,
                                                        handler_id=opportunity.handler_id))
    return raised


def scan_stale(now: datetime | None = None, batch: int = 500) -> int:
    """Every open opportunity needs a follow-up a month: flag the ones without one, with a
    to-do for the owner, once per calendar month."""
    now = now or utcnow()
    month = f"{now:%Y-%m}"
    raised = 0
    with system_scope():
        rows = db.session.execute(
            select(Opportunity).where(
                Opportunity.stage.in_(OPEN_STAGE_VALUES),
                func.coalesce(Opportunity.last_followup_at, Opportunity.created_at) < stale_before(now),
                ~Opportunity.id.in_(select(Alert.opportunity_id).where(Alert.kind == "stale", Alert.key == month)),
            ).order_by(Opportunity.id).limit(batch)
        ).unique().scalars().all()
        for opportunity in rows:
            if not _raise_alert(opportunity.id, "stale", month):
                continue
            raised += 1
            owner = opportunity.owner
            if owner is not None and owner.active:
                inbox.open_todo(kind=TODO_FOLLOWUP, title=str(_l("Follow up: %(title)s", title=opportunity.title)),
                                assignee=owner, due_at=now + timedelta(days=3), link=opportunity_link(opportunity),
                                customer=opportunity.customer_id, source=(SOURCE, opportunity.id),
                                description=str(_l("No follow-up action for %(days)d days.", days=STALE_DAYS)))
    return raised
