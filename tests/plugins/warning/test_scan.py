"""The scan evaluates every rule for all customers set-wise, is idempotent, opens a to-do
for the AM, audits and announces each new warning, and its statement count does not grow
with the number of customers."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.warning import services
from plugins.warning.models import CustomerWarning
from tests.plugins.warning.conftest import PERIOD, scan, soon, two_months
from workbench.audit.models import AuditEntry
from workbench.contracts import Event
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.notify.models import Notification
from workbench.org.scope import system_scope

pytestmark = pytest.mark.plugins("warning")


def warnings_of(customer, rule=None):
    with system_scope():
        query = select(CustomerWarning).where(CustomerWarning.customer_id == customer.id)
        if rule:
            query = query.where(CustomerWarning.rule == rule)
        return db.session.execute(query).unique().scalars().all()


def test_a_revenue_drop_past_the_threshold_raises_a_warning_with_its_figures(world, customers):
    customer = customers["am1"]
    two_months(customer, now={"revenue": Decimal("60000")})
    result = scan()
    [warning] = warnings_of(customer, "revenue_change")
    assert result.by_rule["revenue_change"] == 1
    assert warning.period == "2026-10"
    assert Decimal(warning.value) == Decimal("60000") and Decimal(warning.baseline) == Decimal("100000")
    assert Decimal(warning.change_pct) == Decimal("-40.00")
    assert Decimal(warning.threshold) == Decimal("30")
    assert warning.severity == "medium"
    assert warning.owner_id == world.am1.id and warning.org_unit_id == customer.org_unit_id
    assert warning.title.endswith(customer.name)


def test_a_drop_below_the_threshold_raises_nothing(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("80000")})
    assert scan().raised == 0


def test_a_drop_of_twice_the_threshold_is_high_severity(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("30000")})
    scan()
    assert warnings_of(customers["am1"], "revenue_change")[0].severity == "high"


def test_a_small_customer_below_the_minimum_base_is_left_out(world, customers):
    two_months(customers["am1"], before={"revenue": Decimal("500")}, now={"revenue": Decimal("100")})
    scan()
    assert warnings_of(customers["am1"], "revenue_change") == []


@pytest.mark.parametrize("rule, before, now", [
    ("traffic_change", {}, {"traffic": Decimal("2000")}),
    ("member_change", {}, {"members": 70}),
    ("balance_low", {}, {"balance": Decimal("300")}),
    ("arrears", {}, {"arrears": Decimal("5000"), "arrears_days": 75}),
])
def test_each_metric_rule_fires_on_its_own_signal(world, customers, rule, before, now):
    two_months(customers["am1"], before=before, now=now)
    scan()
    assert [w.rule for w in warnings_of(customers["am1"])] == [rule]


def test_a_contract_ending_within_the_days_raises_a_warning_keyed_by_its_end_date(world, customers):
    end = soon(20)
    two_months(customers["am1"], now={"contract_end": end})
    scan()
    [warning] = warnings_of(customers["am1"], "contract_expiring")
    assert warning.period == end.isoformat()
    assert warning.days == 20
    assert warning.severity == "medium"


def test_churn_risk_combines_the_signals_into_a_score(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("50000"), "arrears": Decimal("9000"),
                                      "arrears_days": 90, "balance": Decimal("100")})
    scan()
    [churn] = warnings_of(customers["am1"], "churn_risk")
    assert Decimal(churn.value) == Decimal("60")  # revenue 30 + arrears 20 + balance 10
    assert churn.severity == "medium"


def test_scanning_twice_raises_each_warning_once(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    assert scan().raised == 1
    assert scan().raised == 0
    with system_scope():
        assert db.session.execute(select(func.count(CustomerWarning.id))).scalar() == 1
        assert db.session.execute(select(func.count(TodoItem.id)).where(TodoItem.kind == "warning.handle")).scalar() == 1


def test_a_new_warning_opens_a_to_do_for_the_account_manager(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    [warning] = warnings_of(customers["am1"])
    with system_scope():
        [todo] = db.session.execute(select(TodoItem).where(TodoItem.source_type == "warning_warning")).scalars().all()
    assert todo.owner_id == world.am1.id and todo.kind == "warning.handle"
    assert todo.source_id == str(warning.id) and todo.link == f"/warning/{warning.id}"
    assert todo.customer_id == customers["am1"].id and todo.status == "open"
    assert todo.due_at == warning.due_at


def test_the_account_manager_is_notified_by_their_settings(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    with system_scope():
        notes = db.session.execute(select(Notification).where(Notification.user_id == world.am1.id)).scalars().all()
    assert [n.kind for n in notes] == ["warning.handle"]


def test_each_new_warning_is_in_the_audit_history(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    [warning] = warnings_of(customers["am1"])
    with system_scope():
        [entry] = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "warning_warning",
                                                              AuditEntry.record_id == warning.id)).scalars().all()
    assert entry.action == "create" and entry.changes == {"status": [None, "open"]}


def test_each_new_warning_emits_warning_raised_with_the_agreed_keys(app, world, customers, monkeypatch):
    seen: list[Event] = []
    from workbench import events

    original = events.deliver
    monkeypatch.setattr(events, "deliver", lambda application, items: (
        seen.extend(event for item in items for event in events.events_in(item)), original(application, items)))
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()
    raised = [event for event in seen if event.name == "warning.raised"]
    [warning] = warnings_of(customers["am1"])
    assert len(raised) == 1
    assert raised[0].payload == {"warning_id": warning.id, "customer_id": customers["am1"].id,
                                 "rule": "revenue_change", "severity": "medium", "title": warning.title,
                                 "period": "2026-10", "owner_id": world.am1.id,
                                 "org_unit_id": customers["am1"].org_unit_id}


def test_archived_customers_are_not_scanned(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    with system_scope():
        customers["am1"].archived = True
        db.session.commit()
    assert scan().raised == 0


def test_without_indicators_the_scan_does_nothing(world):
    result = services.scan()
    assert result.period is None and result.raised == 0


def test_the_scan_defaults_to_the_newest_month(world, customers):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    result = services.scan()
    db.session.commit()
    assert result.period == "2026-10" and result.raised == 1


def _statements_for(count_queries, make_customers, world, count):
    made = make_customers(world.am1, count) + make_customers(world.am2, count)
    for customer in made:
        two_months(customer, now={"revenue": Decimal("50000"), "balance": Decimal("10")})
    with count_queries() as counter:
        result = services.scan(period=PERIOD)
        db.session.flush()
    db.session.commit()
    return counter.count, result.raised


def test_the_scan_statement_count_does_not_grow_with_the_number_of_customers(app, world, make_customers, count_queries):
    small, raised_small = _statements_for(count_queries, make_customers, world, 3)
    with system_scope():
        db.session.execute(CustomerWarning.__table__.delete())
        db.session.execute(TodoItem.__table__.delete())
        db.session.commit()
    large, raised_large = _statements_for(count_queries, make_customers, world, 30)
    assert raised_large > raised_small > 0
    assert large == small


def test_the_scans_new_warnings_are_indexed_for_search_after_the_commit(app, world, customers):
    from workbench.search import services as search
    from workbench.org.scope import acting_as

    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    scan()  # commits: the index job of the new rows runs (in-process without a broker)
    with acting_as(world.am1.scope):
        found = search.search(world.am1, customers["am1"].name, "warning.warning")
        assert len(search.present(found.query, found.hits_of("warning.warning"))) == 1


def test_the_cli_command_scans_a_month(app, world, customers):
    from plugins.warning.cli import scan_command

    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    result = app.test_cli_runner().invoke(scan_command, ["--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "2026-10: 1 new warnings (revenue_change 1)" in result.output
    bad = app.test_cli_runner().invoke(scan_command, ["--period", "someday"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_the_scan_and_the_escalation_are_scheduled_jobs(app, world, customers):
    from workbench.jobs import enqueue
    from workbench.plugins import registry

    jobs = {job.name: job.job for job in registry().beat_schedule}
    assert jobs["warning.nightly_scan"] == "warning.scan" and jobs["warning.escalation"] == "warning.escalate"
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    enqueue("warning.scan")
    db.session.commit()  # no broker: the job runs in-process after the commit
    assert len(warnings_of(customers["am1"])) == 1
