"""`workbench demo` adds ICT projects in every stage, through the real flow."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.extensions import db
from workbench.org.scope import system_scope

from plugins.ict.models import IctProject
from tests.plugins.ict.helpers import PLUGINS

pytestmark = [pytest.mark.plugins(*PLUGINS)]


def test_the_demo_has_projects_in_every_stage_and_one_order_in_the_pool(app):
    from plugins.opportunity.models import Opportunity
    from workbench.demo import seed_demo

    assert seed_demo()
    with system_scope():
        projects = db.session.execute(select(IctProject)).scalars().all()
        stages = {project.stage for project in projects}
        orders = {db.session.get(Opportunity, p.opportunity_id).stage for p in projects if p.opportunity_id}
    assert stages == {"discovery", "review", "monitoring", "closed", "abandoned"}
    assert {"pool", "pre_execution", "signed"} <= orders
