"""Benchmark data of the worklog plugin (`workbench bench seed`): 1,000,000 typed work logs at
scale 1 over the last three years (more of them recent), by the account managers about their
own customers — visits and service with the contacts met and next steps, project and general
work — and this week's visit plans, two or three per account manager, each with its visit
to-do as planning one opens it.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale, gettext

from plugins.worklog import services
from plugins.worklog.demo import CONTENT, NEXT_STEPS, PURPOSES

LOGS = 1_000_000
CHUNK = 50_000
KINDS = ("visit", "visit", "visit", "service", "service", "project", "work", "work")
CONTACT_NAMES = ["王主任", "陈科长", "刘经理", "周主任", "吴科长", "郑经理", "孙院长", "许工"]


def seed(seeder) -> None:
    rng = seeder.random("worklog")
    count = seeder.count(LOGS)
    table = seeder.table("worklog_log")
    ids = seeder.new_ids(table, count)
    written = 0
    for start in range(0, count, CHUNK):
        chunk = ids[start:start + CHUNK]
        customers = seeder.weighted_customers(rng, len(chunk))
        written += seeder.insert(table, (_log(seeder, rng, log_id, customer) for log_id, customer in zip(chunk, customers)))
    seeder.report("work logs", written)
    _plans(seeder, rng)


def _log(seeder, rng, log_id: int, customer) -> dict:
    kind = rng.choice(KINDS)
    happened = seeder.recent_moment(rng).replace(hour=rng.randint(1, 10))  # 09:00–18:00 in Beijing
    about_customer = kind != "work"
    met = [{"id": None, "name": rng.choice(CONTACT_NAMES)}] if kind in ("visit", "service") else []
    return {"id": log_id, "kind": kind, "customer_id": customer.id if about_customer else None,
            "happened_at": happened, "content": rng.choice(CONTENT[kind]), "contacts": met,
            "next_step": rng.choice(NEXT_STEPS) if kind in ("visit", "service") else "", "follow_up_on": None,
            "plan_id": None, "created_by_id": customer.owner_id, "system": False, "event_name": None,
            "event_id": None, "payload": {}, "owner_id": customer.owner_id, "org_unit_id": customer.org_unit_id,
            "created_at": happened, "updated_at": happened, "version": 1}


def _plans(seeder, rng) -> None:
    plans, todos = [], []
    monday = seeder.today - timedelta(days=seeder.today.weekday())
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_Hans_CN"):
        template = gettext("Visit %(customer)s: %(purpose)s")
    plan_table, todo_table = seeder.table("worklog_plan"), seeder.table("todo_item")
    for am in seeder.account_managers():
        book = seeder.customers_of(am)
        for offset, customer in enumerate(rng.sample(book, min(len(book), rng.randint(2, 3)))):
            day = max(seeder.today, monday + timedelta(days=offset * 2))
            purpose = rng.choice(PURPOSES)
            plans.append({"customer_id": customer.id, "planned_on": day, "purpose": purpose, "status": "planned",
                          "done_at": None, "cancel_reason": "", "created_by_id": am, "owner_id": am,
                          "org_unit_id": customer.org_unit_id, "created_at": seeder.now - timedelta(days=2),
                          "updated_at": seeder.now - timedelta(days=2), "version": 1})
            todos.append((customer, purpose, day, am))
    plan_ids = seeder.new_ids(plan_table, len(plans))
    seeder.report("visit plans", seeder.insert(plan_table, ({"id": i, **row} for i, row in zip(plan_ids, plans))))
    todo_ids = seeder.new_ids(todo_table, len(todos))
    seeder.report("visit to-dos", seeder.insert(todo_table, (
        seeder.open_todo_row(todo_id, kind=services.TODO_VISIT, owner_id=am, customer_id=customer.id,
                             title=template % {"customer": customer.name, "purpose": purpose[:100]},
                             due_at=datetime.combine(day, time(12, 0)), link=f"/worklog/plans/{plan_id}",
                             source=(services.PLAN_SOURCE, plan_id), description=purpose,
                             created_at=seeder.now - timedelta(days=2))
        for todo_id, plan_id, (customer, purpose, day, am) in zip(todo_ids, plan_ids, todos))))
