"""Rules of the contract plugin: the work order's flow, its files, expiry warnings.

The flow of a contract work order (合同工单), each step with its handler and permission:

    draft ──submit──▶ business_review ──approve──▶ branch_review ──approve──▶ signing
      ▲  (account manager)   (contract.review_business)   (contract.review_branch)   │
      │                         │ send back                   │ send back            │ upload signed copy
      └──── returned ◀──────────┴─────────────────────────────┘                      ▼
                                                  leased line: construction (报勘建设) ─▶ confirmation
                                                                      other contracts ───▶ confirmation
    confirmation ──confirm (contract.confirm)──▶ confirmed   (the opportunity is marked signed)
    confirmation ──send back──▶ signing   (the signed copy must be uploaded again)
    any open state ──withdraw──▶ cancelled

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Every transition is atomic: the UPDATE carries the
version the actor read (VersionedMixin), so of two people acting at once one wins and the
other gets a Conflict — never two moves. Reads need no scope filter: the core applies the
data-scope rule to every SELECT.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from plugins.contract.models import Contract, ContractStep, ContractTemplate, ExpiryNotice
from plugins.opportunity import services as opportunities
from workbench.auth.models import User
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.files import services as files
from workbench.inbox import services as inbox
from workbench.notify.services import notify, recipient_locale
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.records import utcnow


class State(str, enum.Enum):
    DRAFT = "draft"
    BUSINESS_REVIEW = "business_review"
    BRANCH_REVIEW = "branch_review"
    SIGNING = "signing"
    CONSTRUCTION = "construction"
    CONFIRMATION = "confirmation"
    CONFIRMED = "confirmed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


STATE_LABELS = {
    State.DRAFT: _l("Draft"), State.BUSINESS_REVIEW: _l("Business review"),
    State.BRANCH_REVIEW: _l("Branch review"), State.SIGNING: _l("Awaiting signed copy"),
    State.CONSTRUCTION: _l("Survey and construction"), State.CONFIRMATION: _l("Awaiting confirmation"),
    State.CONFIRMED: _l("Confirmed"), State.RETURNED: _l("Sent back"), State.CANCELLED: _l("Withdrawn"),
}
STATE_COLOURS = {
    State.DRAFT: "secondary", State.BUSINESS_REVIEW: "primary", State.BRANCH_REVIEW: "primary",
    State.SIGNING: "info", State.CONSTRUCTION: "info", State.CONFIRMATION: "warning",
    State.CONFIRMED: "success", State.RETURNED: "danger", State.CANCELLED: "dark",
}
FLOW = (State.DRAFT, State.BUSINESS_REVIEW, State.BRANCH_REVIEW, State.SIGNING, State.CONSTRUCTION,
        State.CONFIRMATION, State.CONFIRMED)
OPEN_STATES = (State.DRAFT, State.RETURNED, State.BUSINESS_REVIEW, State.BRANCH_REVIEW, State.SIGNING,
               State.CONSTRUCTION, State.CONFIRMATION)
EDITABLE_STATES = (State.DRAFT, State.RETURNED)
REVIEW_STATES = (State.BUSINESS_REVIEW, State.BRANCH_REVIEW)

# Permissions (declared in plugin.py)
PERM_VIEW = "contract.view"
PERM_CREATE = "contract.create"
PERM_REVIEW_BUSINESS = "contract.review_business"
PERM_REVIEW_BRANCH = "contract.review_branch"
PERM_CONFIRM = "contract.confirm"
PERM_TEMPLATES = "contract.manage_templates"

# To-do kinds (declared in plugin.py); the source links a to-do to its contract.
TODO_FILL = "contract.fill"
TODO_REVIEW = "contract.review"
TODO_SIGNED = "contract.upload_signed"
TODO_CONSTRUCTION = "contract.construction"
TODO_CONFIRM = "contract.confirm"
SOURCE = "contract_contract"

CONTRACT_FILE_KINDS = ("pdf", "jpeg", "png", "docx")
SIGNED_FILE_KINDS = ("pdf", "jpeg", "png")
EXPIRY_THRESHOLDS = (90, 30, 7)
STEP_DAYS = {State.DRAFT: 3, State.RETURNED: 2, State.BUSINESS_REVIEW: 2, State.BRANCH_REVIEW: 2,
             State.SIGNING: 7, State.CONSTRUCTION: 30, State.CONFIRMATION: 2}
MAX_AMOUNT = Decimal("9999999999.99")
TEXT_MAX = 4000


# -- reading ----------------------------------------------------------------------------------

def contract_link(contract: Contract) -> str:
    """The contract's page as a plain path (no request needed: to-dos and search use it)."""
    return f"/contract/{contract.id}"


def today() -> date:
    """Today in the workbench's time zone (contract terms are calendar dates in Beijing)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return datetime.now(zone).date()


@dataclass(frozen=True)
class ContractFilter:
    q: str | None = None
    state: str | None = None
    mine: bool = False  # only those I must act on
    expiring_days: int | None = None
    customer_id: int | None = None


def contract_query(filters: ContractFilter | None = None, actor: User | None = None) -> Select:
    """Contracts visible to whoever is acting, most recently changed first, filtered."""
    filters = filters or ContractFilter()
    query = select(Contract).order_by(Contract.updated_at.desc(), Contract.id.desc())
    if filters.q:
        term = filters.q.strip()
        query = query.where(or_(Contract.title.contains(term, autoescape=True),
                                Contract.code.contains(term, autoescape=True),
                                Contract.party_a.contains(term, autoescape=True)))
    if filters.state == "open":
        query = query.where(Contract.state.in_([s.value for s in OPEN_STATES]))
    elif filters.state in {s.value for s in State}:
        query = query.where(Contract.state == filters.state)
    if filters.mine and actor is not None:
        query = query.where(Contract.handler_id == actor.id, Contract.state.in_([s.value for s in OPEN_STATES]))
    if filters.expiring_days is not None:
        query = expiring_query(filters.expiring_days, base=query)
    if filters.customer_id:
        query = query.where(Contract.customer_id == filters.customer_id)
    return query


def expiring_query(days: int = 90, base: Select | None = None) -> Select:
    """Confirmed contracts whose term ends within `days` (not yet ended), soonest first."""
    start = today()
    base = base if base is not None else select(Contract)
    return base.where(Contract.state == State.CONFIRMED.value, Contract.end_date.is_not(None),
                      Contract.end_date >= start, Contract.end_date <= start + timedelta(days=days)
                      ).order_by(None).order_by(Contract.end_date, Contract.id)


def get_contract(contract_id: int) -> Contract:
    """A contract within the current scope, or NotFound (out of scope looks absent)."""
    contract = db.session.execute(select(Contract).where(Contract.id == contract_id)).unique().scalar_one_or_none()
    if contract is None:
        raise NotFound(_l("Contract not found."))
    return contract


def counts_by_state(actor: User | None = None, only_mine: bool = False) -> dict[str, int]:
    """How many contracts in each state, within the reader's scope (or owned by `actor`)."""
    query = select(Contract.state, func.count(Contract.id)).group_by(Contract.state)
    if only_mine and actor is not None:
        query = query.where(Contract.owner_id == actor.id)
    return {state: count for state, count in db.session.execute(query).all()}


def steps_of(contract: Contract) -> list[ContractStep]:
    return list(db.session.execute(select(ContractStep).where(ContractStep.contract_id == contract.id)
                                   .order_by(ContractStep.at, ContractStep.id)).unique().scalars())


def contracts_of_customer(customer) -> list[Contract]:
    return list(db.session.execute(contract_query(ContractFilter(customer_id=customer.id)).limit(50))
                .unique().scalars())


def days_left(contract: Contract) -> int | None:
    if contract.end_date is None:
        return None
    return (contract.end_date - today()).days


# -- who acts ---------------------------------------------------------------------------------

def _holders(permission: str, unit: OrgUnit | None, exclude: set[int] = frozenset()) -> list[User]:
    """Active people holding `permission` in `unit` or, failing that, the nearest unit above."""
    if unit is None:
        return []
    chain = [unit] + list(reversed(org.ancestors(unit)))
    for level in chain:
        people = db.session.execute(select(User).where(User.org_unit_id == level.id, User.active.is_(True))
                                    .order_by(User.id).options(selectinload(User.roles))).unique().scalars().all()
        found = [person for person in people if person.can(permission) and person.id not in exclude]
        if found:
            return found
    return []


def _next_handler(permission: str, contract: Contract, missing_message) -> User:
    unit = db.session.get(OrgUnit, contract.org_unit_id)
    people = _holders(permission, unit, exclude={contract.owner_id} if contract.owner_id else set())
    if not people:
        raise ServiceError(missing_message)
    return people[0]


def may_edit(actor: User, contract: Contract) -> bool:
    return contract.state in EDITABLE_STATES and actor.id in (contract.owner_id, contract.created_by_id)


def available_actions(actor: User, contract: Contract) -> set[str]:
    """What `actor` may do now (the page shows only these buttons; the services re-check)."""
    actions = set()
    state = State(contract.state)
    owner = actor.id in (contract.owner_id, contract.created_by_id)
    if state in EDITABLE_STATES and owner:
        actions |= {"edit", "upload", "generate", "submit"}
    if state == State.BUSINESS_REVIEW and actor.can(PERM_REVIEW_BUSINESS):
        actions |= {"approve", "return"}
    if state == State.BRANCH_REVIEW and actor.can(PERM_REVIEW_BRANCH):
        actions |= {"approve", "return"}
    if state == State.SIGNING and owner:
        actions.add("upload_signed")
    if state == State.CONSTRUCTION and (owner or actor.id == contract.handler_id):
        actions.add("construction")
    if state == State.CONFIRMATION and actor.can(PERM_CONFIRM):
        actions |= {"confirm", "return"}
    if state in OPEN_STATES and (owner or actor.can(PERM_CONFIRM)):
        actions.add("cancel")
    return actions


# -- creating and editing ---------------------------------------------------------------------

def _new_code() -> str:
    prefix = f"HT{utcnow():%Y%m}-"
    last = db.session.execute(select(func.max(Contract.code)).where(Contract.code.startswith(prefix))
                              .execution_options(skip_scope=True)).scalar()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def create_contract(actor: User, opportunity_id: int) -> Contract:
    """Generate the work order of an opportunity in the contract pre-execution pool.

    Refused unless the actor may create contracts and sees the opportunity (NotFound
    otherwise), the opportunity is in the pre-execution pool, and it has no live order."""
    if not actor.can(PERM_CREATE):
        raise NotAllowed(_l("You may not create contract work orders."))
    opportunity = opportunities.get_opportunity(opportunity_id)
    if opportunity.stage != opportunities.Stage.PRE_EXECUTION.value:
        raise ServiceError(_l("A contract work order can only be generated for an opportunity in the "
                              "contract pre-execution pool."))
    existing = _live_contract_of(opportunity.id)
    if existing is not None:
        raise Conflict(_l("This opportunity already has the contract work order %(code)s.", code=existing.code))
    category = opportunity.category
    contract = Contract(
        title=opportunity.title, opportunity_id=opportunity.id, active_opportunity_id=opportunity.id,
        customer_id=opportunity.customer_id, is_leased_line=bool(category and category.is_leased_line),
        state=State.DRAFT.value, handler_id=opportunity.owner_id or actor.id, created_by_id=actor.id,
        owner_id=opportunity.owner_id or actor.id, org_unit_id=opportunity.org_unit_id,
        party_a=opportunity.customer.name if opportunity.customer else "",
        party_b=current_app.config.get("CONTRACT_PARTY_B", ""),
        amount=opportunity.expected_revenue, products=category.label if category else "",
    )
    for attempt in range(5):
        contract.code = _new_code()
        try:
            with db.session.begin_nested():
                db.session.add(contract)
                db.session.flush()
            break
        except IntegrityError:
            if _live_contract_of(opportunity.id, skip_scope=True) is not None:
                raise Conflict(_l("Someone generated the contract work order for this opportunity at "
                                  "the same time; open it from the opportunity.")) from None
            if attempt == 4:
                raise
    _log(contract, None, State.DRAFT, "create", actor)
    # The opportunity's own "raise the contract" to-do is done: the order exists now.
    inbox.close_todos_for((opportunities.SOURCE, opportunity.id), actor=actor, kind=opportunities.TODO_CONTRACT,
                          note=str(_l("Contract work order %(code)s generated", code=contract.code)))
    _open_step_todo(contract, actor)
    emit("contract.created", actor=actor, **_payload(contract))
    return contract


def _live_contract_of(opportunity_id: int, skip_scope: bool = False) -> Contract | None:
    query = select(Contract).where(Contract.active_opportunity_id == opportunity_id)
    if skip_scope:  # a race check: the other order may be outside the actor's scope
        query = query.execution_options(skip_scope=True)
    return db.session.execute(query).unique().scalar_one_or_none()


def contract_of_opportunity(opportunity_id: int) -> Contract | None:
    """The live (not withdrawn) order of an opportunity, if the reader sees it."""
    return _live_contract_of(opportunity_id)


EDITABLE_FIELDS = ("title", "party_a", "party_b", "amount", "start_date", "end_date", "products",
                   "payment_terms", "notes")


def update_contract(actor: User, contract: Contract, values: dict, version) -> Contract:
    """Save the work order's fields (draft or sent back only), checking the version read."""
    _require_editable(actor, contract)
    contract.check_version(version)
    cleaned = clean_fields(values)
    for name, value in cleaned.items():
        setattr(contract, name, value)
    _flush(contract)
    return contract


def clean_fields(values: dict) -> dict:
    """Check the shape of each field sent (lengths, a positive amount, dates in order)."""
    cleaned: dict = {}
    for name in ("title", "party_a", "party_b"):
        if name in values:
            text = (values[name] or "").strip()
            if len(text) > 200:
                raise ServiceError(_l("At most 200 characters."), field=name)
            cleaned[name] = text
    if "title" in cleaned and not cleaned["title"]:
        raise ServiceError(_l("Give the contract a title."), field="title")
    for name in ("products", "payment_terms", "notes"):
        if name in values:
            text = (values[name] or "").strip()
            if len(text) > TEXT_MAX:
                raise ServiceError(_l("At most %(max)d characters.", max=TEXT_MAX), field=name)
            cleaned[name] = text
    if "amount" in values:
        cleaned["amount"] = parse_amount(values["amount"])
    for name in ("start_date", "end_date"):
        if name in values:
            cleaned[name] = parse_date(values[name], name)
    start = cleaned.get("start_date")
    end = cleaned.get("end_date")
    if start and end and end <= start:
        raise ServiceError(_l("The term must end after it starts."), field="end_date")
    return cleaned


def parse_amount(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ServiceError(_l("Enter the amount as a number, e.g. 120000.00."), field="amount") from None
    if not amount.is_finite():
        raise ServiceError(_l("Enter the amount as a number, e.g. 120000.00."), field="amount")
    if amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), field="amount")
    if amount > MAX_AMOUNT:
        raise ServiceError(_l("The amount is too large."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_l("The amount can have at most two decimals."), field="amount")
    return amount.quantize(Decimal("0.01"))


def parse_date(value, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field=field) from None


def _require_editable(actor: User, contract: Contract) -> None:
    if contract.state not in EDITABLE_STATES:
        raise ServiceError(_l("The contract can only be changed while it is a draft or sent back "
                              "(it is now: %(state)s).", state=STATE_LABELS[State(contract.state)]))
    if actor.id not in (contract.owner_id, contract.created_by_id):
        raise NotAllowed(_l("Only the account manager of this contract can change it."))


def attach_contract_file(actor: User, contract: Contract, file_storage) -> Contract:
    """Upload the contract text (PDF, Word .docx or a photo) to a draft or sent-back order."""
    _require_editable(actor, contract)
    stored = files.store_upload(file_storage, kinds=CONTRACT_FILE_KINDS, owner=actor)
    contract.contract_file_id = stored.id
    contract.template_id = None
    _flush(contract)
    emit("contract.file_attached", actor=actor, file_id=stored.id, **_payload(contract))
    return contract


# -- the flow ---------------------------------------------------------------------------------

def _flush(contract: Contract) -> None:
    """Write the change; a concurrent writer who got there first makes the version check fail."""
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Someone else acted on this contract at the same time. Reload the page to "
                          "see where it stands.")) from None


def _move(contract: Contract, actor: User, expected: tuple[State, ...], to: State, action: str,
          handler: User | None, note: str = "") -> None:
    """The one way a contract changes state: checked against the state the actor saw,
    written with the version the actor read (atomic), logged, its to-dos moved on."""
    from_state = State(contract.state)
    if from_state not in expected:
        raise ServiceError(_l("This cannot be done now: the contract is %(state)s.",
                              state=STATE_LABELS[from_state]))
    now = utcnow()
    contract.state = to.value
    contract.handler_id = handler.id if handler else None
    contract.state_entered_at = now
    _flush(contract)
    inbox.close_todos_for((SOURCE, contract.id), actor=actor,
                          note=str(_l("Contract moved on: %(state)s", state=STATE_LABELS[to])))
    _log(contract, from_state, to, action, actor, note)
    _open_step_todo(contract, actor, note=note)


def _log(contract: Contract, from_state: State | None, to: State, action: str, actor: User | None,
         note: str = "") -> None:
    db.session.add(ContractStep(contract_id=contract.id, from_state=from_state.value if from_state else None,
                                to_state=to.value, action=action, actor_id=getattr(actor, "id", None),
                                handler_id=contract.handler_id, note=note or ""))


def _open_step_todo(contract: Contract, actor: User | None, note: str = "") -> None:
    state = State(contract.state)
    kind_titles = {
        State.DRAFT: (TODO_FILL, _l("Fill in and submit contract %(code)s")),
        State.RETURNED: (TODO_FILL, _l("Contract %(code)s was sent back: correct and resubmit")),
        State.BUSINESS_REVIEW: (TODO_REVIEW, _l("Review contract %(code)s (business)")),
        State.BRANCH_REVIEW: (TODO_REVIEW, _l("Review contract %(code)s (branch)")),
        State.SIGNING: (TODO_SIGNED, _l("Upload the signed copy of contract %(code)s")),
        State.CONSTRUCTION: (TODO_CONSTRUCTION, _l("Record survey and construction of contract %(code)s")),
        State.CONFIRMATION: (TODO_CONFIRM, _l("Confirm contract %(code)s")),
    }
    if state not in kind_titles or contract.handler_id is None:
        return
    kind, title = kind_titles[state]
    handler = db.session.get(User, contract.handler_id)
    if handler is None or not handler.active:
        return
    with force_locale(recipient_locale(handler)):  # stored text: in the assignee's language
        text = f"{title % {'code': contract.code}} · {contract.title}"
    inbox.open_todo(kind=kind, title=text, assignee=handler, created_by=actor,
                    due_at=utcnow() + timedelta(days=STEP_DAYS.get(state, 3)), link=contract_link(contract),
                    customer=contract.customer_id, source=(SOURCE, contract.id), description=note or "",
                    priority=2 if state == State.RETURNED else 1)


def _payload(contract: Contract) -> dict:
    return {"contract_id": contract.id, "customer_id": contract.customer_id,
            "opportunity_id": contract.opportunity_id, "org_unit_id": contract.org_unit_id,
            "owner_id": contract.owner_id, "code": contract.code}


def missing_for_submit(contract: Contract) -> dict[str, object]:
    """The fields a submission still lacks, each with the message shown beside it."""
    missing: dict[str, object] = {}
    if not contract.party_a:
        missing["party_a"] = _l("Name the customer party.")
    if not contract.party_b:
        missing["party_b"] = _l("Name our contracting company.")
    if contract.amount is None:
        missing["amount"] = _l("Enter the contract amount.")
    if contract.start_date is None:
        missing["start_date"] = _l("Enter the date the term starts.")
    if contract.end_date is None:
        missing["end_date"] = _l("Enter the date the term ends.")
    if not contract.products:
        missing["products"] = _l("List the products and services.")
    if not contract.payment_terms:
        missing["payment_terms"] = _l("Describe the payment terms.")
    if contract.contract_file_id is None:
        missing["file"] = _l("Upload the contract file or generate it from a template.")
    return missing


def submit(actor: User, contract: Contract, version=None) -> Contract:
    """The account manager sends the filled-in order to the business supervisor."""
    if version is not None:
        contract.check_version(version)
    _require_editable(actor, contract)
    missing = missing_for_submit(contract)
    if missing:
        field, message = next(iter(missing.items()))
        raise ServiceError(message, field=field)
    handler = _next_handler(PERM_REVIEW_BUSINESS, contract,
                            _l("Nobody in your unit or above can review contracts (business); ask an "
                               "administrator to grant that right."))
    contract.submitted_at = utcnow()
    contract.return_reason = ""
    contract.business_approved_by_id = None
    _move(contract, actor, EDITABLE_STATES, State.BUSINESS_REVIEW, "submit", handler)
    emit("contract.submitted", actor=actor, handler_id=handler.id, **_payload(contract))
    return contract


def approve(actor: User, contract: Contract, note: str = "", version=None) -> Contract:
    """A reviewer approves: business review → branch review → awaiting the signed copy."""
    if version is not None:
        contract.check_version(version)
    state = State(contract.state)
    if state == State.BUSINESS_REVIEW:
        if not actor.can(PERM_REVIEW_BUSINESS):
            raise NotAllowed(_l("You may not review contracts for the business."))
        handler = _next_handler(PERM_REVIEW_BRANCH, contract,
                                _l("Nobody in the branch can review contracts; ask an administrator "
                                   "to grant that right."))
        contract.business_approved_by_id = actor.id
        _move(contract, actor, (State.BUSINESS_REVIEW,), State.BRANCH_REVIEW, "approve_business", handler,
              note=(note or "").strip())
    elif state == State.BRANCH_REVIEW:
        if not actor.can(PERM_REVIEW_BRANCH):
            raise NotAllowed(_l("You may not review contracts for the branch."))
        if actor.id == contract.business_approved_by_id:
            raise NotAllowed(_l("You approved the business review; the branch review needs someone else."))
        owner = db.session.get(User, contract.owner_id)
        _move(contract, actor, (State.BRANCH_REVIEW,), State.SIGNING, "approve_branch", owner,
              note=(note or "").strip())
    else:
        raise ServiceError(_l("This cannot be done now: the contract is %(state)s.",
                              state=STATE_LABELS[state]))
    emit("contract.approved", actor=actor, step=state.value, **_payload(contract))
    return contract


def send_back(actor: User, contract: Contract, reason: str, version=None) -> Contract:
    """A reviewer (or the contract manager at confirmation) sends the order back with a reason.

    From a review it returns to the account manager to correct and resubmit; from
    confirmation it returns to awaiting the signed copy."""
    if version is not None:
        contract.check_version(version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the contract is sent back, so it can be put right."), field="reason")
    if len(reason) > TEXT_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=TEXT_MAX), field="reason")
    state = State(contract.state)
    needed = {State.BUSINESS_REVIEW: PERM_REVIEW_BUSINESS, State.BRANCH_REVIEW: PERM_REVIEW_BRANCH,
              State.CONFIRMATION: PERM_CONFIRM}.get(state)
    if needed is None:
        raise ServiceError(_l("This cannot be done now: the contract is %(state)s.", state=STATE_LABELS[state]))
    if not actor.can(needed):
        raise NotAllowed(_l("You may not send this contract back."))
    owner = db.session.get(User, contract.owner_id)
    contract.return_reason = reason
    target = State.SIGNING if state == State.CONFIRMATION else State.RETURNED
    _move(contract, actor, (state,), target, "return", owner, note=reason)
    notify(owner, TODO_FILL, _l("Contract %(code)s was sent back: %(reason)s", code=contract.code, reason=reason),
           link=contract_link(contract), actor=actor)
    emit("contract.returned", actor=actor, reason=reason, step=state.value, **_payload(contract))
    return contract


def upload_signed_copy(actor: User, contract: Contract, file_storage) -> Contract:
    """The scanned or photographed signed paper (PDF, JPEG, PNG). Leased lines go on to
    survey and construction; the others to the contract manager's confirmation."""
    if contract.state != State.SIGNING.value:
        raise ServiceError(_l("The signed copy is uploaded after both reviews approved the contract."))
    if actor.id not in (contract.owner_id, contract.created_by_id):
        raise NotAllowed(_l("Only the account manager of this contract uploads the signed copy."))
    stored = files.store_upload(file_storage, kinds=SIGNED_FILE_KINDS, owner=actor)
    contract.signed_file_id = stored.id
    if contract.is_leased_line:
        handler = db.session.get(User, contract.owner_id)
        _move(contract, actor, (State.SIGNING,), State.CONSTRUCTION, "upload_signed", handler)
    else:
        handler = _next_handler(PERM_CONFIRM, contract,
                                _l("Nobody can confirm contracts for your unit; ask an administrator "
                                   "to grant that right."))
        _move(contract, actor, (State.SIGNING,), State.CONFIRMATION, "upload_signed", handler)
    emit("contract.signed_copy_uploaded", actor=actor, file_id=stored.id, **_payload(contract))
    return contract


CONSTRUCTION_FIELDS = ("bandwidth", "sites", "circuit_ids", "completed_on")


def record_construction(actor: User, contract: Contract, values: dict, version=None) -> Contract:
    """报勘建设 of a leased line: what was delivered. Fills the opportunity's fields back."""
    if version is not None:
        contract.check_version(version)
    if contract.state != State.CONSTRUCTION.value:
        raise ServiceError(_l("Survey and construction is recorded after the signed copy of a leased-line "
                              "contract is uploaded."))
    if actor.id not in (contract.owner_id, contract.created_by_id, contract.handler_id):
        raise NotAllowed(_l("Only the account manager of this contract records its construction."))
    result = clean_construction(values)
    contract.construction = result
    handler = _next_handler(PERM_CONFIRM, contract,
                            _l("Nobody can confirm contracts for your unit; ask an administrator to "
                               "grant that right."))
    _move(contract, actor, (State.CONSTRUCTION,), State.CONFIRMATION, "construction", handler)
    opportunity = opportunities.get_opportunity(contract.opportunity_id)
    opportunities.fill_from_survey(opportunity, actor=actor, fields={
        "bandwidth": result["bandwidth"], "sites": result["sites"],
        "circuit_ids": "\n".join(result["circuit_ids"]), "completed_on": result["completed_on"],
        "contract_code": contract.code,
    })
    emit("contract.construction_completed", actor=actor, **_payload(contract), **result)
    return contract


def clean_construction(values: dict) -> dict:
    bandwidth = str(values.get("bandwidth") or "").strip()
    try:
        bandwidth_value = Decimal(bandwidth)
        if not bandwidth_value.is_finite() or bandwidth_value <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise ServiceError(_l("Enter the delivered bandwidth in Mbps, a number above zero."),
                           field="bandwidth") from None
    sites_text = str(values.get("sites") or "").strip()
    if not sites_text.isdigit() or int(sites_text) < 1:
        raise ServiceError(_l("Enter the number of sites connected (1 or more)."), field="sites")
    circuits = [part.strip() for part in re.split(r"[\s,，;；]+", str(values.get("circuit_ids") or ""))
                if part.strip()]
    if not circuits:
        raise ServiceError(_l("Enter the circuit ids, one per line."), field="circuit_ids")
    if any(len(part) > 64 for part in circuits):
        raise ServiceError(_l("A circuit id has at most 64 characters."), field="circuit_ids")
    completed = parse_date(values.get("completed_on"), "completed_on")
    if completed is None:
        raise ServiceError(_l("Enter the date construction was completed."), field="completed_on")
    if completed > today():
        raise ServiceError(_l("The completion date cannot be in the future."), field="completed_on")
    number = float(bandwidth_value)
    return {"bandwidth": int(number) if number.is_integer() else number, "sites": int(sites_text),
            "circuit_ids": circuits, "completed_on": completed.isoformat()}


def confirm(actor: User, contract: Contract, version=None) -> Contract:
    """The contract manager confirms: the order closes and the opportunity is marked signed."""
    if version is not None:
        contract.check_version(version)
    if not actor.can(PERM_CONFIRM):
        raise NotAllowed(_l("Only a contract manager confirms contracts."))
    if contract.state != State.CONFIRMATION.value:
        raise ServiceError(_l("This cannot be done now: the contract is %(state)s.",
                              state=STATE_LABELS[State(contract.state)]))
    if contract.signed_file_id is None:
        raise ServiceError(_l("The signed copy is missing."))
    contract.confirmed_at = utcnow()
    _move(contract, actor, (State.CONFIRMATION,), State.CONFIRMED, "confirm", None)
    opportunity = opportunities.get_opportunity(contract.opportunity_id)
    opportunities.mark_signed(opportunity, actor=actor, contract_id=contract.id, signed_revenue=contract.amount)
    owner = db.session.get(User, contract.owner_id)
    if owner is not None and owner.id != actor.id:
        notify(owner, "notice", _l("Contract %(code)s is confirmed.", code=contract.code),
               link=contract_link(contract), actor=actor)
    emit("contract.confirmed", actor=actor, amount=str(contract.amount) if contract.amount is not None else None,
         start_date=contract.start_date.isoformat() if contract.start_date else None,
         end_date=contract.end_date.isoformat() if contract.end_date else None, **_payload(contract))
    return contract


def cancel(actor: User, contract: Contract, reason: str, version=None) -> Contract:
    """Withdraw an open order (kept, never deleted); the opportunity may get a new one."""
    if version is not None:
        contract.check_version(version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the contract work order is withdrawn."), field="reason")
    state = State(contract.state)
    if state not in OPEN_STATES:
        raise ServiceError(_l("This cannot be done now: the contract is %(state)s.", state=STATE_LABELS[state]))
    if actor.id not in (contract.owner_id, contract.created_by_id) and not actor.can(PERM_CONFIRM):
        raise NotAllowed(_l("Only the account manager or a contract manager can withdraw this contract."))
    contract.cancel_reason = reason
    contract.active_opportunity_id = None
    _move(contract, actor, OPEN_STATES, State.CANCELLED, "cancel", None, note=reason)
    emit("contract.cancelled", actor=actor, reason=reason, **_payload(contract))
    return contract


# -- expiry -----------------------------------------------------------------------------------

@dataclass
class ExpiryScan:
    expiring: int = 0
    expired: int = 0


def scan_expiry(on: date | None = None) -> ExpiryScan:
    """Raise "contract.expiring" once per contract and threshold (90/30/7 days; a contract that
    passes several at once gets only the nearest) and "contract.expired" once. Runs in the
    system scope; the unique notice row makes a repeated or concurrent run harmless."""
    on = on or today()
    result = ExpiryScan()
    horizon = on + timedelta(days=max(EXPIRY_THRESHOLDS))
    contracts = db.session.execute(
        select(Contract).where(Contract.state == State.CONFIRMED.value, Contract.end_date.is_not(None),
                               Contract.end_date <= horizon).order_by(Contract.id)).unique().scalars().all()
    for contract in contracts:
        left = (contract.end_date - on).days
        if left < 0:
            if _raise_notice(contract, "expired"):
                result.expired += 1
                _tell_owner(contract, _l("Contract %(code)s with %(customer)s has expired.",
                                         code=contract.code, customer=contract.party_a))
                emit("contract.expired", **_payload(contract), end_date=contract.end_date.isoformat())
            continue
        passed = [threshold for threshold in EXPIRY_THRESHOLDS if left <= threshold]
        if not passed:
            continue
        new = [threshold for threshold in sorted(passed, reverse=True) if _raise_notice(contract, str(threshold))]
        if min(passed) in new:
            result.expiring += 1
            _tell_owner(contract, _l("Contract %(code)s with %(customer)s expires in %(days)d days (%(date)s).",
                                     code=contract.code, customer=contract.party_a, days=left,
                                     date=contract.end_date.isoformat()))
            emit("contract.expiring", **_payload(contract), end_date=contract.end_date.isoformat(),
                 days_left=left, threshold=min(passed))
    return result


def _raise_notice(contract: Contract, threshold: str) -> bool:
    """Record the notice; False when it was raised before (by this or a concurrent scan)."""
    exists = db.session.execute(select(ExpiryNotice.id).where(
        ExpiryNotice.contract_id == contract.id, ExpiryNotice.threshold == threshold,
        ExpiryNotice.end_date == contract.end_date)).first()
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ExpiryNotice(contract_id=contract.id, threshold=threshold, end_date=contract.end_date))
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _tell_owner(contract: Contract, message) -> None:
    owner = db.session.get(User, contract.owner_id) if contract.owner_id else None
    if owner is not None and owner.active:
        notify(owner, "notice", message, link=contract_link(contract))


# -- the standard template library ------------------------------------------------------------

def templates(active_only: bool = True, leased_line: bool | None = None) -> list[ContractTemplate]:
    query = select(ContractTemplate).order_by(ContractTemplate.active.desc(), ContractTemplate.name)
    if active_only:
        query = query.where(ContractTemplate.active.is_(True))
    if leased_line is not None:
        query = query.where(ContractTemplate.leased_line.is_(leased_line))
    return list(db.session.execute(query).unique().scalars())


def templates_for(contract: Contract) -> list[ContractTemplate]:
    """Active templates, those made for the contract's kind (leased line or not) first."""
    found = templates()
    return sorted(found, key=lambda template: (template.leased_line != contract.is_leased_line, template.name))


def get_template(template_id) -> ContractTemplate:
    try:
        template = db.session.get(ContractTemplate, int(template_id))
    except (TypeError, ValueError):
        template = None
    if template is None:
        raise NotFound(_l("Template not found."))
    return template


def _require_template_admin(actor: User) -> None:
    if not actor.can(PERM_TEMPLATES):
        raise NotAllowed(_l("You may not manage contract templates."))


def create_template(actor: User, *, name: str, description: str = "", leased_line: bool = False,
                    file_storage=None, data: bytes | None = None, filename: str | None = None) -> ContractTemplate:
    """Add a .docx template after checking it renders with sample data and uses only known
    fields (an uploaded file, or `data` for the shipped standard templates)."""
    from plugins.contract import documents

    _require_template_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Give the template a name."), field="name")
    if len(name) > 200:
        raise ServiceError(_l("At most 200 characters."), field="name")
    if file_storage is not None:
        stored = files.store_upload(file_storage, kinds=("docx",), owner=actor)
    elif data is not None:
        stored = files.store_bytes(data, filename or f"{name}.docx", "docx", owner=actor)
    else:
        raise ServiceError(_l("Choose the template's .docx file."), field="file")
    try:
        used = documents.validate(files.read_stored(stored))
    except documents.TemplateProblem as problem:
        raise ServiceError(problem.message, field="file") from None
    template = ContractTemplate(name=name, description=(description or "").strip()[:2000],
                                leased_line=bool(leased_line), file_id=stored.id, fields_used=used,
                                active=True, created_by_id=actor.id)
    db.session.add(template)
    db.session.flush()
    emit("contract.template_added", actor=actor, template_id=template.id)
    return template


def set_template_active(actor: User, template: ContractTemplate, active: bool, version=None) -> ContractTemplate:
    """Archive a template (no longer offered; drafts made from it keep their file) or restore it."""
    _require_template_admin(actor)
    if version is not None:
        template.check_version(version)
    template.active = bool(active)
    _flush(template)
    return template


def install_standard_templates(actor: User) -> list[ContractTemplate]:
    """Add the shipped standard templates that the library does not hold yet (by name)."""
    from plugins.contract import documents

    _require_template_admin(actor)
    existing = {template.name for template in templates(active_only=False)}
    added = []
    for name, description, leased_line, build in documents.STANDARD_TEMPLATES:
        if name in existing:
            continue
        added.append(create_template(actor, name=name, description=description, leased_line=leased_line,
                                     data=build(), filename=f"{name}.docx"))
    return added


def generate_draft(actor: User, contract: Contract, template: ContractTemplate) -> Contract:
    """Merge the contract, its customer and opportunity into the template and attach the
    result as the contract's file (download it from the contract page)."""
    from plugins.contract import documents

    _require_editable(actor, contract)
    if not template.active:
        raise ServiceError(_l("This template is archived; choose another."), field="template_id")
    try:
        data, unknown = documents.render(files.read_stored(template.file), documents.contract_context(
            contract, today().isoformat()))
    except documents.TemplateProblem as problem:
        raise ServiceError(problem.message, field="template_id") from None
    stored = files.store_bytes(data, f"{contract.code} {template.name}.docx", "docx", owner=actor)
    contract.contract_file_id = stored.id
    contract.template_id = template.id
    _flush(contract)
    emit("contract.draft_generated", actor=actor, template_id=template.id, file_id=stored.id, **_payload(contract))
    return contract
