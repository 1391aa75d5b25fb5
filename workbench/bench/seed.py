"""`workbench bench seed --scale S`: a province of reproducible data for benchmarks.

At scale 1 the core writes an org tree (province → cities → counties → grids) with about
5,000 people in every built-in role, 200,000 customers owned by account managers with a
skewed book size (a few AMs carry many customers, most carry a few dozen), their contacts,
and 2,000,000 to-dos of which about 92 % are closed; then every enabled plugin fills its own
tables through the `workbench_bench_seed(seeder)` hook, in dependency order. Everything is
derived from `--seed` and a fixed "now" (midnight UTC of the day it runs, or the `now` given),
so two runs with the same seed on the same day write the same rows.

Rows are written in bulk, never through the ORM: on PostgreSQL with COPY through the raw
psycopg connection, on SQLite with executemany in one transaction per table. Ids are handed
out by the seeder (so rows can point at each other before they are written); PostgreSQL's
sequences are moved past them at the end. Nothing here emits events, writes audit entries or
queues search updates: the customers and knowledge articles are indexed afterwards in bulk
through `workbench.search.indexing.rebuild`.
"""
from __future__ import annotations

import itertools
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import JSON, DateTime, MetaData, Table, func, inspect, select, text

from workbench.bench import vocabulary as words

DEFAULT_SEED = 20261201
PASSWORD = "workbench"
SUMMARY_FILE = "bench_seed.json"
HISTORY_DAYS = 3 * 365  # timestamps spread over the last three years
SQLITE_CHUNK = 20_000

# Volumes at scale 1 (the province).
CUSTOMERS = 200_000
TODOS = 2_000_000
OPEN_TODO_SHARE = 0.08
ACCOUNT_MANAGERS = 4_000


class SeedRefused(Exception):
    """The database already holds people: seeding would mix benchmark data into it."""


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    city_id: int | None
    county_id: int | None


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    unit_id: int
    roles: tuple[str, ...]


@dataclass(frozen=True)
class CustomerRef:
    """What plugins need of a customer: scope fields and the name their titles quote."""

    id: int
    owner_id: int
    org_unit_id: int
    name: str


@dataclass
class Seeder:
    """What a plugin's `workbench_bench_seed` receives: the scale, reproducible randomness,
    a fast bulk insert, the people, units and customers the core made, and `report`."""

    scale: float
    seed: int
    now: datetime
    dialect: str
    echo: Callable[[str], None] = print
    counts: dict[str, int] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    customers: list[CustomerRef] = field(default_factory=list)
    password_hash: str = ""
    _next_ids: dict[str, int] = field(default_factory=dict)
    _by_role_unit: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    _customers_by_owner: dict[int, list[CustomerRef]] = field(default_factory=dict)
    _mark: float = field(default_factory=time.perf_counter)

    # -- sizes, time and randomness --------------------------------------------------------

    def count(self, base_at_scale_1: int, minimum: int = 1) -> int:
        """`base_at_scale_1` shrunk to this scale (at least `minimum`)."""
        return max(minimum, round(base_at_scale_1 * self.scale))

    def random(self, name: str) -> random.Random:
        """A generator derived from the seed and `name` (use the plugin's name): the same
        rows whatever order the plugins run in, and whichever others are enabled."""
        return random.Random(f"{self.seed}:{name}")

    @property
    def today(self) -> date:
        return self.now.date()

    def moment(self, rng: random.Random, days_back: float = HISTORY_DAYS, days_ahead: float = 0) -> datetime:
        """A whole-second moment between `days_back` before now and `days_ahead` after it."""
        seconds = rng.uniform(-days_back * 86400, days_ahead * 86400)
        return self.now + timedelta(seconds=int(seconds))

    def recent_moment(self, rng: random.Random, days_back: float = HISTORY_DAYS) -> datetime:
        """A moment in the last `days_back` days, more of them recent (activity grows)."""
        return self.now - timedelta(seconds=int(days_back * 86400 * rng.random() ** 1.6))

    # -- writing -----------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        from workbench.extensions import db

        return db.metadata.tables[name]

    def new_ids(self, table: Table | str, count: int) -> range:
        """`count` fresh primary keys of `table` (rows may point at each other before they are
        written; the PostgreSQL sequences are moved past them when seeding ends)."""
        name = table if isinstance(table, str) else table.name
        if name not in self._next_ids:
            from workbench.extensions import db

            current = db.session.execute(text(f'SELECT MAX(id) FROM "{name}"')).scalar()
            self._next_ids[name] = (current or 0) + 1
        start = self._next_ids[name]
        self._next_ids[name] = start + count
        return range(start, start + count)

    def insert(self, table: Table, rows: Iterable[dict]) -> int:
        """Write `rows` (dicts of column values) into `table` in bulk; columns a row leaves
        out get the column's default ("now" for timestamps). Returns the number written.
        Part of the session's transaction: `commit()` ends it."""
        from workbench.extensions import db

        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        columns, fill = _column_plan(table, self.now, first)
        rows = itertools.chain((first,), rows)
        connection = db.session.connection()
        written = 0
        if self.dialect == "postgresql":
            json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
            names = ", ".join(f'"{name}"' for name in columns)
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    values = fill(row)
                    for name in json_columns:
                        values[name] = json.dumps(values[name], ensure_ascii=False)
                    copy.write_row([values[name] for name in columns])
                    written += 1
            return written
        statement = table.insert()
        chunk: list[dict] = []
        for row in rows:
            chunk.append(fill(row))
            if len(chunk) >= SQLITE_CHUNK:
                connection.execute(statement, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            connection.execute(statement, chunk)
            written += len(chunk)
        return written

    def commit(self) -> None:
        from workbench.extensions import db

        db.session.commit()
        if self.dialect == "sqlite":
            _fast_sqlite(db.session.connection())

    def report(self, name: str, count: int) -> None:
        """Record `count` rows of `name` for the summary and print them with the seconds
        since the previous report."""
        elapsed = time.perf_counter() - self._mark
        self.counts[name] = self.counts.get(name, 0) + count
        self.echo(f"  {name:<28} {count:>10,}  {elapsed:7.1f} s")
        self._mark = time.perf_counter()

    def restart_clock(self) -> None:
        self._mark = time.perf_counter()

    def open_todo_row(self, todo_id: int, *, kind: str, title: str, owner_id: int, due_at: datetime | None,
                      link: str, source: tuple[str, int], customer_id: int | None = None, description: str = "",
                      priority: int = 1, created_at: datetime | None = None) -> dict:
        """The row `workbench.inbox.services.open_todo` would write for a person: in the
        assignee's unit, pointing back at its source record so its flow can close it."""
        created = created_at or self.now
        return {"id": todo_id, "kind": kind, "title": title[:300], "description": description,
                "owner_id": owner_id, "assignee_unit_id": None, "org_unit_id": self.people[owner_id].unit_id,
                "customer_id": customer_id, "due_at": due_at, "priority": priority, "status": "open",
                "link": link, "source_type": source[0], "source_id": str(source[1]), "snoozed_until": None,
                "created_by_id": None, "dispatch_id": None, "closed_at": None, "closed_by_id": None,
                "result_note": "", "created_at": created, "updated_at": created, "version": 1}

    # -- lookups -------------------------------------------------------------------------------

    def add_person(self, person: Person) -> None:
        self.people[person.id] = person
        for role in person.roles:
            self._by_role_unit.setdefault((role, person.unit_id), []).append(person.id)

    def chain(self, unit_id: int) -> list[int]:
        """The unit and the units above it, nearest first."""
        return [int(part) for part in reversed(self.units[unit_id].path.strip("/").split("/"))]

    def nearest(self, role: str, unit_id: int) -> int | None:
        """A person holding `role` in the unit or the nearest unit above it (the first one
        there), as the flows pick the handler of a step."""
        for candidate in self.chain(unit_id):
            found = self._by_role_unit.get((role, candidate))
            if found:
                return found[0]
        return None

    def with_role(self, role: str) -> list[int]:
        return sorted(person.id for person in self.people.values() if role in person.roles)

    def account_managers(self) -> list[int]:
        return self.with_role("account_manager")

    def account_managers_in(self, unit_id: int) -> list[int]:
        return self._by_role_unit.get(("account_manager", unit_id), [])

    def lead_of(self, unit_id: int) -> int | None:
        return self.nearest("lead", unit_id)

    def city_manager_of(self, unit_id: int) -> int | None:
        return self.nearest("city_manager", unit_id)

    def customers_of(self, owner_id: int) -> list[CustomerRef]:
        return self._customers_by_owner.get(owner_id, [])

    def add_customers(self, customers: list[CustomerRef]) -> None:
        self.customers.extend(customers)
        for customer in customers:
            self._customers_by_owner.setdefault(customer.owner_id, []).append(customer)

    def weighted_customers(self, rng: random.Random, count: int) -> list[CustomerRef]:
        """`count` customers drawn with replacement: an AM with a bigger book gets more of the
        work, as in life."""
        return rng.choices(self.customers, k=count)


def _column_plan(table: Table, now: datetime, first: dict):
    """The columns to write and a function completing a row with the columns' defaults.
    A column the first row leaves out that only the database fills (a server default) is
    left to the database."""
    defaults, columns = {}, []
    for column in table.columns:
        if column.name not in first:
            if column.default is not None and column.default.is_scalar:
                defaults[column.name] = (False, column.default.arg)
            elif column.default is not None and column.default.is_callable:
                if isinstance(column.type, DateTime):
                    defaults[column.name] = (False, now)
                else:
                    defaults[column.name] = (True, column.default.arg)
            elif column.server_default is not None:
                continue
            else:
                defaults[column.name] = (False, None)
        columns.append(column.name)

    def fill(row: dict) -> dict:
        values = dict(row)
        for name, (call, value) in defaults.items():
            if name not in values:
                values[name] = value(None) if call else value
        return values

    return columns, fill


def _fast_sqlite(connection) -> None:
    # The benchmark database can be seeded again if the machine dies mid-way: durability of
    # each transaction is not worth the fsyncs.
    connection.exec_driver_sql("PRAGMA synchronous=OFF")
    connection.exec_driver_sql("PRAGMA cache_size=-200000")
    connection.exec_driver_sql("PRAGMA temp_store=MEMORY")


# --- the whole run ----------------------------------------------------------------------------

def database_holds_people(app) -> bool:
    from workbench.extensions import db

    with app.app_context():
        if not inspect(db.engine).has_table("user"):
            return False
        with db.engine.connect() as connection:
            return connection.execute(text('SELECT 1 FROM "user" LIMIT 1')).first() is not None


def drop_everything(app) -> None:
    """Drop every table (and on PostgreSQL the whole public schema), and empty the index."""
    import shutil

    from workbench.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            reflected = MetaData()
            reflected.reflect(bind=db.engine)
            with db.engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for table in reversed(reflected.sorted_tables):
                    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')
        db.engine.dispose()
    index_dir = Path(app.config["DATA_DIR"]) / "search"
    if index_dir.is_dir():
        shutil.rmtree(index_dir, ignore_errors=True)


def gather_statistics(seeder: Seeder) -> None:
    """ANALYZE the freshly loaded tables, so the planner sees the volumes a database in use
    would show. Autovacuum would get there on its own some minutes later — or never, where it
    is switched off (as on the benchmark machine) — and until then plans are made for empty
    tables: at scale 1 the opportunity pool's query took 116 ms instead of 33."""
    from workbench.extensions import db

    started = time.perf_counter()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    seeder.echo(f"  {'statistics (ANALYZE)':<28} {'':>10}  {time.perf_counter() - started:7.1f} s")


def seed_database(app, *, scale: float, seed: int = DEFAULT_SEED, reset: bool = False, index: bool = True,
                  create_schema: bool = True, now: datetime | None = None,
                  echo: Callable[[str], None] = print) -> dict:
    """Fill the app's database at `scale` and write bench_seed.json; returns its content.

    Refuses (SeedRefused, nothing written) when the database already holds people, unless
    `reset` drops everything first. `create_schema` runs the migrations like `workbench
    demo` (the test suite passes False: its fixture creates the tables itself).
    """
    from workbench import database
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    if scale <= 0:
        raise ValueError("The scale must be positive.")
    started = time.perf_counter()
    if database_holds_people(app):
        if not reset:
            raise SeedRefused("The database already holds users: give --reset to drop everything and seed "
                              "afresh, or point WORKBENCH_DATABASE_URL / WORKBENCH_DATA_DIR elsewhere.")
    if reset:
        drop_everything(app)
        echo("Dropped the existing schema.")
    if create_schema:
        database.upgrade(app)
    if now is None:
        now = datetime.now(timezone.utc).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    with app.app_context(), system_scope():
        seeder = Seeder(scale=scale, seed=seed, now=now, dialect=db.engine.dialect.name, echo=echo)
        if seeder.dialect == "sqlite":
            _fast_sqlite(db.session.connection())
        echo(f"Seeding at scale {scale:g} (seed {seed}, {seeder.dialect}):")
        seed_core(seeder)
        seed_plugins(seeder)
        move_sequences(seeder)
        seeder.commit()
        gather_statistics(seeder)
        index_seconds = None
        if index:
            index_seconds = index_for_search(seeder)
        summary = write_summary(app, seeder, seconds=time.perf_counter() - started, index_seconds=index_seconds)
    echo(f"Done in {summary['seconds']:.1f} s. Summary: {Path(app.config['DATA_DIR']) / SUMMARY_FILE}")
    return summary


def seed_plugins(seeder: Seeder) -> None:
    """Each enabled plugin fills its tables, after the plugins it depends on."""
    from workbench.plugins import blame, call_impl, dependency_order, registry

    plugins = registry()
    impls = {impl.plugin_name: impl for impl in plugins.hook.workbench_bench_seed.get_hookimpls()}
    for name in dependency_order(plugins):
        if name in impls:
            seeder.restart_clock()
            with blame(name, "workbench_bench_seed failed"):
                call_impl(impls[name], seeder=seeder)
            seeder.commit()


def move_sequences(seeder: Seeder) -> None:
    """PostgreSQL: move each id sequence past the ids the seeder handed out."""
    if seeder.dialect != "postgresql":
        return
    from workbench.extensions import db

    for name in seeder._next_ids:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"))


def index_for_search(seeder: Seeder) -> float:
    """Index customers and knowledge articles (what search is benchmarked on) in bulk."""
    from workbench.search import indexing

    sources = [key for key in ("customer", "knowledge.article") if key in indexing.state().sources]
    seeder.restart_clock()
    report = indexing.rebuild(sources)
    for key, count in report.counts.items():
        seeder.report(f"search index: {key}", count)
    return report.seconds


# --- the core's rows -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeShape:
    """How many units of each level: the tree keeps its shape however small the scale."""

    cities: int
    counties_per_city: int
    grids_per_county: int
    account_managers: int

    @classmethod
    def at(cls, scale: float) -> "TreeShape":
        cities = max(2, min(len(words.CITIES), round(14 * scale ** 0.5)))
        counties = max(2, min(len(words.COUNTIES), round(8 * scale ** 0.25)))
        grids = max(2, min(len(words.GRIDS), round(4 * scale ** 0.25)))
        managers = max(2 * cities * counties * grids, round(ACCOUNT_MANAGERS * scale))
        return cls(cities, counties, grids, managers)


def seed_core(seeder: Seeder) -> None:
    from flask_security.utils import hash_password

    seeder.password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    rng = seeder.random("core")
    seed_org_tree(seeder, rng)
    seed_people(seeder, rng)
    seed_customers(seeder, rng)
    seed_todos(seeder, rng)


def seed_org_tree(seeder: Seeder, rng: random.Random) -> None:
    shape = TreeShape.at(seeder.scale)
    table = seeder.table("org_unit")
    rows: list[dict] = []

    def add(code: str, name: str, level: str, parent: Unit | None, order: int) -> Unit:
        unit_id = seeder.new_ids(table, 1)[0]
        path = f"{parent.path if parent else '/'}{unit_id}/"
        city_id = unit_id if level == "city" else (parent.city_id if parent else None)
        county_id = unit_id if level == "county" else (parent.county_id if parent else None)
        unit = Unit(unit_id, code, name, level, parent.id if parent else None, path, city_id, county_id)
        seeder.units[unit_id] = unit
        rows.append({"id": unit_id, "code": code, "name": name, "level": level, "parent_id": unit.parent_id,
                     "path": path, "active": True, "sort_order": order,
                     "created_at": seeder.now - timedelta(days=HISTORY_DAYS + 30)})
        return unit

    province = add("P", "省公司", "province", None, 0)
    for c in range(shape.cities):
        city_name = words.CITIES[c]
        city = add(f"C{c + 1:02d}", f"{city_name}市分公司", "city", province, c)
        counties = rng.sample(words.COUNTIES, shape.counties_per_city)
        for x, county_name in enumerate(counties):
            suffix = "区分公司" if x % 3 == 1 else "县分公司"
            county = add(f"{city.code}X{x + 1:02d}", f"{city_name}{county_name}{suffix}", "county", city, x)
            for g in range(shape.grids_per_county):
                add(f"{county.code}G{g + 1}", f"{county_name}{words.GRIDS[g]}", "grid", county, g)
    seeder.restart_clock()
    seeder.report("org units", seeder.insert(table, rows))


def _person_name(rng: random.Random) -> str:
    return rng.choice(words.SURNAMES) + rng.choice(words.GIVEN)


def seed_people(seeder: Seeder, rng: random.Random) -> None:
    """Account managers spread over the grids; a lead per county and per grid; a city
    manager and the specialists (opportunity, contract, intelligence) per city; province
    and system admins and knowledge admins at the top; an information reporter per grid."""
    from workbench.extensions import db

    from workbench.auth.services import ensure_builtin_roles

    shape = TreeShape.at(seeder.scale)
    ensure_builtin_roles()  # `workbench db upgrade` made them; a schema from create_all has none yet
    db.session.flush()
    role_ids = dict(db.session.execute(text("SELECT name, id FROM role")).all())
    units = list(seeder.units.values())
    province = next(u for u in units if u.level == "province")
    cities = [u for u in units if u.level == "city"]
    counties = [u for u in units if u.level == "county"]
    grids = [u for u in units if u.level == "grid"]
    planned: list[tuple[str, Unit, tuple[str, ...]]] = [
        ("admin", province, ("province_admin", "system_admin")),
        ("provadmin", province, ("province_admin",)),
    ]
    planned += [(f"knowledge{n}", province, ("knowledge_admin",)) for n in range(1, 4)]
    # Usernames are letters and digits only: the sign-in form does not accept others.
    for city in cities:
        key = city.code.lower()
        planned += [(f"citymgr{key}", city, ("city_manager",)), (f"oppmgr{key}", city, ("opportunity_manager",)),
                    (f"contractmgr{key}", city, ("contract_manager",)), (f"intel{key}", city, ("intel_admin",))]
    for county in counties:
        planned.append((f"lead{county.code.lower()}", county, ("lead",)))
    for grid in grids:
        planned.append((f"lead{grid.code.lower()}", grid, ("lead",)))
        planned.append((f"reporter{grid.code.lower()}", grid, ("info_reporter",)))
    for number in range(shape.account_managers):
        # Round-robin keeps every grid staffed; the skew lives in the customer books.
        planned.append((f"am{number + 1:04d}", grids[number % len(grids)], ("account_manager",)))
    table, links = seeder.table("user"), seeder.table("roles_users")
    ids = seeder.new_ids(table, len(planned))
    users, role_rows = [], []
    joined = seeder.now - timedelta(days=HISTORY_DAYS + 20)
    for user_id, (username, unit, roles) in zip(ids, planned):
        seeder.add_person(Person(user_id, username, unit.id, roles))
        users.append({"id": user_id, "username": username, "display_name": _person_name(rng),
                      "password": seeder.password_hash, "active": True, "fs_uniquifier": uuid.UUID(
                          int=rng.getrandbits(128)).hex, "org_unit_id": unit.id,
                      "phone": f"139{rng.randint(10000000, 99999999)}", "extra_permissions": [],
                      "confirmed_at": joined, "create_datetime": joined, "update_datetime": joined,
                      "login_count": 0})
        role_rows.extend({"user_id": user_id, "role_id": role_ids[role]} for role in roles)
    seeder.insert(table, users)
    seeder.insert(links, role_rows)
    seeder.report("users", len(users))


def seed_customers(seeder: Seeder, rng: random.Random) -> None:
    """Customers owned by account managers (book sizes log-normally skewed), each in its
    AM's unit, with one to three contacts."""
    count = seeder.count(CUSTOMERS, minimum=2 * len(seeder.account_managers()))
    managers = seeder.account_managers()
    weights = [rng.lognormvariate(0, 0.7) for _ in managers]
    owners = rng.choices(managers, weights=weights, k=count)
    owners[:len(managers)] = managers  # everybody has at least one customer
    table, contact_table = seeder.table("customer"), seeder.table("customer_contact")
    ids = seeder.new_ids(table, count)
    refs, rows = [], []
    for customer_id, owner_id in zip(ids, owners):
        person = seeder.people[owner_id]
        unit = seeder.units[person.unit_id]
        place = unit.name[:-2] if unit.level == "grid" else unit.name
        stem, industry = rng.choice(words.CUSTOMER_STEMS)
        name = f"{place.replace('网格', '')}{stem}"
        created = seeder.moment(rng, HISTORY_DAYS)
        level = rng.choices("ABCD", weights=(10, 25, 45, 20))[0]
        rows.append({"id": customer_id, "code": f"GC{customer_id:08d}", "name": name, "industry": industry,
                     "level": level, "address": f"{unit.name}辖区{rng.randint(1, 999)}号",
                     "notes": rng.choice(words.NOTES).format(p=rng.choice(words.PRODUCTS)),
                     "archived": rng.random() < 0.02, "owner_id": owner_id, "org_unit_id": person.unit_id,
                     "created_at": created, "updated_at": created, "version": 1})
        refs.append(CustomerRef(customer_id, owner_id, person.unit_id, name))
    seeder.insert(table, rows)
    seeder.report("customers", len(rows))
    seeder.add_customers(refs)

    def contacts():
        contact_ids = iter(seeder.new_ids(contact_table, 3 * len(refs)))
        for ref in refs:
            for number in range(rng.choice((1, 1, 2, 3))):
                yield {"id": next(contact_ids), "customer_id": ref.id, "name": _person_name(rng),
                       "title": rng.choice(words.CONTACT_TITLES), "phone": f"13{rng.randint(100000000, 999999999)}",
                       "email": "", "is_key": number == 0}

    seeder.report("customer contacts", seeder.insert(contact_table, contacts()))
    seeder.commit()


def seed_todos(seeder: Seeder, rng: random.Random) -> None:
    """Assigned tasks about customers: most closed over the last three years; the open ones
    recent, a third of them overdue, a few queued for a grid instead of a person."""
    count = seeder.count(TODOS)
    table = seeder.table("todo_item")
    ids = seeder.new_ids(table, count)

    def rows():
        for todo_id, customer in zip(ids, seeder.weighted_customers(rng, count)):
            title = rng.choice(words.TASKS).format(c=customer.name, p=rng.choice(words.PRODUCTS))
            lead = seeder.lead_of(customer.org_unit_id)
            row = {"id": todo_id, "kind": "task", "title": title[:300], "description": "",
                   "owner_id": customer.owner_id, "assignee_unit_id": None, "org_unit_id": customer.org_unit_id,
                   "customer_id": customer.id, "priority": rng.choice((0, 1, 1, 1, 2)),
                   "link": f"/customers/{customer.id}", "created_by_id": lead if rng.random() < 0.3 else None,
                   "version": 1, "result_note": "", "snoozed_until": None, "dispatch_id": None,
                   "source_type": None, "source_id": None}
            if rng.random() < OPEN_TODO_SHARE:
                due = seeder.now + timedelta(hours=rng.randint(-10 * 24, 20 * 24))
                created = due - timedelta(hours=rng.randint(24, 14 * 24))
                row.update(status="open", due_at=due, created_at=created, updated_at=created,
                           closed_at=None, closed_by_id=None)
                if rng.random() < 0.02:  # queued for the grid: any member may take it
                    row.update(owner_id=None, assignee_unit_id=customer.org_unit_id)
            else:
                created = seeder.recent_moment(rng, HISTORY_DAYS) - timedelta(days=15)
                due = created + timedelta(hours=rng.randint(24, 14 * 24))
                closed = created + timedelta(hours=rng.randint(1, 16 * 24))
                done = rng.random() < 0.9
                row.update(status="done" if done else "cancelled", due_at=due, created_at=created,
                           updated_at=closed, closed_at=closed,
                           closed_by_id=customer.owner_id if done else (lead or customer.owner_id),
                           result_note=rng.choice(words.RESULT_NOTES) if done else "")
            yield row

    seeder.report("to-dos (tasks)", seeder.insert(table, rows()))
    seeder.commit()


# --- bench_seed.json ------------------------------------------------------------------------------

def write_summary(app, seeder: Seeder, *, seconds: float, index_seconds: float | None) -> dict:
    """The contract the page benchmarks read: who to sign in as, which customers to open,
    what to search for."""
    from workbench.extensions import db

    todo = seeder.table("todo_item")
    open_counts = dict(db.session.execute(
        select(todo.c.owner_id, func.count()).where(todo.c.status == "open", todo.c.owner_id.isnot(None))
        .group_by(todo.c.owner_id)).all())
    managers = seeder.account_managers()
    books = {am: len(seeder.customers_of(am)) for am in managers}
    median_book = statistics.median(books.values())
    median_open = statistics.median(open_counts.get(am, 0) for am in managers)

    def distance(am: int) -> tuple:
        return (abs(books[am] - median_book) / max(median_book, 1)
                + abs(open_counts.get(am, 0) - median_open) / max(median_open, 1), am)

    typical = min(managers, key=distance)
    typical_unit = seeder.people[typical].unit_id
    county_id = seeder.units[typical_unit].county_id
    lead = next(p for p in seeder.people.values() if "lead" in p.roles and p.unit_id == county_id)
    county_path = seeder.units[county_id].path
    in_county = [c.id for c in seeder.customers if seeder.units[c.org_unit_id].path.startswith(county_path)]
    archived = set(db.session.execute(select(seeder.table("customer").c.id).where(
        seeder.table("customer").c.archived.is_(True))).scalars())
    summary = {
        "scale": seeder.scale,
        "seed": seeder.seed,
        "database": seeder.dialect,
        "now": seeder.now.isoformat(),
        "seconds": round(seconds, 1),
        "index_seconds": round(index_seconds, 1) if index_seconds is not None else None,
        "counts": dict(sorted(seeder.counts.items())),
        "password": PASSWORD,
        "typical_account_manager": seeder.people[typical].username,
        "lead": lead.username,
        "customer_ids": {
            seeder.people[typical].username: [c.id for c in seeder.customers_of(typical) if c.id not in archived][:50],
            lead.username: [cid for cid in in_county if cid not in archived][:50],
        },
        "search_terms": search_terms(seeder),
    }
    path = Path(app.config["DATA_DIR"]) / SUMMARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def search_terms(seeder: Seeder) -> list[str]:
    """Ten words people type that hit customers (names, notes) and knowledge articles."""
    rng = seeder.random("search-terms")
    # Products are in customers' notes and in articles; industries in both too.
    return rng.sample(words.PRODUCTS, 6) + rng.sample(words.INDUSTRIES[:8], 4)
