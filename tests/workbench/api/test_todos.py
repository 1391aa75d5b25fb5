"""GET/POST /api/v1/todos: the inbox over JSON, its scope, paging, filters, done and snooze."""
from __future__ import annotations

from datetime import timedelta

from tests.support.factories import make_todo
from tests.workbench.api.expectations import assert_error_shape
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.records import utcnow


def _reload(todo_id: int) -> TodoItem:
    from workbench.org.scope import system_scope

    db.session.expire_all()
    with system_scope():
        return db.session.get(TodoItem, todo_id)


def test_the_list_holds_the_callers_open_items_with_paging_in_the_body(world, api_for):
    mine = [make_todo(world.am1, title=f"Visit {n}") for n in range(3)]
    db.session.commit()
    body = api_for(world.am1).get("/api/v1/todos?per_page=2").get_json()
    assert body["total"] == 3 and body["pages"] == 2 and body["page"] == 1 and body["per_page"] == 2
    assert len(body["items"]) == 2
    second = api_for(world.am1).get("/api/v1/todos?per_page=2&page=2").get_json()
    ids = {item["id"] for item in body["items"] + second["items"]}
    assert ids == {todo.id for todo in mine}


def test_an_am_never_sees_another_countys_to_dos_in_the_list_or_the_counts(world, api_for):
    make_todo(world.am1, title="mine")
    make_todo(world.outsider, title="theirs", due_in=timedelta(days=-1))
    db.session.commit()
    api = api_for(world.am1)
    listed = api.get("/api/v1/todos").get_json()
    assert [item["title"] for item in listed["items"]] == ["mine"] and listed["total"] == 1
    counts = api.get("/api/v1/todos/counts").get_json()
    assert counts["total"] == 1 and counts["overdue"] == 0
    assert api.get("/api/v1/todos?due=overdue").get_json()["total"] == 0


def test_another_countys_to_do_answers_404_to_read_done_and_snooze(world, api_for):
    theirs = make_todo(world.outsider)
    db.session.commit()
    api = api_for(world.am1)
    assert_error_shape(api.get(f"/api/v1/todos/{theirs.id}"), 404)
    assert_error_shape(api.post(f"/api/v1/todos/{theirs.id}/done", json={"version": theirs.version}), 404)
    until = (utcnow() + timedelta(days=1)).isoformat() + "Z"
    assert_error_shape(api.post(f"/api/v1/todos/{theirs.id}/snooze", json={"until": until}), 404)
    assert _reload(theirs.id).is_open and _reload(theirs.id).snoozed_until is None


def test_an_out_of_scope_to_do_looks_exactly_like_a_missing_one(world, api_for):
    theirs = make_todo(world.outsider)
    db.session.commit()
    api = api_for(world.am1)
    hidden = api.get(f"/api/v1/todos/{theirs.id}").get_json()
    missing = api.get("/api/v1/todos/999999").get_json()
    assert hidden == missing


def test_counts_give_totals_per_kind_and_overdue(world, api_for):
    make_todo(world.am1, due_in=timedelta(days=-1))
    make_todo(world.am1, due_in=timedelta(days=2))
    db.session.commit()
    counts = api_for(world.am1).get("/api/v1/todos/counts").get_json()
    assert counts["total"] == 2 and counts["overdue"] == 1
    assert counts["kinds"] == [{"kind": "task", "label": counts["kinds"][0]["label"], "total": 2, "overdue": 1}]


def test_the_due_filter_picks_overdue_items(world, api_for):
    late = make_todo(world.am1, due_in=timedelta(hours=-2))
    make_todo(world.am1, due_in=timedelta(days=3))
    db.session.commit()
    body = api_for(world.am1).get("/api/v1/todos?due=overdue").get_json()
    assert [item["id"] for item in body["items"]] == [late.id]
    assert body["items"][0]["overdue"] is True


def test_the_customer_filter_and_the_customer_name_come_along(world, api_for):
    customer = world.customers["am1"]
    linked = make_todo(world.am1, customer=customer)
    make_todo(world.am1)
    db.session.commit()
    body = api_for(world.am1).get(f"/api/v1/todos?customer_id={customer.id}").get_json()
    assert [item["id"] for item in body["items"]] == [linked.id]
    assert body["items"][0]["customer"] == {"id": customer.id, "name": customer.name}


def test_an_unknown_kind_or_due_filter_is_refused_with_field_errors(world, api_for):
    body = assert_error_shape(api_for(world.am1).get("/api/v1/todos?kind=nope&due=someday"), 422)
    assert set(body["errors"]) == {"kind", "due"}


def test_a_page_past_the_end_is_empty_not_an_error(world, api_for):
    make_todo(world.am1)
    db.session.commit()
    body = api_for(world.am1).get("/api/v1/todos?page=5").get_json()
    assert body["items"] == [] and body["total"] == 1


def test_done_closes_the_item_with_its_note(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    response = api_for(world.am1).post(f"/api/v1/todos/{todo.id}/done",
                                       json={"note": "Visited", "version": todo.version})
    assert response.status_code == 200
    assert response.get_json()["status"] == "done"
    stored = _reload(todo.id)
    assert stored.status == "done" and stored.result_note == "Visited" and stored.closed_by_id == world.am1.id


def test_done_with_a_stale_version_answers_409_and_changes_nothing(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    read_version = todo.version
    todo.title = "Changed meanwhile"
    db.session.commit()
    response = api_for(world.am1).post(f"/api/v1/todos/{todo.id}/done",
                                       json={"note": "x", "version": read_version})
    body = assert_error_shape(response, 409)
    assert "version" in body["errors"]
    assert _reload(todo.id).is_open


def test_done_without_a_version_is_refused_with_a_field_error(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    body = assert_error_shape(api_for(world.am1).post(f"/api/v1/todos/{todo.id}/done", json={"note": "x"}), 422)
    assert "version" in body["errors"]
    assert _reload(todo.id).is_open


def test_done_on_a_closed_item_is_refused_with_400(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    api = api_for(world.am1)
    first = api.post(f"/api/v1/todos/{todo.id}/done", json={"version": todo.version}).get_json()
    assert_error_shape(api.post(f"/api/v1/todos/{todo.id}/done", json={"version": first["version"]}), 400)


def test_snooze_hides_the_item_until_the_given_time(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    api = api_for(world.am1)
    response = api.post(f"/api/v1/todos/{todo.id}/snooze", json={"until": "2099-05-01T09:00:00+08:00"})
    assert response.status_code == 200
    assert response.get_json()["snoozed_until"] == "2099-05-01T01:00:00+00:00"
    assert api.get("/api/v1/todos").get_json()["total"] == 0
    assert api.get("/api/v1/todos?due=snoozed").get_json()["total"] == 1


def test_snooze_into_the_past_is_refused_with_a_field_error(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    response = api_for(world.am1).post(f"/api/v1/todos/{todo.id}/snooze", json={"until": "2001-01-01T00:00:00Z"})
    body = assert_error_shape(response, 400)
    assert "until" in body["errors"]
    assert _reload(todo.id).snoozed_until is None


def test_snooze_without_a_time_zone_is_refused(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    response = api_for(world.am1).post(f"/api/v1/todos/{todo.id}/snooze", json={"until": "2099-01-01T09:00:00"})
    body = assert_error_shape(response, 422)
    assert "until" in body["errors"]


def test_a_lead_reads_a_team_members_to_do_but_not_in_their_own_inbox(world, api_for):
    todo = make_todo(world.am1)
    db.session.commit()
    api = api_for(world.lead)
    assert api.get(f"/api/v1/todos/{todo.id}").status_code == 200
    assert api.get("/api/v1/todos").get_json()["total"] == 0
