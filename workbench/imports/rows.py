"""Checking and saving one row of each core kind of import: customers, their contacts and
member numbers, org units, users.

Each importer splits the work in two so that an unchanged row writes nothing:
``plan(row)`` validates the row against the database and the importer's scope without
writing, and returns what would change; ``write(row, plan)`` applies it (the caller wraps it
in a SAVEPOINT). A problem with a row raises RowProblem naming the column and the reason.
The framework has already checked each cell against its column (required, length, type)
before ``plan`` is called, so ``plan`` deals with what needs the database.

Scope: an importer creates or changes only records their own data scope reaches, the same
rule as for reading them:
- ``all``: everything;
- ``unit`` (leads, managers): records of their unit and below, owned by people of those
  units (units under their unit; people of those units);
- ``own`` (account managers): records they own, in their own unit; a new customer without an
  account manager becomes theirs, and they cannot hand one to someone else.
A row reaching further is refused on its own, with the reason; the other rows go ahead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select

from workbench.auth import services as accounts
from workbench.auth.models import Role, User
from workbench.auth.roles import BUILTIN_ROLES
from workbench.customers.models import CUSTOMER_LEVELS, Customer, CustomerContact, CustomerMember
from workbench.extensions import db
from workbench.org import services as org
from workbench.org.models import OrgUnit, UnitLevel
from workbench.org.scope import SCOPE_LEVELS, Scope

LOOKUP_CHUNK = 500
UNIT_LEVELS = [level.value for level in UnitLevel]
UNIT_LEVEL_NAMES = {
    "province": "province", "省": "province", "省公司": "province", "省级": "province",
    "city": "city", "市": "city", "地市": "city", "市公司": "city", "市级": "city",
    "county": "county", "district": "county", "县": "county", "区": "county", "县区": "county",
    "区县": "county", "县/区": "county", "县公司": "county", "县区公司": "county",
    "grid": "grid", "网格": "grid",
}
ROLE_SEPARATORS = re.compile(r"[,，、;；|]+")
USERNAME_PATTERN = re.compile(r"^[\w.@\-]+$")


class RowProblem(Exception):
    """This row cannot be saved: `column` is a column key (None for the whole row)."""

    def __init__(self, column: str | None, reason):
        super().__init__(str(reason))
        self.column = column
        self.reason = reason


@dataclass
class Row:
    """One data row: its spreadsheet number, the mapped values (checked and normalised per
    column) and the cells as the file had them (for the error report)."""

    number: int
    values: dict[str, str]
    cells: list[str] = field(default_factory=list)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class Plan:
    """What saving a row would do: create (record None) or change `changes` on `record`."""

    record: object | None
    changes: dict = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return self.record is not None and not self.changes


def unit_level(text: str) -> str | None:
    return UNIT_LEVEL_NAMES.get((text or "").strip().lower())


def _expired(record) -> bool:
    """True once a commit (the run's checkpoint) has expired the record: reading any of its
    attributes would then cost a query of its own, so cached lookups are loaded again in one."""
    # A commit empties the instance's dict; a query loading it fills the columns again (its
    # lazy relationships stay unloaded, so expired_attributes is not the test).
    return "id" not in inspect(record).dict


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class RowImporter:
    """Shared lookups and checks; subclasses add the kind's rules. Plugins subclass it too."""

    # Rows written together in one SAVEPOINT (replayed one by one if any fails). 1 where a
    # row's checks depend on the rows saved before it (a unit's parent).
    batch_size: int = 1

    def __init__(self, actor: User | None, scope: Scope, kind=None):
        self.actor = actor
        self.scope = scope
        self.kind = kind
        self.key_columns: tuple[str, ...] = kind.key_columns if kind is not None else ("code",)
        self._units: dict[str, OrgUnit] | None = None
        self.users: dict[str, User] = {}
        self._looked_up_users: set[str] = set()

    @property
    def key_column(self) -> str:
        return self.key_columns[0]

    @property
    def units(self) -> dict[str, OrgUnit]:
        """Every org unit by code, loaded on first use (the tree is small next to a file), and
        again in one query after a checkpoint expired them (they all expire together)."""
        if self._units is None or (self._units and _expired(next(iter(self._units.values())))):
            self._units = {unit.code: unit for unit in db.session.execute(select(OrgUnit)).scalars()}
        return self._units

    # -- the hooks the import service calls -------------------------------------------------
    def natural_key(self, row: Row) -> str:
        """The row's key (empty when a key cell is empty): rows repeating it are reported."""
        parts = [row.get(key) for key in self.key_columns]
        return "\x1f".join(parts) if all(parts) else ""

    def order(self, rows: list[Row]) -> list[Row]:
        """The order rows are saved in; it must depend on the file only (a resumed run
        skips the rows before its checkpoint in this order)."""
        return rows

    def preload(self, rows: list[Row]) -> None:
        """Load the records the rows refer to in a few queries instead of one per row."""

    def release(self, rows: list[Row]) -> None:
        """Forget per-chunk records so a 100,000-row file does not pile up in the session."""

    def plan(self, row: Row) -> Plan:
        raise NotImplementedError

    def write(self, row: Row, plan: Plan):
        raise NotImplementedError

    def saved(self, row: Row, record) -> None:
        """The row's savepoint was released: remember the record for later rows."""

    def failed(self, row: Row) -> None:
        """The row was not saved (also called, on resuming, for failed rows before the checkpoint)."""

    # -- scope ---------------------------------------------------------------------------------
    def covers(self, unit: OrgUnit | None) -> bool:
        """True when the importer may place records in `unit` (see the module docstring)."""
        if self.scope.sees_everything:
            return True
        if unit is None:
            return False
        if self.scope.level == "unit":
            return bool(self.scope.unit_path) and unit.path.startswith(self.scope.unit_path)
        if self.scope.level == "own":
            return unit.id == self.scope.unit_id
        return False

    def reaches(self, record) -> bool:
        """True when the importer may change this existing scoped record: the data-scope rule."""
        if self.scope.sees_everything:
            return True
        if record.owner_id is not None and record.owner_id == self.scope.user_id:
            return True
        return self.scope.level == "unit" and self.covers(record.org_unit)

    def may_own(self, user: User) -> bool:
        """True when the importer may make `user` the owner of a record."""
        if self.scope.sees_everything:
            return True
        if self.scope.level == "own":
            return user.id == self.scope.user_id
        return self.covers(user.org_unit)

    # -- checks --------------------------------------------------------------------------------
    @staticmethod
    def required(row: Row, key: str, limit: int | None = None) -> str:
        value = row.get(key)
        if not value:
            raise RowProblem(key, _l("This field is required."))
        return RowImporter.limited(key, value, limit)

    @staticmethod
    def optional(row: Row, key: str, limit: int | None = None) -> str:
        return RowImporter.limited(key, row.get(key), limit)

    @staticmethod
    def limited(key: str, value: str, limit: int | None) -> str:
        if limit is not None and len(value) > limit:
            raise RowProblem(key, _l("Too long (at most %(n)d characters).", n=limit))
        return value

    def unit_from(self, row: Row, key: str) -> OrgUnit | None:
        code = row.get(key)
        if not code:
            return None
        unit = self.units.get(code)
        if unit is None:
            raise RowProblem(key, _l("Unknown unit code: %(code)s.", code=code))
        if not unit.active:
            raise RowProblem(key, _l("Unit %(code)s is no longer active.", code=code))
        if not self.covers(unit):
            raise RowProblem(key, _l("Unit %(code)s is outside your scope.", code=code))
        return unit

    def load_users(self, usernames) -> None:
        """Load the named users in a few queries: those not looked up yet, and those a
        checkpoint expired since (else each would be read again alone, with its roles)."""
        names = {name.lower() for name in usernames if name}
        wanted = sorted(name for name in names if name not in self._looked_up_users
                        or (name in self.users and _expired(self.users[name])))
        for chunk in _chunks(wanted):
            for user in db.session.execute(
                select(User).where(func.lower(User.username).in_(chunk))
            ).scalars():
                self.users[user.username.lower()] = user
        self._looked_up_users.update(wanted)


class CustomerRows(RowImporter):
    batch_size = 100

    def __init__(self, actor, scope, kind=None):
        super().__init__(actor, scope, kind)
        self.customers: dict[str, Customer] = {}

    def preload(self, rows):
        codes = sorted({row.get("code") for row in rows} - {""})
        for chunk in _chunks(codes):
            # Codes are unique across the whole province, so an existing code must be found
            # even when it lies outside the importer's scope: it is reported, never changed.
            found = db.session.execute(
                select(Customer).where(Customer.code.in_(chunk)).execution_options(skip_scope=True)
            ).unique().scalars()
            self.customers.update({customer.code: customer for customer in found})
        self.load_users(row.get("owner") for row in rows)

    def release(self, rows):
        for row in rows:
            customer = self.customers.pop(row.get("code"), None)
            if customer is not None and customer in db.session and not db.session.is_modified(customer):
                db.session.expunge(customer)

    def owner_from(self, row: Row) -> User | None:
        username = row.get("owner")
        if not username:
            return None
        owner = self.users.get(username.lower())
        if owner is None:
            raise RowProblem("owner", _l("Unknown account manager username: %(name)s.", name=username))
        if not owner.active:
            raise RowProblem("owner", _l("Account manager %(name)s is not active.", name=username))
        if not self.may_own(owner):
            raise RowProblem("owner", _l("Account manager %(name)s is outside your scope.", name=username))
        return owner

    def plan(self, row):
        code = self.required(row, "code", 64)
        name = self.required(row, "name", 200)
        industry = self.optional(row, "industry", 100)
        address = self.optional(row, "address", 300)
        level = row.get("level").upper().removesuffix("级")
        if level and level not in CUSTOMER_LEVELS:
            raise RowProblem("level", _l("Level must be one of A, B, C, D."))
        existing = self.customers.get(code)
        if existing is not None and not self.reaches(existing):
            raise RowProblem("code", _l("Customer %(code)s belongs to a unit outside your scope.", code=code))
        owner = self.owner_from(row)
        unit = self.unit_from(row, "org_unit")
        if existing is None:
            if owner is None and self.scope.level == "own" and self.actor is not None:
                owner = self.actor  # an account manager's new customer is their own
            if unit is None:
                if owner is None or owner.org_unit is None:
                    raise RowProblem("org_unit", _l("Give the unit code, or an account manager who "
                                                    "belongs to a unit."))
                unit = owner.org_unit
                if not self.covers(unit):
                    raise RowProblem("org_unit", _l("Unit %(code)s is outside your scope.", code=unit.code))
            return Plan(None, {"code": code, "name": name, "industry": industry, "level": level or "C",
                               "address": address, "owner_id": owner.id if owner else None,
                               "org_unit_id": unit.id})
        # An empty optional cell leaves the stored value alone rather than wiping it.
        given = {"name": name, "industry": industry, "level": level, "address": address,
                 "owner_id": owner.id if owner else None, "org_unit_id": unit.id if unit else None}
        changes = {key: value for key, value in given.items()
                   if value and getattr(existing, key) != value}
        return Plan(existing, changes)

    def write(self, row, plan):
        if plan.record is None:
            customer = Customer(**plan.changes)
            db.session.add(customer)
            return customer
        for key, value in plan.changes.items():
            setattr(plan.record, key, value)
        return plan.record

    def saved(self, row, record):
        self.customers[record.code] = record


class _CustomerChildRows(RowImporter):
    """Rows that belong to a customer named by its code: the customer must be in the
    importer's data scope (looked up through the scope rule itself)."""

    batch_size = 100

    def __init__(self, actor, scope, kind=None):
        super().__init__(actor, scope, kind)
        self.customers: dict[str, Customer] = {}

    def preload(self, rows):
        codes = sorted({row.get("customer_code") for row in rows} - {""})
        for chunk in _chunks(codes):
            found = db.session.execute(select(Customer).where(Customer.code.in_(chunk))).unique().scalars()
            self.customers.update({customer.code: customer for customer in found})

    def release(self, rows):
        self.customers.clear()

    def customer_from(self, row: Row) -> Customer:
        code = self.required(row, "customer_code", 64)
        customer = self.customers.get(code)
        if customer is None or customer.archived:
            # Out of scope reads like missing: an import must not confirm what exists elsewhere.
            raise RowProblem("customer_code", _l("No customer with code %(code)s in your scope.", code=code))
        if not self.reaches(customer):
            raise RowProblem("customer_code", _l("No customer with code %(code)s in your scope.", code=code))
        return customer


class ContactRows(_CustomerChildRows):
    """Contacts of a customer, identified by customer code and contact name."""

    def preload(self, rows):
        super().preload(rows)
        ids = [customer.id for customer in self.customers.values()]
        self.contacts: dict[tuple[int, str], CustomerContact] = {}
        for chunk in _chunks(ids):
            for contact in db.session.execute(
                select(CustomerContact).where(CustomerContact.customer_id.in_(chunk))
                .order_by(CustomerContact.id.desc())
            ).scalars():
                # The oldest contact of a name wins when a customer has two of the same name.
                self.contacts[(contact.customer_id, contact.name)] = contact

    def plan(self, row):
        customer = self.customer_from(row)
        name = self.required(row, "name", 100)
        values = {"title": row.get("title"), "phone": row.get("phone"), "email": row.get("email")}
        is_key = row.get("is_key")
        existing = self.contacts.get((customer.id, name))
        if existing is None:
            return Plan(None, {"customer_id": customer.id, "name": name, **values, "is_key": is_key == "true"})
        changes = {key: value for key, value in values.items() if value and getattr(existing, key) != value}
        if is_key and existing.is_key != (is_key == "true"):
            changes["is_key"] = is_key == "true"
        return Plan(existing, changes)

    def write(self, row, plan):
        if plan.record is None:
            contact = CustomerContact(**plan.changes)
            db.session.add(contact)
            return contact
        for key, value in plan.changes.items():
            setattr(plan.record, key, value)
        return plan.record

    def saved(self, row, record):
        self.contacts[(record.customer_id, record.name)] = record


class MemberRows(_CustomerChildRows):
    """Member numbers (成员号码) of a customer, identified by customer code and number."""

    def preload(self, rows):
        super().preload(rows)
        ids = [customer.id for customer in self.customers.values()]
        self.members: dict[tuple[int, str], CustomerMember] = {}
        for chunk in _chunks(ids):
            for member in db.session.execute(
                select(CustomerMember).where(CustomerMember.customer_id.in_(chunk))
            ).scalars():
                self.members[(member.customer_id, member.number)] = member

    def plan(self, row):
        customer = self.customer_from(row)
        number = self.required(row, "number", 32).replace(" ", "").replace("-", "")
        values = {"holder_name": row.get("holder_name"), "product": row.get("product")}
        active = row.get("active")
        existing = self.members.get((customer.id, number))
        if existing is None:
            return Plan(None, {"customer_id": customer.id, "number": number, **values,
                               "active": active != "false"})
        changes = {key: value for key, value in values.items() if value and getattr(existing, key) != value}
        if active and existing.active != (active == "true"):
            changes["active"] = active == "true"
        return Plan(existing, changes)

    def write(self, row, plan):
        if plan.record is None:
            member = CustomerMember(**plan.changes)
            db.session.add(member)
            return member
        for key, value in plan.changes.items():
            setattr(plan.record, key, value)
        return plan.record

    def saved(self, row, record):
        self.members[(record.customer_id, record.number)] = record

    def natural_key(self, row):
        key = super().natural_key(row)
        return key.replace(" ", "").replace("-", "")


class UnitRows(RowImporter):
    def __init__(self, actor, scope, kind=None):
        super().__init__(actor, scope, kind)
        self.failed_rows: dict[str, int] = {}

    def order(self, rows):
        """Parents first: a parent is always of a higher level, so sorting by level (stable,
        keeping the file's order within a level) puts every parent before its children."""
        def rank(row: Row) -> int:
            level = unit_level(row.get("level"))
            return UNIT_LEVELS.index(level) if level else len(UNIT_LEVELS)

        return sorted(rows, key=rank)

    def plan(self, row):
        code = self.required(row, "code", 64)
        name = self.required(row, "name", 200)
        level_text = self.required(row, "level")
        level = unit_level(level_text)
        if level is None:
            raise RowProblem("level", _l("Unknown level %(value)s: use province, city, county or grid "
                                         "(省, 市, 县区, 网格).", value=level_text))
        parent = self.parent_from(row, code)
        existing = self.units.get(code)
        if existing is None:
            if parent is None:
                if level != UnitLevel.PROVINCE.value:
                    raise RowProblem("parent", _l("Give the parent unit code: only a province can be at "
                                                  "the top of the tree."))
                if not self.scope.sees_everything:
                    raise RowProblem("code", _l("Only an administrator of the whole organisation can add "
                                                "a province."))
            else:
                self.check_parent(level, parent)
            return Plan(None, {"code": code, "name": name, "level": level, "parent": parent})
        if not self.covers(existing):
            raise RowProblem("code", _l("Unit %(code)s is outside your scope.", code=code))
        if existing.level != level:
            raise RowProblem("level", _l("The level of an existing unit cannot be changed by import "
                                         "(it is %(level)s).", level=existing.level))
        changes = {}
        if name != existing.name:
            changes["name"] = name
        if parent is not None and parent.id != existing.parent_id:
            if parent.is_within(existing):
                raise RowProblem("parent", _l("A unit cannot move below itself."))
            self.check_parent(level, parent)
            changes["parent"] = parent
        return Plan(existing, changes)

    def parent_from(self, row: Row, code: str) -> OrgUnit | None:
        parent_code = row.get("parent")
        if not parent_code:
            return None
        if parent_code == code:
            raise RowProblem("parent", _l("A unit cannot be its own parent."))
        parent = self.units.get(parent_code)
        if parent is None:
            if parent_code in self.failed_rows:
                raise RowProblem("parent", _l("The parent unit %(code)s was not imported (see row %(row)d).",
                                              code=parent_code, row=self.failed_rows[parent_code]))
            raise RowProblem("parent", _l("Unknown parent unit code: %(code)s.", code=parent_code))
        return parent

    def check_parent(self, level: str, parent: OrgUnit) -> None:
        if UNIT_LEVELS.index(level) <= UNIT_LEVELS.index(parent.level):
            raise RowProblem("parent", _l("The parent unit must be of a higher level: %(code)s is a "
                                          "%(parent_level)s, this unit a %(level)s.",
                                          code=parent.code, parent_level=parent.level, level=level))
        if not parent.active:
            raise RowProblem("parent", _l("Unit %(code)s is no longer active.", code=parent.code))
        if not self.covers(parent):
            raise RowProblem("parent", _l("Parent unit %(code)s is outside your scope.", code=parent.code))

    def write(self, row, plan):
        if plan.record is None:
            return org.create_unit(**plan.changes)
        unit = plan.record
        if "name" in plan.changes:
            unit.name = plan.changes["name"]
        if "parent" in plan.changes:
            org.move_unit(unit, plan.changes["parent"])
        return unit

    def saved(self, row, record):
        self.units[record.code] = record

    def failed(self, row):
        code = row.get("code")
        if code and code not in self.units:
            self.failed_rows.setdefault(code, row.number)


class UserRows(RowImporter):
    batch_size = 20

    def __init__(self, actor, scope, kind=None):
        super().__init__(actor, scope, kind)
        self.roles = self._role_names()

    def natural_key(self, row):
        return row.get("username").lower()

    @staticmethod
    def _role_names() -> dict[str, Role]:
        """Roles by name and by label, in English and in Chinese, all lower-cased."""
        roles = db.session.execute(select(Role)).scalars().all()
        by_name = {role.name: role for role in roles}
        names: dict[str, Role] = {}
        for role in roles:
            names[role.name.lower()] = role
            if role.label:
                names.setdefault(role.label.strip().lower(), role)
        for definition in BUILTIN_ROLES:
            role = by_name.get(definition.name)
            if role is None:
                continue
            for locale in ("en", "zh_Hans_CN"):
                with force_locale(locale):
                    names.setdefault(str(definition.label).strip().lower(), role)
        return names

    def preload(self, rows):
        self.load_users(row.get("username") for row in rows)

    def roles_from(self, row: Row) -> list[Role]:
        text = self.required(row, "roles")
        roles: list[Role] = []
        for name in (part.strip() for part in ROLE_SEPARATORS.split(text)):
            if not name:
                continue
            role = self.roles.get(name.lower())
            if role is None:
                raise RowProblem("roles", _l("Unknown role: %(name)s.", name=name))
            if not self.may_grant(role):
                raise RowProblem("roles", _l("You may not grant the role %(name)s: it reaches further than "
                                             "your own rights.", name=name))
            if role not in roles:
                roles.append(role)
        if not roles:
            raise RowProblem("roles", _l("This field is required."))
        return roles

    def may_grant(self, role: Role) -> bool:
        """Nobody hands out a wider data scope or permissions they do not hold themselves; an
        admin of everything hands out any role (the same rule as the user admin pages)."""
        if self.actor is None or self.scope.sees_everything:
            return True
        if SCOPE_LEVELS.index(role.scope_level) > SCOPE_LEVELS.index(self.scope.level):
            return False
        return set(role.get_permissions()) <= self.actor.permission_set

    def plan(self, row):
        username = self.required(row, "username", 64).lower()
        if len(username) < 2 or not USERNAME_PATTERN.match(username):
            raise RowProblem("username", _l("A username has at least 2 characters: letters, digits and "
                                            ". _ - @ only."))
        display_name = self.optional(row, "display_name", 100)
        # The e-mail and phone formats were checked with their columns.
        email = self.optional(row, "email", 255)
        phone = self.optional(row, "phone", 32)
        self.required(row, "org_unit")
        unit = self.unit_from(row, "org_unit")
        roles = self.roles_from(row)
        existing = self.users.get(username)
        if existing is None:
            password = row.get("password")
            problems = accounts.password_problems(password, username=username) if password else []
            if problems:
                raise RowProblem("password", problems[0])
            self.check_email_free(email, None)
            return Plan(None, {"username": username, "password": password or None,
                               "display_name": display_name, "unit": unit, "roles": roles,
                               "email": email or None, "phone": phone or None})
        if not self.covers(existing.org_unit):
            raise RowProblem("username", _l("User %(name)s belongs to a unit outside your scope.",
                                            name=username))
        changes = {}
        if display_name and display_name != existing.display_name:
            changes["display_name"] = display_name
        if email and email.lower() != (existing.email or "").lower():
            self.check_email_free(email, existing)
            changes["email"] = email
        if phone and phone != (existing.phone or ""):
            changes["phone"] = phone
        if unit.id != existing.org_unit_id:
            changes["org_unit_id"] = unit.id
        if {role.name for role in roles} != existing.role_names:
            if self.actor is not None and existing.id == self.actor.id:
                raise RowProblem("roles", _l("You cannot change your own roles."))
            changes["roles"] = roles
        # The password column is an *initial* password: an existing account keeps its own.
        return Plan(existing, changes)

    @staticmethod
    def check_email_free(email: str, user: User | None) -> None:
        if not email:
            return
        query = select(User.id).where(func.lower(User.email) == email.lower())
        if user is not None:
            query = query.where(User.id != user.id)
        if db.session.execute(query).first():
            raise RowProblem("email", _l("The e-mail address %(email)s is already used by another "
                                         "account.", email=email))

    def write(self, row, plan):
        if plan.record is None:
            return accounts.create_user(**plan.changes)
        user = plan.record
        for key, value in plan.changes.items():
            setattr(user, key, list(value) if key == "roles" else value)
        return user

    def saved(self, row, record):
        self.users[record.username.lower()] = record
        self._looked_up_users.add(record.username.lower())

