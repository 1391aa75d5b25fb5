"""A short-lived cache of rendered homepage widgets, per user, invalidated by table changes.

At 08:30 thousands of account managers open their homepage and each widget loads from its
own endpoint; a widget that aggregates (opportunities by stage, the unit's warnings, the
month's targets) costs far more to compute than to serve. A widget opts in with
`Widget(cache_seconds=…, reads=("table", …))`:

* the rendered body is kept per widget, user and language for at most `cache_seconds`;
* it is only served while the generation of every table in `reads` is the one it was
  rendered under (workbench/change_tracking.py bumps a table's generation after each commit
  that wrote it), so a user who ticks a to-do sees the widget change on the next load;
* the generations are read *before* rendering, so a change committed while rendering makes
  the new copy stale at once rather than hiding the change.

The cache lives in Redis, shared by every worker, and is only on when WORKBENCH_REDIS_URL (or
WORKBENCH_WIDGET_CACHE_URL, for a Redis of its own) is set; WORKBENCH_WIDGET_CACHE="off" turns
it off, "memory" keeps it in the process (right only for a single-process server). If Redis fails, widgets render directly and
the failure is logged: a slower homepage, never a wrong one. Widgets that embed a form (a CSRF
token is per session) or depend on the clock to the minute must not opt in.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from flask_babel import get_locale

from workbench import change_tracking

log = logging.getLogger(__name__)

_SEPARATOR = "\n"


class MemoryStore:
    """Bodies in this process only — exact for the single-process embedded default."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_many(self, body_key: str, tables) -> tuple[str | None, list[int]]:
        with self._lock:
            entry = self._entries.get(body_key)
        body = entry[1] if entry and entry[0] > time.monotonic() else None
        return body, change_tracking.generations().current(tables)

    def put(self, body_key: str, value: str, seconds: int) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[body_key] = (time.monotonic() + seconds, value)


class RedisStore:
    """Bodies in Redis next to the table generations: one round trip to check a widget."""

    def __init__(self, generations: change_tracking.RedisGenerations) -> None:
        self.generations = generations
        self.client = generations.client

    def get_many(self, body_key: str, tables) -> tuple[str | None, list[int]]:
        values = self.client.mget([body_key, *(self.generations.key(t) for t in tables)])
        body = values[0].decode("utf-8") if values[0] is not None else None
        return body, [int(v or 0) for v in values[1:]]

    def put(self, body_key: str, value: str, seconds: int) -> None:
        self.client.set(body_key, value.encode("utf-8"), ex=seconds)


def init_app(app) -> None:
    """Choose the store and point the change tracker at the same place (once per app)."""
    change_tracking.install()
    backend = app.config.get("WORKBENCH_WIDGET_CACHE")
    redis_url = app.config.get("WORKBENCH_WIDGET_CACHE_URL") or app.config.get("WORKBENCH_REDIS_URL")
    if backend is None:
        backend = "redis" if redis_url else "off"
    store = None
    change_tracking.use_generations(change_tracking.LocalGenerations())
    if backend == "redis" and redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        prefix = app.config.get("WORKBENCH_JOBS_KEY_PREFIX", "workbench:")
        generations = change_tracking.RedisGenerations(client, prefix)
        change_tracking.use_generations(generations)
        store = RedisStore(generations)
    elif backend == "memory":
        change_tracking.use_generations(change_tracking.LocalGenerations())
        store = MemoryStore()
    app.extensions["workbench.widget_cache"] = store


def _store():
    return current_app.extensions.get("workbench.widget_cache")


def body_key(widget, user) -> str:
    prefix = current_app.config.get("WORKBENCH_JOBS_KEY_PREFIX", "workbench:")
    return f"{prefix}widget:{widget.key}:{user.id}:{get_locale()}"


def render(widget, user):
    """The widget's body: from the cache when still valid, else rendered (and kept)."""
    store = _store()
    if store is None or not widget.cache_seconds:
        return widget.render()
    key = body_key(widget, user)
    tables = list(widget.reads)
    try:
        cached, generations = store.get_many(key, tables)
    except Exception:
        log.warning("widget cache unavailable; rendering %s directly", widget.key, exc_info=True)
        return widget.render()
    stamp = ",".join(str(g) for g in generations)
    if cached is not None:
        cached_stamp, _, cached_body = cached.partition(_SEPARATOR)
        if cached_stamp == stamp:
            return cached_body
    body = widget.render()
    if isinstance(body, str):
        try:
            store.put(key, f"{stamp}{_SEPARATOR}{body}", widget.cache_seconds)
        except Exception:
            log.warning("could not keep widget %s in the cache", widget.key, exc_info=True)
    return body
