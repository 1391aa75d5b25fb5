"""The history list, the customer's trail and the calendar issue the same number of SQL
statements whatever the number of logs on them (customers and authors are joined, not loaded
one by one)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.plugins.worklog.conftest import local_text, write

pytestmark = pytest.mark.plugins("worklog")


def statements(client, count_queries, url):
    client.get(url)  # warm up (session, caches)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


@pytest.mark.parametrize("url", ["/worklog/", "/worklog/calendar", "/worklog/customer/{cid}/trail"])
def test_pages_do_not_query_once_per_log(wl, client_for, count_queries, url):
    client = client_for(wl.am1)
    url = url.format(cid=wl.customers["am1"].id)
    write(wl.am1, wl.customers["am1"], contact_ids=[str(wl.contact.id)])
    few = statements(client, count_queries, url)
    for index in range(9):
        write(wl.am1, wl.customers["am1"], content=f"第{index}次", happened_at=local_text(-timedelta(hours=index + 2)))
    assert statements(client, count_queries, url) == few
