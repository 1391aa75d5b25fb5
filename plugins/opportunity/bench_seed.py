"""Benchmark data of the opportunity plugin (`workbench bench seed`): 500,000 opportunities at
scale 1 for the account managers' customers, in a realistic mix of stages — most signed or
closed over the last three years, the open ones recent, about a third of them past the
deadline of their step — each open one with its handler's to-do, as the flow leaves it;
pooled ones with claims; a step log and, for open ones, follow-ups.

Handlers are who the flow would pick: the nearest opportunity manager for a new, pooled or
confirmed opportunity, the account manager for the survey and the contract, the nearest lead
for the survey review.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from workbench.extensions import db
from plugins.opportunity import services
from plugins.opportunity.demo import FOLLOWUP_NOTES, NEEDS
from plugins.opportunity.models import Category

OPPORTUNITIES = 500_000
# stage → weight (per cent of all opportunities)
STAGE_MIX = {"new": 3, "pool": 3, "assignment": 8, "survey_review": 4, "confirmation": 3, "pre_execution": 6,
             "signed": 25, "closed": 48}
HANDLER_ROLE = {"new": "opportunity_manager", "pool": "opportunity_manager", "survey_review": "lead",
                "confirmation": "opportunity_manager"}
CLOSE_REASONS = ["客户预算取消", "竞争对手低价中标", "客户需求延后到明年", "资源不具备，无法实施", "客户选择自建"]
CHUNK = 20_000
REVENUES = [12000, 36000, 58000, 96000, 150000, 280000, 520000]


def _details(category: Category, rng, today) -> dict:
    values = {}
    for definition in category.fields or []:
        kind, key = definition["type"], definition["key"]
        if kind == "integer":
            values[key] = rng.randint(1, 12) if key in ("sites", "branches") else rng.randint(5, 300)
        elif kind == "number":
            values[key] = rng.choice([50, 100, 200, 500, 1000])
        elif kind == "choice":
            values[key] = rng.choice(definition["choices"])
        elif kind == "textarea":
            values[key] = "\n".join(rng.sample(["滨江路18号", "江城大道66号", "开发区科创路9号", "临江街3号"], 2))
        elif kind == "date":
            values[key] = today.isoformat()
        else:
            values[key] = "园区及周边"
    return values


def seed(seeder) -> None:
    rng = seeder.random("opportunity")
    services.ensure_catalogue()
    db.session.flush()
    categories = [c for c in db.session.execute(select(Category).order_by(Category.id)).unique().scalars()
                  if c.active]
    leaves = [c for c in categories if not any(other.parent_id == c.id for other in categories)]
    count = seeder.count(OPPORTUNITIES)
    table = seeder.table("opportunity_opportunity")
    ids = seeder.new_ids(table, count)
    stages = rng.choices(list(STAGE_MIX), weights=list(STAGE_MIX.values()), k=count)
    customers = seeder.weighted_customers(rng, count)
    counties: dict[int, list[int]] = {}
    for am in seeder.account_managers():
        counties.setdefault(seeder.units[seeder.people[am].unit_id].county_id, []).append(am)
    labels = {stage: str(services.stage_label(stage)) for stage in STAGE_MIX}
    totals: dict[str, int] = {}
    for start in range(0, count, CHUNK):
        rows = _chunk(seeder, rng, ids[start:start + CHUNK], stages[start:start + CHUNK],
                      customers[start:start + CHUNK], leaves, counties, labels)
        for name, written in _write(seeder, table, *rows).items():
            totals[name] = totals.get(name, 0) + written
    for name, written in totals.items():
        seeder.report(name, written)


def _chunk(seeder, rng, ids, stages, customers, leaves, counties, labels):
    opportunities, steps, claims, followups, todos = [], [], [], [], []
    for opportunity_id, stage, customer in zip(ids, stages, customers):
        category = rng.choice(leaves)
        family = category.parent.code if category.parent is not None else category.code
        owner = customer.owner_id
        unit = seeder.units[customer.org_unit_id]
        sla = services.DEFAULT_SLA_HOURS.get(services.Stage(stage), 0)
        if stage in services.OPEN_STAGE_VALUES:
            created = seeder.now - timedelta(hours=rng.randint(sla + 24, 120 * 24))
            # a third of the open steps are past their deadline
            entered = seeder.now - timedelta(hours=rng.randint(0, max(1, int(sla * 1.5))))
            entered = max(entered, created)
            due = entered + timedelta(hours=sla)
        else:
            created = seeder.recent_moment(rng) - timedelta(days=20)
            entered = created + timedelta(days=rng.randint(5, 90))
            due = None
        revenue = Decimal(rng.choice(REVENUES))
        handler = (owner if stage in ("assignment", "pre_execution")
                   else seeder.nearest(HANDLER_ROLE[stage], unit.id) if stage in HANDLER_ROLE else None)
        title = f"{customer.name}{category.name}需求"[:200]
        row = {"id": opportunity_id, "code": f"SJ{opportunity_id:010d}", "title": title,
               "description": NEEDS.get(family, "客户提出新的业务需求"), "kind": rng.choice(("demand", "demand", "competitive")),
               "category_id": category.id, "customer_id": customer.id, "owner_id": owner,
               "org_unit_id": customer.org_unit_id, "created_by_id": owner, "handler_id": handler, "stage": stage,
               "stage_entered_at": entered, "stage_due_at": due, "pool_unit_id": None, "pool_closes_at": None,
               "expected_revenue": revenue, "signed_revenue": None, "details": _details(category, rng, seeder.today),
               "source": "manual", "contract_id": None, "last_followup_at": None, "signed_at": None,
               "closed_at": None, "closed_reason": "", "created_at": created, "updated_at": entered, "version": 1}
        if stage == "pool":
            row["pool_unit_id"] = unit.county_id
            row["pool_closes_at"] = entered + timedelta(hours=rng.choice((24, 48, 72)))
            others = [am for am in counties.get(unit.county_id, []) if am != owner]
            for claimant in rng.sample(others, min(len(others), rng.randint(0, 2))):
                claims.append({"opportunity_id": opportunity_id, "user_id": claimant, "note": "熟悉该客户的需求",
                               "status": "pending", "created_at": entered + timedelta(hours=rng.randint(1, 20))})
        elif stage == "signed":
            row["signed_at"] = entered
            row["signed_revenue"] = (revenue * Decimal(rng.choice(("1", "1", "0.9", "1.1")))).quantize(Decimal("0.01"))
        elif stage == "closed":
            row["closed_at"] = entered
            row["closed_reason"] = rng.choice(CLOSE_REASONS)
        opportunities.append(row)
        steps.append({"opportunity_id": opportunity_id, "from_stage": None, "to_stage": "new", "action": "create",
                      "actor_id": owner, "handler_id": seeder.nearest("opportunity_manager", unit.id), "note": "",
                      "at": created})
        if stage != "new":
            steps.append({"opportunity_id": opportunity_id, "from_stage": "new", "to_stage": stage,
                          "action": {"signed": "sign", "closed": "close", "pool": "publish"}.get(stage, "assign"),
                          "actor_id": owner, "handler_id": handler, "note": "", "at": entered})
        if stage in services.OPEN_STAGE_VALUES and stage not in ("new", "pool"):
            for _ in range(rng.randint(0, 2)):
                happened = created + (seeder.now - created) * rng.random()
                followups.append({"opportunity_id": opportunity_id, "kind": rng.choice(("visit", "call", "note")),
                                  "note": rng.choice(FOLLOWUP_NOTES), "happened_at": happened, "author_id": owner,
                                  "reference": "", "created_at": happened})
                row["last_followup_at"] = max(row["last_followup_at"] or happened, happened)
        kind = services.STEP_TODOS.get(services.Stage(stage))
        if kind is not None and handler is not None:
            todos.append((kind, opportunity_id, handler, customer, title, due, labels[stage], entered))
    return opportunities, steps, claims, followups, todos


def _write(seeder, table, opportunities, steps, claims, followups, todos) -> dict[str, int]:
    written = {"opportunities": seeder.insert(table, opportunities)}
    for name, rows in (("opportunity_step", steps), ("opportunity_claim", claims),
                       ("opportunity_followup", followups)):
        step_table = seeder.table(name)
        ids = iter(seeder.new_ids(step_table, len(rows)))
        written[name.replace("_", " ")] = seeder.insert(step_table, ({"id": next(ids), **r} for r in rows))
    todo_table = seeder.table("todo_item")
    todo_ids = iter(seeder.new_ids(todo_table, len(todos)))
    written["opportunity to-dos"] = seeder.insert(todo_table, (
        seeder.open_todo_row(next(todo_ids), kind=kind, title=f"{title}（{customer.name}）", owner_id=handler,
                             due_at=due, link=f"/opportunity/{opportunity_id}", customer_id=customer.id,
                             source=(services.SOURCE, opportunity_id), description=label, created_at=entered)
        for kind, opportunity_id, handler, customer, title, due, label, entered in todos))
    return written
