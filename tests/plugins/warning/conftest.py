"""Fixtures of the warning plugin's tests: the `world` of tests/conftest.py and helpers that
write a customer's monthly indicators (set-wise, as the import and the API do)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from plugins.warning import services
from tests.support.factories import make_customer
from workbench.extensions import db
from workbench.org.scope import system_scope

PERIOD = date(2026, 10, 1)
PREVIOUS = date(2026, 9, 1)


def steady(**overrides) -> dict:
    """Figures of a healthy customer."""
    values = {"revenue": Decimal("100000"), "traffic": Decimal("5000"), "balance": Decimal("20000"),
              "arrears": Decimal("0"), "arrears_days": 0, "members": 100, "contract_end": None}
    values.update(overrides)
    return values


def write(customer, period=PERIOD, granularity="month", **figures) -> None:
    with system_scope():
        services.write_metrics([{"customer_id": customer.id, "granularity": granularity, "period": period,
                                 **steady(**figures), "updated_at": services.utcnow()}])
        db.session.commit()


def two_months(customer, before: dict | None = None, now: dict | None = None) -> None:
    write(customer, PREVIOUS, **(before or {}))
    write(customer, PERIOD, **(now or {}))


def scan(**kwargs):
    result = services.scan(period=PERIOD, **kwargs)
    db.session.commit()
    return result


@pytest.fixture
def customers(world):
    """am1's, am2's and the other county's customer (from the world)."""
    return world.customers


@pytest.fixture
def make_customers(world):
    def make(owner, count):
        made = [make_customer(owner, name=f"批量客户{owner.username}{i}") for i in range(count)]
        db.session.commit()
        return made
    return make


def soon(days: int) -> date:
    return services.today() + timedelta(days=days)
