"""`workbench demo` seeds opportunities in every stage, some in the pool, some overdue and
some signed, through the real services."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.opportunity import services
from plugins.opportunity.models import Opportunity
from workbench import demo
from workbench.extensions import db
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("opportunity")]


def test_the_demo_has_opportunities_in_every_stage_some_overdue(app):
    assert demo.seed_demo()
    with system_scope():
        items = db.session.execute(select(Opportunity)).unique().scalars().all()
        stages = {item.stage for item in items}
        assert stages == {stage.value for stage in services.Stage}
        assert any(services.is_overdue(item) for item in items)
        assert any(item.pool_closes_at and item.stage == "pool" for item in items)
        assert {item.owner.username for item in items} >= {"am1", "am2"}
