"""The inbox and the homepage shell issue the same number of SQL statements with 10 to-dos
as with 1,000: nothing is loaded per item."""
from __future__ import annotations

from datetime import timedelta

from tests.support.factories import make_customer
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.records import utcnow


def add_todos(user, count: int, customer) -> None:
    now = utcnow()
    db.session.add_all([
        TodoItem(kind="task", title=f"item {n}", owner_id=user.id, org_unit_id=user.org_unit_id,
                 customer_id=customer.id, due_at=now + timedelta(hours=n - count // 2), status="open")
        for n in range(count)
    ])
    db.session.commit()


def statements_for(client, count_queries, url: str) -> int:
    client.get(url)  # warm-up: first-request work (user load caches) is not per-item
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_inbox_and_homepage_shell_query_counts_do_not_grow_with_todos(world, client_for, count_queries):
    customer = make_customer(world.am1)
    add_todos(world.am1, 10, customer)
    client = client_for(world.am1)
    small = {url: statements_for(client, count_queries, url)
             for url in ("/inbox/", "/", "/homepage/widgets/inbox.my_todos")}
    add_todos(world.am1, 990, customer)
    large = {url: statements_for(client, count_queries, url)
             for url in ("/inbox/", "/", "/homepage/widgets/inbox.my_todos")}
    assert small == large
