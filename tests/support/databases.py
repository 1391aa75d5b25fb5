"""Test databases: a fresh SQLite file per test, or a per-worker PostgreSQL database whose
tables are created once and emptied after each test.

Set-up runs before every one of the suite's thousands of tests, so each step is as cheap as
it can be while each test still starts from an empty schema built from the models:
* SQLite: the schema (tables, indexes, triggers) is built once per process and set of mapped
  tables into a template file, and each test's database starts as a copy of it;
* PostgreSQL: tables missing from the worker database are found with one query and only those
  are created (create_all asks once per table); after a test, one round trip deletes the rows
  of just the tables that hold any and sets the used id sequences back to 1 (a TRUNCATE of
  every table replaces ~80 tables' files: seconds per test on a busy disk).

WORKBENCH_TEST_DATABASES lists the backends every app test runs on (default: sqlite and
postgresql). PostgreSQL comes from WORKBENCH_TEST_POSTGRES_URL (default: the local server,
trust auth). When it cannot be reached the PostgreSQL variants skip with the reason — except
under CI=true, where they fail.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def backends() -> list[str]:
    return [b.strip() for b in os.environ.get("WORKBENCH_TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]


def admin_url() -> str:
    return os.environ.get("WORKBENCH_TEST_POSTGRES_URL", DEFAULT_PG)


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


def worker_database_url(worker_id: str) -> str:
    """Create (once) and return a database for this xdist worker."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(admin_url())
    # The pid keeps concurrent test runs on one server (several developers, CI) apart.
    name = f"workbench_test_{worker_id}_{os.getpid()}"
    try:
        with psycopg.connect(
            host=base.host, port=base.port or 5432, user=base.username, password=base.password,
            dbname=base.database or "postgres", autocommit=True, connect_timeout=5,
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {base.host}:{base.port}: {exc}")
    return str(base.set(database=name).render_as_string(hide_password=False))


def truncate_all(engine, metadata) -> None:
    """Empty every table and restart every id sequence (the thorough, slow reset)."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _sql_text_array(names) -> str:
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    return f"ARRAY[{quoted}]::text[]"


# One server-side round trip (no `%` in it: the driver would read one as a placeholder).
# Only tables that hold rows are emptied, children before parents so no row goes while
# another still refers to it, with DELETE: TRUNCATE must take every table that references
# the truncated one along (CASCADE), which after any test touching `user` is nearly all of
# them, and it replaces each table's files, so it costs far more than the test's own work.
# An append-only table (a trigger refuses DELETE, e.g. audit_entry) is truncated instead;
# nothing references those. Every id sequence a test used is set back to start at 1, even
# when its rows were rolled back. Tables missing from the database (a test dropped them)
# are skipped; the next test's set-up creates them again.
_RESET_USED_TABLES = """
DO $reset$
DECLARE
    candidate text;
    has_rows boolean;
BEGIN
    FOREACH candidate IN ARRAY {children_first} LOOP
        CONTINUE WHEN to_regclass(quote_ident(candidate)) IS NULL;
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM ' || quote_ident(candidate) || ')' INTO has_rows;
        CONTINUE WHEN NOT has_rows;
        IF EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgrelid = to_regclass(quote_ident(candidate))
                     AND NOT tgisinternal AND (tgtype & 8) <> 0) THEN
            EXECUTE 'TRUNCATE ' || quote_ident(candidate) || ' CASCADE';
        ELSE
            EXECUTE 'DELETE FROM ' || quote_ident(candidate);
        END IF;
    END LOOP;
    PERFORM setval((quote_ident(used.schemaname) || '.' || quote_ident(used.sequencename))::regclass,
                   1, false)
    FROM pg_sequences AS used
    JOIN pg_namespace AS namespace ON namespace.nspname = used.schemaname
    JOIN pg_class AS sequence
        ON sequence.relname = used.sequencename AND sequence.relnamespace = namespace.oid
    JOIN pg_depend AS owned
        ON owned.classid = 'pg_class'::regclass AND owned.objid = sequence.oid
           AND owned.deptype IN ('a', 'i')
    JOIN pg_class AS owner ON owner.oid = owned.refobjid
    WHERE used.last_value IS NOT NULL
      AND used.schemaname = current_schema()
      AND owner.relname::text = ANY ({children_first});
END
$reset$;
"""


def reset_tables(engine, metadata) -> None:
    """Leave every table of `metadata` empty with its ids restarting at 1, as truncate_all
    does, touching only the tables a test wrote to (or used an id of)."""
    children_first = [table.name for table in reversed(metadata.sorted_tables)]
    script = _RESET_USED_TABLES.format(children_first=_sql_text_array(children_first))
    with engine.begin() as conn:
        # A test database needs no durable commit: do not wait for the WAL flush.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        conn.exec_driver_sql(script)


def create_missing_tables(engine, metadata) -> None:
    """metadata.create_all, but asking the database for its tables once instead of once per
    table: in a worker database only a test that dropped tables, or a newly imported plugin,
    leaves any missing."""
    with engine.begin() as conn:
        existing = {row[0] for row in conn.exec_driver_sql(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")}
        missing = [table for table in metadata.sorted_tables if table.name not in existing]
        if missing:
            metadata.create_all(conn, tables=missing)


# (id of each mapped Table, sorted) → (the Table objects, kept so no id is reused while its
# key is cached; the template file). Per process, so per xdist worker.
_sqlite_templates: dict[tuple, tuple[list, Path]] = {}


def sqlite_template(metadata, directory: Path) -> Path:
    """A SQLite file holding the schema create_all builds for the tables mapped right now.

    Which tables are mapped changes during a run (plugins are imported as tests enable them;
    tests declare and forget throw-away models), so the template is keyed on the Table
    objects themselves; a new set gets a new template.
    """
    tables = sorted(metadata.tables.values(), key=id)
    key = tuple(id(table) for table in tables)
    cached = _sqlite_templates.get(key)
    if cached is not None:
        return cached[1]
    path = Path(directory) / f"schema-{len(_sqlite_templates)}.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()  # closes the file, so the copy is complete and has no journal
    _sqlite_templates[key] = (tables, path)
    return path


def copy_sqlite_template(template: Path, database_file: Path) -> bool:
    """Start `database_file` as a copy of the template; False (and nothing copied) when the
    file already exists, because the app under test has opened it already."""
    if database_file.exists():
        return False
    shutil.copyfile(template, database_file)
    return True


def drop_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    base = make_url(admin_url())
    with psycopg.connect(
        host=base.host, port=base.port or 5432, user=base.username, password=base.password,
        dbname=base.database or "postgres", autocommit=True, connect_timeout=5,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
