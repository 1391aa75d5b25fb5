"""Reminders: a to-do due soon and an overdue one remind the assignee once per rule, however
often the scan runs; the daily digest goes once a day to those who turned it on."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.support.factories import make_todo
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.jobs import enqueue, job_for_key
from workbench.notify import services
from workbench.notify.models import Delivery, Notification, ReminderSent
from workbench.org.scope import system_scope
from workbench.records import utcnow

# 07:30 in Asia/Shanghai on a day in the future.
DIGEST_TIME = datetime(2030, 6, 3, 23, 30)


def messages_of(user) -> list[str]:
    return list(db.session.execute(
        select(Notification.message).where(Notification.user_id == user.id).order_by(Notification.id)).scalars())


def scan(now=None):
    with system_scope():
        result = services.scan_reminders(now=now)
    db.session.commit()
    return result


@pytest.fixture
def todos(world):
    """am1's to-dos, opened by am1 themselves (so opening them notifies nobody)."""
    items = {
        "soon": make_todo(world.am1, title="Due in two hours", due_in=timedelta(hours=2), created_by=world.am1),
        "overdue": make_todo(world.am1, title="Was due yesterday", due_in=timedelta(days=-1), created_by=world.am1),
        "later": make_todo(world.am1, title="Due next week", due_in=timedelta(days=7), created_by=world.am1),
        "undated": make_todo(world.am1, title="No due time", due_in=None, created_by=world.am1),
        "done": make_todo(world.am1, title="Already done", due_in=timedelta(hours=1), created_by=world.am1),
        "snoozed": make_todo(world.am1, title="Snoozed", due_in=timedelta(hours=-3), created_by=world.am1),
    }
    with system_scope():
        inbox.mark_done(items["done"], world.am1)
        inbox.snooze(items["snoozed"], world.am1, utcnow() + timedelta(days=1))
    db.session.commit()
    return items


@pytest.mark.locale("en")
def test_due_soon_and_overdue_to_dos_remind_their_assignee(world, todos):
    result = scan()
    assert (result.due_soon, result.overdue) == (1, 1)
    messages = messages_of(world.am1)
    assert len(messages) == 2
    assert any(m.startswith("Due soon: Due in two hours (due ") for m in messages)
    assert any(m.startswith("Overdue: Was due yesterday (due ") for m in messages)
    links = set(db.session.execute(select(Notification.link).where(Notification.user_id == world.am1.id)).scalars())
    assert links == {f"/inbox/{todos['soon'].id}", f"/inbox/{todos['overdue'].id}"}


def test_repeated_scans_remind_once_per_rule(world, todos):
    scan()
    scan()
    scan()
    assert len(messages_of(world.am1)) == 2
    assert db.session.execute(select(func.count(ReminderSent.id))).scalar_one() == 2


def test_a_to_do_reminded_as_due_soon_is_reminded_again_once_when_it_becomes_overdue(world, todos):
    scan()
    three_hours_later = utcnow() + timedelta(hours=3)
    assert (scan(three_hours_later).overdue, scan(three_hours_later).overdue) == (1, 0)
    rules = set(db.session.execute(
        select(ReminderSent.rule).where(ReminderSent.todo_id == todos["soon"].id)).scalars())
    assert rules == {"due_soon", "overdue"}


def test_a_snoozed_to_do_is_reminded_after_its_snooze(world, todos):
    scan()
    assert scan(utcnow() + timedelta(days=2)).overdue >= 1
    rows = set(db.session.execute(select(ReminderSent.todo_id).where(ReminderSent.rule == "overdue")).scalars())
    assert todos["snoozed"].id in rows


def test_reminders_follow_the_assignee_s_channels(world, todos):
    world.am1.phone = "13900001111"
    inbox.save_reminder_settings(world.am1, {"task": ["sms"]})
    db.session.commit()
    scan()
    channels = db.session.execute(
        select(Notification.in_app, Delivery.channel, Delivery.status)
        .join(Delivery, Delivery.notification_id == Notification.id)
        .where(Notification.user_id == world.am1.id)).all()
    assert sorted(channels) == [(False, "sms", "sent"), (False, "sms", "sent")]


def test_the_same_rule_cannot_be_recorded_twice_for_a_to_do(world, todos):
    db.session.add(ReminderSent(todo_id=todos["soon"].id, rule="due_soon"))
    db.session.commit()
    db.session.add(ReminderSent(todo_id=todos["soon"].id, rule="due_soon"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_scheduled_job_runs_the_scan(app, world, todos):
    assert "notify.scan_reminders" in {s.name for s in app.extensions["workbench.plugins"].beat_schedule}
    with system_scope():
        enqueue("notify.scan_reminders", key="notify.scan_reminders:test")
        db.session.commit()
        job = job_for_key("notify.scan_reminders:test")
    assert job.state == "done" and job.result == {"due_soon": 1, "overdue": 1}


# --- the daily digest ------------------------------------------------------------------------

def digest(now=DIGEST_TIME):
    with system_scope():
        result = services.send_digests(now=now)
    db.session.commit()
    return result


@pytest.mark.locale("en")
def test_the_digest_goes_once_a_day_to_those_who_turned_it_on(world, todos):
    services.save_preference(world.am1, digest_enabled=True, digest_channels=["in_app"])
    db.session.commit()
    assert digest() == {"sent": 1, "nothing_open": 0}
    [message] = [m for m in messages_of(world.am1) if m.startswith("Open to-dos")]
    # soon, overdue, later, undated and snoozed are open; by 2030 the dated ones are all overdue.
    assert message == "Open to-dos: 5, overdue: 4, due today: 0."
    assert digest(DIGEST_TIME + timedelta(minutes=5)) == {"sent": 0, "nothing_open": 0}
    assert digest(DIGEST_TIME + timedelta(days=1))["sent"] == 1


def test_nobody_gets_a_digest_without_asking_or_with_nothing_open(world, todos):
    services.save_preference(world.am2, digest_enabled=True, digest_channels=["in_app"])
    db.session.commit()
    assert digest() == {"sent": 0, "nothing_open": 1}
    assert [m for m in messages_of(world.am1) if m.startswith("Open to-dos")] == []


def test_the_digest_uses_the_channels_chosen_for_it(world, todos):
    world.am1.phone = "13900001111"
    services.save_preference(world.am1, digest_enabled=True, digest_channels=["sms"])
    db.session.commit()
    digest()
    [(in_app, channel)] = db.session.execute(
        select(Notification.in_app, Delivery.channel).join(Delivery, Delivery.notification_id == Notification.id)
        .where(Notification.kind == "digest")).all()
    assert (in_app, channel) == (False, "sms")


@pytest.mark.locale("en")
def test_turning_the_digest_on_without_a_channel_is_refused(world):
    from workbench.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        services.save_preference(world.am1, digest_enabled=True, digest_channels=[])
    assert refused.value.field == "digest_channels"
    with pytest.raises(ServiceError, match="Unknown notification channel"):
        services.save_preference(world.am1, digest_enabled=True, digest_channels=["fax"])
