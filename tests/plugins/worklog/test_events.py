"""System logs from other modules' events: emitted by name with made-up payloads (this plugin
imports no other), delivered after commit through the real hook. One event writes one log
(a redelivered event id writes nothing twice); an event without customer_id writes nothing;
the sentence is rendered at display time in the reader's language."""
from __future__ import annotations

import pytest
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from plugins.worklog import services, system_entries
from plugins.worklog.models import WorkLog
from tests.plugins.worklog.conftest import write
from workbench.contracts import Event
from workbench.events import deliver, emit, emit_batch
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = pytest.mark.plugins("worklog")


def system_logs():
    db.session.expire_all()
    with system_scope():
        return db.session.execute(select(WorkLog).where(WorkLog.system.is_(True)).order_by(WorkLog.id)
                                  ).unique().scalars().all()


def payload(world, **extra):
    base = {"customer_id": world.customers["am1"].id, "owner_id": world.am1.id,
            "org_unit_id": world.am1.org_unit_id, "title": "扩容互联网专线"}
    base.update(extra)
    return base


def test_a_confirmed_contract_writes_a_system_log_on_the_customers_trail(wl):
    emit("contract.confirmed", actor=wl.lead, contract_id=41, opportunity_id=7, code="HT202611-0001",
         amount="86000.00", **payload(wl))
    db.session.commit()
    [log] = system_logs()
    assert log.event_name == "contract.confirmed" and log.customer_id == wl.customers["am1"].id
    assert log.owner_id == wl.am1.id and log.org_unit_id == wl.am1.org_unit_id and log.kind == "work"
    assert log.payload["code"] == "HT202611-0001" and log.content == ""
    assert services.describe(log) == "Contract HT202611-0001 confirmed"
    assert services.system_detail(log) == "Amount: 86000.00"


@pytest.mark.parametrize("name, extra, text", [
    ("opportunity.created", {"opportunity_id": 1}, "Opportunity reported: 扩容互联网专线"),
    ("opportunity.stage_changed", {"opportunity_id": 1, "from_stage": "assignment", "to_stage": "survey_review"},
     "Opportunity 扩容互联网专线 moved from Assigned to Survey review"),
    ("opportunity.signed", {"opportunity_id": 1, "signed_revenue": "90000"}, "Opportunity signed: 扩容互联网专线"),
    ("ict.project_created", {"project_id": 3}, "ICT project started: 扩容互联网专线"),
    ("ict.project_closed", {"project_id": 3, "stage": "closed", "outcome": "won"},
     "ICT project finished (Closed): 扩容互联网专线"),
    ("solutions.proposal_generated", {"proposal_id": 5}, "Solution proposal generated: 扩容互联网专线"),
    ("warning.raised", {"warning_id": 2, "rule": "arrears", "severity": "high", "period": "2026-11"},
     "Warning raised: 扩容互联网专线"),
    ("warning.handled", {"warning_id": 2, "rule": "arrears", "severity": "high", "action": "visit",
                         "outcome": "客户已缴费"}, "Warning handled: 扩容互联网专线"),
    ("warning.escalated", {"warning_id": 2, "rule": "arrears", "lead_ids": [1]},
     "Warning escalated to the leads: 扩容互联网专线"),
    ("intel.pushed", {"intel_id": 4, "competitor": "移动", "recipient_ids": [1]},
     "Competitive intelligence pushed: 扩容互联网专线"),
    ("resources.request_approved", {"request_id": 6, "purpose": "客户活动", "items": [], "step": "lead"},
     "Resource request approved: 扩容互联网专线"),
    ("resources.request_issued", {"request_id": 6, "purpose": "客户活动",
                                  "items": [{"name": "定制水杯", "quantity": 20}]}, "Resources issued: 扩容互联网专线"),
    ("resources.use_confirmed", {"request_id": 6, "purpose": "客户活动", "items": []},
     "Use of resources confirmed: 扩容互联网专线"),
])
def test_each_event_of_the_contract_writes_one_system_log(wl, name, extra, text):
    emit(name, actor=wl.am1, **payload(wl, **extra))
    db.session.commit()
    [log] = system_logs()
    assert log.event_name == name and services.describe(log) == text


def test_issued_resources_are_listed_in_the_detail(wl):
    emit("resources.request_issued", request_id=6, purpose="活动", items=[{"name": "定制水杯", "quantity": 20}],
         **payload(wl))
    db.session.commit()
    assert services.system_detail(system_logs()[0]) == "定制水杯 × 20"


def test_a_redelivered_event_writes_the_log_once(wl):
    event = Event(name="warning.raised", payload=payload(wl, warning_id=9, rule="arrears", severity="high",
                                                         period="2026-11"), actor_id=wl.am1.id)
    app = current_app._get_current_object()
    deliver(app, [event])
    deliver(app, [event])
    assert len(system_logs()) == 1
    assert system_logs()[0].event_id == event.id


def test_the_handler_itself_skips_an_event_id_already_recorded(wl):
    event = Event(name="intel.pushed", payload=payload(wl, intel_id=1, competitor="联通", recipient_ids=[]))
    with system_scope():
        assert services.record_system_log(event) is not None
        db.session.commit()
        assert services.record_system_log(event) is None


@pytest.mark.parametrize("customer_id", [None, "12", True])
def test_an_event_without_a_customer_id_writes_nothing(wl, customer_id):
    extra = payload(wl, intel_id=3, competitor="移动", recipient_ids=[])
    extra["customer_id"] = customer_id
    emit("intel.pushed", **extra)
    extra.pop("customer_id")
    emit("warning.raised", warning_id=1, rule="x", severity="low", period="p", **extra)  # no key at all
    db.session.commit()
    assert system_logs() == []


def test_an_event_for_a_customer_that_does_not_exist_writes_nothing(wl):
    emit("warning.raised", **payload(wl, customer_id=999999, warning_id=1))
    db.session.commit()
    assert system_logs() == []


def test_events_outside_the_list_and_our_own_write_nothing(wl):
    emit("opportunity.claimed", **payload(wl, opportunity_id=1))
    emit("contract.submitted", **payload(wl, contract_id=1))
    emit("worklog.logged", log_id=1, kind="visit", system=False, **payload(wl))
    db.session.commit()
    assert system_logs() == []


def test_a_rolled_back_event_writes_nothing(wl):
    emit("contract.confirmed", contract_id=1, code="HT1", **payload(wl))
    db.session.rollback()
    assert system_logs() == []


def test_without_an_owner_in_the_payload_the_customers_owner_and_unit_are_used(wl):
    emit("solutions.proposal_generated", actor=wl.lead, proposal_id=3, customer_id=wl.customers["am2"].id,
         opportunity_id=None)
    db.session.commit()
    [log] = system_logs()
    assert log.owner_id == wl.am2.id and log.org_unit_id == wl.customers["am2"].org_unit_id


def test_system_logs_are_never_editable(wl):
    emit("opportunity.created", **payload(wl, opportunity_id=1))
    db.session.commit()
    [log] = system_logs()
    with acting_as(wl.am1.scope):
        log = services.get_log(log.id)
        assert not services.may_edit(wl.am1, log)
        assert "cannot be edited" in str(services.edit_refusal(wl.am1, log))


def test_the_system_sentence_follows_the_readers_language(wl):
    emit("opportunity.stage_changed", **payload(wl, opportunity_id=1, from_stage="new", to_stage="pool"))
    db.session.commit()
    [log] = system_logs()
    with force_locale("zh_Hans_CN"):
        chinese = services.describe(log)
    with force_locale("en"):
        english = services.describe(log)
    assert english == "Opportunity 扩容互联网专线 moved from New to In the pool"
    assert chinese != english and "扩容互联网专线" in chinese


def test_an_unknown_event_name_still_reads_as_a_sentence(wl):
    assert system_entries.describe("billing.renamed_event", {"customer_id": 1}) == \
        "Recorded automatically: billing.renamed_event"


def test_a_payload_missing_fields_still_renders(wl):
    assert system_entries.describe("contract.confirmed", {}) == "Contract  confirmed"


def test_system_logs_join_typed_logs_in_the_customers_trail_newest_first(wl):
    typed = write(wl.am1, wl.customers["am1"])
    emit("warning.raised", **payload(wl, warning_id=1, rule="arrears", severity="high", period="p"))
    db.session.commit()
    with acting_as(wl.am1.scope):
        trail = db.session.execute(services.trail_query(wl.customers["am1"].id)).unique().scalars().all()
    assert [log.system for log in trail] == [True, False] and trail[1].id == typed


def test_writing_a_log_emits_worklog_logged_with_the_contract_keys(wl, monkeypatch):
    seen = []
    original = services.emit
    monkeypatch.setattr(services, "emit", lambda name, **kw: seen.append(original(name, **kw)) or seen[-1])
    log_id = write(wl.am1, wl.customers["am1"])
    logged = [event for event in seen if event.name == "worklog.logged"]
    assert logged and logged[0].payload == {"log_id": log_id, "customer_id": wl.customers["am1"].id,
                                            "kind": "visit", "owner_id": wl.am1.id,
                                            "org_unit_id": wl.am1.org_unit_id, "system": False}


def test_planning_emits_worklog_plan_created(wl, monkeypatch):
    seen = []
    original = services.emit
    monkeypatch.setattr(services, "emit", lambda name, **kw: seen.append(original(name, **kw)) or seen[-1])
    from tests.plugins.worklog.conftest import plan

    plan_id = plan(wl.am1, wl.customers["am1"])
    [event] = [event for event in seen if event.name == "worklog.plan_created"]
    assert event.payload == {"plan_id": plan_id, "customer_id": wl.customers["am1"].id, "owner_id": wl.am1.id,
                             "org_unit_id": wl.am1.org_unit_id, "planned_on": services.today().isoformat()}
    with system_scope():
        assert db.session.execute(select(func.count()).select_from(WorkLog)).scalar() == 0


def test_a_system_entry_announces_itself_as_worklog_logged_once(wl, monkeypatch):
    seen = []
    original = services.emit
    monkeypatch.setattr(services, "emit", lambda name, **kw: seen.append(original(name, **kw)) or seen[-1])
    event = Event(name="warning.raised", payload=payload(wl, warning_id=1, rule="arrears", severity="high",
                                                         period="p"))
    deliver(current_app._get_current_object(), [event])
    deliver(current_app._get_current_object(), [event])
    [logged] = [item for item in seen if item.name == "worklog.logged"]
    assert logged.payload["system"] is True and logged.payload["log_id"] == system_logs()[0].id
    assert len(system_logs()) == 1  # the worklog.logged event itself wrote nothing


# -- events emitted as a batch (emit_batch): the same logs, written set-wise -------------------

def one_by_one_and_batched(wl, make_payloads):
    """The logs of the same events delivered singly and as a batch, as comparable tuples."""
    def logs_as_tuples():
        return sorted((log.event_name, log.customer_id, log.owner_id, log.org_unit_id, log.kind, log.happened_at,
                       tuple(sorted(log.payload.items()))) for log in system_logs())

    for values in make_payloads():
        emit(values.pop("name"), actor=wl.lead, **values)
    db.session.commit()
    single = logs_as_tuples()
    with system_scope():
        db.session.execute(WorkLog.__table__.delete())
        db.session.commit()
    by_name: dict = {}
    for values in make_payloads():
        by_name.setdefault(values.pop("name"), []).append(values)
    for name, payloads in by_name.items():
        emit_batch(name, payloads, actor=wl.lead)
    db.session.commit()
    return single, logs_as_tuples()


def test_a_batch_writes_the_same_logs_as_the_same_events_one_by_one(wl):
    def make_payloads():
        return [
            dict(name="warning.raised", **payload(wl, warning_id=1, rule="arrears", severity="high", period="p")),
            dict(name="warning.raised", warning_id=2, customer_id=wl.customers["am2"].id, title="无负责人字段"),
            dict(name="warning.raised", warning_id=3, customer_id=999999, title="不存在的客户"),
            dict(name="warning.raised", warning_id=4, customer_id="12", title="不是整数"),
            dict(name="opportunity.created", **payload(wl, opportunity_id=5, owner_id=888888)),  # unknown owner
            dict(name="opportunity.claimed", **payload(wl, opportunity_id=6)),  # not a system event
        ]

    single, batched = one_by_one_and_batched(wl, make_payloads)
    strip = [entry[:5] + entry[6:] for entry in single]  # happened_at: each emit has its own moment
    assert len(batched) == 3 and [entry[:5] + entry[6:] for entry in batched] == strip
    owners = {entry[1]: entry[2] for entry in batched if entry[0] == "warning.raised"}
    assert owners[wl.customers["am2"].id] == wl.am2.id  # the customer's owner when the payload names none


def test_a_batch_delivered_twice_writes_each_log_once_with_its_audit_entry(wl):
    from workbench import events
    from workbench.audit.models import AuditEntry

    emitted = emit_batch("warning.raised", [payload(wl, warning_id=number, rule="arrears", severity="high",
                                                    period=f"p{number}") for number in range(3)], actor=wl.am1)
    db.session.commit()
    batch = events.EventBatch(name="warning.raised", events=tuple(emitted))
    deliver(current_app._get_current_object(), [batch])
    logs = system_logs()
    assert sorted(log.event_id for log in logs) == sorted(event.id for event in emitted)
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "worklog_log",
                                                              AuditEntry.record_id.in_([log.id for log in logs]))
                                     ).scalars().all()
    assert len(entries) == 3 and {entry.action for entry in entries} == {"create"}
    assert {entry.actor_id for entry in entries} == {wl.am1.id}
    assert entries[0].changes["event_name"] == [None, "warning.raised"] and entries[0].changes["system"] == [None, True]


def test_a_batch_announces_its_logs_as_one_worklog_logged_batch(wl, monkeypatch):
    from workbench import events

    delivered = []
    original = events.deliver
    monkeypatch.setattr(events, "deliver", lambda application, items: (delivered.extend(items),
                                                                       original(application, items)))
    emit_batch("warning.raised", [payload(wl, warning_id=number) for number in range(2)], actor=wl.am1)
    db.session.commit()
    [logged] = [item for item in delivered if item.name == "worklog.logged"]
    assert isinstance(logged, events.EventBatch) and logged.actor_id == wl.am1.id
    assert sorted(event.payload["log_id"] for event in logged.events) == sorted(log.id for log in system_logs())
    assert all(event.payload["system"] is True for event in logged.events)
    assert len(system_logs()) == 2  # worklog.logged itself wrote nothing
