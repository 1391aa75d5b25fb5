"""Benchmark data of the contract plugin (`workbench bench seed`): 100,000 contract work orders
at scale 1. Confirmed contracts belong to signed opportunities, open ones to opportunities
in the contract pre-execution pool — found in the opportunity table's rows (this module
reads the table, it does not call the opportunity plugin) — with the opportunity's owner,
unit and customer. Each open order has its handler's to-do, as the flow leaves it, and the
opportunity's "raise the contract" to-do is closed, as creating the order does.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, select, update

from plugins.contract import services
from plugins.contract.services import State

CONTRACTS = 100_000
CONFIRMED_SHARE = 0.85
OPEN_MIX = {State.DRAFT: 3, State.RETURNED: 1, State.BUSINESS_REVIEW: 3, State.BRANCH_REVIEW: 2,
            State.SIGNING: 3, State.CONSTRUCTION: 2, State.CONFIRMATION: 2}
HANDLER_ROLE = {State.BUSINESS_REVIEW: "lead", State.BRANCH_REVIEW: "city_manager",
                State.CONFIRMATION: "contract_manager"}
TODO_TITLES = {State.DRAFT: (services.TODO_FILL, "Fill in and submit contract %(code)s"),
               State.RETURNED: (services.TODO_FILL, "Contract %(code)s was sent back: correct and resubmit"),
               State.BUSINESS_REVIEW: (services.TODO_REVIEW, "Review contract %(code)s (business)"),
               State.BRANCH_REVIEW: (services.TODO_REVIEW, "Review contract %(code)s (branch)"),
               State.SIGNING: (services.TODO_SIGNED, "Upload the signed copy of contract %(code)s"),
               State.CONSTRUCTION: (services.TODO_CONSTRUCTION, "Record survey and construction of contract %(code)s"),
               State.CONFIRMATION: (services.TODO_CONFIRM, "Confirm contract %(code)s")}
PAYMENT_TERMS = ["按月支付，每月10日前付清上月费用。", "合同签订后支付30%，验收后支付70%。", "按季度预付。"]


def _candidates(seeder, stage: str) -> list:
    opportunities = seeder.table("opportunity_opportunity")
    categories = seeder.table("opportunity_category")
    from workbench.extensions import db

    return db.session.execute(
        select(opportunities.c.id, opportunities.c.customer_id, opportunities.c.owner_id,
               opportunities.c.org_unit_id, opportunities.c.title, opportunities.c.expected_revenue,
               opportunities.c.signed_revenue, opportunities.c.stage_entered_at, categories.c.is_leased_line,
               categories.c.name)
        .join(categories, categories.c.id == opportunities.c.category_id)
        .where(opportunities.c.stage == stage).order_by(opportunities.c.id)).all()


def _todo_titles() -> dict:
    """The open steps' to-do titles in the default language (the flow writes them in the
    assignee's, which for a seeded person is the default)."""
    from flask_babel import gettext

    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_Hans_CN"):
        return {state: (kind, gettext(title)) for state, (kind, title) in TODO_TITLES.items()}


def seed(seeder) -> None:
    from workbench.extensions import db

    rng = seeder.random("contract")
    count = seeder.count(CONTRACTS)
    signed = _candidates(seeder, "signed")
    waiting = _candidates(seeder, "pre_execution")
    confirmed = rng.sample(signed, min(len(signed), round(count * CONFIRMED_SHARE)))
    open_ones = rng.sample(waiting, min(len(waiting), count - len(confirmed)))
    names = {customer.id: customer.name for customer in seeder.customers}
    table, steps, todo_table = seeder.table("contract_contract"), seeder.table("contract_step"), seeder.table("todo_item")
    titles = _todo_titles()
    ids = seeder.new_ids(table, len(confirmed) + len(open_ones))
    contracts, step_rows, todos = [], [], []
    plan = [(row, State.CONFIRMED) for row in confirmed]
    open_states = list(OPEN_MIX)
    for row in open_ones:
        state = rng.choices(open_states, weights=list(OPEN_MIX.values()))[0]
        if state == State.CONSTRUCTION and not row.is_leased_line:
            state = State.CONFIRMATION
        plan.append((row, state))
    for contract_id, (row, state) in zip(ids, plan):
        unit = seeder.units[row.org_unit_id]
        city = seeder.units[unit.city_id]
        created = row.stage_entered_at + timedelta(days=rng.randint(1, 10))
        if state == State.CONFIRMED:
            created = row.stage_entered_at - timedelta(days=rng.randint(10, 40))
            entered = row.stage_entered_at
        else:
            created = min(created, seeder.now - timedelta(days=2))
            entered = created + (seeder.now - created) * rng.random()
        start = (entered + timedelta(days=rng.randint(3, 20))).date()
        end = date(start.year + rng.choice((1, 1, 2, 3)), start.month, min(start.day, 28)) - timedelta(days=1)
        handler = (row.owner_id if state in (State.DRAFT, State.RETURNED, State.SIGNING, State.CONSTRUCTION)
                   else seeder.nearest(HANDLER_ROLE[state], unit.id) if state in HANDLER_ROLE else None)
        code = f"HT{contract_id:09d}"
        amount = row.signed_revenue or row.expected_revenue or Decimal("10000")
        construction = {}
        if row.is_leased_line and state in (State.CONFIRMATION, State.CONFIRMED):
            construction = {"bandwidth": str(rng.choice((50, 100, 200, 500))), "sites": str(rng.randint(1, 4)),
                            "circuit_ids": f"{city.code}-{contract_id:06d}-A", "completed_on": start.isoformat()}
        contracts.append({
            "id": contract_id, "code": code, "title": row.title, "opportunity_id": row.id,
            "active_opportunity_id": row.id, "customer_id": row.customer_id, "is_leased_line": bool(row.is_leased_line),
            "state": state.value, "handler_id": handler, "created_by_id": row.owner_id, "party_a": names.get(row.customer_id, ""),
            "party_b": f"中国移动通信集团{city.name}", "amount": amount, "start_date": start, "end_date": end,
            "products": f"{row.name}：{row.title}", "payment_terms": rng.choice(PAYMENT_TERMS), "notes": "",
            "contract_file_id": None, "signed_file_id": None, "template_id": None, "construction": construction,
            "return_reason": "付款方式需与客户财务再确认。" if state == State.RETURNED else "", "cancel_reason": "",
            "business_approved_by_id": None, "submitted_at": created + timedelta(days=1) if state != State.DRAFT else None,
            "state_entered_at": entered, "confirmed_at": entered if state == State.CONFIRMED else None,
            "owner_id": row.owner_id, "org_unit_id": row.org_unit_id, "created_at": created, "updated_at": entered,
            "version": 1})
        step_rows.append({"contract_id": contract_id, "from_state": None, "to_state": "draft", "action": "create",
                          "actor_id": row.owner_id, "handler_id": row.owner_id, "note": "", "at": created})
        if state != State.DRAFT:
            step_rows.append({"contract_id": contract_id, "from_state": "draft", "to_state": state.value,
                              "action": "confirm" if state == State.CONFIRMED else "submit", "actor_id": row.owner_id,
                              "handler_id": handler, "note": "", "at": entered})
        if state in titles and handler is not None:
            kind, title = titles[state]
            todos.append((kind, f"{title % {'code': code}} · {row.title}", handler, row.customer_id, contract_id,
                          entered, state))
    seeder.report("contracts", seeder.insert(table, contracts))
    step_ids = iter(seeder.new_ids(steps, len(step_rows)))
    seeder.report("contract steps", seeder.insert(steps, ({"id": next(step_ids), **r} for r in step_rows)))
    todo_ids = iter(seeder.new_ids(todo_table, len(todos)))
    seeder.report("contract to-dos", seeder.insert(todo_table, (
        seeder.open_todo_row(next(todo_ids), kind=kind, title=title, owner_id=handler, customer_id=customer_id,
                             due_at=entered + timedelta(days=services.STEP_DAYS.get(state, 3)),
                             link=f"/contract/{contract_id}", source=(services.SOURCE, contract_id),
                             priority=2 if state == State.RETURNED else 1, created_at=entered)
        for kind, title, handler, customer_id, contract_id, entered, state in todos)))
    # Creating an order closes the opportunity's "raise the contract" to-do.
    todo = todo_table.c
    for start in range(0, len(open_ones), 5000):
        chunk = [str(row.id) for row in open_ones[start:start + 5000]]
        db.session.execute(update(todo_table).where(and_(
            todo.source_type == "opportunity_opportunity", todo.source_id.in_(chunk),
            todo.kind == "opportunity.contract", todo.status == "open"))
            .values(status="done", closed_at=seeder.now, updated_at=seeder.now))
