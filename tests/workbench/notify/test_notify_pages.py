"""The pages: the header bell (one COUNT per page), the notification list with its filters and
actions, preferences, bulk SMS pages, and the JSON API in the OpenAPI document."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.support.factories import make_user
from workbench.customers.models import CustomerContact
from workbench.extensions import db
from workbench.notify import services
from workbench.notify.models import Notification, Preference, SmsCampaign, SmsRecipient
from workbench.org.scope import system_scope


def notify(user, message, link=None, count=1):
    rows = []
    for n in range(count):
        rows += services.notify(user, "notice", f"{message} {n}" if count > 1 else message, link=link)
    db.session.commit()
    return rows


def all_campaigns() -> list[SmsCampaign]:
    with system_scope():  # campaigns are scoped records; the test looks at all of them
        return list(db.session.execute(select(SmsCampaign)).scalars())


def bell(html: str) -> str | None:
    found = re.search(r'data-testid="bell-count"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


def test_the_bell_shows_the_unread_count_on_every_page(world, client_for):
    notify(world.am1, "One", count=3)
    client = client_for(world.am1)
    for url in ("/", "/inbox/", "/customers/", "/notifications/preferences"):
        assert bell(client.get(url).get_data(as_text=True)) == "3", url
    assert bell(client_for(world.am2).get("/").get_data(as_text=True)) is None


def test_the_bell_costs_one_count_query_per_page(world, client_for, count_queries):
    notify(world.am1, "One", count=30)
    client = client_for(world.am1)
    client.get("/inbox/")
    with count_queries() as counter:
        assert client.get("/inbox/").status_code == 200
    touching = [s for s in counter.statements if "notify_notification" in s]
    assert len(touching) == 1 and "count(" in touching[0].lower()


@pytest.mark.locale("en")
def test_the_list_shows_unread_first_filters_and_searches(world, client_for):
    notify(world.am1, "Old and read")
    services.mark_all_read(world.am1)
    notify(world.am1, "Fresh customer visit", link="/customers/")
    client = client_for(world.am1)
    html = client.get("/notifications/").get_data(as_text=True)
    assert html.index("Fresh customer visit") < html.index("Old and read")
    unread = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "Fresh customer visit" in unread and "Old and read" not in unread
    found = client.get("/notifications/?q=visit").get_data(as_text=True)
    assert "Fresh customer visit" in found and "Old and read" not in found
    nothing = client.get("/notifications/?q=zzz").get_data(as_text=True)
    assert "No notification matches" in nothing


@pytest.mark.locale("en")
def test_an_empty_list_says_what_will_appear_there(world, client_for):
    html = client_for(world.am2).get("/notifications/").get_data(as_text=True)
    assert "No notifications yet" in html and "/notifications/preferences" in html


def test_the_list_pages(world, client_for):
    notify(world.am1, "Item", count=25)
    client = client_for(world.am1)
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert first.count("data-notification-id=") == 20 and second.count("data-notification-id=") == 5


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(world, client_for):
    [row] = notify(world.am1, "Go there", link="/customers/")
    response = client_for(world.am1).get(f"/notifications/{row.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers/")
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is not None


def test_mark_read_and_mark_all_read(world, client_for):
    rows = notify(world.am1, "Item", count=3)
    client = client_for(world.am1)
    assert client.post(f"/notifications/{rows[0].id}/read").status_code == 302
    assert services.unread_count(world.am1) == 2
    assert client.post("/notifications/read-all").status_code == 302
    assert services.unread_count(world.am1) == 0


def test_someone_else_s_notification_is_not_found(world, client_for):
    [row] = notify(world.am1, "Mine")
    other = client_for(world.am2)
    assert other.get(f"/notifications/{row.id}/open").status_code == 404
    assert other.post(f"/notifications/{row.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def test_the_list_needs_a_signed_in_user(client, world):
    assert client.get("/notifications/").status_code in (302, 401)


@pytest.mark.locale("en")
def test_preferences_turn_the_digest_on_and_refuse_it_without_a_channel(world, client_for):
    client = client_for(world.am1)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "/inbox/settings" in page  # per-kind channels live in the inbox's reminder settings
    refused = client.post("/notifications/preferences", data={"digest_enabled": "y"})
    assert refused.status_code == 200
    assert "Choose at least one way to receive the daily digest" in refused.get_data(as_text=True)
    assert db.session.execute(select(Preference)).scalars().all() == []
    saved = client.post("/notifications/preferences", data={"digest_enabled": "y", "digest_channels": ["in_app", "email"]})
    assert saved.status_code == 302
    preference = db.session.execute(select(Preference)).scalar_one()
    assert (preference.digest_enabled, preference.digest_channels) == (True, ["in_app", "email"])


def test_the_announcements_widget_is_offered_on_the_homepage(world, client_for):
    assert client_for(world.am1).get("/homepage/widgets/notify.announcements").status_code == 200


# --- bulk SMS pages ----------------------------------------------------------------------------

@pytest.fixture
def contacts(world):
    mine = CustomerContact(customer_id=world.customers["am1"].id, name="周主任", phone="13900000001")
    theirs = CustomerContact(customer_id=world.customers["am3"].id, name="钱处长", phone="13900000009")
    db.session.add_all([mine, theirs])
    db.session.commit()
    return {"mine": mine, "theirs": theirs}


def test_the_contact_picker_lists_contacts_of_customers_in_scope_only(world, contacts, client_for):
    html = client_for(world.lead).get("/notifications/sms/new").get_data(as_text=True)
    assert "周主任" in html and "钱处长" not in html
    assert 'src="/static/js/notify_sms.js"' in html and "data-segment-length=\"70\"" in html


@pytest.mark.locale("en")
def test_a_lead_sends_a_bulk_sms_and_sees_the_report(world, contacts, client_for):
    client = client_for(world.lead)
    response = client.post("/notifications/sms/new", data={
        "text": "周六网络割接", "mode": "chosen", "contacts": [str(contacts["mine"].id)]})
    assert response.status_code == 302
    [campaign] = all_campaigns()
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "周六网络割接" in report and "周主任" in report and 'data-status="sent"' in report
    assert f"/jobs/{campaign.job_key}" in report  # the progress bar of its job
    progress = client.get(f"/jobs/{campaign.job_key}?format=json").get_json()
    assert (progress["state"], progress["done"], progress["total"]) == ("done", 1, 1)
    listing = client.get("/notifications/sms/").get_data(as_text=True)
    assert f"/notifications/sms/{campaign.id}" in listing


@pytest.mark.locale("en")
def test_an_out_of_scope_contact_in_the_form_is_refused_and_nothing_is_sent(world, contacts, client_for):
    response = client_for(world.lead).post("/notifications/sms/new", data={
        "text": "Hello", "mode": "chosen", "contacts": [str(contacts["mine"].id), str(contacts["theirs"].id)]})
    assert response.status_code == 200
    assert "not among your customers" in response.get_data(as_text=True)
    assert db.session.execute(select(SmsRecipient)).scalars().all() == []


@pytest.mark.locale("en")
@pytest.mark.parametrize("data, words", [
    ({"text": "", "mode": "chosen", "contacts": ["1"]}, "Write the message to send"),
    ({"text": "短" * 300, "mode": "chosen", "contacts": ["1"]}, "The message has 300 characters"),
    ({"text": "Hello", "mode": "chosen"}, "Choose at least one contact"),
], ids=["empty-text", "too-long", "no-contacts"])
def test_bad_bulk_sms_input_shows_a_message_beside_the_field(world, contacts, client_for, data, words):
    response = client_for(world.lead).post("/notifications/sms/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert words in html and "invalid-feedback" in html
    assert all_campaigns() == []


def test_bulk_sms_pages_need_the_right_and_campaigns_follow_the_scope(world, contacts, client_for):
    am1 = client_for(world.am1)
    for url in ("/notifications/sms/", "/notifications/sms/new", "/notifications/sms/1"):
        assert am1.get(url).status_code == 403
    client_for(world.lead).post("/notifications/sms/new", data={
        "text": "Hello", "mode": "chosen", "contacts": [str(contacts["mine"].id)]})
    [campaign] = all_campaigns()
    other_lead = make_user("lead", world.other_county, "lead2")
    db.session.commit()
    assert client_for(other_lead).get(f"/notifications/sms/{campaign.id}").status_code == 404
    assert client_for(world.admin).get(f"/notifications/sms/{campaign.id}").status_code == 200


# --- JSON API ----------------------------------------------------------------------------------

def test_the_api_lists_counts_and_marks_notifications(world, client_for):
    rows = notify(world.am1, "Api", count=3)
    client = client_for(world.am1)
    listed = client.get("/api/v1/notifications?unread=true&per_page=2").get_json()
    assert listed["total"] == 3 and len(listed["items"]) == 2
    assert {"id", "kind", "kind_label", "title", "message", "link", "created_at", "read_at", "unread"} <= set(listed["items"][0])
    assert client.get("/api/v1/notifications/unread-count").get_json() == {"unread": 3}
    marked = client.post(f"/api/v1/notifications/{rows[0].id}/read").get_json()
    assert marked["unread"] is False and marked["read_at"]
    assert client.post("/api/v1/notifications/read-all").get_json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count").get_json() == {"unread": 0}


def test_the_api_answers_404_for_someone_else_s_notification_and_401_without_sign_in(world, client_for, client):
    [row] = notify(world.am1, "Mine")
    response = client_for(world.am2).post(f"/api/v1/notifications/{row.id}/read")
    assert response.status_code == 404 and response.get_json()["code"] == 404
    assert client.get("/api/v1/notifications").status_code == 401


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/notifications", "/api/v1/notifications/unread-count",
            "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/read-all"} <= set(paths)
