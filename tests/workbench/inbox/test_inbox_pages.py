"""The inbox pages: list with counts and filters, detail and actions, dispatching, settings."""
from __future__ import annotations

import pytest

import re
from datetime import timedelta

from sqlalchemy import select

from tests.support.factories import make_todo
from workbench.extensions import db
from workbench.inbox.models import Dispatch, ReminderSetting, TodoItem, TodoStatus
from workbench.org.scope import system_scope


def test_inbox_lists_my_todos_with_counts_and_marks_overdue(world, client_for):
    make_todo(world.am1, title="回访滨江医院", due_in=timedelta(hours=-2))
    make_todo(world.am1, title="准备方案", due_in=timedelta(days=2))
    make_todo(world.am2, title="别人的待办")
    db.session.commit()
    html = client_for(world.am1).get("/inbox/").get_data(as_text=True)
    assert "回访滨江医院" in html and "准备方案" in html and "别人的待办" not in html
    assert 'todo-row overdue' in html
    assert 'data-kind="task"' in html


def test_inbox_filters_by_due_and_search(world, client_for):
    make_todo(world.am1, title="逾期事项", due_in=timedelta(hours=-2))
    make_todo(world.am1, title="下周事项", due_in=timedelta(days=6))
    db.session.commit()
    client = client_for(world.am1)
    overdue = client.get("/inbox/?due=overdue").get_data(as_text=True)
    assert "逾期事项" in overdue and "下周事项" not in overdue
    searched = client.get("/inbox/?q=下周").get_data(as_text=True)
    assert "下周事项" in searched and "逾期事项" not in searched


def test_an_out_of_scope_todo_answers_404_and_cannot_be_acted_on(world, client_for):
    item = make_todo(world.am2)
    db.session.commit()
    client = client_for(world.am1)
    assert client.get(f"/inbox/{item.id}").status_code == 404
    assert client.post(f"/inbox/{item.id}/done", data={"note": "x"}).status_code == 404
    db.session.expire_all()
    with system_scope():
        assert db.session.get(TodoItem, item.id).status == TodoStatus.OPEN


def test_marking_done_from_the_detail_page(world, client_for):
    item = make_todo(world.am1)
    db.session.commit()
    response = client_for(world.am1).post(f"/inbox/{item.id}/done", data={"note": "已完成", "version": item.version})
    assert response.status_code == 302
    db.session.expire_all()
    with system_scope():
        stored = db.session.get(TodoItem, item.id)
        assert stored.status == TodoStatus.DONE and stored.result_note == "已完成"


def test_a_stale_done_form_gets_a_conflict_message_and_changes_nothing(world, client_for):
    item = make_todo(world.am1)
    db.session.commit()
    stale = item.version
    item.title = "changed meanwhile"
    db.session.commit()
    client = client_for(world.am1)
    response = client.post(f"/inbox/{item.id}/done", data={"note": "x", "version": stale}, follow_redirects=True)
    assert "changed by someone else" in response.get_data(as_text=True) or "已被他人修改" in response.get_data(as_text=True)
    db.session.expire_all()
    with system_scope():
        assert db.session.get(TodoItem, item.id).status == TodoStatus.OPEN


def test_snooze_with_a_bad_time_says_so(world, client_for):
    item = make_todo(world.am1)
    db.session.commit()
    response = client_for(world.am1).post(f"/inbox/{item.id}/snooze", data={"until": "not a time"},
                                          follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    with system_scope():
        assert db.session.get(TodoItem, item.id).snoozed_until is None


def test_lead_dispatches_to_the_county_and_sees_progress(world, client_for):
    client = client_for(world.lead)
    response = client.post("/inbox/dispatches/new", data={
        "title": "月底前完成客户信息核实", "description": "", "priority": "1", "unit": str(world.county.id),
    })
    assert response.status_code == 302
    with system_scope():
        dispatch = db.session.execute(select(Dispatch)).scalar_one()
    page = client.get(f"/inbox/dispatches/{dispatch.id}").get_data(as_text=True)
    assert "月底前完成客户信息核实" in page and "am1" not in page.split("<tbody>")[0]
    am1_inbox = client_for(world.am1).get("/inbox/").get_data(as_text=True)
    assert "月底前完成客户信息核实" in am1_inbox


def test_dispatch_form_without_title_shows_the_error_beside_the_field(world, client_for):
    response = client_for(world.lead).post("/inbox/dispatches/new", data={"title": "", "unit": "0", "priority": "1"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    with system_scope():
        assert db.session.execute(select(Dispatch)).first() is None


def test_an_account_manager_cannot_dispatch(world, client_for):
    assert client_for(world.am1).get("/inbox/dispatches/new").status_code == 403


@pytest.mark.plugins()  # the core's own types and kinds, whatever plugins are installed
def test_reminder_settings_page_saves_channels(world, client_for):
    client = client_for(world.am1)
    assert client.post("/inbox/settings", data={"channels-task": ["email"]}).status_code == 302
    with system_scope():
        row = db.session.execute(select(ReminderSetting)).scalar_one()
    assert row.channels == ["email"]


def test_only_the_most_specific_menu_entry_is_highlighted(world, client_for):
    html = client_for(world.lead).get("/inbox/dispatches").get_data(as_text=True)
    active = re.findall(r'class="nav-link active"[^>]*data-menu-key="([^"]+)"', html)
    assert active == ["dispatch"]
