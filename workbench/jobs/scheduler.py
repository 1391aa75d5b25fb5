"""The in-process scheduler of the embedded default: beat's job without Redis.

`workbench demo` starts it in a daemon thread when WORKBENCH_REDIS_URL is not set. Every few
seconds it enqueues the declared schedules that are due — each run with an idempotency key
naming the schedule and its period, so two processes started by mistake still run a
schedule once per period — and drains the outbox (retries, delayed jobs). Cron schedules
are read in the workbench's time zone, as beat reads them.
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
        self._now: datetime | None = None
        celery = app.extensions["celery"]
        self._entries = [
            (entry, parse_schedule(entry.schedule, app=celery, nowfun=self._clock))
            for entry in app.extensions["workbench.plugins"].beat_schedule
        ]
        started = self._clock()
        self._last_run = {entry.name: started for entry, _ in self._entries}

    def _clock(self) -> datetime:
        return self._now or datetime.now(timezone.utc)

    def start(self) -> "InProcessScheduler":
        self._thread = threading.Thread(target=self._loop, name="workbench-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        self.drain()  # jobs left in the outbox when the process last stopped run now
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("in-process scheduler tick failed")

    def drain(self) -> None:
        from workbench.jobs.services import drain_outbox

        try:
            with self.app.app_context():
                drain_outbox(self.app)
        except Exception:
            log.exception("draining the outbox failed")

    def tick(self, now: datetime | None = None) -> list[str]:
        """Enqueue every schedule that is due at `now` (aware; default: the clock); returns
        the names that ran. A failing schedule is logged and does not stop the others."""
        self._now = now
        try:
            return [entry.name for entry, schedule in self._entries if self._run_if_due(entry, schedule)]
        finally:
            self._now = None

    def _run_if_due(self, entry, schedule) -> bool:
        from workbench.extensions import db
        from workbench.jobs import registry
        from workbench.jobs.services import enqueue, run_untracked
        from workbench.org.scope import system_scope

        now = self._clock()
        due, _next = schedule.is_due(self._last_run[entry.name])
        if not due:
            return False
        self._last_run[entry.name] = now
        with self.app.app_context():
            try:
                if not registry.definition(entry.job).tracked:
                    run_untracked(entry.job, dict(entry.kwargs))
                    return True
                with system_scope():
                    enqueue(entry.job, key=f"{entry.name}:{self._period(entry, now)}", **entry.kwargs)
                    db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", entry.name)
        return True

    @staticmethod
    def _period(entry, now: datetime) -> str:
        """Which run this is: the number of the interval since the epoch for "every N seconds",
        the minute for a cron schedule (a cron schedule fires at most once a minute)."""
        if isinstance(entry.schedule, (int, float)):
            return str(int(now.timestamp() // entry.schedule))
        return f"{now:%Y%m%d%H%M}"
