"""Scheduled jobs of the opportunity plugin (declared in plugin.py's beat schedule): the
overdue scan (超期预警) and the monthly "no follow-up" scan. Both are safe to run twice: an
alert already raised (opportunity_alert's unique key) is not raised again."""
from __future__ import annotations

from workbench.jobs.registry import job

from plugins.opportunity import services


@job("opportunity.scan_overdue", max_attempts=1)
def scan_overdue(ctx) -> dict:
    return {"raised": services.scan_overdue()}


@job("opportunity.scan_stale", max_attempts=1)
def scan_stale(ctx) -> dict:
    return {"raised": services.scan_stale()}
