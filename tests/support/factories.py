"""Factories for tests: units, users with roles, customers and to-dos, plus a small world.

All factories run under system scope and flush; tests commit when they need a request to
see the data.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from workbench.auth import services as accounts
from workbench.auth.models import Role, User
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope
from workbench.records import utcnow

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def roles() -> dict[str, Role]:
    with system_scope():
        return accounts.ensure_builtin_roles()


def make_unit(code: str | None = None, level: str = "county", parent: OrgUnit | None = None,
              name: str | None = None) -> OrgUnit:
    n = next(_sequence)
    with system_scope():
        return org.create_unit(code=code or f"U{n}", name=name or f"Unit {n}", level=level, parent=parent)


def make_user(role: str | list[str] = "account_manager", unit: OrgUnit | None = None,
              username: str | None = None, password: str = PASSWORD, **extra) -> User:
    names = [role] if isinstance(role, str) else list(role)
    available = roles()
    with system_scope():
        return accounts.create_user(
            username=username or f"user{next(_sequence)}", password=password,
            display_name=extra.pop("display_name", ""), unit=unit,
            roles=[available[name] for name in names], **extra,
        )


def make_customer(owner: User, name: str | None = None, code: str | None = None, **values) -> Customer:
    n = next(_sequence)
    with system_scope():
        customer = Customer(code=code or f"C{n:06d}", name=name or f"客户{n}", owner_id=owner.id,
                            org_unit_id=values.pop("org_unit_id", owner.org_unit_id), **values)
        db.session.add(customer)
        db.session.flush()
        return customer


def make_todo(assignee: User | None = None, title: str | None = None, kind: str = "task",
              due_in: timedelta | None = timedelta(days=1), **kwargs):
    with system_scope():
        return inbox.open_todo(kind=kind, title=title or f"To-do {next(_sequence)}", assignee=assignee,
                               due_at=(utcnow() + due_in) if due_in is not None else None, **kwargs)


@dataclass
class World:
    """province ─ city ─ county X1 (grids G1, G2) and county X2, with people in each."""

    province: OrgUnit
    city: OrgUnit
    county: OrgUnit
    grid1: OrgUnit
    grid2: OrgUnit
    other_county: OrgUnit
    admin: User
    lead: User
    am1: User
    am2: User
    outsider: User  # an AM of the other county
    customers: dict = field(default_factory=dict)


def build_world() -> World:
    province = make_unit("P", "province")
    city = make_unit("C1", "city", province)
    county = make_unit("X1", "county", city)
    grid1 = make_unit("G1", "grid", county)
    grid2 = make_unit("G2", "grid", county)
    other = make_unit("X2", "county", city)
    world = World(
        province=province, city=city, county=county, grid1=grid1, grid2=grid2, other_county=other,
        admin=make_user(["province_admin", "system_admin"], province, "admin"),
        lead=make_user("lead", county, "lead"),
        am1=make_user("account_manager", grid1, "am1"),
        am2=make_user("account_manager", grid2, "am2"),
        outsider=make_user("account_manager", other, "am3"),
    )
    for user in (world.am1, world.am2, world.outsider):
        world.customers[user.username] = make_customer(user, name=f"{user.username}的客户")
    db.session.commit()
    return world
