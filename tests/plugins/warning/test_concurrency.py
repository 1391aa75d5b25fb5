"""Two scans of the same month at the same moment (PostgreSQL, real concurrent
transactions — say a beat run and an admin's "Scan now"): each signal is still one warning
with one to-do; the insert-if-absent holds under concurrency, not just on a re-run."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.warning import services
from plugins.warning.models import CustomerWarning
from tests.plugins.warning.conftest import PERIOD, two_months
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("warning")]


def test_two_concurrent_scans_raise_each_warning_once(app, world, make_customers, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (this test runs on the postgresql backend)")
    for customer in make_customers(world.am1, 5):
        two_months(customer, now={"revenue": Decimal("40000")})
    barrier = threading.Barrier(2)
    raised, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                result = services.scan(period=PERIOD)
                db.session.commit()
                raised.append(result.raised)
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(raised) == [0, 5]
    with system_scope():
        assert db.session.execute(select(func.count(CustomerWarning.id))).scalar() == 5
        assert db.session.execute(select(func.count(TodoItem.id)).where(TodoItem.kind == "warning.handle")).scalar() == 5
