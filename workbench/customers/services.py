"""Rules for group customers: finding them within scope, editing with conflict detection,
contacts, and the whole-group view of linked groups."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from workbench.auth.models import User
from workbench.customers.models import CUSTOMER_LEVELS, LINK_TYPES, Customer, CustomerContact, CustomerLink, CustomerMember
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.org.models import OrgUnit

EDITABLE_FIELDS = ("name", "industry", "level", "address", "notes")


@dataclass
class CustomerFilter:
    q: str | None = None
    industry: str | None = None
    level: str | None = None
    owner_id: int | None = None
    unit_id: int | None = None
    include_archived: bool = False


def customer_query(filters: CustomerFilter | None = None):
    """SELECT of customers visible to the current scope (the scope rule adds the rest)."""
    filters = filters or CustomerFilter()
    query = select(Customer)
    if not filters.include_archived:
        query = query.where(Customer.archived.is_(False))
    if filters.q:
        term = filters.q.strip()
        query = query.where(or_(Customer.name.contains(term, autoescape=True),
                                Customer.code.contains(term, autoescape=True)))
    if filters.industry:
        query = query.where(Customer.industry == filters.industry)
    if filters.level:
        query = query.where(Customer.level == filters.level)
    if filters.owner_id:
        query = query.where(Customer.owner_id == filters.owner_id)
    if filters.unit_id:
        unit = db.session.get(OrgUnit, filters.unit_id)
        if unit is not None:
            query = query.where(Customer.org_unit_id.in_(
                select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))))
    return query.order_by(Customer.level, Customer.name, Customer.id)


def get_customer(customer_id: int) -> Customer:
    """A customer in scope, or NotFound — out-of-scope customers look absent."""
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).scalar_one_or_none()
    if customer is None:
        raise NotFound(_l("Customer not found."))
    return customer


def industries() -> list[str]:
    rows = db.session.execute(
        select(Customer.industry).where(Customer.industry != "").distinct().order_by(Customer.industry)
    ).scalars().all()
    return list(rows)


def _validate(values: dict) -> dict:
    cleaned = {}
    for name in EDITABLE_FIELDS:
        if name in values:
            cleaned[name] = (values[name] or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        raise ServiceError(_l("The customer name is required."), field="name")
    if "level" in cleaned and cleaned["level"] not in CUSTOMER_LEVELS:
        raise ServiceError(_l("Level must be one of A, B, C, D."), field="level")
    for name, limit in (("name", 200), ("industry", 100), ("address", 300)):
        if len(cleaned.get(name, "")) > limit:
            raise ServiceError(_l("Too long (at most %(n)d characters).", n=limit), field=name)
    return cleaned


def create_customer(actor: User, *, code: str, owner: User | None = None, unit: OrgUnit | None = None,
                    **values) -> Customer:
    """A new group customer, owned by `owner` (default: the actor) in the owner's unit."""
    if not actor.can("customers.create"):
        raise NotAllowed(_l("You may not create customers."))
    code = (code or "").strip()
    if not code:
        raise ServiceError(_l("The customer code is required."), field="code")
    exists = db.session.execute(
        select(Customer.id).where(Customer.code == code).execution_options(skip_scope=True)
    ).first()
    if exists:
        raise ServiceError(_l("A customer with code %(code)s already exists.", code=code), field="code")
    owner = owner or actor
    cleaned = _validate({"level": "C", **values})
    if "name" not in cleaned:
        raise ServiceError(_l("The customer name is required."), field="name")
    customer = Customer(code=code, owner_id=owner.id,
                        org_unit_id=(unit.id if unit else owner.org_unit_id), **cleaned)
    db.session.add(customer)
    db.session.flush()
    emit("customer.created", actor=actor, customer_id=customer.id)
    return customer


def update_customer(actor: User, customer: Customer, values: dict, version) -> Customer:
    """Edit fields of a customer in scope; a stale `version` raises EditConflict, and owner or
    unit cannot be changed here (that is a hand-over, done by a lead)."""
    if not actor.can("customers.edit"):
        raise NotAllowed(_l("You may not edit customers."))
    forbidden = {"owner_id", "org_unit_id", "code", "id"} & set(values)
    if forbidden:
        raise NotAllowed(_l("Owner, unit and code cannot be changed here."))
    customer.check_version(version)
    cleaned = _validate(values)
    for name, value in cleaned.items():
        setattr(customer, name, value)
    emit("customer.updated", actor=actor, customer_id=customer.id, fields=sorted(cleaned))
    return customer


def add_contact(actor: User, customer: Customer, *, name: str, title: str = "", phone: str = "",
                email: str = "", is_key: bool = False) -> CustomerContact:
    if not actor.can("customers.edit"):
        raise NotAllowed(_l("You may not edit customers."))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("The contact's name is required."), field="name")
    phone = (phone or "").strip()
    if phone and not phone.replace("-", "").replace(" ", "").lstrip("+").isdigit():
        raise ServiceError(_l("The phone number may contain only digits, spaces, + and -."), field="phone")
    contact = CustomerContact(customer_id=customer.id, name=name, title=(title or "").strip(),
                              phone=phone, email=(email or "").strip(), is_key=bool(is_key))
    db.session.add(contact)
    return contact


def members_page(customer: Customer, page: int = 1, per_page: int = 20):
    query = (
        select(CustomerMember)
        .where(CustomerMember.customer_id == customer.id)
        .order_by(CustomerMember.active.desc(), CustomerMember.number)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def member_count(customer_ids: list[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    rows = db.session.execute(
        select(CustomerMember.customer_id, func.count())
        .where(CustomerMember.customer_id.in_(customer_ids), CustomerMember.active.is_(True))
        .group_by(CustomerMember.customer_id)
    ).all()
    return {customer_id: count for customer_id, count in rows}


@dataclass
class GroupView:
    """A customer with its linked groups: parents (HQ / natural group) and children."""

    customer: Customer
    parents: list[CustomerLink]
    children: list[CustomerLink]

    @property
    def whole_group(self) -> list[Customer]:
        root = [link.parent for link in self.parents if link.link_type == "headquarters"]
        members = [self.customer] + [link.child for link in self.children]
        return root + members


def group_view(customer: Customer) -> GroupView:
    """Linked groups visible to the current scope (a branch AM need not see the HQ)."""
    visible_ids = select(Customer.id)
    parents = db.session.execute(
        select(CustomerLink).where(CustomerLink.child_id == customer.id,
                                   CustomerLink.parent_id.in_(visible_ids))
    ).scalars().all()
    children = db.session.execute(
        select(CustomerLink).where(CustomerLink.parent_id == customer.id,
                                   CustomerLink.child_id.in_(visible_ids))
        .order_by(CustomerLink.child_id)
    ).scalars().all()
    return GroupView(customer, list(parents), list(children))


def link_customers(actor: User, parent: Customer, child: Customer, link_type: str) -> CustomerLink:
    """Link a branch or billing group under a headquarters or natural group."""
    if not actor.can("customers.create"):
        raise NotAllowed(_l("You may not link customer groups."))
    if link_type not in LINK_TYPES:
        raise ServiceError(_l("Unknown link type."), field="link_type")
    if parent.id == child.id:
        raise ServiceError(_l("A group cannot be linked to itself."))
    existing = db.session.execute(
        select(CustomerLink).where(CustomerLink.parent_id == child.id, CustomerLink.child_id == parent.id)
    ).scalar_one_or_none()
    if existing:
        raise ServiceError(_l("These groups are already linked the other way round."))
    link = db.session.execute(
        select(CustomerLink).where(CustomerLink.parent_id == parent.id, CustomerLink.child_id == child.id)
    ).scalar_one_or_none()
    if link is None:
        link = CustomerLink(parent_id=parent.id, child_id=child.id, link_type=link_type)
        db.session.add(link)
    link.link_type = link_type
    return link


def link_by_code(actor: User, parent: Customer, child_code: str, link_type: str) -> CustomerLink:
    """Link the group with `child_code` under `parent`; the child must be visible to the actor,
    so a code from another county is answered as if it did not exist."""
    code = (child_code or "").strip()
    child = db.session.execute(
        customer_query(CustomerFilter(include_archived=True)).where(Customer.code == code)
    ).scalar_one_or_none()
    if child is None:
        raise ServiceError(_l("No customer with code %(code)s is visible to you.", code=code),
                           field="child_code")
    return link_customers(actor, parent, child, link_type)
