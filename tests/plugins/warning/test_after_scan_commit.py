"""What the commit after a scan does, with the work log's system entries enabled: every new
warning is searchable, every handler sees every warning.raised (the work log writes one
system entry each, set-wise, once however often the batch is delivered), and the statements
run after the commit do not grow with the number of warnings."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import func, select

from plugins.warning import services
from plugins.warning.models import CustomerWarning
from plugins.worklog.models import WorkLog
from tests.plugins.warning.conftest import PERIOD, two_months
from workbench import events
from workbench.audit.models import AuditEntry
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.jobs.models import Job
from workbench.org.scope import acting_as, system_scope
from workbench.search import indexing

pytestmark = pytest.mark.plugins("warning", "worklog")


def raise_for(make_customers, world, count: int) -> list:
    """`count` customers of am1 and of am2, each with a revenue drop and a low balance."""
    made = make_customers(world.am1, count) + make_customers(world.am2, count)
    for customer in made:
        two_months(customer, now={"revenue": Decimal("50000"), "balance": Decimal("10")})
    return made


def system_logs(event_name: str = "warning.raised") -> list[WorkLog]:
    db.session.expire_all()
    with system_scope():
        return db.session.execute(select(WorkLog).where(WorkLog.system.is_(True), WorkLog.event_name == event_name)
                                  .order_by(WorkLog.id)).unique().scalars().all()


def search_jobs() -> list[Job]:
    with system_scope():
        return db.session.execute(select(Job).where(Job.task == "search.update").order_by(Job.id)).scalars().all()


def test_every_warning_of_a_scan_is_searchable_after_one_bulk_index_job(app, world, make_customers):
    made = raise_for(make_customers, world, 4)
    jobs_before = len(search_jobs())
    result = services.scan(period=PERIOD)
    db.session.commit()
    assert result.raised == 16  # two rules for each of the eight customers
    assert indexing.backend().count("warning.warning") == 16
    [job] = search_jobs()[jobs_before:]
    assert job.state == "done" and job.result == {"indexed": 16, "removed": 0}
    assert sorted(record_id for _key, record_id in indexing.refs_of_ranges(job.kwargs["ranges"])) == \
        sorted(result.warning_ids)
    from workbench.search import services as search

    with acting_as(world.am1.scope):
        found = search.search(world.am1, made[0].name, "warning.warning")
        assert len(search.present(found.query, found.hits_of("warning.warning"))) == 2


def test_every_warning_raised_writes_one_system_entry_with_its_audit_entry(app, world, make_customers):
    made = raise_for(make_customers, world, 2)
    result = services.scan(period=PERIOD)
    db.session.commit()
    logs = system_logs()
    assert sorted(log.payload["warning_id"] for log in logs) == sorted(result.warning_ids)
    by_warning = {log.payload["warning_id"]: log for log in logs}
    with system_scope():
        warnings = db.session.execute(select(CustomerWarning)).unique().scalars().all()
        for warning in warnings:
            log = by_warning[warning.id]
            assert (log.customer_id, log.owner_id, log.org_unit_id, log.kind) == (
                warning.customer_id, warning.owner_id, warning.org_unit_id, "service")
            assert log.payload["title"] == warning.title and log.event_id
        audited = db.session.execute(select(func.count(AuditEntry.id)).where(
            AuditEntry.model_key == "worklog_log", AuditEntry.action == "create",
            AuditEntry.record_id.in_([log.id for log in logs]))).scalar()
    assert audited == len(logs) == len(made) * 2


def test_redelivering_the_batch_writes_no_system_entry_twice(app, world, make_customers, monkeypatch):
    delivered = []
    original = events.deliver
    monkeypatch.setattr(events, "deliver", lambda application, items: (delivered.extend(items),
                                                                       original(application, items)))
    raise_for(make_customers, world, 2)
    services.scan(period=PERIOD)
    db.session.commit()
    count = len(system_logs())
    batches = [item for item in delivered if isinstance(item, events.EventBatch) and item.name == "warning.raised"]
    assert batches and count == sum(len(batch.events) for batch in batches)
    original(current_app._get_current_object(), batches)  # the same events again
    assert len(system_logs()) == count


def test_the_system_entries_are_announced_as_one_worklog_logged_batch(app, world, make_customers, monkeypatch):
    delivered = []
    original = events.deliver
    monkeypatch.setattr(events, "deliver", lambda application, items: (delivered.extend(items),
                                                                       original(application, items)))
    raise_for(make_customers, world, 2)
    services.scan(period=PERIOD)
    db.session.commit()
    logged = [item for item in delivered if item.name == "worklog.logged"]
    assert all(isinstance(item, events.EventBatch) for item in logged)
    payloads = [event.payload for item in logged for event in item.events]
    assert sorted(payload["log_id"] for payload in payloads) == sorted(log.id for log in system_logs())
    assert all(payload["system"] is True for payload in payloads)


def _statements_after_the_commit(count_queries, make_customers, world, count):
    raise_for(make_customers, world, count)
    result = services.scan(period=PERIOD)
    db.session.flush()
    with count_queries() as counter:
        db.session.commit()
    return counter.count, result.raised


def test_the_statements_after_the_scan_commit_do_not_grow_with_the_number_of_warnings(
        app, world, make_customers, count_queries):
    small, raised_small = _statements_after_the_commit(count_queries, make_customers, world, 2)
    with system_scope():
        db.session.execute(CustomerWarning.__table__.delete())
        db.session.execute(TodoItem.__table__.delete())
        db.session.commit()
    large, raised_large = _statements_after_the_commit(count_queries, make_customers, world, 40)
    assert raised_large >= 160 > 10 * raised_small  # (the first customers' warnings are raised again)
    # Indexing, the events and the system entries: a fixed number of statements (the
    # search job reads 500 records per query, the work log writes 500 entries per INSERT).
    assert large == small
    assert len(system_logs()) == raised_small + raised_large
