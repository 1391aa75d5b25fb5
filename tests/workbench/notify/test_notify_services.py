"""notify(): who receives a notification, through which channels (their reminder settings
per kind), in which language; bad calls are refused with a clear message; the inbox's
to-do events notify the assignee. No HTTP here."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from tests.support.factories import make_todo, make_user
from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.jobs.models import Job
from workbench.notify import services
from workbench.notify.models import Delivery, Notification
from workbench.org.scope import acting_as


def notifications_of(user) -> list[Notification]:
    return list(db.session.execute(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)).scalars())


def deliveries_of(row: Notification) -> dict[str, Delivery]:
    return {d.channel: d for d in db.session.execute(
        select(Delivery).where(Delivery.notification_id == row.id)).scalars()}


def test_a_person_gets_an_in_app_notification_and_the_channels_of_the_kind_by_default(world):
    world.am1.phone = "13900001111"
    [row] = services.notify(world.am1, "task", "Call the customer back", link="/customers/1")
    db.session.commit()
    assert (row.user_id, row.in_app, row.message, row.link) == (world.am1.id, True, "Call the customer back", "/customers/1")
    # "task" declares in_app + sms as its default channels.
    sms = deliveries_of(row)["sms"]
    assert (sms.status, sms.address) == ("sent", "13900001111")
    assert "Call the customer back" in sms.text
    assert services.unread_count(world.am1) == 1


def test_the_person_s_reminder_settings_for_the_kind_choose_the_channels(world):
    world.am1.phone = "13900001111"
    inbox.save_reminder_settings(world.am1, {"task": ["email"]})
    [row] = services.notify(world.am1, "task", "Only by e-mail")
    db.session.commit()
    assert row.in_app is False
    assert set(deliveries_of(row)) == {"email"}
    assert services.unread_count(world.am1) == 0
    assert db.session.execute(services.list_query(world.am1)).scalars().all() == []


def test_someone_who_turned_every_channel_off_for_a_kind_gets_nothing(world):
    inbox.save_reminder_settings(world.am1, {"task": []})
    assert services.notify(world.am1, "task", "Quiet please") == []


def test_explicit_channels_override_the_settings(world):
    [row] = services.notify(world.am2, "task", "In the app only", channels=["in_app"])
    db.session.commit()
    assert row.in_app and deliveries_of(row) == {}


def test_a_unit_means_its_active_members_and_below_only_when_asked(world):
    below = make_user("account_manager", world.grid1, "below")
    gone = make_user("account_manager", world.county, "gone")
    gone.active = False
    db.session.commit()
    unit_only = services.notify(world.county, "notice", "For the county office")
    assert {row.user_id for row in unit_only} == {world.lead.id}
    with_subunits = services.notify(world.county, "notice", "For the whole county", include_subunits=True)
    assert {row.user_id for row in with_subunits} == {world.lead.id, world.am1.id, world.am2.id, below.id}


def test_a_list_of_people_is_notified_once_each_and_inactive_people_not_at_all(world):
    world.am2.active = False
    rows = services.notify([world.am1, world.am1, world.am2, world.lead], "notice", "Hello")
    assert sorted(row.user_id for row in rows) == sorted([world.am1.id, world.lead.id])


@pytest.mark.locale("en")
def test_each_recipient_reads_the_message_in_their_own_language(world):
    from flask_babel import lazy_gettext as _l

    world.am2.locale = "zh_Hans_CN"
    rows = services.notify([world.am1, world.am2], "task", _l("Assigned task"))
    with force_locale("zh_Hans_CN"):
        chinese = gettext("Assigned task")
    assert chinese != "Assigned task", "the catalogue translates this message"
    assert {row.user_id: row.message for row in rows} == {world.am1.id: "Assigned task", world.am2.id: chinese}
    assert {row.user_id: row.title for row in rows} == {world.am1.id: "Assigned task", world.am2.id: chinese}


@pytest.mark.locale("en")
@pytest.mark.parametrize("call, field, words", [
    (dict(kind="task", message="   "), "message", "needs a message"),
    (dict(kind="task", message=None), "message", "needs a message"),
    (dict(kind="fax.reminder", message="Hi"), "kind", "Unknown notification kind: fax.reminder"),
    (dict(kind="task", message="Hi", channels=["in_app", "pigeon"]), "channels", "Unknown notification channel: pigeon"),
    (dict(kind="task", message="Hi", link="https://evil.example/"), "link", "a path starting with /"),
    (dict(kind="task", message="Hi", link="//evil.example/"), "link", "a path starting with /"),
    (dict(kind="task", message="Hi", link="/\\evil.example/"), "link", "a path starting with /"),
])
def test_bad_calls_are_refused_with_a_clear_message_and_nothing_is_written(world, call, field, words):
    with pytest.raises(ServiceError) as refused:
        services.notify(world.am1, **call)
    assert refused.value.field == field
    assert words in str(refused.value.message)
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 0


def test_something_that_is_not_a_person_or_unit_is_refused(world):
    with pytest.raises(ServiceError):
        services.notify("am1", "notice", "Hello")


# --- the inbox's events ----------------------------------------------------------------------

def test_a_new_to_do_notifies_its_assignee_with_a_link_to_it(world):
    item = make_todo(world.am1, title="Visit the hospital", created_by=world.lead)
    db.session.commit()  # events may be delivered only after the commit; either way it is there now
    [row] = notifications_of(world.am1)
    assert "Visit the hospital" in row.message
    assert row.link == f"/inbox/{item.id}"
    assert row.kind == "task"


def test_a_to_do_someone_gives_themselves_notifies_nobody(world):
    make_todo(world.am1, title="Note to self", created_by=world.am1)
    db.session.commit()
    assert notifications_of(world.am1) == []


def test_a_to_do_queued_for_a_unit_notifies_the_unit_s_members(world):
    make_todo(None, title="Anyone in grid 1", unit=world.grid1, created_by=world.lead)
    db.session.commit()
    [row] = notifications_of(world.am1)
    assert "Anyone in grid 1" in row.message
    assert notifications_of(world.am2) == []


def test_a_reassigned_to_do_notifies_the_new_assignee(world):
    item = make_todo(world.am1, title="Hand me over", created_by=world.lead)
    db.session.commit()
    with acting_as(world.lead.scope):
        inbox.reassign(inbox.get_todo(item.id), world.lead, world.am2)
    db.session.commit()
    [row] = notifications_of(world.am2)
    assert "Hand me over" in row.message and row.link == f"/inbox/{item.id}"


def test_a_rolled_back_action_notifies_nobody_and_queues_nothing(world):
    world.am1.phone = "13900001111"
    db.session.commit()
    make_todo(world.am1, title="Never happened", created_by=world.lead)
    db.session.rollback()
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(Job.id)).where(Job.task.like("notify.%"))).scalar_one() == 0


def test_dispatching_a_task_notifies_every_target_once(world):
    inbox.dispatch_task(world.lead, title="Visit three A customers", unit=world.county)
    db.session.commit()
    assert len(notifications_of(world.am1)) == 1
    assert len(notifications_of(world.am2)) == 1
    assert notifications_of(world.lead) == []  # the dispatcher is not a target
