"""`workbench demo` with the intel plugin: a dozen items for am1's and am2's customers, some
screened, one merged, the valuable ones pushed (with to-dos) and one already read."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.intel.models import Intel, IntelPush
from workbench.demo import seed_demo
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("intel", "opportunity")]


def test_the_demo_tells_the_intel_story(app):
    assert seed_demo() is True
    with system_scope():
        statuses = dict(db.session.execute(select(Intel.status, func.count(Intel.id)).group_by(Intel.status)).all())
        assert sum(statuses.values()) == 12
        assert statuses["new"] >= 1 and statuses["screened"] >= 5 and statuses["merged"] == 1
        assert db.session.execute(select(func.count(IntelPush.id))).scalar() >= 5
        assert db.session.execute(select(func.count(IntelPush.id)).where(IntelPush.done_at.is_not(None))).scalar() >= 1
        assert db.session.execute(select(func.count(TodoItem.id)).where(TodoItem.kind == "intel.pushed",
                                                                        TodoItem.status == "open")).scalar() >= 4
        assert db.session.execute(select(func.count(TodoItem.id)).where(TodoItem.kind == "intel.screen",
                                                                        TodoItem.status == "open")).scalar() == 2
