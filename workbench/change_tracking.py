"""Which tables changed: a generation number per table, bumped after every commit that wrote it.

Caches that hold something computed from the database (the homepage widget cache) put the
generations of the tables they read into their validity check, so a committed change to any
of those tables makes the cached copy stale at once — whoever made the change, in whichever
process — and nothing has to remember to invalidate by hand.

The writes are noticed at the lowest level, the SQL text about to run on a connection
(`INSERT INTO t`, `UPDATE t`, `DELETE FROM t`), so ORM flushes, Core statements and the
set-wise `INSERT … SELECT` of a scan are all seen. The set is kept on the connection and
turned into generation bumps on that connection's commit; a rollback forgets it.

SQLAlchemy's connection `commit` event fires just *before* the database commits, so a reader
could, in that instant, see the new generation but the old rows and cache them under the new
generation. The bump is therefore repeated once the session's commit has completed
(`after_commit`), which makes any such copy stale again.

Generations live in Redis (shared by every worker) when WORKBENCH_REDIS_URL is set. Without
Redis they are per process, which is exact for the embedded single-process default; caches
that must be right across several processes are only switched on with Redis
(see workbench/homepage/widget_cache.py).
"""
from __future__ import annotations

import contextvars
import logging
import re
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# The table a write statement targets, as SQLAlchemy and our own SQL spell it (optionally quoted).
_WRITE_TARGET = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][\w]*)"?',
                           re.IGNORECASE)
_WRITTEN = "workbench.written_tables"
# Tables bumped at a connection's commit, bumped again after the session's commit completes.
_committed_unconfirmed: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "workbench_committed_unconfirmed", default=frozenset())


class LocalGenerations:
    """Per-process generation counters (the embedded default)."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def bump(self, tables) -> None:
        with self._lock:
            for table in tables:
                self._counters[table] = self._counters.get(table, 0) + 1

    def current(self, tables) -> list[int]:
        return [self._counters.get(table, 0) for table in tables]


class RedisGenerations:
    """Generation counters in Redis, shared by every worker and host."""

    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def key(self, table: str) -> str:
        return f"{self.prefix}gen:{table}"

    def bump(self, tables) -> None:
        pipeline = self.client.pipeline(transaction=False)
        for table in tables:
            pipeline.incr(self.key(table))
        pipeline.execute()

    def current(self, tables) -> list[int]:
        return [int(value or 0) for value in self.client.mget([self.key(t) for t in tables])]


_generations: LocalGenerations | RedisGenerations = LocalGenerations()


def generations() -> LocalGenerations | RedisGenerations:
    return _generations


def use_generations(store: LocalGenerations | RedisGenerations) -> None:
    """Point the tracker at a store (the app does this at start-up)."""
    global _generations
    _generations = store


def tables_written(statement: str) -> str | None:
    """The table a write statement targets, or None for anything else."""
    first = statement[:1]
    if first not in "IiUuDd \n\t(":
        return None
    found = _WRITE_TARGET.match(statement)
    return found.group(1).lower() if found else None


def _note_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    table = tables_written(statement)
    if table is not None:
        conn.info.setdefault(_WRITTEN, set()).add(table)


def _bump(tables) -> None:
    try:
        _generations.bump(sorted(tables))
    except Exception:
        # The commit goes ahead; a cache that cannot be told is switched off by its reader
        # (it cannot read the generations either), so nothing stale is served.
        log.warning("could not publish table changes %s", sorted(tables), exc_info=True)


def _publish(conn) -> None:
    tables = conn.info.pop(_WRITTEN, None)
    if not tables:
        return
    _bump(tables)
    _committed_unconfirmed.set(_committed_unconfirmed.get() | frozenset(tables))


def _confirm(_session) -> None:
    tables = _committed_unconfirmed.get()
    if tables:
        _committed_unconfirmed.set(frozenset())
        _bump(tables)


def _forget(conn) -> None:
    # A connection that lost its database (invalidated) cannot even show its `info` without
    # trying to reconnect; its transaction is gone, so there is nothing to forget.
    if conn.invalidated:
        return
    conn.info.pop(_WRITTEN, None)


def install() -> None:
    """Listen on every engine, once per process."""
    if event.contains(Engine, "before_cursor_execute", _note_write):
        return
    event.listen(Engine, "before_cursor_execute", _note_write)
    event.listen(Engine, "commit", _publish)
    event.listen(Engine, "rollback", _forget)
    event.listen(Session, "after_commit", _confirm)
