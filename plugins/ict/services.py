"""Rules of the ICT project plugin: the project's state machine, its team, milestones, notes
and documents, and how the project follows its opportunity work order.

    discovery ──submit──▶ review ──approve──▶ monitoring ──(order signed)──▶ closed (won)
        ▲                   │
        └──return (reason)──┘          any open stage ──abandon (reason)──▶ abandoned

* Discovery: the account manager records customer, name, scope, estimated value and dates
  (optionally starting from an existing ICT opportunity) and submits for review.
* Review: the nearest reviewer up the org tree (permission ict.review, not the owner) gets a
  to-do; approving creates the opportunity work order by itself (source "ict") unless the
  project started from one, and links it; returning sends it back with a reason.
* Monitoring: the project page shows the order's progress. When the order reaches the
  contract pre-execution pool the project is filled in from it; when it is signed the project
  closes as won by itself; when the order is closed (lost) the project is abandoned with the
  order's reason. These moves are made by the event handlers (plugin.py → on_* below).

Every move is one versioned UPDATE of the project row (VersionedMixin: UPDATE ... WHERE id=?
AND version=<read>), so of two people acting on the same project at once one wins and the
other gets a Conflict instead of a silent double move; each move is recorded in the stage
history and the audit history, opens/closes the to-dos and emits "ict.project_stage_changed"
(and "ict.project_closed" at the end).

Functions take the acting user, raise workbench.errors.ServiceError & co. with translatable
messages and leave committing to the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.notify.services import notify
from workbench.org.models import OrgUnit
from workbench.records import utcnow

from plugins.ict.models import (IctDocument, IctMember, IctMilestone, IctNote, IctProject,
                                IctStageChange)

SOURCE = "ict_project"

# To-do kinds (declared in plugin.py).
TODO_REVIEW = "ict.review"
TODO_REVISE = "ict.revise"
TODO_MONITOR = "ict.monitor"

# Permissions (declared in plugin.py).
PERM_VIEW = "ict.view"
PERM_MANAGE = "ict.manage"
PERM_REVIEW = "ict.review"

NAME_MAX = 200
NOTE_MAX = 5000
REASON_MAX = 1000
VALUE_MAX = Decimal("999999999999.99")
REVIEW_DAYS = 3
DEFAULT_CATEGORY = "ict_integration"


class Stage(str, Enum):
    DISCOVERY = "discovery"
    REVIEW = "review"
    MONITORING = "monitoring"
    CLOSED = "closed"
    ABANDONED = "abandoned"


OPEN_STAGES = (Stage.DISCOVERY.value, Stage.REVIEW.value, Stage.MONITORING.value)
# The stage bar shows the happy path; "abandoned" replaces the rest when it happens.
STAGE_PATH = (Stage.DISCOVERY.value, Stage.REVIEW.value, Stage.MONITORING.value, Stage.CLOSED.value)
STAGE_LABELS = {
    "discovery": _l("Discovery"),
    "review": _l("Review"),
    "monitoring": _l("Monitoring"),
    "closed": _l("Closed"),
    "abandoned": _l("Abandoned"),
}
MEMBER_ROLES = {
    "project_manager": _l("Project manager"),
    "account_manager": _l("Account manager"),
    "solution_engineer": _l("Solution engineer"),
    "delivery": _l("Delivery"),
    "business_support": _l("Business support"),
    "other": _l("Other"),
}
# Stages of the opportunity work order as shown on the project (the opportunity plugin's
# values; an unknown value is shown as it is).
ORDER_STAGE_LABELS = {
    "new": _l("New"),
    "pool": _l("Pool (open for claiming)"),
    "assignment": _l("Assignment"),
    "survey_review": _l("Survey review"),
    "confirmation": _l("Confirmation"),
    "pre_execution": _l("Contract pre-execution pool"),
    "signed": _l("Signed"),
    "closed": _l("Closed"),
}
ORDER_STAGE_PATH = ("new", "pool", "assignment", "survey_review", "confirmation", "pre_execution", "signed")


def stage_label(stage: str):
    return STAGE_LABELS.get(stage, stage)


def order_stage_label(stage: str | None):
    return ORDER_STAGE_LABELS.get(stage or "", stage or "")


def role_label(role: str):
    return MEMBER_ROLES.get(role, role)


def project_link(project: IctProject) -> str:
    """The project's page as a plain path (usable without a request, e.g. in to-dos)."""
    return f"/ict/{project.id}"


# --- reading -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectFilter:
    q: str | None = None
    stage: str | None = None
    customer_id: int | None = None
    mine: str | None = None  # "mine": I own it; "team": I am on its team; None: all I may see


def project_query(actor: User | None = None, filters: ProjectFilter | None = None) -> Select:
    """Projects the current scope may see (the central rule plus team membership), filtered,
    the most recently changed first."""
    filters = filters or ProjectFilter()
    query = select(IctProject).order_by(IctProject.updated_at.desc(), IctProject.id.desc())
    if filters.q:
        text = filters.q.strip()
        matching_customers = select(Customer.id).where(Customer.name.contains(text, autoescape=True))
        query = query.where(or_(IctProject.name.contains(text, autoescape=True),
                                IctProject.code.contains(text, autoescape=True),
                                IctProject.customer_id.in_(matching_customers)))
    if filters.stage == "open":
        query = query.where(IctProject.stage.in_(OPEN_STAGES))
    elif filters.stage:
        query = query.where(IctProject.stage == filters.stage)
    if filters.customer_id:
        query = query.where(IctProject.customer_id == filters.customer_id)
    if actor is not None and filters.mine == "mine":
        query = query.where(IctProject.owner_id == actor.id)
    elif actor is not None and filters.mine == "team":
        query = query.where(IctProject.id.in_(
            select(IctMember.project_id).where(IctMember.user_id == actor.id, IctMember.active.is_(True))))
    return query


def get_project(project_id: int) -> IctProject:
    """A project the current scope may see, or NotFound (out of scope looks absent)."""
    project = db.session.execute(select(IctProject).where(IctProject.id == project_id)).scalar_one_or_none()
    if project is None:
        raise NotFound(_l("ICT project not found."))
    return project


def customer_of(project: IctProject) -> Customer | None:
    """The project's customer. A team member from another county may not see the customer
    itself under the central rule, but must see whose project they work on: read it past the
    scope, only for a project the reader already holds."""
    return db.session.execute(select(Customer).where(Customer.id == project.customer_id)
                              .execution_options(skip_scope=True)).scalar_one_or_none()


def customer_names(projects) -> dict[int, str]:
    """{customer id: name} for a page of projects already visible to the reader (see customer_of)."""
    ids = {project.customer_id for project in projects}
    if not ids:
        return {}
    rows = db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))
                              .execution_options(skip_scope=True))
    return dict(rows.all())


def active_members(project: IctProject) -> list[IctMember]:
    return [member for member in project.members if member.active]


def stage_history(project: IctProject) -> list[IctStageChange]:
    return list(db.session.execute(select(IctStageChange).where(IctStageChange.project_id == project.id)
                                   .order_by(IctStageChange.at, IctStageChange.id)).scalars())


def notes_of(project: IctProject, limit: int = 50) -> list[IctNote]:
    return list(db.session.execute(select(IctNote).where(IctNote.project_id == project.id)
                                   .order_by(IctNote.created_at.desc(), IctNote.id.desc()).limit(limit)).scalars())


def documents_of(project: IctProject) -> list[IctDocument]:
    return list(db.session.execute(select(IctDocument).where(IctDocument.project_id == project.id,
                                                             IctDocument.archived.is_(False))
                                   .order_by(IctDocument.created_at.desc())).scalars())


def milestones_of(project: IctProject) -> list[IctMilestone]:
    return [milestone for milestone in project.milestones if not milestone.archived]


def projects_of_customer(customer: Customer, limit: int = 20) -> list[IctProject]:
    return list(db.session.execute(project_query(filters=ProjectFilter(customer_id=customer.id)).limit(limit)).scalars())


def counts_by_stage(actor: User, mine_only: bool = True) -> dict[str, int]:
    """{stage: count} of the projects the actor owns or works on (or all they may see)."""
    query = select(IctProject.stage, func.count(IctProject.id)).group_by(IctProject.stage)
    if mine_only:
        on_team = select(IctMember.project_id).where(IctMember.user_id == actor.id, IctMember.active.is_(True))
        query = query.where(or_(IctProject.owner_id == actor.id, IctProject.id.in_(on_team)))
    counts = {stage: 0 for stage in STAGE_LABELS}
    counts.update(dict(db.session.execute(query).all()))
    return counts


def milestones_due(actor: User, today: date | None = None, days: int = 7, mine_only: bool = True) -> list[tuple[IctMilestone, IctProject]]:
    """Open milestones planned up to `days` ahead (and overdue ones) on open projects the actor
    may see — their own and their team's by default."""
    today = today or utcnow().date()
    visible = project_query(actor).where(IctProject.stage.in_(OPEN_STAGES))
    if mine_only:
        on_team = select(IctMember.project_id).where(IctMember.user_id == actor.id, IctMember.active.is_(True))
        visible = visible.where(or_(IctProject.owner_id == actor.id, IctProject.id.in_(on_team)))
    visible_ids = [row for row in db.session.execute(visible.with_only_columns(IctProject.id)).scalars()]
    if not visible_ids:
        return []
    rows = db.session.execute(
        select(IctMilestone, IctProject).join(IctProject, IctProject.id == IctMilestone.project_id)
        .where(IctMilestone.project_id.in_(visible_ids), IctMilestone.done.is_(False),
               IctMilestone.archived.is_(False), IctMilestone.planned_date <= today + timedelta(days=days))
        .order_by(IctMilestone.planned_date, IctMilestone.id).limit(50)
    ).all()
    return [(milestone, project) for milestone, project in rows]


# --- rights --------------------------------------------------------------------------------

def _in_central_scope(actor: User, project: IctProject) -> bool:
    """Would the actor see the project without being on its team? (Leads over its unit.)"""
    clause = super(IctProject, IctProject).scope_clause(actor.scope)
    found = db.session.execute(select(IctProject.id).where(IctProject.id == project.id, clause)
                               .execution_options(skip_scope=True)).scalar_one_or_none()
    return found is not None


def _is_member(actor: User, project: IctProject, roles: tuple[str, ...] | None = None) -> bool:
    return any(member.user_id == actor.id and (roles is None or member.role in roles)
               for member in active_members(project))


def may_manage(actor: User, project: IctProject) -> bool:
    """Edit the project, submit it, manage team and milestones: its owner, its project
    manager, or a manager over its unit — each holding ict.manage."""
    if not actor.can(PERM_MANAGE):
        return False
    if actor.id == project.owner_id or _is_member(actor, project, ("project_manager",)):
        return True
    return actor.scope.level in ("unit", "all") and _in_central_scope(actor, project)


def may_contribute(actor: User, project: IctProject) -> bool:
    """Write notes, attach documents, tick milestones off: anyone on the team, or a manager."""
    return _is_member(actor, project) or may_manage(actor, project)


def may_review(actor: User, project: IctProject) -> bool:
    """Approve or return a project in review: its handler, or a reviewer over its unit — never
    its own owner (nobody approves their own project)."""
    if not actor.can(PERM_REVIEW) or actor.id == project.owner_id:
        return False
    if actor.id == project.handler_id:
        return True
    return actor.scope.level in ("unit", "all") and _in_central_scope(actor, project)


def may_abandon(actor: User, project: IctProject) -> bool:
    return may_manage(actor, project) or may_review(actor, project)


def _require(allowed: bool, message) -> None:
    if not allowed:
        raise NotAllowed(message)


# --- validation ----------------------------------------------------------------------------

def _clean_text(value, field_name: str, message, maximum: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(message, field=field_name)
    if len(text) > maximum:
        raise ServiceError(_l("At most %(max)d characters.", max=maximum), field=field_name)
    return text


def _clean_value(value, field_name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_l("Enter an amount in yuan, such as 150000.00."), field=field_name) from None
    if amount < 0:
        raise ServiceError(_l("The value cannot be negative."), field=field_name)
    if amount > VALUE_MAX:
        raise ServiceError(_l("The value is too large."), field=field_name)
    return amount


def _clean_date(value, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field=field_name) from None


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ServiceError(_l("The expected end cannot be before the expected start."), field="expected_end")


def ict_categories() -> list[tuple[str, str]]:
    """(code, name) of the active ICT business categories of the opportunity catalogue."""
    from plugins.opportunity.models import Category

    rows = db.session.execute(select(Category.code, Category.name)
                              .where(Category.is_ict.is_(True), Category.active.is_(True))
                              .order_by(Category.order, Category.code)).all()
    return [(code, name) for code, name in rows]


def category_name(code: str | None) -> str:
    """The category's name for display (its code when the catalogue does not know it)."""
    return dict(ict_categories()).get(code or "", code or "")


def _clean_category(code: str | None) -> str:
    code = (code or "").strip()
    categories = dict(ict_categories())
    if not code:
        if DEFAULT_CATEGORY in categories or not categories:
            return DEFAULT_CATEGORY
        return next(iter(categories))
    if code not in categories:
        raise ServiceError(_l("Choose an ICT business category."), field="category_code")
    return code


def _next_code() -> str:
    """ICT-<year>-<sequence>; the unique index settles a race (the loser retries the form)."""
    year = utcnow().year
    prefix = f"ICT-{year}-"
    last = db.session.execute(select(func.max(IctProject.code)).where(IctProject.code.startswith(prefix))
                              .execution_options(skip_scope=True)).scalar_one_or_none()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


# --- creating and editing ------------------------------------------------------------------

def _linked_opportunity(opportunity_id, customer: Customer):
    """An existing ICT opportunity of the customer that no open project follows yet."""
    from plugins.opportunity import services as opportunities

    try:
        opportunity = opportunities.get_opportunity(int(opportunity_id))
    except (NotFound, TypeError, ValueError):
        raise ServiceError(_l("That opportunity was not found."), field="opportunity_id") from None
    category = getattr(opportunity, "category", None)
    if category is not None and not category.is_ict:
        raise ServiceError(_l("Only an ICT opportunity can start an ICT project."), field="opportunity_id")
    if opportunity.customer_id != customer.id:
        raise ServiceError(_l("The opportunity belongs to another customer."), field="opportunity_id")
    taken = db.session.execute(select(IctProject.code).where(IctProject.opportunity_id == opportunity.id,
                                                             IctProject.stage.in_(OPEN_STAGES))
                               .execution_options(skip_scope=True)).scalar_one_or_none()
    if taken:
        raise ServiceError(_l("Project %(code)s already follows this opportunity.", code=taken),
                           field="opportunity_id")
    return opportunity


def create_project(actor: User, *, customer_id, name: str, scope_of_work: str = "",
                   estimated_value=None, expected_start=None, expected_end=None,
                   category_code: str | None = None, opportunity_id=None) -> IctProject:
    """Record a project in discovery, owned by `actor`, for a customer in their scope."""
    _require(actor.can(PERM_MANAGE), _l("You may not start ICT projects."))
    name = _clean_text(name, "name", _l("Give the project a name."), NAME_MAX)
    try:
        customer = db.session.execute(select(Customer).where(Customer.id == int(customer_id),
                                                             Customer.archived.is_(False))).scalar_one_or_none()
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise ServiceError(_l("Choose a customer of yours."), field="customer_id")
    value = _clean_value(estimated_value, "estimated_value")
    start = _clean_date(expected_start, "expected_start")
    end = _clean_date(expected_end, "expected_end")
    _check_dates(start, end)
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit yet; ask an administrator to place you."))
    opportunity = _linked_opportunity(opportunity_id, customer) if opportunity_id not in (None, "") else None
    category = _clean_category(category_code)
    if opportunity is not None and getattr(opportunity, "category", None) is not None:
        category = opportunity.category.code
    project = IctProject(
        code=_next_code(), name=name, customer_id=customer.id, category_code=category,
        scope_of_work=(scope_of_work or "").strip()[:NOTE_MAX], estimated_value=value,
        expected_start=start, expected_end=end, stage=Stage.DISCOVERY.value, handler_id=actor.id,
        owner_id=actor.id, org_unit_id=actor.org_unit_id,
        opportunity_id=opportunity.id if opportunity is not None else None,
    )
    db.session.add(project)
    db.session.flush()
    db.session.add(IctMember(project_id=project.id, user_id=actor.id, role="account_manager"))
    db.session.add(IctStageChange(project_id=project.id, from_stage="", to_stage=Stage.DISCOVERY.value,
                                  actor_id=actor.id))
    db.session.flush()
    emit("ict.project_created", actor=actor, project_id=project.id, customer_id=project.customer_id,
         opportunity_id=project.opportunity_id, org_unit_id=project.org_unit_id, owner_id=project.owner_id)
    return project


EDITABLE_FIELDS = ("name", "scope_of_work", "estimated_value", "expected_start", "expected_end", "category_code")


def update_project(actor: User, project: IctProject, values: dict, version) -> IctProject:
    """Change the project's description while it is open; `version` is the one the form read."""
    _require(may_manage(actor, project), _l("You may not edit this project."))
    project.check_version(version)
    if project.stage not in OPEN_STAGES:
        raise ServiceError(_l("A closed or abandoned project can no longer be edited."))
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(_l("These fields cannot be changed: %(fields)s", fields=", ".join(sorted(unknown))))
    if "name" in values:
        project.name = _clean_text(values["name"], "name", _l("Give the project a name."), NAME_MAX)
    if "scope_of_work" in values:
        project.scope_of_work = (values["scope_of_work"] or "").strip()[:NOTE_MAX]
    if "estimated_value" in values:
        project.estimated_value = _clean_value(values["estimated_value"], "estimated_value")
    if "expected_start" in values:
        project.expected_start = _clean_date(values["expected_start"], "expected_start")
    if "expected_end" in values:
        project.expected_end = _clean_date(values["expected_end"], "expected_end")
    if "category_code" in values:
        if project.opportunity_id and values["category_code"] != project.category_code:
            raise ServiceError(_l("The category follows the linked work order."), field="category_code")
        project.category_code = _clean_category(values["category_code"])
    _check_dates(project.expected_start, project.expected_end)
    _flush_or_conflict()
    emit("ict.project_updated", actor=actor, project_id=project.id, customer_id=project.customer_id)
    return project


# --- the state machine ---------------------------------------------------------------------

def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else changed this project at the same moment. "
                          "Reload the page to see its current state.")) from None


def _expect(project: IctProject, allowed: tuple[str, ...], action) -> None:
    if project.stage not in allowed:
        raise ServiceError(_l("This project is at the stage “%(stage)s”; it cannot be %(action)s.",
                              stage=stage_label(project.stage), action=action))


def _move(project: IctProject, to_stage: str, actor: User | None, *, note: str = "",
          automatic: bool = False, handler: User | None = None) -> str:
    """Move the project and record it. The UPDATE carries the version read, so a concurrent
    move (or edit) makes it fail with Conflict instead of applying twice."""
    from_stage = project.stage
    project.stage = to_stage
    project.handler_id = handler.id if handler is not None else None
    _flush_or_conflict()
    db.session.add(IctStageChange(project_id=project.id, from_stage=from_stage, to_stage=to_stage,
                                  actor_id=getattr(actor, "id", None), note=note or "", automatic=automatic))
    emit("ict.project_stage_changed", actor=actor, project_id=project.id, customer_id=project.customer_id,
         from_stage=from_stage, to_stage=to_stage, opportunity_id=project.opportunity_id,
         org_unit_id=project.org_unit_id, owner_id=project.owner_id)
    return from_stage


def find_reviewer(project: IctProject) -> User | None:
    """The nearest active holder of ict.review up the org tree from the project's unit (its
    own unit first), other than the owner; None when nobody may review it."""
    unit = db.session.get(OrgUnit, project.org_unit_id)
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] if unit else []
    for unit_id in reversed(ids):
        candidates = db.session.execute(
            select(User).where(User.org_unit_id == unit_id, User.active.is_(True), User.id != project.owner_id)
            .order_by(User.id).options(selectinload(User.roles))
        ).scalars().all()
        for candidate in candidates:
            if candidate.can(PERM_REVIEW):
                return candidate
    return None


def _owner(project: IctProject) -> User:
    return db.session.get(User, project.owner_id)


def submit_for_review(actor: User, project: IctProject) -> IctProject:
    """Discovery → review: the nearest reviewer gets a to-do (and so a notification)."""
    _require(may_manage(actor, project), _l("Only the project's owner or manager can submit it."))
    _expect(project, (Stage.DISCOVERY.value,), _l("submitted for review"))
    if not project.scope_of_work.strip():
        raise ServiceError(_l("Describe the scope of work before submitting."), field="scope_of_work")
    if project.estimated_value is None:
        raise ServiceError(_l("Estimate the project's value before submitting."), field="estimated_value")
    reviewer = find_reviewer(project)
    if reviewer is None:
        raise ServiceError(_l("Nobody above your unit may review ICT projects; ask an administrator "
                              "to grant the review right."))
    project.submitted_at = utcnow()
    _move(project, Stage.REVIEW.value, actor, handler=reviewer)
    inbox.close_todos_for((SOURCE, project.id), actor=actor, kind=TODO_REVISE,
                          note=str(_l("Submitted for review.")))
    inbox.open_todo(kind=TODO_REVIEW, title=str(_l("Review ICT project %(name)s", name=project.name)),
                    assignee=reviewer, created_by=actor, due_at=utcnow() + timedelta(days=REVIEW_DAYS),
                    link=project_link(project), customer=project.customer_id, source=(SOURCE, project.id),
                    priority=2)
    return project


def _create_work_order(project: IctProject, actor: User):
    """The opportunity that carries the project through the opportunity flow, owned by the
    project's AM (it is their customer), created with source "ict"."""
    from plugins.opportunity import services as opportunities
    from workbench.org.scope import acting_as

    owner = _owner(project)
    customer = customer_of(project)
    code = project.category_code or DEFAULT_CATEGORY
    # What the project already knows, offered under the category's own field keys.
    known = {"scope": project.scope_of_work,
             "budget": float(project.estimated_value) if project.estimated_value is not None else None}
    if project.expected_start and project.expected_end:
        months = (project.expected_end.year - project.expected_start.year) * 12 + \
            project.expected_end.month - project.expected_start.month
        known["delivery_months"] = max(months, 1)
    try:
        keys = {definition.get("key") for definition in (opportunities.get_category(code).fields or [])}
    except NotFound:
        keys = set()
    details = {key: value for key, value in known.items() if key in keys and value not in (None, "")}
    with acting_as(owner.scope):
        return opportunities.create_opportunity(
            owner, customer=customer, kind="demand", category_code=code, title=project.name,
            description=project.scope_of_work, expected_revenue=project.estimated_value,
            details=details, source="ict",
        )


def approve(actor: User, project: IctProject, note: str = "") -> IctProject:
    """Review → monitoring: creates the opportunity work order by itself (unless the project
    started from one) and links it; the owner follows it from a monitoring to-do."""
    _require(may_review(actor, project), _l("You may not review this project."))
    _expect(project, (Stage.REVIEW.value,), _l("approved"))
    note = _clean_text(note, "note", "", REASON_MAX, required=False)
    if project.opportunity_id is None:
        try:
            with db.session.begin_nested():
                opportunity = _create_work_order(project, actor)
        except ServiceError as exc:
            raise ServiceError(_l("The opportunity work order could not be created: %(reason)s",
                                  reason=str(exc.message))) from None
        project.opportunity_id = opportunity.id
    project.approved_at = utcnow()
    owner = _owner(project)
    _move(project, Stage.MONITORING.value, actor, note=note, handler=owner)
    inbox.close_todos_for((SOURCE, project.id), actor=actor, kind=TODO_REVIEW, note=str(_l("Approved.")))
    inbox.open_todo(kind=TODO_MONITOR, title=str(_l("Follow the work order of ICT project %(name)s", name=project.name)),
                    assignee=owner, created_by=actor, due_at=_monitor_due(project), link=project_link(project),
                    customer=project.customer_id, source=(SOURCE, project.id))
    return project


def _monitor_due(project: IctProject) -> datetime | None:
    if project.expected_end:
        return datetime.combine(project.expected_end, datetime.min.time())
    return None


def return_for_revision(actor: User, project: IctProject, reason: str) -> IctProject:
    """Review → discovery with a reason; the owner gets a to-do to revise and resubmit."""
    _require(may_review(actor, project), _l("You may not review this project."))
    _expect(project, (Stage.REVIEW.value,), _l("returned"))
    reason = _clean_text(reason, "reason", _l("Say what must change before approval."), REASON_MAX)
    owner = _owner(project)
    _move(project, Stage.DISCOVERY.value, actor, note=reason, handler=owner)
    inbox.close_todos_for((SOURCE, project.id), actor=actor, kind=TODO_REVIEW, note=reason)
    inbox.open_todo(kind=TODO_REVISE, title=str(_l("Revise ICT project %(name)s", name=project.name)),
                    description=reason, assignee=owner, created_by=actor, due_at=utcnow() + timedelta(days=REVIEW_DAYS),
                    link=project_link(project), customer=project.customer_id, source=(SOURCE, project.id))
    return project


def abandon(actor: User, project: IctProject, reason: str) -> IctProject:
    """Any open stage → abandoned, with a reason; every open to-do of the project closes."""
    _require(may_abandon(actor, project), _l("You may not abandon this project."))
    _expect(project, OPEN_STAGES, _l("abandoned"))
    reason = _clean_text(reason, "reason", _l("Say why the project is abandoned."), REASON_MAX)
    _finish(project, Stage.ABANDONED.value, actor, reason=reason)
    return project


def _finish(project: IctProject, to_stage: str, actor: User | None, *, reason: str = "",
            outcome: str = "", automatic: bool = False) -> None:
    project.closed_at = utcnow()
    project.outcome = outcome
    if to_stage == Stage.ABANDONED.value:
        project.abandon_reason = reason
    _move(project, to_stage, actor, note=reason, automatic=automatic)
    inbox.close_todos_for((SOURCE, project.id), actor=actor, note=reason or str(stage_label(to_stage)))
    emit("ict.project_closed", actor=actor, project_id=project.id, customer_id=project.customer_id,
         stage=to_stage, outcome=outcome, opportunity_id=project.opportunity_id,
         confirmed_value=str(project.confirmed_value) if project.confirmed_value is not None else None)
    if actor is None or actor.id != project.owner_id:
        notify(_owner(project), TODO_MONITOR,
               _l("ICT project %(name)s is now %(stage)s.", name=project.name, stage=stage_label(to_stage)),
               link=project_link(project))


# --- following the work order (called by the event handlers, in the system scope) ---------

def _projects_following(opportunity_id) -> list[IctProject]:
    return list(db.session.execute(select(IctProject).where(IctProject.opportunity_id == int(opportunity_id),
                                                            IctProject.stage.in_(OPEN_STAGES))).scalars())


def _load_order(opportunity_id):
    from plugins.opportunity.models import Opportunity

    return db.session.execute(select(Opportunity).where(Opportunity.id == int(opportunity_id))
                              .execution_options(skip_scope=True)).scalar_one_or_none()


def _fill_in(project: IctProject, order) -> list[str]:
    """Copy what the work order settled onto the project; returns the fields changed."""
    changed = []
    value = getattr(order, "signed_revenue", None) or getattr(order, "expected_revenue", None)
    if value is not None and project.confirmed_value != value:
        project.confirmed_value = value
        changed.append("confirmed_value")
    signed_at = getattr(order, "signed_at", None)
    if signed_at and project.signed_at != signed_at:
        project.signed_at = signed_at
        changed.append("signed_at")
    return changed


def on_work_order_stage_changed(opportunity_id, to_stage: str, actor: User | None = None) -> int:
    """The order moved: in the pre-execution pool the project is filled in from it (and its
    owner told a contract can be generated); closed (lost/withdrawn) abandons the project."""
    touched = 0
    for project in _projects_following(opportunity_id):
        order = _load_order(opportunity_id)
        if to_stage == "pre_execution" and order is not None:
            changed = _fill_in(project, order)
            _flush_or_conflict()
            db.session.add(IctStageChange(project_id=project.id, from_stage=project.stage, to_stage=project.stage,
                                          note=str(_l("The work order reached the contract pre-execution pool.")),
                                          automatic=True, actor_id=getattr(actor, "id", None)))
            notify(_owner(project), TODO_MONITOR,
                   _l("The work order of ICT project %(name)s is in the contract pre-execution pool: "
                      "generate the contract.", name=project.name), link=project_link(project))
            emit("ict.project_updated", actor=actor, project_id=project.id, customer_id=project.customer_id,
                 fields=changed)
            touched += 1
        elif to_stage == "closed":
            reason = (getattr(order, "closed_reason", "") or "") if order is not None else ""
            _finish(project, Stage.ABANDONED.value, actor, automatic=True,
                    reason=str(_l("The opportunity work order was closed: %(reason)s", reason=reason or "—")))
            touched += 1
    return touched


def on_work_order_signed(opportunity_id, actor: User | None = None, signed_revenue=None) -> int:
    """The order was signed: the project takes the signed value and date and closes as won by
    itself (from monitoring; a project still in discovery or review is only filled in)."""
    touched = 0
    for project in _projects_following(opportunity_id):
        order = _load_order(opportunity_id)
        if order is not None:
            _fill_in(project, order)
        if signed_revenue not in (None, "") and order is None:
            project.confirmed_value = _clean_value(signed_revenue, "confirmed_value")
        if project.signed_at is None:
            project.signed_at = utcnow()
        if project.stage == Stage.MONITORING.value:
            _finish(project, Stage.CLOSED.value, actor, outcome="won", automatic=True,
                    reason=str(_l("The opportunity work order was signed.")))
        else:
            _flush_or_conflict()
        touched += 1
    return touched


@dataclass
class WorkOrderView:
    """What the monitoring step shows of the linked opportunity work order."""

    id: int
    code: str
    title: str
    stage: str
    handler_name: str
    due_at: datetime | None
    expected_revenue: Decimal | None
    signed_revenue: Decimal | None
    history: list = field(default_factory=list)  # [(at, from_stage, to_stage, actor name, note)]

    @property
    def stage_label(self):
        return order_stage_label(self.stage)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < utcnow() and self.stage not in ("signed", "closed")


def work_order(project: IctProject) -> WorkOrderView | None:
    """The linked order's progress for whoever may see the project. Team members from another
    county may not see the opportunity itself; they see this summary of it, read past the
    scope for a project they already hold."""
    if project.opportunity_id is None:
        return None
    order = _load_order(project.opportunity_id)
    if order is None:
        return None
    from plugins.opportunity.models import StepLog

    steps = db.session.execute(select(StepLog).where(StepLog.opportunity_id == order.id)
                               .order_by(StepLog.at, StepLog.id)).scalars().all()
    history = [(step.at, step.from_stage or "", step.to_stage, step.actor.name if step.actor else "",
                step.note or "") for step in steps]
    handler = order.handler
    stage = getattr(order.stage, "value", order.stage)
    return WorkOrderView(id=order.id, code=order.code, title=order.title, stage=stage,
                         handler_name=handler.name if handler else "", due_at=getattr(order, "stage_due_at", None),
                         expected_revenue=order.expected_revenue, signed_revenue=getattr(order, "signed_revenue", None),
                         history=history)


def contract_can_be_generated(order: WorkOrderView | None) -> bool:
    """The order sits in the contract pre-execution pool (the contract plugin's entry point)."""
    return order is not None and order.stage == "pre_execution"


# --- team ----------------------------------------------------------------------------------

def add_member(actor: User, project: IctProject, *, user_id, role: str) -> IctMember:
    """Put someone on the team (from any unit: the team sees the project). Re-adding a
    removed member brings them back with the new role."""
    _require(may_manage(actor, project), _l("Only the project's owner or manager can change the team."))
    _expect(project, OPEN_STAGES, _l("changed"))
    if role not in MEMBER_ROLES:
        raise ServiceError(_l("Choose a role on the team."), field="role")
    try:
        person = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        person = None
    if person is None or not person.active:
        raise ServiceError(_l("No active user with that name was found."), field="user_id")
    existing = next((member for member in project.members if member.user_id == person.id), None)
    if existing is not None and existing.active:
        raise ServiceError(_l("%(name)s is already on the team.", name=person.name), field="user_id")
    if existing is not None:
        existing.active = True
        existing.role = role
        member = existing
    else:
        member = IctMember(project_id=project.id, user_id=person.id, role=role)
        db.session.add(member)
        project.members.append(member)
    db.session.flush()
    if person.id != actor.id:
        notify(person, TODO_MONITOR, _l("You joined the team of ICT project %(name)s as %(role)s.",
                                        name=project.name, role=role_label(role)), link=project_link(project))
    emit("ict.member_added", actor=actor, project_id=project.id, user_id=person.id, role=role)
    return member


def remove_member(actor: User, project: IctProject, member_id) -> IctMember:
    _require(may_manage(actor, project), _l("Only the project's owner or manager can change the team."))
    member = next((m for m in project.members if str(m.id) == str(member_id) and m.active), None)
    if member is None:
        raise ServiceError(_l("That person is not on the team."), field="member_id")
    if member.user_id == project.owner_id:
        raise ServiceError(_l("The project's owner stays on the team."), field="member_id")
    member.active = False
    db.session.flush()
    emit("ict.member_removed", actor=actor, project_id=project.id, user_id=member.user_id)
    return member


def search_people(q: str, limit: int = 10) -> list[User]:
    """Active users whose name or username contains `q` (choosing team members from any unit)."""
    text = (q or "").strip()
    if not text:
        return []
    return list(db.session.execute(
        select(User).where(User.active.is_(True), or_(User.username.contains(text, autoescape=True),
                                                      User.display_name.contains(text, autoescape=True)))
        .order_by(User.username).limit(limit)).scalars())


# --- milestones, notes, documents ----------------------------------------------------------

def add_milestone(actor: User, project: IctProject, *, title: str, planned_date) -> IctMilestone:
    _require(may_manage(actor, project), _l("Only the project's owner or manager can plan milestones."))
    _expect(project, OPEN_STAGES, _l("changed"))
    title = _clean_text(title, "title", _l("Name the milestone."), NAME_MAX)
    planned = _clean_date(planned_date, "planned_date")
    if planned is None:
        raise ServiceError(_l("Give the milestone a planned date."), field="planned_date")
    milestone = IctMilestone(project_id=project.id, title=title, planned_date=planned)
    db.session.add(milestone)
    project.milestones.append(milestone)
    db.session.flush()
    return milestone


def _milestone(project: IctProject, milestone_id) -> IctMilestone:
    milestone = next((m for m in project.milestones if str(m.id) == str(milestone_id) and not m.archived), None)
    if milestone is None:
        raise NotFound(_l("Milestone not found."))
    return milestone


def complete_milestone(actor: User, project: IctProject, milestone_id, actual_date=None) -> IctMilestone:
    _require(may_contribute(actor, project), _l("Only the project team can tick milestones off."))
    milestone = _milestone(project, milestone_id)
    if milestone.done:
        raise ServiceError(_l("This milestone is already done."))
    actual = _clean_date(actual_date, "actual_date") or utcnow().date()
    if actual > utcnow().date() + timedelta(days=1):
        raise ServiceError(_l("A milestone cannot be done in the future."), field="actual_date")
    milestone.done = True
    milestone.actual_date = actual
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else changed this milestone at the same moment.")) from None
    emit("ict.milestone_done", actor=actor, project_id=project.id, milestone_id=milestone.id,
         customer_id=project.customer_id)
    return milestone


def remove_milestone(actor: User, project: IctProject, milestone_id) -> IctMilestone:
    _require(may_manage(actor, project), _l("Only the project's owner or manager can plan milestones."))
    milestone = _milestone(project, milestone_id)
    milestone.archived = True
    db.session.flush()
    return milestone


def add_note(actor: User, project: IctProject, body: str) -> IctNote:
    _require(may_contribute(actor, project), _l("Only the project team can write progress notes."))
    body = _clean_text(body, "body", _l("Write the note."), NOTE_MAX)
    note = IctNote(project_id=project.id, author_id=actor.id, body=body)
    db.session.add(note)
    db.session.flush()
    emit("ict.note_added", actor=actor, project_id=project.id, note_id=note.id, customer_id=project.customer_id)
    return note


DOCUMENT_KINDS = ("pdf", "docx", "xlsx", "jpeg", "png")


def attach_document(actor: User, project: IctProject, upload, title: str = "") -> IctDocument:
    """Store an uploaded file (type checked by content, size limited) and attach it."""
    from workbench.files import services as files

    _require(may_contribute(actor, project), _l("Only the project team can attach documents."))
    if upload is None or not getattr(upload, "filename", ""):
        raise ServiceError(_l("Choose a file to attach."), field="file")
    try:
        stored = files.store_upload(upload, kinds=DOCUMENT_KINDS, owner=actor)
    except files.UploadRejected as exc:
        raise ServiceError(exc.message, field="file") from None
    title = (title or "").strip()[:NAME_MAX] or stored.original_name[:NAME_MAX]
    document = IctDocument(project_id=project.id, stored_file_id=stored.id, title=title, uploaded_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    emit("ict.document_attached", actor=actor, project_id=project.id, document_id=document.id,
         customer_id=project.customer_id)
    return document


def get_document(project: IctProject, document_id):
    """A document of a project the reader already holds, with its stored file."""
    from workbench.files.models import StoredFile

    document = db.session.execute(select(IctDocument).where(IctDocument.id == document_id,
                                                            IctDocument.project_id == project.id,
                                                            IctDocument.archived.is_(False))).scalar_one_or_none()
    if document is None:
        raise NotFound(_l("Document not found."))
    stored = db.session.get(StoredFile, document.stored_file_id)
    if stored is None:
        raise NotFound(_l("Document not found."))
    return document, stored


def remove_document(actor: User, project: IctProject, document_id) -> IctDocument:
    _require(may_manage(actor, project), _l("Only the project's owner or manager can remove documents."))
    document, _stored = get_document(project, document_id)
    document.archived = True
    db.session.flush()
    return document
