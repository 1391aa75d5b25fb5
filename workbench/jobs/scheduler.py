"""The in-process scheduler of the embedded default: beat's job without Redis.

`workbench demo` (and `workbench run` without WORKBENCH_REDIS_URL) start it in a daemon
thread. It checks the declared schedules every few seconds, enqueues a run that is due with
an idempotency key naming the schedule and its due minute — so two processes started by
mistake still run each schedule once — and drains the outbox (retries, delayed jobs).
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from workbench.celery_app import parse_schedule

log = logging.getLogger(__name__)


class InProcessScheduler:
    def __init__(self, app, interval: float = 5.0):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        started = datetime.now(timezone.utc)
        self._entries = [
            (entry, parse_schedule(entry.schedule))
            for entry in app.extensions["workbench.plugins"].beat_schedule
        ]
        self._last_run = {entry.name: started for entry, _ in self._entries}

    def start(self) -> "InProcessScheduler":
        self._thread = threading.Thread(target=self._loop, name="workbench-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("in-process scheduler tick failed")

    def tick(self, now: datetime | None = None) -> list[str]:
        """Enqueue every schedule that is due; returns the names that ran."""
        from workbench.extensions import db
        from workbench.jobs import registry
        from workbench.jobs.services import enqueue, run_untracked
        from workbench.org.scope import system_scope

        now = now or datetime.now(timezone.utc)
        ran = []
        with self.app.app_context():
            for entry, schedule in self._entries:
                due, _next = schedule.is_due(self._last_run[entry.name])
                if not due:
                    continue
                self._last_run[entry.name] = now
                ran.append(entry.name)
                if not registry.definition(entry.job).tracked:
                    run_untracked(entry.job, dict(entry.kwargs))
                    continue
                with system_scope():
                    enqueue(entry.job, key=f"{entry.name}:{now:%Y%m%d%H%M}", **entry.kwargs)
                    db.session.commit()
        return ran
