"""The notification centre's background jobs: deliveries, the reminder scan, the digest and
bulk SMS. Each delegates to a service; all are safe to run twice (see the services)."""
from __future__ import annotations

from workbench.jobs import job


@job("notify.send_email", max_attempts=5)
def send_email(ctx, *, notification_id: int) -> dict:
    from workbench.notify import services

    return services.deliver(notification_id, "email")


@job("notify.send_sms", max_attempts=5)
def send_sms(ctx, *, notification_id: int) -> dict:
    from workbench.notify import services

    return services.deliver(notification_id, "sms")


@job("notify.scan_reminders", max_attempts=1)
def scan_reminders(ctx) -> dict:
    from workbench.notify import services

    result = services.scan_reminders(checkpoint=lambda done: ctx.checkpoint(done) if ctx else None)
    return {"due_soon": result.due_soon, "overdue": result.overdue}


@job("notify.send_digests", max_attempts=3)
def send_digests(ctx) -> dict:
    from workbench.notify import services

    return services.send_digests()


@job("notify.bulk_sms", max_attempts=3)
def bulk_sms(ctx, *, campaign_id: int) -> dict:
    from workbench.notify import bulk_sms as campaigns

    return campaigns.run_campaign(ctx, campaign_id)
