"""The worklog plugin's contributions (menu, rights, to-do kinds, widgets, customer section,
search source, export) and its demo data: three weeks of logs and this week's plans for am1 and
am2, made through the services."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.worklog import services
from plugins.worklog.models import VisitPlan, WorkLog
from workbench import demo
from workbench.exports.kinds import find_export_kind
from workbench.extensions import db
from workbench.org.scope import system_scope
from workbench.plugins import registry

pytestmark = [pytest.mark.plugins("worklog")]


def test_the_plugin_declares_its_kinds_widgets_section_search_and_menu(app):
    with app.test_request_context():
        found = registry()
        assert {"worklog.follow_up", "worklog.visit"} <= set(found.todo_kinds)
        assert found.todo_kinds["worklog.visit"].can_mark_done is False
        assert {"worklog.quick_entry", "worklog.week_visits", "worklog.team_activity"} <= set(found.widgets)
        assert "worklog.trail" in {section.key for section in found.customer_sections}
        sources = found.search_sources
        assert "worklog.log" in (set(sources) if isinstance(sources, dict) else {s.key for s in sources})
        assert {item.key for item in found.menu_items if item.group == "care"} >= {"worklog", "worklog.plans",
                                                                                  "worklog.calendar"}
        assert find_export_kind("worklog.logs") is not None


def test_account_managers_and_leads_get_the_rights_they_need(world):
    assert world.am1.can("worklog.write") and world.am1.can("worklog.plan")
    assert not world.am1.can("worklog.view_team")
    assert world.lead.can("worklog.view_team") and world.lead.can("worklog.export")


def test_the_demo_has_weeks_of_logs_and_this_weeks_plans_for_am1_and_am2(app):
    assert demo.seed_demo()
    with system_scope():
        logs = db.session.execute(select(WorkLog)).unique().scalars().all()
        plans = db.session.execute(select(VisitPlan)).unique().scalars().all()
        assert {log.owner.username for log in logs} == {"am1", "am2"}
        assert {log.kind for log in logs} == set(services.KIND_VALUES)
        days = {services.to_local(log.happened_at).date() for log in logs}
        assert len(days) >= 10 and min(days) <= services.today().fromordinal(services.today().toordinal() - 14)
        start = services.week_start(services.today())
        assert all(start <= plan.planned_on <= start.fromordinal(start.toordinal() + 6) for plan in plans)
        assert {plan.owner.username for plan in plans} == {"am1", "am2"}
        assert any(log.contacts for log in logs) and any(log.next_step for log in logs)
