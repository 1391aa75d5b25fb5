"""Announcements (系统公告): an administrator publishes to everybody or to units and everything
below them; the audience sees it in the homepage widget and the notification list until
they read it; withdrawing takes it back. Services first, then the pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.factories import make_user
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.notify import announcements, services
from workbench.notify.models import Announcement, Notification


def announce(actor, units=(), target_all=False, title="Network maintenance on Saturday", body="From 02:00 to 04:00."):
    created = announcements.create(actor, title=title, body=body, target_all=target_all, units=list(units))
    announcements.publish(actor, created)
    db.session.commit()
    return created


def widget_titles(user) -> list[str]:
    return [a.title for a, _read in announcements.for_reader(user)]


def test_an_announcement_to_a_unit_reaches_that_unit_and_everything_below_only(world):
    created = announce(world.admin, units=[world.county])
    assert created.recipient_count == 3  # lead (X1), am1 (G1), am2 (G2)
    for reader in (world.lead, world.am1, world.am2):
        assert services.unread_count(reader) == 1
        assert widget_titles(reader) == ["Network maintenance on Saturday"]
    for outside in (world.outsider, world.admin):
        assert services.unread_count(outside) == 0
        assert widget_titles(outside) == []


def test_an_announcement_to_everybody_reaches_every_active_person(world):
    world.am2.active = False
    db.session.commit()
    created = announce(world.admin, target_all=True)
    assert created.recipient_count == 4
    assert widget_titles(world.outsider) == ["Network maintenance on Saturday"]
    assert services.unread_count(world.am2) == 0


def test_reading_it_marks_it_read_in_the_list_the_bell_and_the_widget(world):
    created = announce(world.admin, units=[world.county])
    assert announcements.for_reader(world.am1) == [(created, False)]
    announcements.read(world.am1, created.id)
    db.session.commit()
    assert services.unread_count(world.am1) == 0
    assert announcements.for_reader(world.am1) == [(created, True)]
    assert services.unread_count(world.am2) == 1  # others still have it unread


def test_someone_outside_the_audience_cannot_open_it(world):
    created = announce(world.admin, units=[world.grid1])
    with pytest.raises(NotFound):
        announcements.read(world.am2, created.id)


def test_someone_who_joins_the_unit_later_sees_it_in_the_widget(world):
    created = announce(world.admin, units=[world.county])
    newcomer = make_user("account_manager", world.grid2, "newcomer")
    db.session.commit()
    assert announcements.for_reader(newcomer) == [(created, False)]


def test_withdrawing_takes_it_out_of_the_widget_the_list_and_the_bell_and_keeps_the_record(world):
    created = announce(world.admin, units=[world.county])
    announcements.withdraw(world.admin, created)
    db.session.commit()
    assert services.unread_count(world.am1) == 0
    assert widget_titles(world.am1) == []
    assert db.session.execute(services.list_query(world.am1)).scalars().all() == []
    assert db.session.get(Announcement, created.id).status == "withdrawn"


def test_a_draft_reaches_nobody_until_published(world):
    draft = announcements.create(world.admin, title="Draft", units=[world.county])
    db.session.commit()
    assert widget_titles(world.am1) == [] and services.unread_count(world.am1) == 0
    assert db.session.execute(select(Notification)).scalars().all() == []
    assert draft.status == "draft"


@pytest.mark.locale("en")
@pytest.mark.parametrize("values, field, words", [
    (dict(title="Hello"), "units", "everybody, or at least one unit"),
    (dict(title="   ", target_all=True), "title", "needs a title"),
    (dict(title="x" * 201, target_all=True), "title", "200 characters"),
], ids=["no-target", "no-title", "title-too-long"])
def test_bad_announcements_are_refused_with_a_clear_message(world, values, field, words):
    with pytest.raises(ServiceError) as refused:
        announcements.create(world.admin, **values)
    assert refused.value.field == field and words in str(refused.value.message)
    assert db.session.execute(select(Announcement)).scalars().all() == []


def test_only_holders_of_the_right_may_announce(world):
    with pytest.raises(NotAllowed):
        announcements.create(world.am1, title="Hello", target_all=True)


def test_a_unit_level_announcer_reaches_only_units_in_their_scope_and_never_everybody(world):
    world.lead.extra_permissions = ["notify.announce"]
    db.session.commit()
    with pytest.raises(NotAllowed):
        announcements.create(world.lead, title="Everybody", target_all=True)
    with pytest.raises(NotFound):
        announcements.create(world.lead, title="The other county", units=[world.other_county])
    created = announce(world.lead, units=[world.grid1])
    assert created.recipient_count == 1


def test_publishing_twice_or_withdrawing_a_draft_is_refused(world):
    created = announce(world.admin, target_all=True)
    with pytest.raises(ServiceError):
        announcements.publish(world.admin, created)
    draft = announcements.create(world.admin, title="Draft", target_all=True)
    with pytest.raises(ServiceError):
        announcements.withdraw(world.admin, draft)


# --- pages -------------------------------------------------------------------------------------

@pytest.mark.locale("en")
def test_an_admin_writes_publishes_and_withdraws_an_announcement_through_the_pages(world, client_for):
    admin = client_for(world.admin)
    assert admin.get("/notifications/admin/announcements").status_code == 200
    form = admin.get("/notifications/admin/announcements/new")
    assert form.status_code == 200 and world.county.name in form.get_data(as_text=True)
    created = admin.post("/notifications/admin/announcements/new", data={
        "title": "Quarter-end review", "body": "Bring your figures.", "audience": "units",
        "units": [str(world.county.id)], "publish": "1"})
    assert created.status_code == 302
    announcement = db.session.execute(select(Announcement)).scalar_one()
    assert announcement.status == "published" and announcement.recipient_count == 3

    am1 = client_for(world.am1)
    widget = am1.get("/homepage/widgets/notify.announcements").get_data(as_text=True)
    assert "Quarter-end review" in widget and "New" in widget
    page = am1.get(f"/notifications/announcements/{announcement.id}")
    assert page.status_code == 200 and "Bring your figures." in page.get_data(as_text=True)
    assert services.unread_count(world.am1) == 0
    assert client_for(world.outsider).get(f"/notifications/announcements/{announcement.id}").status_code == 404

    withdrawn = admin.post(f"/notifications/admin/announcements/{announcement.id}/withdraw")
    assert withdrawn.status_code == 302
    db.session.expire_all()
    assert db.session.get(Announcement, announcement.id).status == "withdrawn"
    assert "Quarter-end review" not in am1.get("/homepage/widgets/notify.announcements").get_data(as_text=True)


@pytest.mark.locale("en")
def test_a_draft_saved_from_the_form_is_published_from_its_page(world, client_for):
    admin = client_for(world.admin)
    admin.post("/notifications/admin/announcements/new", data={
        "title": "Draft first", "body": "", "audience": "all", "draft": "1"})
    announcement = db.session.execute(select(Announcement)).scalar_one()
    assert announcement.status == "draft"
    detail = admin.get(f"/notifications/admin/announcements/{announcement.id}")
    assert detail.status_code == 200 and "wb-publish" in detail.get_data(as_text=True)
    admin.post(f"/notifications/admin/announcements/{announcement.id}/publish")
    db.session.expire_all()
    assert db.session.get(Announcement, announcement.id).status == "published"


@pytest.mark.locale("en")
def test_an_announcement_without_targets_shows_the_error_beside_the_units(world, client_for):
    response = client_for(world.admin).post("/notifications/admin/announcements/new", data={
        "title": "To nobody", "body": "", "audience": "units", "publish": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Choose who should see it" in html and "is-invalid" in html
    assert db.session.execute(select(Announcement)).scalars().all() == []


def test_people_without_the_right_get_403_and_unknown_announcements_404(world, client_for):
    am1 = client_for(world.am1)
    for url in ("/notifications/admin/announcements", "/notifications/admin/announcements/new",
                "/notifications/admin/announcements/1"):
        assert am1.get(url).status_code == 403
    assert am1.post("/notifications/admin/announcements/1/publish").status_code == 403
    assert client_for(world.admin).get("/notifications/admin/announcements/999").status_code == 404
    assert am1.get("/notifications/announcements/999").status_code == 404
