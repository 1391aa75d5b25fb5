"""Fixtures of the worklog plugin's tests: the `world` of tests/conftest.py with a contact on
am1's customer, and helpers to write logs and plans as someone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from plugins.worklog import services
from plugins.worklog.services import LogInput
from workbench.customers.models import CustomerContact
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope


@pytest.fixture
def wl(world):
    with system_scope():
        customer = world.customers["am1"]
        world.contact = CustomerContact(customer_id=customer.id, name="王主任", title="办公室主任")
        db.session.add(world.contact)
        db.session.commit()
    return world


def local_text(delta: timedelta = timedelta(hours=-1)) -> str:
    with_zone = services.to_local(services.utcnow() + delta)
    return with_zone.strftime("%Y-%m-%dT%H:%M")


def write(user, customer=None, kind="visit", content="拜访信息科，了解需求", commit=True, **values):
    """services.create_log as `user`, committed; returns the log id."""
    with acting_as(user.scope):
        log = services.create_log(user, LogInput(kind=kind, customer_id=getattr(customer, "id", customer),
                                                 happened_at=values.pop("happened_at", local_text()),
                                                 content=content, **values))
        if commit:
            db.session.commit()
        return log.id


def plan(user, customer, day=None, purpose="介绍5G专网方案"):
    with acting_as(user.scope):
        created = services.create_plan(user, customer.id, (day or services.today()).isoformat(), purpose)
        db.session.commit()
        return created.id


def load_log(log_id):
    db.session.expire_all()
    with system_scope():
        return services.get_log(log_id)


def load_plan(plan_id):
    db.session.expire_all()
    with system_scope():
        return services.get_plan(plan_id)
