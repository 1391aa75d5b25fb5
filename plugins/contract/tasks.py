"""Background jobs of the contract plugin."""
from __future__ import annotations

from workbench.jobs import job


@job("contract.scan_expiry", max_attempts=3)
def scan_expiry(ctx) -> dict:
    """Daily: raise contract.expiring (90/30/7 days) and contract.expired, once each.
    A system job: it sees every contract; the notice rows make a second run harmless."""
    from plugins.contract import services

    result = services.scan_expiry()
    return {"expiring": result.expiring, "expired": result.expired}
