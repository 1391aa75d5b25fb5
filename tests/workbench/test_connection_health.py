"""Idle-only pinging of pooled connections, against the real PostgreSQL: a connection that
went stale while idle is replaced at checkout without the request noticing; a connection in
steady use is not pinged (no extra round trip per request)."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from tests.support import databases
from workbench import change_tracking, connection_health


@pytest.fixture
def engine():
    url = databases.admin_url()
    try:
        probe = create_engine(url)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except exc.OperationalError as error:
        databases.unavailable(f"PostgreSQL not reachable: {error}")
    connection_health.install()
    change_tracking.install()  # as in the app: its rollback listener must cope with a dead connection
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=False)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(pid: int) -> None:
    url = databases.admin_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_that_died_while_idle_is_replaced_at_checkout(engine, monkeypatch):
    pid = _backend_pid(engine)
    _terminate(pid)
    monkeypatch.setattr(connection_health, "IDLE_PING_SECONDS", 0.0)
    assert _backend_pid(engine) != pid  # a new connection, and no error reached the caller


def test_a_recently_used_connection_is_not_pinged(engine, monkeypatch):
    monkeypatch.setattr(connection_health, "IDLE_PING_SECONDS", 3600.0)
    pid = _backend_pid(engine)
    _terminate(pid)
    # Not pinged: the dead connection is handed out and the statement fails once ...
    with pytest.raises(exc.DBAPIError) as raised:
        _backend_pid(engine)
    assert raised.value.connection_invalidated
    # ... after which the pool has been invalidated and the next checkout reconnects.
    assert _backend_pid(engine) != pid
