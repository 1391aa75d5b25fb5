"""Background jobs of the warning plugin: the nightly scan (with escalation) and a
separate, more frequent escalation pass."""
from __future__ import annotations

from workbench.jobs import job


@job("warning.scan", max_attempts=3)
def run_scan(ctx) -> dict:
    """Evaluate every rule for all customers of the newest month, then escalate. A system
    job; the unique (customer, rule, period) key makes a repeated run raise nothing twice."""
    from plugins.warning import services

    result = services.scan()
    return {"period": result.period, "raised": result.raised, "escalated": result.escalated}


@job("warning.escalate", max_attempts=3)
def run_escalation(ctx) -> dict:
    """Hand open warnings past their due time to the lead, once each."""
    from plugins.warning import services

    return {"escalated": services.escalate()}
