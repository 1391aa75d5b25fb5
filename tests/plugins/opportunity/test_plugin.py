"""The opportunity plugin as the workbench sees it: what it declares, its jobs, and the
event it handles from the solutions plugin."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.opportunity import MANIFEST, services
from plugins.opportunity.models import FollowUp
from tests.plugins.opportunity.conftest import create
from workbench.events import emit
from workbench.extensions import db
from workbench.jobs.registry import definition
from workbench.org.scope import system_scope
from workbench.plugins import registry

pytestmark = [pytest.mark.plugins("opportunity")]


def test_the_plugin_declares_its_to_dos_widgets_menu_search_and_help_contexts(app):
    reg = registry()
    assert reg.get(MANIFEST.name).enabled
    assert {services.TODO_DISPATCH, services.TODO_SURVEY, services.TODO_OVERDUE, services.TODO_FOLLOWUP} <= set(reg.todo_kinds)
    assert {"opportunity.by_stage", "opportunity.pool", "opportunity.overdue"} <= set(reg.widgets)
    assert "opportunity" in [item.key for item in reg.menu_items]
    assert {"opportunity.create", "opportunity.pool", "opportunity.survey_review",
            "opportunity.confirmation"} <= set(reg.help_contexts)


def test_the_overdue_and_follow_up_scans_are_scheduled_jobs(app):
    scheduled = {item.job for item in registry().beat_schedule}
    for name in ("opportunity.scan_overdue", "opportunity.scan_stale"):
        assert name in scheduled and definition(name).name == name


def test_a_proposal_event_from_the_solutions_plugin_becomes_a_follow_up(opp):
    oid = create(opp.am1, opp.customers["am1"])
    emit("solutions.proposal_generated", actor=opp.am1, proposal_id=9, customer_id=opp.customers["am1"].id,
         opportunity_id=oid)
    db.session.commit()
    with system_scope():
        rows = db.session.execute(select(FollowUp).where(FollowUp.opportunity_id == oid)).scalars().all()
    assert [(row.kind, row.reference) for row in rows] == [("proposal", "proposal:9")]
