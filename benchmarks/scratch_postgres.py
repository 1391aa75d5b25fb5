"""A throw-away PostgreSQL database for a benchmark run, on the local server (trust auth).

Each benchmark names its own database (`--pg-database`), so two benchmarks run at the same
time never drop each other's data."""
from __future__ import annotations

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def checked_name(name: str) -> str:
    """`name`, if it is a plain database name (it is put into DROP/CREATE DATABASE)."""
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"--pg-database: {name!r} is not a plain database name")
    return name


def url_of(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def fresh_database(name: str) -> str:
    """Drop and create database `name`; returns its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {checked_name(name)} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return url_of(name)
