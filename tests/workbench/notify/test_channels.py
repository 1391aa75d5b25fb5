"""The delivery channels, each against a real counterpart: e-mail to an SMTP server process,
SMS to an HTTP gateway process or the log. Deliveries are jobs run after the commit; a
failure worth retrying stays on record and the job tries again; quiet hours hold SMS back
until the morning; an SMS never exceeds the length limit."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from workbench.extensions import db
from workbench.jobs.models import Job
from workbench.notify import services, sms
from workbench.notify.models import Delivery

SHANGHAI_2300_UTC = datetime(2030, 3, 2, 15, 0)   # 23:00 in Asia/Shanghai (UTC+8), in the future
SHANGHAI_0800_UTC = datetime(2030, 3, 3, 0, 0)    # 08:00 the next morning


def delivery(row, channel: str) -> Delivery:
    return db.session.execute(
        select(Delivery).where(Delivery.notification_id == row.id, Delivery.channel == channel)).scalar_one()


def job_of(row, channel: str) -> Job:
    return db.session.execute(select(Job).where(Job.key == f"notify.{channel}:{row.id}")).scalar_one()


# --- e-mail ------------------------------------------------------------------------------------

@pytest.mark.locale("en")
def test_an_e_mail_reaches_a_real_smtp_server_with_subject_text_and_link(world, smtp_server, notify_config):
    notify_config(WORKBENCH_SMTP_HOST="127.0.0.1", WORKBENCH_SMTP_PORT=smtp_server.port,
                  WORKBENCH_SMTP_FROM="workbench@telecom.example", WORKBENCH_PUBLIC_URL="https://wb.example/")
    world.am1.email = "am1@telecom.example"
    [row] = services.notify(world.am1, "task", "合同审核：滨江医院专线", link="/inbox/7", channels=["email"],
                            title="Contract review")
    db.session.commit()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "am1@telecom.example"
    assert mail["From"] == "workbench@telecom.example"
    assert mail["Subject"] == "[Workbench] Contract review"
    body = mail.get_content()
    assert "合同审核：滨江医院专线" in body  # Chinese arrives intact (UTF-8)
    assert "https://wb.example/inbox/7" in body
    sent = delivery(row, "email")
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert job_of(row, "email").state == "done"


def test_a_refused_mailbox_is_a_permanent_failure_and_is_not_retried(world, smtp_server, notify_config):
    notify_config(WORKBENCH_SMTP_HOST="127.0.0.1", WORKBENCH_SMTP_PORT=smtp_server.port)
    world.am1.email = "refuse-me@telecom.example"
    [row] = services.notify(world.am1, "notice", "Hello", channels=["email"])
    db.session.commit()
    failed = delivery(row, "email")
    assert failed.status == "failed" and "550" in failed.detail
    assert job_of(row, "email").state == "done"  # recorded, not retried


def test_an_unreachable_mail_server_is_recorded_and_the_job_tries_again_later(world, notify_config):
    from tests.support.processes import free_port

    notify_config(WORKBENCH_SMTP_HOST="127.0.0.1", WORKBENCH_SMTP_PORT=free_port(), WORKBENCH_SMTP_TIMEOUT=2)
    world.am1.email = "am1@telecom.example"
    [row] = services.notify(world.am1, "notice", "Hello", channels=["email"])
    db.session.commit()
    failed = delivery(row, "email")
    assert failed.status == "failed" and "unreachable" in failed.detail and failed.attempts == 1
    job = job_of(row, "email")
    assert job.state == "pending" and job.run_after is not None  # back in the outbox, with a delay


def test_without_an_smtp_host_or_an_address_the_e_mail_is_skipped_with_the_reason(world, notify_config):
    world.am1.email = "am1@telecom.example"
    [unconfigured] = services.notify(world.am1, "notice", "Hello", channels=["email"])
    notify_config(WORKBENCH_SMTP_HOST="127.0.0.1")
    [no_address] = services.notify(world.am2, "notice", "Hello", channels=["email"])
    db.session.commit()
    assert "not configured" in delivery(unconfigured, "email").detail
    assert delivery(no_address, "email").detail == "no e-mail address"
    assert {delivery(unconfigured, "email").status, delivery(no_address, "email").status} == {"skipped"}


# --- SMS ---------------------------------------------------------------------------------------

def test_the_log_backend_writes_the_sms_to_the_log_and_keeps_it_on_the_delivery(world, caplog):
    world.am1.phone = "139 0000 1111"
    with caplog.at_level(logging.INFO, logger="workbench.notify.sms"):
        [row] = services.notify(world.am1, "notice", "Visit at 10:00", channels=["sms"])
        db.session.commit()
    sent = delivery(row, "sms")
    assert (sent.status, sent.address) == ("sent", "13900001111")
    assert "Visit at 10:00" in sent.text
    assert "13900001111" in caplog.text and "Visit at 10:00" in caplog.text


def test_the_http_gateway_receives_the_configured_json_body(world, sms_gateway, notify_config):
    notify_config(WORKBENCH_SMS_BACKEND="http", WORKBENCH_SMS_HTTP_URL=sms_gateway.url,
                  WORKBENCH_SMS_HTTP_TEMPLATE='{"mobiles": ["{phone}"], "content": "{text}", "sign": "工作台"}')
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "notice", 'He said "call me" {today}', channels=["sms"])
    db.session.commit()
    [request] = sms_gateway.received()
    assert request["path"] == "/sms/send" and request["content_type"] == "application/json"
    assert request["body"]["mobiles"] == ["13900001111"]
    assert request["body"]["sign"] == "工作台"
    assert 'He said "call me" {today}' in request["body"]["content"]  # escaped by JSON, not pasted
    assert delivery(row, "sms").status == "sent"


def test_a_delivery_run_twice_sends_once(world, sms_gateway, notify_config):
    notify_config(WORKBENCH_SMS_BACKEND="http", WORKBENCH_SMS_HTTP_URL=sms_gateway.url)
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "notice", "Once", channels=["sms"])
    db.session.commit()
    assert services.deliver(row.id, "sms") == {"status": "sent"}
    db.session.commit()
    assert len(sms_gateway.received()) == 1


def test_a_gateway_error_is_retried_and_a_refusal_is_not(world, sms_gateway, notify_config):
    notify_config(WORKBENCH_SMS_BACKEND="http", WORKBENCH_SMS_HTTP_URL=sms_gateway.url)
    world.am1.phone = "13800000500"   # the test gateway answers 500 for this number
    world.am2.phone = "13800000400"   # … and 400 for this one
    [busy] = services.notify(world.am1, "notice", "Try again", channels=["sms"])
    [refused] = services.notify(world.am2, "notice", "No", channels=["sms"])
    db.session.commit()
    assert delivery(busy, "sms").status == "failed" and "HTTP 500" in delivery(busy, "sms").detail
    assert job_of(busy, "sms").state == "pending"  # retried later
    assert delivery(refused, "sms").status == "failed" and job_of(refused, "sms").state == "done"


@pytest.mark.parametrize("phone, reason", [(None, "no mobile number"), ("", "no mobile number"),
                                           ("0571-88886666", "not a mobile number")])
def test_an_sms_without_a_mobile_number_is_skipped_with_the_reason(world, phone, reason):
    world.am1.phone = phone
    [row] = services.notify(world.am1, "notice", "Hello", channels=["sms"])
    db.session.commit()
    skipped = delivery(row, "sms")
    assert (skipped.status, skipped.detail) == ("skipped", reason)


def test_an_automatic_sms_is_cut_to_the_length_limit(world, notify_config):
    notify_config(WORKBENCH_SMS_MAX_LENGTH=70, WORKBENCH_SMS_MAX_SEGMENTS=1)
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "notice", "客户" * 100, channels=["sms"])
    db.session.commit()
    text = delivery(row, "sms").text
    assert len(text) == 70 and text.endswith("…")
    assert sms.segments(text, 70) == 1


@pytest.mark.app_config(WORKBENCH_SMS_QUIET_HOURS="22:00-08:00")
def test_an_sms_in_quiet_hours_waits_for_the_morning_while_the_in_app_row_is_there_at_once(world):
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "task", "Late news", now=SHANGHAI_2300_UTC)
    db.session.commit()
    assert row.in_app and services.unread_count(world.am1) == 1
    waiting = delivery(row, "sms")
    assert (waiting.status, waiting.not_before) == ("pending", SHANGHAI_0800_UTC)
    job = job_of(row, "sms")
    assert (job.state, job.run_after) == ("pending", SHANGHAI_0800_UTC)
    # In the morning the outbox hands it over and it goes.
    assert services.deliver(row.id, "sms", now=SHANGHAI_0800_UTC + timedelta(minutes=1)) == {"status": "sent"}


@pytest.mark.app_config(WORKBENCH_SMS_QUIET_HOURS="22:00-08:00")
def test_a_delivery_that_runs_late_into_quiet_hours_waits_for_the_next_morning(world):
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "notice", "Hello", channels=["sms"], now=SHANGHAI_2300_UTC)
    db.session.commit()
    a_day_late = SHANGHAI_2300_UTC + timedelta(days=1)
    outcome = services.deliver(row.id, "sms", now=a_day_late)
    db.session.commit()
    assert outcome["status"] == "deferred"
    next_morning = SHANGHAI_0800_UTC + timedelta(days=1)
    assert delivery(row, "sms").not_before == next_morning
    again = db.session.execute(select(Job).where(Job.key == f"notify.sms:{row.id}:{next_morning:%Y%m%d}")).scalar_one()
    assert (again.state, again.run_after) == ("pending", next_morning)
