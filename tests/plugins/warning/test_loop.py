"""The closed loop (闭环): handling records what was done and closes the to-dos; bad input is
refused beside its field and changes nothing; unhandled past the due time escalates to the
lead, once."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning import services
from plugins.warning.models import CustomerWarning
from tests.plugins.warning.conftest import scan, two_months
from workbench.audit.models import AuditEntry
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as, system_scope
from workbench.records import EditConflict, utcnow

pytestmark = pytest.mark.plugins("warning")


@pytest.fixture
def warning(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    with system_scope():
        return db.session.execute(select(CustomerWarning)).unique().scalar_one()


def todos(source_id, kind=None):
    with system_scope():
        query = select(TodoItem).where(TodoItem.source_type == "warning_warning", TodoItem.source_id == str(source_id))
        if kind:
            query = query.where(TodoItem.kind == kind)
        return db.session.execute(query).scalars().all()


def handle(user, warning_id, **values):
    with acting_as(user.scope):
        warning = services.get_warning(warning_id)
        services.handle(user, warning, **{"action": "visited", "outcome": "resolved", "note": "", **values})
        db.session.commit()
        return warning


def test_handling_records_the_action_and_closes_the_to_do(world, warning):
    handled = handle(world.am1, warning.id, note="拜访了财务")
    assert handled.status == "handled" and handled.action == "visited" and handled.outcome == "resolved"
    assert handled.handled_by_id == world.am1.id and handled.handled_at is not None
    assert [todo.status for todo in todos(warning.id)] == ["done"]


def test_handling_is_in_the_audit_history(world, warning):
    handle(world.am1, warning.id)
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.record_id == warning.id,
                                                              AuditEntry.model_key == "warning_warning",
                                                              AuditEntry.action == "update")).scalars().all()
    assert entries and entries[-1].changes["status"] == ["open", "handled"]


def test_the_history_panel_shows_what_was_done_in_words(world, warning, client_for):
    handle(world.am1, warning.id)
    html = client_for(world.am1).get(f"/audit/warning_warning/{warning.id}").get_data(as_text=True)
    assert "Visited the customer" in html and "Resolved" in html and "Handled" in html
    assert ">visited<" not in html and ">resolved<" not in html


@pytest.mark.parametrize("values, field", [
    ({"action": ""}, "action"),
    ({"action": "telepathy"}, "action"),
    ({"outcome": ""}, "outcome"),
    ({"outcome": "lost", "note": ""}, "note"),
    ({"action": "other", "note": "  "}, "note"),
    ({"note": "x" * 2001}, "note"),
])
def test_bad_handling_input_is_refused_beside_its_field_and_nothing_changes(world, warning, values, field):
    with pytest.raises(ServiceError) as refused:
        handle(world.am1, warning.id, **values)
    db.session.rollback()
    assert refused.value.field == field
    with system_scope():
        assert db.session.get(CustomerWarning, warning.id).status == "open"
    assert [todo.status for todo in todos(warning.id)] == ["open"]


def test_a_handled_warning_cannot_be_handled_again(world, warning):
    handle(world.am1, warning.id)
    with pytest.raises(ServiceError):
        handle(world.am1, warning.id)


def test_a_stale_version_is_a_conflict(world, warning):
    with acting_as(world.am1.scope):
        current = services.get_warning(warning.id)
        with pytest.raises(EditConflict):
            services.handle(world.am1, current, action="visited", outcome="resolved", version=current.version - 1)


def test_another_account_manager_of_the_same_county_cannot_see_or_handle_it(world, warning):
    with acting_as(world.am2.scope), pytest.raises(NotFound):
        services.get_warning(warning.id)
    with acting_as(world.outsider.scope), pytest.raises(NotFound):
        services.get_warning(warning.id)
    with system_scope():
        loaded = db.session.get(CustomerWarning, warning.id)
    with pytest.raises(NotAllowed):
        services.handle(world.am2, loaded, action="visited", outcome="resolved")


def test_the_lead_may_handle_a_warning_of_the_unit(world, warning):
    assert handle(world.lead, warning.id).handled_by_id == world.lead.id


def test_an_overdue_warning_escalates_to_the_lead_once(world, warning, monkeypatch):
    later = utcnow() + timedelta(days=4)
    assert services.escalate(now=later) == 1
    db.session.commit()
    assert services.escalate(now=later + timedelta(days=1)) == 0
    db.session.commit()
    [lead_todo] = todos(warning.id, "warning.escalated")
    assert lead_todo.owner_id == world.lead.id and lead_todo.title.startswith("Escalated: ")
    with system_scope():
        assert db.session.get(CustomerWarning, warning.id).escalated_at is not None


def test_a_warning_not_yet_due_does_not_escalate(world, warning):
    assert services.escalate(now=utcnow() + timedelta(days=1)) == 0


def test_handling_an_escalated_warning_closes_the_leads_to_do_too(world, warning):
    services.escalate(now=utcnow() + timedelta(days=4))
    db.session.commit()
    handle(world.am1, warning.id)
    assert sorted(todo.status for todo in todos(warning.id)) == ["done", "done"]


def test_the_escalation_days_follow_the_units_setting(world, customers):
    services.save_thresholds(world.admin, world.county, {"escalation.days": "1"})
    db.session.commit()
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    assert services.escalate(now=utcnow() + timedelta(days=1, hours=1)) == 1


def test_the_scan_escalates_too(world, warning):
    result = services.scan(now=utcnow() + timedelta(days=5))
    db.session.commit()
    assert result.escalated == 1
