"""Checking a pooled database connection only when it may have gone stale.

SQLAlchemy's `pool_pre_ping` sends a round trip to the database on *every* checkout, i.e. on
every request; under load on a small machine that is one of the four or five round trips a
request makes. A connection that was handed back a moment ago is almost certainly alive, so
this pings only connections that sat idle for longer than IDLE_PING_SECONDS (a database
restart overnight, a firewall that dropped idle sockets). A connection that breaks while in
steady use fails that one request and SQLAlchemy then discards the whole pool (it
invalidates every connection older than the failure), so the next requests reconnect.
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.pool import Pool

IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "workbench.idle_since"


def _stamp_checkin(_dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection, connection_record, _proxy) -> None:
    since = connection_record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        # The pool drops this connection and retries the checkout with a new one.
        raise exc.DisconnectionError(f"stale connection: {error}") from error


def install() -> None:
    """Listen on every pool, once per process."""
    if not event.contains(Pool, "checkout", _ping_if_idle):
        event.listen(Pool, "checkin", _stamp_checkin)
        event.listen(Pool, "checkout", _ping_if_idle)
