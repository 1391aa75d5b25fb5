"""Bulk SMS (短信群发) to customer contacts, as a background job with a per-recipient record.

Rules:
* only contacts of customers in the sender's data scope can be chosen — a list naming any
  other contact is refused whole and nothing is sent;
* the text fits WORKBENCH_SMS_MAX_SEGMENTS SMS, or it is refused (it is never cut);
* the job sends at most WORKBENCH_SMS_RATE_PER_SECOND messages a second, skips contacts
  without a mobile number (recording why) and never sends one number twice per campaign;
* it is safe to run again: only recipients still pending are sent to. A recipient is marked
  "sending" and committed before the gateway is called, so a worker that dies mid-send
  leaves it "sending"; the next run records it as failed instead of sending it a second time
  (a missing SMS can be retried on purpose; a duplicate cannot be taken back);
* quiet hours: a campaign started in them waits for the morning, and one that runs into
  them pauses and carries on in the morning.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import contains_eager

from workbench.auth.models import User
from workbench.customers.models import Customer, CustomerContact
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.jobs import enqueue
from workbench.notify import settings as notify_settings
from workbench.notify import sms
from workbench.notify.models import SmsCampaign, SmsRecipient
from workbench.records import utcnow

PERMISSION = "notify.bulk_sms"
MAX_RECIPIENTS = 20_000

NO_MOBILE = "no mobile number"
NOT_MOBILE = "not a mobile number"
DUPLICATE = "same number as another recipient"
INTERRUPTED = "interrupted while sending; not sent again to avoid a duplicate"
# Reasons are stored as these plain words (stable, searchable) and shown translated.
REASON_LABELS = {
    NO_MOBILE: _l("No mobile number"),
    NOT_MOBILE: _l("Not a mobile number"),
    DUPLICATE: _l("Same number as another recipient"),
    INTERRUPTED: _l("Interrupted while sending; not sent again to avoid a duplicate"),
}


def reason_label(reason: str) -> str:
    label = REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


@dataclass
class ContactFilter:
    q: str | None = None
    customer_id: int | None = None
    key_only: bool = False


def contacts_query(filters: ContactFilter | None = None):
    """SELECT of contacts (with their customer loaded) whose customer is in the reader's
    scope — the scope rule applies to Customer through the join — not archived, matching
    the filters."""
    filters = filters or ContactFilter()
    query = (select(CustomerContact)
             .join(Customer, CustomerContact.customer_id == Customer.id)
             .options(contains_eager(CustomerContact.customer))
             .where(Customer.archived.is_(False)))
    if filters.q and filters.q.strip():
        words = filters.q.strip()
        query = query.where(or_(CustomerContact.name.contains(words, autoescape=True),
                                Customer.name.contains(words, autoescape=True),
                                CustomerContact.phone.contains(words, autoescape=True)))
    if filters.customer_id:
        query = query.where(Customer.id == filters.customer_id)
    if filters.key_only:
        query = query.where(CustomerContact.is_key.is_(True))
    return query.order_by(Customer.name, CustomerContact.id)


def check_text(text: str | None) -> str:
    settings = notify_settings.current()
    text = (text or "").strip()
    if not text:
        raise ServiceError(_l("Write the message to send."), field="text")
    limit = sms.max_characters(settings.sms_segment_length, settings.sms_max_segments)
    if len(text) > limit:
        raise ServiceError(_l("The message has %(length)d characters; at most %(limit)d fit in %(segments)d SMS. "
                              "Shorten it.", length=len(text), limit=limit, segments=settings.sms_max_segments),
                           field="text")
    return text


def create_campaign(actor: User, text: str, *, contact_ids: list[int] | None = None,
                    filters: ContactFilter | None = None, now: datetime | None = None) -> SmsCampaign:
    """Write a campaign with one recipient row per chosen contact and queue its job.

    Choose the contacts by id (`contact_ids`) or as everything matching `filters`. The
    caller commits; the job starts after the commit (in the morning during quiet hours).
    """
    if not actor.can(PERMISSION):
        raise NotAllowed(_l("You may not send bulk SMS."))
    text = check_text(text)
    if actor.org_unit_id is None:
        raise ServiceError(_l("Your account belongs to no org unit; ask an administrator to place it."))
    if contact_ids is not None:
        wanted = {int(i) for i in contact_ids}
        if not wanted:
            raise ServiceError(_l("Choose at least one contact."), field="contacts")
        rows = db.session.execute(contacts_query().where(CustomerContact.id.in_(wanted))).scalars().all()
        if len(rows) != len(wanted):
            raise NotFound(_l("Some of the chosen contacts are not among your customers. Nothing was sent."))
    elif filters is not None:
        rows = db.session.execute(contacts_query(filters).limit(MAX_RECIPIENTS + 1)).scalars().all()
        if not rows:
            raise ServiceError(_l("No contact matches the filter. Nothing was sent."), field="contacts")
    else:
        raise ServiceError(_l("Choose at least one contact."), field="contacts")
    if len(rows) > MAX_RECIPIENTS:
        raise ServiceError(_l("At most %(count)d contacts per bulk SMS.", count=MAX_RECIPIENTS), field="contacts")
    campaign = SmsCampaign(text=text, owner_id=actor.id, org_unit_id=actor.org_unit_id,
                           recipient_count=len(rows), runs=1)
    db.session.add(campaign)
    db.session.flush()
    db.session.execute(insert(SmsRecipient), [
        {"campaign_id": campaign.id, "contact_id": contact.id, "customer_id": contact.customer_id,
         "name": contact.name[:100], "customer_name": contact.customer.name[:200],
         "phone": (contact.phone or "")[:32], "status": "pending", "reason": ""}
        for contact in rows
    ])
    _queue_run(campaign, actor, now)
    return campaign


def _queue_run(campaign: SmsCampaign, actor: User | None, now: datetime | None) -> None:
    settings = notify_settings.current()
    morning = sms.quiet_until(now or utcnow(), settings.quiet_hours, settings.timezone)
    key = f"notify.bulk_sms:{campaign.id}:{campaign.runs}"
    enqueue("notify.bulk_sms", key=key, created_by=actor or campaign.owner_id, run_after=morning,
            campaign_id=campaign.id)
    campaign.job_key = key


def retry_failed(actor: User, campaign: SmsCampaign, now: datetime | None = None) -> int:
    """Send again to the recipients whose SMS failed (never to those already sent)."""
    if not actor.can(PERMISSION):
        raise NotAllowed(_l("You may not send bulk SMS."))
    failed = db.session.execute(
        update(SmsRecipient).where(SmsRecipient.campaign_id == campaign.id, SmsRecipient.status == "failed")
        .values(status="pending", reason="").execution_options(synchronize_session=False)
    ).rowcount
    if not failed:
        raise ServiceError(_l("No recipient of this bulk SMS failed; there is nothing to send again."))
    campaign.runs += 1
    _queue_run(campaign, actor, now)
    return failed


def get_campaign(campaign_id: int) -> SmsCampaign:
    found = db.session.execute(select(SmsCampaign).where(SmsCampaign.id == campaign_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(_l("Bulk SMS not found."))
    return found


def counts_by_status(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """{campaign id: {status: count}} for a page of campaigns in one grouped query."""
    if not campaign_ids:
        return {}
    found: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    for campaign_id, status, count in db.session.execute(
        select(SmsRecipient.campaign_id, SmsRecipient.status, func.count())
        .where(SmsRecipient.campaign_id.in_(campaign_ids))
        .group_by(SmsRecipient.campaign_id, SmsRecipient.status)
    ).all():
        found[campaign_id][status] = int(count)
    return found


def recipients_query(campaign: SmsCampaign, status: str | None = None):
    query = select(SmsRecipient).where(SmsRecipient.campaign_id == campaign.id)
    if status:
        query = query.where(SmsRecipient.status == status)
    return query.order_by(SmsRecipient.id)


# --- the job ---------------------------------------------------------------------------------

def run_campaign(ctx, campaign_id: int, clock=utcnow, throttle: sms.Throttle | None = None) -> dict:
    """Send a campaign's pending recipients (the notify.bulk_sms job, system scope)."""
    settings = notify_settings.current()
    campaign = db.session.get(SmsCampaign, campaign_id)
    if campaign is None:
        return {"status": "missing"}
    # A previous run died between marking and sending: do not risk a duplicate.
    db.session.execute(
        update(SmsRecipient).where(SmsRecipient.campaign_id == campaign_id, SmsRecipient.status == "sending")
        .values(status="failed", reason=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    pending_ids = list(db.session.execute(
        select(SmsRecipient.id).where(SmsRecipient.campaign_id == campaign_id, SmsRecipient.status == "pending")
        .order_by(SmsRecipient.id)
    ).scalars())
    already_sent = {sms.mobile_number(phone) for phone in db.session.execute(
        select(SmsRecipient.phone).where(SmsRecipient.campaign_id == campaign_id, SmsRecipient.status == "sent")
    ).scalars()}
    total = campaign.recipient_count
    done = total - len(pending_ids)
    gateway = sms.gateway(settings)
    throttle = throttle or sms.Throttle(settings.sms_rate_per_second)

    def progress(note=None):
        if ctx is not None:
            ctx.checkpoint(done, total, note)
        else:
            db.session.commit()

    for recipient_id in pending_ids:
        morning = sms.quiet_until(clock(), settings.quiet_hours, settings.timezone)
        if morning is not None:
            campaign.runs += 1
            key = f"notify.bulk_sms:{campaign.id}:{campaign.runs}"
            enqueue("notify.bulk_sms", key=key, created_by=campaign.owner_id, run_after=morning,
                    campaign_id=campaign.id)
            campaign.job_key = key
            progress(f"quiet hours: the rest goes at {morning:%Y-%m-%d %H:%M} UTC")
            return {"status": "paused", "until": morning.isoformat(), "done": done, "total": total}
        recipient = db.session.get(SmsRecipient, recipient_id)
        phone = sms.mobile_number(recipient.phone)
        if not recipient.phone:
            recipient.status, recipient.reason = "skipped", NO_MOBILE
        elif phone is None:
            recipient.status, recipient.reason = "skipped", NOT_MOBILE
        elif phone in already_sent:
            recipient.status, recipient.reason = "skipped", DUPLICATE
        else:
            recipient.status = "sending"
            progress()  # commit "sending" before the gateway call (see the module docstring)
            throttle.wait()
            result = gateway.send(phone, campaign.text)
            if result.ok:
                recipient.status, recipient.sent_at, recipient.reason = "sent", clock(), ""
                already_sent.add(phone)
            else:
                recipient.status, recipient.reason = "failed", (result.detail or "failed")[:300]
        done += 1
    progress()
    counts = counts_by_status([campaign_id])[campaign_id]
    return {"status": "finished", "total": total, **counts}
