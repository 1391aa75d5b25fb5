"""Growth: every page a typical account manager and a county lead open in the morning
(workbench.bench.pages) issues the same number of SQL statements whatever the volume of data
— measured on a seeded province at two scales, four times apart. A page whose count grows
with the data has an N+1 query."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.bench.test_seed import SEEDED_PLUGINS
from workbench.extensions import db

pytestmark = pytest.mark.plugins(*SEEDED_PLUGINS)
SMALL, LARGE = 0.002, 0.008


def statements_per_page(app, count_queries, summary) -> dict[tuple[str, str], int]:
    from workbench.auth.models import User
    from workbench.bench.pages import pages_for

    counts = {}
    query = summary["search_terms"][0]
    for who, username in (("account manager", summary["typical_account_manager"]), ("lead", summary["lead"])):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": summary["password"]})
        assert response.status_code == 302, username
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        customer_id = summary["customer_ids"][username][0]
        for page in pages_for(user):
            path = page.path.format(customer_id=customer_id, query=query)
            assert client.get(path).status_code == 200, path  # warm: caches filled once per process
            with count_queries() as counter:
                response = client.get(path)
            assert response.status_code == 200, path
            counts[(who, page.name)] = counter.count
        db.session.remove()
    return counts


def test_each_morning_page_issues_as_many_statements_at_every_bench_seed_scale(app, seed, wipe, count_queries):
    small = statements_per_page(app, count_queries, seed(SMALL, index=True))
    wipe()
    large = statements_per_page(app, count_queries, seed(LARGE, index=True))
    assert small.keys() == large.keys()
    grown = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert grown == {}, f"statements per page grew with the data (small, large): {grown}"
