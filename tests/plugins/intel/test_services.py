"""The intel rules, tested without HTTP: recording (and each bad input refused with nothing
written), screening to-dos, rating, merging (and the refused merges), pushing (to-dos,
notifications, the recipients' widened visibility — and that it widens nothing else),
read receipts, the competitor list and the events of the cross-plugin contract."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugins.intel import services
from plugins.intel.models import Intel, IntelAttachment, IntelPush, IntelTag
from plugins.opportunity import services as opportunities
from tests.plugins.intel.conftest import PDF, PNG, act, load, pushed, rated, submit, upload, values
from tests.support.factories import make_customer, make_user
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem
from workbench.notify.models import Notification
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("intel", "opportunity")]


@pytest.fixture
def events(app):
    """Events delivered during the test (after their transaction committed), as (name, payload)."""
    from workbench.hookspecs import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def workbench_handle_event(self, event):
            seen.append((event.name, dict(event.payload)))

    pm = app.extensions["workbench.plugins"].pm
    listener = Listener()
    pm.register(listener, name="intel-test-listener")
    yield seen
    pm.unregister(listener)


def todos(kind, intel_id=None, owner=None, status="open"):
    with system_scope():
        query = select(TodoItem).where(TodoItem.kind == kind, TodoItem.status == status)
        if intel_id is not None:
            query = query.where(TodoItem.source_type == services.SOURCE, TodoItem.source_id == str(intel_id))
        if owner is not None:
            query = query.where(TodoItem.owner_id == owner.id)
        return db.session.execute(query).scalars().all()


def visible_ids(user, query=None):
    with acting_as(user.scope):
        return set(db.session.execute(query if query is not None else select(Intel.id)).scalars())


# --- recording -------------------------------------------------------------------------------

def test_an_account_manager_records_intel_and_the_city_intel_admin_gets_a_screening_todo(iw):
    intel_id = submit(iw)
    item = load(intel_id)
    assert item.status == "new" and item.owner_id == iw.am1.id and item.org_unit_id == iw.grid1.id
    assert item.code.startswith("QB") and item.customer_name == iw.customers["am1"].name
    assert [todo.owner_id for todo in todos("intel.screen", intel_id)] == [iw.admin.id]


def test_the_submitted_event_carries_the_contract_keys(iw, events):
    intel_id = submit(iw)
    name, payload = next(event for event in events if event[0] == "intel.submitted")
    assert payload["intel_id"] == intel_id and payload["customer_id"] == iw.customers["am1"].id
    assert payload["competitor"] == "中国移动" and payload["title"] == "移动推5G专网免费试用"
    assert payload["owner_id"] == iw.am1.id and payload["org_unit_id"] == iw.grid1.id


def test_intel_without_a_customer_is_accepted_and_says_none_in_the_event(iw, events):
    intel_id = submit(iw, customer_id=None)
    assert load(intel_id).customer_id is None
    assert next(p for n, p in events if n == "intel.submitted")["customer_id"] is None


@pytest.mark.parametrize("field, bad, message", [
    ("title", "", "short title"),
    ("title", "x" * 201, "At most 200"),
    ("competitor_id", None, "Choose the competitor"),
    ("competitor_id", 999999, "from the list"),
    ("source", "rumour", "where the intel came from"),
    ("observed_on", "", "date you learned"),
    ("observed_on", "23/11/2026", "YYYY-MM-DD"),
    ("observed_on", "1999-12-31", "too far in the past"),
    ("offer", "x" * 501, "At most 500"),
    ("product", "x" * 101, "At most 100"),
    ("description", "x" * 4001, "At most 4000"),
    ("customer_id", "not-a-number", "your own book"),
])
def test_each_bad_input_is_refused_beside_its_field_and_nothing_is_written(iw, field, bad, message):
    with acting_as(iw.am1.scope), pytest.raises(ServiceError) as refused:
        services.submit_intel(iw.am1, values(iw, **{field: bad}))
    db.session.rollback()
    assert refused.value.field == field and message in str(refused.value.message)
    assert db.session.execute(select(func.count(Intel.id)).execution_options(skip_scope=True)).scalar() == 0
    assert todos("intel.screen") == []


def test_a_date_in_the_future_is_refused(iw):
    with acting_as(iw.am1.scope), pytest.raises(ServiceError, match="future"):
        services.submit_intel(iw.am1, values(iw, observed_on=(services.today() + timedelta(days=1)).isoformat()))


def test_intel_that_says_nothing_learned_is_refused(iw):
    with acting_as(iw.am1.scope), pytest.raises(ServiceError) as refused:
        services.submit_intel(iw.am1, values(iw, product="", offer="", description="  "))
    assert refused.value.field == "description"


def test_a_customer_of_another_account_manager_cannot_be_chosen(iw):
    with acting_as(iw.am1.scope), pytest.raises(ServiceError) as refused:
        services.submit_intel(iw.am1, values(iw, customer_id=iw.customers["am3"].id))
    assert refused.value.field == "customer_id"


def test_a_retired_competitor_cannot_be_chosen_for_new_intel(iw):
    competitor = iw.competitors["长城宽带"]
    with acting_as(iw.admin.scope):
        services.save_competitor(iw.admin, competitor, name=competitor.name, kind="local_isp", active=False)
        db.session.commit()
    with acting_as(iw.am1.scope), pytest.raises(ServiceError, match="no longer on the list"):
        services.submit_intel(iw.am1, values(iw, competitor_id=competitor.id))


def test_people_without_the_right_cannot_record_intel(iw):
    admin = iw.admin
    with acting_as(admin.scope), pytest.raises(NotAllowed):
        services.submit_intel(admin, values(iw))


def _opportunity(iw, owner, customer, kind="competitive"):
    make_user("opportunity_manager", iw.city, f"oppmgr{customer.id}{kind}")
    with acting_as(owner.scope):
        item = opportunities.create_opportunity(owner, customer=customer, kind=kind, category_code="cloud",
                                                title="云主机竞争", details={"product": "云主机"})
        db.session.commit()
        return item.id


def test_a_competitive_opportunity_of_the_same_customer_can_be_linked(iw):
    opportunity_id = _opportunity(iw, iw.am1, iw.customers["am1"])
    intel_id = submit(iw, opportunity_id=opportunity_id)
    assert load(intel_id).opportunity_id == opportunity_id


@pytest.mark.parametrize("case, message", [
    ("demand", "Only competitive opportunities"),
    ("other_customer", "one of this customer's"),
    ("no_customer", "Choose the customer before"),
    ("out_of_scope", "competitive opportunities"),
])
def test_a_wrong_opportunity_link_is_refused(iw, case, message):
    if case == "demand":
        opportunity_id = _opportunity(iw, iw.am1, iw.customers["am1"], kind="demand")
        overrides = {"opportunity_id": opportunity_id}
    elif case == "other_customer":
        second = make_customer(iw.am1, name="第二客户")
        db.session.commit()
        overrides = {"opportunity_id": _opportunity(iw, iw.am1, second)}
    elif case == "no_customer":
        overrides = {"opportunity_id": _opportunity(iw, iw.am1, iw.customers["am1"]), "customer_id": None}
    else:
        overrides = {"opportunity_id": _opportunity(iw, iw.outsider, iw.customers["am3"])}
    with acting_as(iw.am1.scope), pytest.raises(ServiceError) as refused:
        services.submit_intel(iw.am1, values(iw, **overrides))
    assert refused.value.field == "opportunity_id" and message in str(refused.value.message)


def test_attachments_are_stored_and_a_wrong_file_type_refuses_the_whole_item(iw, app):
    intel_id = submit(iw, uploads=[upload(PDF, "报价单.pdf"), upload(PNG, "宣传单.png")])
    assert [a.file.kind for a in services.attachments_of(load(intel_id))] == ["pdf", "png"]
    with acting_as(iw.am1.scope), pytest.raises(ServiceError) as refused:
        services.submit_intel(iw.am1, values(iw), [upload(b"MZ\x90\x00binary", "tool.exe")])
    db.session.rollback()
    assert refused.value.field == "files" and "tool.exe" in str(refused.value.message)
    assert db.session.execute(select(func.count(Intel.id)).execution_options(skip_scope=True)).scalar() == 1


def test_more_than_ten_attachments_are_refused(iw):
    intel_id = submit(iw, uploads=[upload(PDF, f"{n}.pdf") for n in range(10)])
    with acting_as(iw.am1.scope), pytest.raises(ServiceError, match="at most 10"):
        services.add_attachments(iw.am1, services.get_intel(intel_id), [upload(PDF, "11.pdf")])


def test_the_submitter_corrects_a_new_item_but_not_a_screened_one(iw):
    intel_id = submit(iw)
    item = load(intel_id)
    act(iw.am1, intel_id, "update_intel", {"offer": "首年五折"}, item.version)
    assert load(intel_id).offer == "首年五折"
    with acting_as(iw.lead.scope), pytest.raises(NotAllowed):
        services.update_intel(iw.lead, services.get_intel(intel_id), {"offer": "x"}, load(intel_id).version)
    db.session.rollback()
    act(iw.admin, intel_id, "rate", value="low")
    with pytest.raises(ServiceError, match="no longer be changed"):
        act(iw.am1, intel_id, "update_intel", {"offer": "x"}, load(intel_id).version)


def test_a_stale_version_is_a_conflict_and_changes_nothing(iw):
    intel_id = submit(iw)
    with pytest.raises(Conflict):
        act(iw.am1, intel_id, "update_intel", {"offer": "首年五折"}, load(intel_id).version - 1)
    db.session.rollback()
    assert load(intel_id).offer == "试用三个月免费"


# --- screening -------------------------------------------------------------------------------

def test_rating_screens_the_item_closes_the_todo_tags_it_and_tells_the_submitter(iw, events):
    intel_id = submit(iw)
    act(iw.admin, intel_id, "rate", value="high", tags="价格战, 5G，价格战", note="可靠")
    item = load(intel_id)
    assert (item.status, item.value, item.screened_by_id) == ("screened", "high", iw.admin.id)
    assert services.tags_of(item) == ["5G", "价格战"]
    assert todos("intel.screen", intel_id) == [] and len(todos("intel.screen", intel_id, status="done")) == 1
    with system_scope():
        assert db.session.execute(select(Notification).where(Notification.user_id == iw.am1.id,
                                                             Notification.link == f"/intel/{intel_id}")).first()
    payload = next(p for n, p in events if n == "intel.rated")
    assert payload == {**payload, "intel_id": intel_id, "value": "high", "owner_id": iw.am1.id,
                       "org_unit_id": iw.grid1.id}


def test_re_rating_replaces_the_value_and_the_tags(iw):
    intel_id = rated(iw)
    act(iw.admin, intel_id, "rate", value="low", tags=["宽带"])
    item = load(intel_id)
    assert item.value == "low" and services.tags_of(item) == ["宽带"]


@pytest.mark.parametrize("value, tags, field", [("great", [], "value"), ("high", ["x" * 31], "tags"),
                                                ("high", [f"t{n}" for n in range(11)], "tags"),
                                                ("high", 42, "tags")])
def test_bad_ratings_are_refused(iw, value, tags, field):
    intel_id = submit(iw)
    with pytest.raises(ServiceError) as refused:
        act(iw.admin, intel_id, "rate", value=value, tags=tags)
    db.session.rollback()
    assert refused.value.field == field and load(intel_id).status == "new"


def test_only_an_intel_admin_of_the_items_scope_rates_it(iw):
    intel_id = submit(iw)
    with pytest.raises(NotAllowed):
        act(iw.lead, intel_id, "rate", value="high")
    db.session.rollback()
    with acting_as(iw.far_admin.scope), pytest.raises(NotFound):
        services.get_intel(intel_id)


def test_a_recipient_admin_sees_a_pushed_item_but_cannot_screen_it(iw):
    intel_id = rated(iw)
    act(iw.world.admin, intel_id, "push", [iw.far_admin.id])  # the province admin reaches the other city
    with acting_as(iw.far_admin.scope):
        item = services.get_intel(intel_id)
        assert services.available_actions(iw.far_admin, item) == {"mark_read"}
        with pytest.raises(NotFound):
            services.rate(iw.far_admin, item, value="low")


# --- merging ---------------------------------------------------------------------------------

def test_merging_points_the_duplicate_at_the_survivor(iw, events):
    survivor_id, duplicate_id = submit(iw), submit(iw, owner=iw.am2, title="重复上报")
    survivor_code = load(survivor_id).code
    result = act(iw.admin, duplicate_id, "merge", survivor_code)
    assert result.id == survivor_id
    duplicate = load(duplicate_id)
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", survivor_id)
    assert todos("intel.screen", duplicate_id) == []
    payload = next(p for n, p in events if n == "intel.merged")
    assert payload == {**payload, "intel_id": duplicate_id, "survivor_id": survivor_id, "owner_id": iw.am2.id,
                       "org_unit_id": iw.grid2.id}


def test_a_merge_into_itself_is_refused(iw):
    intel_id = submit(iw)
    with pytest.raises(ServiceError, match="into itself"):
        act(iw.admin, intel_id, "merge", str(intel_id))


def test_a_merge_into_an_already_merged_item_is_refused(iw):
    a, b, c = submit(iw), submit(iw), submit(iw)
    act(iw.admin, b, "merge", str(a))
    with pytest.raises(ServiceError, match="itself merged"):
        act(iw.admin, c, "merge", str(b))
    db.session.rollback()
    assert load(c).status == "new"


def test_an_already_merged_item_cannot_be_merged_again(iw):
    a, b, c = submit(iw), submit(iw), submit(iw)
    act(iw.admin, b, "merge", str(a))
    with pytest.raises(ServiceError, match="already merged"):
        act(iw.admin, b, "merge", str(c))


def test_a_merge_across_scope_is_refused(iw):
    mine, far = submit(iw), submit(iw, owner=iw.far_am, customer_id=None)
    with pytest.raises(ServiceError, match="in your scope"):
        act(iw.admin, mine, "merge", load(far).code)
    db.session.rollback()
    with acting_as(iw.far_admin.scope), pytest.raises(NotFound):
        services.get_intel(mine)  # the far admin cannot even open ours to merge it


def test_a_survivor_only_pushed_to_the_admin_is_still_across_scope(iw):
    far = submit(iw, owner=iw.far_am, customer_id=None)
    act(iw.far_admin, far, "rate", value="high")
    act(iw.far_admin, far, "push", [iw.far_admin.id])  # within their own scope: fine
    mine = submit(iw)
    # Our admin is pushed the far item by someone who can: the province admin.
    act(iw.world.admin, far, "push", [iw.admin.id])
    with pytest.raises(ServiceError, match="in your scope"):
        act(iw.admin, mine, "merge", str(far))


def test_earlier_duplicates_move_on_to_the_new_survivor(iw):
    a, b, c = submit(iw), submit(iw), submit(iw)
    act(iw.admin, c, "merge", str(b))
    act(iw.admin, b, "merge", str(a))
    assert load(c).merged_into_id == a and load(b).merged_into_id == a


def test_people_a_duplicate_was_pushed_to_keep_it_through_the_survivor(iw):
    survivor = submit(iw)
    duplicate = pushed(iw, [iw.outsider])
    assert survivor not in visible_ids(iw.outsider)
    act(iw.admin, duplicate, "merge", str(survivor))
    with acting_as(iw.outsider.scope):
        assert services.get_intel(survivor).id == survivor
        assert services.survivor_of(services.get_intel(duplicate)).id == survivor
    assert todos("intel.pushed", survivor) == []  # carried over, no second to-do


def test_the_submitter_of_a_duplicate_follows_it_to_a_survivor_outside_their_scope(iw):
    survivor, duplicate = submit(iw, owner=iw.am2), submit(iw)
    assert survivor not in visible_ids(iw.am1)
    act(iw.admin, duplicate, "merge", str(survivor))
    assert survivor in visible_ids(iw.am1)
    assert survivor not in visible_ids(iw.outsider)


# --- pushing ---------------------------------------------------------------------------------

def test_pushing_gives_each_recipient_a_todo_and_a_notification(iw, events):
    intel_id = rated(iw)
    act(iw.admin, intel_id, "push", [iw.am2.id, iw.lead.id], note="请关注")
    assert sorted(t.owner_id for t in todos("intel.pushed", intel_id)) == sorted([iw.am2.id, iw.lead.id])
    with system_scope():
        notified = set(db.session.execute(select(Notification.user_id).where(Notification.kind == "intel.pushed"))
                       .scalars())
    assert notified == {iw.am2.id, iw.lead.id}
    payload = next(p for n, p in events if n == "intel.pushed")
    assert sorted(payload["recipient_ids"]) == sorted([iw.am2.id, iw.lead.id])
    assert payload["competitor"] == "中国移动" and payload["customer_id"] == iw.customers["am1"].id
    assert load(intel_id).push_count == 2


def test_a_recipient_outside_the_items_scope_can_open_it_and_nobody_else_gains_anything(iw):
    intel_id = pushed(iw, [iw.outsider], uploads=[upload(PDF, "报价.pdf")])
    assert intel_id in visible_ids(iw.outsider)
    assert intel_id not in visible_ids(iw.far_am)          # not pushed to them
    other = submit(iw)
    assert other not in visible_ids(iw.outsider)           # only the pushed item
    from workbench.customers.models import Customer
    with acting_as(iw.outsider.scope):                     # and not its customer
        assert db.session.execute(select(Customer).where(Customer.id == iw.customers["am1"].id)).first() is None
        assert services.attachments_of(services.get_intel(intel_id))


def test_pushing_is_refused_before_rating_when_worthless_and_to_nobody(iw):
    fresh = submit(iw)
    with pytest.raises(ServiceError, match="Rate the intel"):
        act(iw.admin, fresh, "push", [iw.am2.id])
    db.session.rollback()
    worthless = rated(iw, value="worthless")
    with pytest.raises(ServiceError, match="worthless"):
        act(iw.admin, worthless, "push", [iw.am2.id])
    db.session.rollback()
    with pytest.raises(ServiceError, match="at least one"):
        act(iw.admin, rated(iw), "push", [])


def test_pushing_to_someone_outside_the_admins_scope_is_refused(iw):
    intel_id = rated(iw)
    with pytest.raises(ServiceError, match="outside your scope"):
        act(iw.admin, intel_id, "push", [iw.am2.id, iw.far_am.id])
    db.session.rollback()
    assert todos("intel.pushed", intel_id) == [] and load(intel_id).push_count == 0


def test_pushing_again_skips_those_who_have_it_and_refuses_when_nobody_is_new(iw):
    intel_id = pushed(iw, [iw.am2])
    act(iw.admin, intel_id, "push", [iw.am2.id, iw.lead.id])
    assert len(todos("intel.pushed", intel_id)) == 2
    with pytest.raises(ServiceError, match="already pushed"):
        act(iw.admin, intel_id, "push", [iw.am2.id])


def test_a_recipient_marks_the_item_read_and_their_todo_closes(iw):
    intel_id = pushed(iw, [iw.am2, iw.lead])
    act(iw.am2, intel_id, "mark_read")
    assert todos("intel.pushed", intel_id, owner=iw.am2) == []
    assert len(todos("intel.pushed", intel_id, owner=iw.lead)) == 1
    with system_scope():
        row = db.session.execute(select(IntelPush).where(IntelPush.recipient_id == iw.am2.id)).unique().scalar_one()
    assert row.done_at is not None and row.read_at is not None


def test_ticking_the_todo_off_in_the_inbox_marks_the_push_read(iw):
    intel_id = pushed(iw, [iw.am2])
    todo = todos("intel.pushed", intel_id, owner=iw.am2)[0]
    with acting_as(iw.am2.scope):
        inbox.mark_done(inbox.get_todo(todo.id), iw.am2)
        db.session.commit()
    db.session.expire_all()
    with system_scope():
        row = db.session.execute(select(IntelPush).where(IntelPush.recipient_id == iw.am2.id)).unique().scalar_one()
    assert row.done_at is not None


def test_someone_it_was_not_pushed_to_cannot_mark_it_read(iw):
    intel_id = rated(iw)
    with pytest.raises(ServiceError, match="not pushed to you"):
        act(iw.am1, intel_id, "mark_read")


def test_opening_a_pushed_item_records_the_first_view_once(iw):
    intel_id = pushed(iw, [iw.am2])
    assert act(iw.am2, intel_id, "record_view") is True
    assert act(iw.am2, intel_id, "record_view") is False


def test_suggested_recipients_are_the_customers_am_the_submitter_and_the_leads_above(iw):
    intel_id = submit(iw)
    with acting_as(iw.admin.scope):
        people = services.suggested_recipients(services.get_intel(intel_id))
    assert [person.id for person in people] == [iw.am1.id, iw.lead.id]


# --- lists and competitors -------------------------------------------------------------------

def test_the_tabs_list_my_intel_and_what_was_pushed_to_me(iw):
    mine = submit(iw, owner=iw.am2)
    to_me = pushed(iw, [iw.am2])
    with acting_as(iw.am2.scope):
        assert set(db.session.execute(services.intel_query(services.IntelFilter(tab="mine", user_id=iw.am2.id)))
                   .unique().scalars()) == {services.get_intel(mine)}
        pushed_rows = db.session.execute(services.intel_query(services.IntelFilter(tab="pushed", user_id=iw.am2.id)))
        assert [row.id for row in pushed_rows.unique().scalars()] == [to_me]
        assert services.tab_counts(iw.am2)["unread"] == 1


def test_tag_and_value_filters(iw):
    high = rated(iw)
    low = rated(iw, value="low")
    with acting_as(iw.admin.scope):
        def ids(**kw):
            return [row.id for row in db.session.execute(services.intel_query(services.IntelFilter(**kw)))
                    .unique().scalars()]
        assert ids(value="high") == [high]
        assert set(ids(tag="5G")) == {high, low}
        assert ids(value="worthless") == []


@pytest.mark.parametrize("name, kind, field", [("", "operator", "name"), ("中国移动", "operator", "name"),
                                               ("中国移动 ", "operator", "name"), ("新运营商", "alien", "kind"),
                                               ("新运营商", "operator", "order")])
def test_the_competitor_list_refuses_bad_entries(iw, name, kind, field):
    order = "first" if field == "order" else 10
    with acting_as(iw.admin.scope), pytest.raises(ServiceError) as refused:
        services.save_competitor(iw.admin, None, name=name, kind=kind, order=order)
    assert refused.value.field == field


def test_an_intel_admin_adds_a_competitor_and_an_account_manager_may_not(iw):
    with acting_as(iw.admin.scope):
        added = services.save_competitor(iw.admin, None, name="本地小运营商", kind="local_isp")
        db.session.commit()
    assert added.id in {row.id for row in services.competitors()}
    with acting_as(iw.am1.scope), pytest.raises(NotAllowed):
        services.save_competitor(iw.am1, None, name="另一个", kind="other")


def test_the_shipped_competitors_are_added_once(iw):
    with system_scope():
        assert services.ensure_competitors() == 0
    assert {"中国移动", "中国联通", "中国广电"} <= set(iw.competitors)


def test_tags_are_unique_per_item(iw):
    intel_id = rated(iw)
    act(iw.admin, intel_id, "rate", value="high", tags=["5G", "5g", "#5G"])
    assert db.session.execute(select(func.count(IntelTag.id)).where(IntelTag.intel_id == intel_id)).scalar() == 1


def test_an_attachment_is_only_found_through_its_own_item(iw):
    first = submit(iw, uploads=[upload(PDF, "a.pdf")])
    second = submit(iw)
    attachment_id = db.session.execute(select(IntelAttachment.id)).scalar()
    with acting_as(iw.am1.scope):
        assert services.attachment_of(services.get_intel(first), attachment_id)
        with pytest.raises(NotFound):
            services.attachment_of(services.get_intel(second), attachment_id)


def test_reading_the_survivor_also_reads_the_merged_duplicate_pushed_before(iw):
    survivor = pushed(iw, [iw.am2])
    duplicate = pushed(iw, [iw.am2])
    act(iw.admin, duplicate, "merge", str(survivor))
    with acting_as(iw.am2.scope):
        assert services.unread_count(iw.am2) == 2
        tab = db.session.execute(services.intel_query(services.IntelFilter(tab="pushed", user_id=iw.am2.id)))
        assert [row.id for row in tab.unique().scalars()] == [survivor]  # the duplicate is not listed twice
    act(iw.am2, survivor, "mark_read")
    with acting_as(iw.am2.scope):
        assert services.unread_count(iw.am2) == 0
    assert todos("intel.pushed", owner=iw.am2) == []
