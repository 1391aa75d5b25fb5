"""workbench_todo_kinds: plugin kinds exist in the unified inbox; undeclared kinds are refused."""
from __future__ import annotations

import pytest

from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.org.scope import acting_as, system_scope
from workbench.plugins import registry

from tests.support.factories import make_todo
from tests.workbench.plugins.samples import PROBE

pytestmark = PROBE


def test_workbench_todo_kinds_are_registered_next_to_the_core_kind(app):
    kinds = registry().todo_kinds
    assert {"task", "probe.check"} <= set(kinds)
    assert kinds["probe.check"].can_mark_done is False


def test_a_plugin_opens_a_to_do_of_its_kind_and_it_shows_in_the_inbox(app, world, client_for):
    make_todo(world.am1, title="Check the probe antenna", kind="probe.check")
    db.session.commit()
    html = client_for(world.am1).get("/inbox/").get_data(as_text=True)
    assert "Check the probe antenna" in html and "Check the probe" in html  # title and kind label


def test_opening_a_to_do_of_an_undeclared_kind_is_refused(app, world):
    with system_scope(), pytest.raises(ServiceError):
        inbox.open_todo(kind="probe.unknown", title="Nobody declared me", assignee=world.am1)


def test_a_kind_without_mark_done_is_closed_by_its_flow_not_by_the_assignee(app, world):
    item = make_todo(world.am1, kind="probe.check", source=("probe_thing", 7))
    with acting_as(world.am1.scope), pytest.raises(NotAllowed):
        inbox.mark_done(item, world.am1)
    with system_scope():
        assert inbox.close_todos_for(("probe_thing", 7)) == 1
