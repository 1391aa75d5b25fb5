"""Test databases: a fresh SQLite file per test, or a per-worker PostgreSQL database whose
tables are created once and truncated after each test.

WORKBENCH_TEST_DATABASES lists the backends every app test runs on (default: sqlite and
postgresql). PostgreSQL comes from WORKBENCH_TEST_POSTGRES_URL (default: the local server,
trust auth). When it cannot be reached the PostgreSQL variants skip with the reason — except
under CI=true, where they fail.
"""
from __future__ import annotations

import os

import pytest

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
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


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
