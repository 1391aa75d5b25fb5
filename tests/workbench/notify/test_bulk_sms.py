"""Bulk SMS (短信群发): only contacts of customers in the sender's scope; sent by a background
job at a limited rate; every recipient recorded (sent / failed / skipped and why); safe to
run again. Services against a real HTTP gateway process, then the pages."""
from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from workbench.customers.models import CustomerContact
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.jobs.models import Job
from workbench.notify import bulk_sms
from workbench.notify.models import SmsCampaign, SmsRecipient
from workbench.org.scope import acting_as, system_scope

SHANGHAI_2300_UTC = datetime(2030, 3, 2, 15, 0)
SHANGHAI_0800_UTC = datetime(2030, 3, 3, 0, 0)


def campaign_count() -> int:
    with system_scope():  # campaigns are scoped records: count all of them
        return db.session.execute(select(func.count(SmsCampaign.id))).scalar_one()


def add_contact(customer, name, phone, is_key=False) -> CustomerContact:
    contact = CustomerContact(customer_id=customer.id, name=name, phone=phone, is_key=is_key)
    db.session.add(contact)
    db.session.flush()
    return contact


@pytest.fixture
def contacts(world):
    """Contacts of am1's and am2's customers (county X1) and of the outsider's (county X2)."""
    found = {
        "zhou": add_contact(world.customers["am1"], "周主任", "13900000001", is_key=True),
        "wu": add_contact(world.customers["am1"], "吴科长", "13900000002"),
        "landline": add_contact(world.customers["am1"], "前台", "0571-88886666"),
        "none": add_contact(world.customers["am2"], "郑经理", ""),
        "zheng": add_contact(world.customers["am2"], "孙院长", "13900000003"),
        "outside": add_contact(world.customers["am3"], "钱处长", "13900000009"),
    }
    db.session.commit()
    return found


@pytest.fixture
def gateway_config(sms_gateway, notify_config):
    notify_config(WORKBENCH_SMS_BACKEND="http", WORKBENCH_SMS_HTTP_URL=sms_gateway.url,
                  WORKBENCH_SMS_RATE_PER_SECOND=1000)
    return sms_gateway


def send(actor, text, **choice):
    with acting_as(actor.scope):
        campaign = bulk_sms.create_campaign(actor, text, **choice)
    db.session.commit()  # the job runs now (in-process, after the commit)
    return campaign


def statuses(campaign) -> dict[str, tuple[str, str]]:
    return {r.name: (r.status, r.reason) for r in db.session.execute(
        select(SmsRecipient).where(SmsRecipient.campaign_id == campaign.id)).scalars()}


def ids(contacts, *names) -> list[int]:
    return [contacts[name].id for name in names]


def test_a_lead_sends_to_contacts_of_the_team_s_customers_and_each_is_recorded(world, contacts, gateway_config):
    campaign = send(world.lead, "【滨江分公司】周六凌晨网络割接，请知悉。",
                    contact_ids=ids(contacts, "zhou", "wu", "landline", "none", "zheng"))
    assert statuses(campaign) == {
        "周主任": ("sent", ""), "吴科长": ("sent", ""), "孙院长": ("sent", ""),
        "前台": ("skipped", "not a mobile number"), "郑经理": ("skipped", "no mobile number"),
    }
    sent = sorted(request["body"]["phone"] for request in gateway_config.received())
    assert sent == ["13900000001", "13900000002", "13900000003"]
    assert {request["body"]["text"] for request in gateway_config.received()} == {campaign.text}
    job = db.session.execute(select(Job).where(Job.key == campaign.job_key)).scalar_one()
    assert (job.state, job.progress_done, job.progress_total) == ("done", 5, 5)
    assert job.created_by_id == world.lead.id


def test_a_list_with_an_out_of_scope_contact_is_refused_whole_and_nothing_is_sent(world, contacts, gateway_config):
    with pytest.raises(NotFound):
        send(world.lead, "Hello", contact_ids=ids(contacts, "zhou", "outside"))
    db.session.rollback()
    assert campaign_count() == 0
    assert db.session.execute(select(func.count(SmsRecipient.id))).scalar_one() == 0
    assert gateway_config.received() == []


def test_an_account_manager_granted_the_right_reaches_only_their_own_customers(world, contacts, gateway_config):
    world.am1.extra_permissions = ["notify.bulk_sms"]
    db.session.commit()
    with pytest.raises(NotFound):
        send(world.am1, "Hello", contact_ids=ids(contacts, "zheng"))  # am2's customer
    db.session.rollback()
    campaign = send(world.am1, "Hello", filters=bulk_sms.ContactFilter())
    assert set(statuses(campaign)) == {"周主任", "吴科长", "前台"}


def test_without_the_right_nobody_sends(world, contacts):
    with pytest.raises(NotAllowed):
        send(world.am1, "Hello", contact_ids=ids(contacts, "zhou"))


def test_sending_to_everyone_matching_a_filter(world, contacts, gateway_config):
    campaign = send(world.lead, "Key contacts only", filters=bulk_sms.ContactFilter(key_only=True))
    assert statuses(campaign) == {"周主任": ("sent", "")}
    campaign = send(world.lead, "By name", filters=bulk_sms.ContactFilter(q="孙院"))
    assert set(statuses(campaign)) == {"孙院长"}


@pytest.mark.locale("en")
@pytest.mark.parametrize("text, choice, field, words", [
    ("   ", dict(contact_ids=[1]), "text", "Write the message"),
    ("短" * 202, dict(contact_ids=[1]), "text", "The message has 202 characters; at most 201 fit in 3 SMS"),
    ("Hello", dict(contact_ids=[]), "contacts", "Choose at least one contact"),
    ("Hello", dict(), "contacts", "Choose at least one contact"),
    ("Hello", dict(filters=bulk_sms.ContactFilter(q="nobody-has-this-name")), "contacts", "No contact matches"),
], ids=["empty-text", "too-long", "no-contacts", "no-choice", "filter-matches-none"])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_sent(world, contacts, text, choice, field, words):
    with pytest.raises(ServiceError) as refused:
        send(world.lead, text, **choice)
    assert refused.value.field == field and words in str(refused.value.message)
    db.session.rollback()
    assert campaign_count() == 0


def test_a_second_run_sends_nothing_twice(world, contacts, gateway_config):
    campaign = send(world.lead, "Once only", contact_ids=ids(contacts, "zhou", "wu"))
    assert len(gateway_config.received()) == 2
    outcome = bulk_sms.run_campaign(None, campaign.id)
    assert outcome["sent"] == 2 and len(gateway_config.received()) == 2


def test_a_recipient_left_sending_by_a_dead_worker_is_not_sent_again(world, contacts, gateway_config, notify_config):
    campaign = send(world.lead, "Careful", contact_ids=ids(contacts, "zhou"))
    recipient = db.session.execute(select(SmsRecipient).where(SmsRecipient.campaign_id == campaign.id)).scalar_one()
    recipient.status = "sending"  # as a worker that died right after calling the gateway leaves it
    db.session.commit()
    bulk_sms.run_campaign(None, campaign.id)
    assert statuses(campaign)["周主任"] == ("failed", bulk_sms.INTERRUPTED)
    assert len(gateway_config.received()) == 1


def test_the_same_number_twice_in_a_campaign_gets_one_sms(world, contacts, gateway_config):
    twin = add_contact(world.customers["am2"], "同号", "+86 139 0000 0001")
    db.session.commit()
    campaign = send(world.lead, "Once per number", contact_ids=[contacts["zhou"].id, twin.id])
    assert statuses(campaign)["同号"] == ("skipped", "same number as another recipient")
    assert len(gateway_config.received()) == 1


def test_failed_messages_can_be_sent_again_without_repeating_the_sent_ones(world, contacts, gateway_config):
    busy = add_contact(world.customers["am1"], "忙线", "13800000500")  # the gateway answers 500
    db.session.commit()
    campaign = send(world.lead, "Retry me", contact_ids=[contacts["zhou"].id, busy.id])
    assert statuses(campaign)["忙线"][0] == "failed" and "HTTP 500" in statuses(campaign)["忙线"][1]
    with acting_as(world.lead.scope):
        assert bulk_sms.retry_failed(world.lead, bulk_sms.get_campaign(campaign.id)) == 1
    db.session.commit()
    phones = [request["body"]["phone"] for request in gateway_config.received()]
    assert sorted(phones) == ["13800000500", "13800000500", "13900000001"]


@pytest.mark.locale("en")
def test_retrying_a_bulk_sms_without_failures_is_refused(world, contacts, gateway_config):
    campaign = send(world.lead, "All fine", contact_ids=ids(contacts, "zhou"))
    with acting_as(world.lead.scope), pytest.raises(ServiceError, match="nothing to send again"):
        bulk_sms.retry_failed(world.lead, bulk_sms.get_campaign(campaign.id))


def test_sending_is_throttled_to_the_configured_rate(world, contacts, notify_config):
    notify_config(WORKBENCH_SMS_RATE_PER_SECOND=10)
    started = time.monotonic()
    campaign = send(world.lead, "Slowly", contact_ids=ids(contacts, "zhou", "wu", "zheng"))
    assert time.monotonic() - started >= 0.2  # three sends at 10/s: two gaps of 0.1 s
    assert [s for s, _ in statuses(campaign).values()].count("sent") == 3


@pytest.mark.app_config(WORKBENCH_SMS_QUIET_HOURS="22:00-08:00")
def test_a_campaign_started_in_quiet_hours_waits_for_the_morning(world, contacts):
    with acting_as(world.lead.scope):
        campaign = bulk_sms.create_campaign(world.lead, "Night", contact_ids=ids(contacts, "zhou"),
                                            now=SHANGHAI_2300_UTC)
    db.session.commit()
    job = db.session.execute(select(Job).where(Job.key == campaign.job_key)).scalar_one()
    assert (job.state, job.run_after) == ("pending", SHANGHAI_0800_UTC)
    assert statuses(campaign)["周主任"] == ("pending", "")


@pytest.mark.app_config(WORKBENCH_SMS_QUIET_HOURS="22:00-08:00")
def test_a_campaign_that_runs_into_quiet_hours_pauses_until_the_morning(world, contacts):
    with acting_as(world.lead.scope):
        campaign = bulk_sms.create_campaign(world.lead, "Long", contact_ids=ids(contacts, "zhou", "wu"),
                                            now=SHANGHAI_2300_UTC)
    db.session.commit()
    outcome = bulk_sms.run_campaign(None, campaign.id, clock=lambda: SHANGHAI_2300_UTC)
    assert outcome["status"] == "paused"
    db.session.expire_all()
    with system_scope():
        resumed = db.session.get(SmsCampaign, campaign.id)
    assert resumed.job_key.endswith(":2")
    assert db.session.execute(select(Job.run_after).where(Job.key == resumed.job_key)).scalar_one() == SHANGHAI_0800_UTC
