"""workbench_handle_event: events from workbench.events.emit reach plugins once the emitting
transaction commits; a raising handler is logged and breaks neither the emitter nor the other
handlers. (Delivery rules in detail: tests/workbench/events/.)"""
from __future__ import annotations

import logging

from workbench.events import emit
from workbench.extensions import db
from workbench.hookspecs import hookimpl

from tests.support.factories import make_todo
from tests.workbench.plugins.samples import PROBE_MODULES, with_probe
from tests.workbench.plugins.samples.probe import EXPLODING_EVENT


def probe_events(app) -> list:
    return app.extensions["probe"]["events"]


def test_an_emitted_event_reaches_workbench_handle_event_of_a_plugin(start_app):
    app = start_app(PROBE_MODULES)
    with app.app_context():
        emit("visits.visit_done", actor=42, visit_id=7)
    [event] = probe_events(app)
    assert (event.name, event.payload, event.actor_id) == ("visits.visit_done", {"visit_id": 7}, 42)


@with_probe
def test_a_core_action_s_event_reaches_the_plugin(app, world):
    item = make_todo(world.am1, title="Evented")
    db.session.commit()  # delivered after commit
    names = [(event.name, event.payload.get("todo_id")) for event in probe_events(app)]
    assert ("todo.opened", item.id) in names


def test_a_raising_handler_breaks_neither_the_caller_nor_later_handlers(start_app, plugin_module, caplog):
    received = []

    @hookimpl
    def workbench_handle_event(event):
        received.append(event.name)

    # "recorder" sorts after "probe", so its handler runs after the probe's raised.
    app = start_app({**PROBE_MODULES, "recorder": plugin_module("recorder", workbench_handle_event=workbench_handle_event)})
    with app.app_context(), caplog.at_level(logging.ERROR, logger="workbench.events"):
        event = emit(EXPLODING_EVENT, payload_key="value")
    assert event.name == EXPLODING_EVENT
    assert received == [EXPLODING_EVENT]
    assert "event handler probe failed" in caplog.text


@with_probe
def test_the_emitting_request_succeeds_when_a_handler_raises(app, world, client_for, monkeypatch):
    failures = []

    def explode(event):
        failures.append(event.name)
        raise RuntimeError("handler down")

    # From now on the probe's handler raises on every event; the customer edit must still save.
    [impl] = [impl for impl in app.extensions["workbench.plugins"].pm.hook.workbench_handle_event.get_hookimpls()
              if impl.plugin_name == "probe"]
    monkeypatch.setattr(impl, "function", explode)
    customer = world.customers["am1"]
    db.session.commit()
    response = client_for(world.am1).post(f"/customers/{customer.id}/edit", data={
        "name": "Renamed while a handler fails", "industry": customer.industry or "", "level": customer.level,
        "address": "", "notes": "", "version": customer.version,
    })
    assert response.status_code == 302
    assert "customer.updated" in failures
    db.session.expire_all()
    assert db.session.get(type(customer), customer.id).name == "Renamed while a handler fails"


def test_every_event_the_core_emits_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    emitted = set()
    for source in (root / "workbench").rglob("*.py"):
        # The first argument of each emit(...) call, conditional names included.
        for first_argument in re.findall(r"emit\(([^,]+),", source.read_text(encoding="utf-8")):
            emitted |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', first_argument))
    documented = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", (root / "docs" / "plugins.md").read_text(encoding="utf-8")))
    assert len(emitted) > 10 and emitted <= documented, sorted(emitted - documented)
