"""The inbox pager's total comes from the per-kind counts when it can: it must equal what a
COUNT of the inbox query says, with no filter and with a kind, snoozed and unit-queue items
included in the data; other filters still count."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from workbench.extensions import db
from workbench.inbox import services
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as
from workbench.records import utcnow


def _count(user, filters, now):
    query = services.inbox_query(user, filters, now)
    return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def test_the_total_from_the_counts_equals_a_count_of_the_list(world):
    now = utcnow()
    am1 = world.am1
    rows = [
        TodoItem(kind="task", title="plain", owner_id=am1.id, org_unit_id=am1.org_unit_id, status="open"),
        TodoItem(kind="task", title="late", owner_id=am1.id, org_unit_id=am1.org_unit_id, status="open",
                 due_at=now - timedelta(days=1)),
        TodoItem(kind="approval", title="approve", owner_id=am1.id, org_unit_id=am1.org_unit_id, status="open"),
        TodoItem(kind="task", title="snoozed", owner_id=am1.id, org_unit_id=am1.org_unit_id, status="open",
                 snoozed_until=now + timedelta(days=2)),
        TodoItem(kind="task", title="queued for the unit", owner_id=None, org_unit_id=am1.org_unit_id,
                 assignee_unit_id=am1.org_unit_id, status="open"),
        TodoItem(kind="task", title="done", owner_id=am1.id, org_unit_id=am1.org_unit_id, status="done"),
        TodoItem(kind="task", title="someone else's", owner_id=world.am2.id, org_unit_id=world.am2.org_unit_id,
                 status="open"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    with acting_as(am1.scope):
        counts = services.counts_by_kind(am1, now)
        for filters in (services.InboxFilter(), services.InboxFilter(kind="task"),
                        services.InboxFilter(kind="approval"), services.InboxFilter(kind="nothing")):
            assert services.total_from_counts(counts, filters) == _count(am1, filters, now)
        assert services.total_from_counts(counts, services.InboxFilter()) == 4
        for filters in (services.InboxFilter(q="late"), services.InboxFilter(due="overdue"),
                        services.InboxFilter(due="snoozed"), services.InboxFilter(customer_id=1)):
            assert services.total_from_counts(counts, filters) is None


def test_the_inbox_page_pages_by_that_total(world, client_for):
    am1 = world.am1
    db.session.add_all([TodoItem(kind="task", title=f"item {n}", owner_id=am1.id, org_unit_id=am1.org_unit_id,
                                 status="open") for n in range(30)])
    db.session.commit()
    client = client_for(am1)
    first = client.get("/inbox/").get_data(as_text=True)
    second = client.get("/inbox/?page=2").get_data(as_text=True)
    assert first.count('class="list-group-item todo-row') == 25
    assert second.count('class="list-group-item todo-row') == 5
    assert "page=2" in first
