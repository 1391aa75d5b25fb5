"""The import's own lookups do not grow with the rows: the users and units a file names are
read in at most a few statements per chunk, however many different account managers a chunk
names and however many checkpoints commit in between.

Every checkpoint commits, which expires what the importer cached; before the lookups were
reloaded in one query, each cached user (with its roles) and each unit was read again on
its own after every checkpoint — 12,000 statements for a 20,000-row file with 400 account
managers (benchmarks/imports.py measured it)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_user
from tests.workbench.imports.samples import csv_bytes, imported
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.imports import services
from workbench.org.scope import system_scope

pytestmark = pytest.mark.locale("en")

OWNERS = 12
ROWS_PER_CHUNK = 12  # every chunk names every owner
# A read of users (with their roles, selectin) or of units, whatever the dialect quotes.
LOOKUP = re.compile(r'^\s*SELECT\b.*\bFROM\s+("?user"?|org_unit|role\s+JOIN\s+roles_users)\b', re.S | re.I)


@pytest.fixture
def every_chunk_a_checkpoint(monkeypatch):
    monkeypatch.setattr(services, "ROWS_PER_CHUNK", ROWS_PER_CHUNK)
    monkeypatch.setattr(services, "CHECKPOINT_SECONDS", 0)
    # Search indexing runs in-process after each commit here and reads records of its own;
    # it is not what this test counts.
    monkeypatch.setattr("workbench.search.indexing.enqueue_refresh", lambda pending: None)


def customer_file(prefix: str, rows: int, owners: list[str]) -> bytes:
    lines = [["code", "name", "owner", "org_unit"]]
    for number in range(rows):
        lines.append([f"{prefix}{number:04d}", f"客户{prefix}{number}", owners[number % len(owners)],
                      "G1" if number % 2 else ""])
    return csv_bytes(lines)


def lookups_importing(world, count_queries, prefix: str, rows: int, owners: list[str]) -> int:
    with count_queries() as counter:
        run = imported(world.admin, "customers", f"{prefix}.csv", customer_file(prefix, rows, owners))
    assert (run.state, run.created, run.failed) == ("done", rows, 0)
    return sum(1 for statement in counter.statements if LOOKUP.match(statement))


def test_users_and_units_are_read_a_few_times_per_chunk_not_per_owner_per_checkpoint(
        world, count_queries, every_chunk_a_checkpoint):
    owners = [make_user("account_manager", unit=world.grid1, username=f"owner{n}").username for n in range(OWNERS)]
    db.session.commit()

    small = lookups_importing(world, count_queries, "S", 2 * ROWS_PER_CHUNK, owners)
    large = lookups_importing(world, count_queries, "L", 6 * ROWS_PER_CHUNK, owners)

    with system_scope():
        assert db.session.execute(select(func.count(Customer.id)).where(Customer.code.like("L%"))).scalar() \
            == 6 * ROWS_PER_CHUNK
    # Four more chunks (each followed by a checkpoint) may add a users query, its roles and a
    # units query each — not a read of every owner (and of its roles) after every checkpoint.
    assert large - small <= 4 * 3, (small, large)
