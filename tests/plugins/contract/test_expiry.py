"""Expiry warnings: "contract.expiring" once per contract and threshold (90/30/7 days) and
"contract.expired" once, raised by the daily scan."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from plugins.contract import services
from plugins.contract.models import Contract, ExpiryNotice
from tests.plugins.contract.conftest import load, to_state
from workbench.extensions import db
from workbench.notify.models import Notification
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("contract", "opportunity"), pytest.mark.locale("en")]


@pytest.fixture
def confirmed(cw):
    return to_state(cw, "confirmed", category="cloud")


def emitted(monkeypatch):
    seen = []
    original = services.emit

    def spy(name, actor=None, **payload):
        seen.append((name, payload))
        return original(name, actor=actor, **payload)

    monkeypatch.setattr(services, "emit", spy)
    return seen


def scan(on):
    with system_scope():
        result = services.scan_expiry(on)
        db.session.commit()
    return result


def test_a_contract_ending_in_90_days_raises_one_expiring_event(cw, confirmed, monkeypatch):
    seen = emitted(monkeypatch)
    end = load(confirmed).end_date
    assert scan(end - timedelta(days=90)).expiring == 1
    assert scan(end - timedelta(days=89)).expiring == 0
    names = [(name, payload["days_left"], payload["threshold"]) for name, payload in seen]
    assert names == [("contract.expiring", 90, 90)]


def test_each_threshold_is_raised_once(cw, confirmed, monkeypatch):
    seen = emitted(monkeypatch)
    end = load(confirmed).end_date
    for days in (90, 60, 30, 29, 7, 6, 7):
        scan(end - timedelta(days=days))
    assert [payload["threshold"] for _name, payload in seen] == [90, 30, 7]


def test_a_contract_first_seen_inside_30_days_gets_only_the_nearest_threshold(cw, confirmed, monkeypatch):
    seen = emitted(monkeypatch)
    end = load(confirmed).end_date
    scan(end - timedelta(days=20))
    scan(end - timedelta(days=19))
    assert [(payload["threshold"], payload["days_left"]) for _n, payload in seen] == [(30, 20)]
    with system_scope():
        thresholds = sorted(db.session.execute(select(ExpiryNotice.threshold)).scalars())
    assert thresholds == ["30", "90"]


def test_an_ended_contract_raises_expired_once_and_tells_the_owner(cw, confirmed, monkeypatch):
    seen = emitted(monkeypatch)
    end = load(confirmed).end_date
    assert scan(end + timedelta(days=1)).expired == 1
    assert scan(end + timedelta(days=2)).expired == 0
    assert [name for name, _payload in seen] == ["contract.expired"]
    with system_scope():
        notes = db.session.execute(select(Notification).where(Notification.user_id == cw.am1.id,
                                                              Notification.message.contains("expired"))).scalars().all()
    assert len(notes) == 1


def test_contracts_not_yet_confirmed_raise_nothing(cw, monkeypatch):
    cid = to_state(cw, "signing", category="cloud")
    seen = emitted(monkeypatch)
    scan(load(cid).end_date - timedelta(days=3))
    assert seen == []


def test_the_daily_job_is_declared_and_scheduled(cw, confirmed, app):
    from plugins.contract import tasks
    from workbench.jobs import registry
    from workbench.plugins import registry as plugin_registry

    assert registry.definition("contract.scan_expiry").func is tasks.scan_expiry
    schedules = {job.name: job for job in plugin_registry().beat_schedule}
    assert schedules["contract.expiry_scan"].job == "contract.scan_expiry"
    with system_scope():
        db.session.execute(Contract.__table__.update().values(end_date=services.today() + timedelta(days=5)))
        db.session.commit()
        assert tasks.scan_expiry(None) == {"expiring": 1, "expired": 0}
        db.session.commit()
