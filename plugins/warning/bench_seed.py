"""Benchmark data of the warning plugin (`workbench bench seed`): 200,000 warnings at scale 1
about the account managers' customers, one per customer, rule and month of the last three
years (the unique key the scan keeps). Most are handled, with what was done and how it
ended; those of the last two months are mostly open, and each open one has its to-do for the
customer's account manager, as raising a warning opens it. Severity follows the figures.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale

from plugins.warning import rules as rule_registry
from plugins.warning import services

WARNINGS = 200_000
MONTHS = 36
RULES = ("revenue_change", "traffic_change", "contract_expiring", "balance_low", "arrears", "member_change",
         "churn_risk")
NOTES = ["已拜访客户财务负责人，确认下月恢复原有业务量。", "电话沟通，客户表示系季节性波动。", "已协调续约，合同草稿已提交。",
         "欠费已催缴到账。", "客户业务迁移至竞争对手，已上报。", "核实为数据口径差异，误报。"]
ESCALATION_DAYS = 3


def _month(now: datetime, back: int) -> datetime:
    year, month = now.year, now.month - back
    while month <= 0:
        year, month = year - 1, month + 12
    return datetime(year, month, 1)


def _figures(rule: str, rng) -> tuple[dict, str]:
    """The figures behind a warning and its severity."""
    if rule in ("revenue_change", "traffic_change", "member_change"):
        baseline = Decimal(rng.randrange(2_000, 400_000))
        drop = rng.randint(20, 70)
        value = (baseline * (100 - drop) / 100).quantize(Decimal("0.01"))
        return ({"baseline": baseline, "value": value, "change_pct": Decimal(-drop), "threshold": Decimal(30)},
                "high" if drop >= 50 else "medium")
    if rule == "contract_expiring":
        days = rng.randint(1, 60)
        return {"days": days, "value": Decimal(days), "threshold": Decimal(60)}, "high" if days <= 15 else "medium"
    if rule == "balance_low":
        return {"value": Decimal(rng.randrange(-5_000, 1_000)), "threshold": Decimal(1000)}, "low"
    if rule == "arrears":
        days = rng.randint(60, 240)
        return ({"value": Decimal(rng.randrange(1_000, 80_000)), "days": days, "threshold": Decimal(60)},
                "high" if days > 120 else "medium")
    score = rng.randint(50, 100)
    return {"value": Decimal(score), "threshold": Decimal(50)}, "high" if score >= 70 else "medium"


def seed(seeder) -> None:
    rng = seeder.random("warning")
    count = seeder.count(WARNINGS)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_Hans_CN"):
        labels = {key: str(rule.label) for key, rule in rule_registry.all_rules().items() if key in RULES}
    table, todo_table = seeder.table("warning_warning"), seeder.table("todo_item")
    seen: set[tuple[int, str, str]] = set()
    rows, todos = [], []
    attempts = 0
    while len(rows) < count and attempts < count * 3:
        attempts += 1
        customer = rng.choice(seeder.customers)
        rule = rng.choice(RULES)
        back = min(MONTHS - 1, int(MONTHS * rng.random() ** 1.3))  # more of them recent
        month = _month(seeder.now, back + 1)  # the month the figures are of
        period = f"{month:%Y-%m}"
        if (customer.id, rule, period) in seen:
            continue
        seen.add((customer.id, rule, period))
        figures, severity = _figures(rule, rng)
        raised = _month(seeder.now, back) + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 12))
        raised = min(raised, seeder.now - timedelta(hours=rng.randint(1, 72)))
        due = raised + timedelta(days=ESCALATION_DAYS)
        is_open = back <= 1 and rng.random() < 0.7
        row = {"customer_id": customer.id, "rule": rule, "period": period, "severity": severity,
               "title": f"{labels[rule]}：{customer.name}"[:300], "value": None, "baseline": None, "change_pct": None,
               "threshold": None, "days": None, "source": "scan", "reference": "", "link": None,
               "status": "open" if is_open else "handled", "raised_at": raised, "due_at": due, "escalated_at": None,
               "handled_at": None, "handled_by_id": None, "action": "", "outcome": "", "note": "",
               "scan_token": None, "escalation_token": None, "owner_id": customer.owner_id,
               "org_unit_id": customer.org_unit_id, "created_at": raised, "updated_at": raised, "version": 1}
        row.update(figures)
        if not is_open:
            handled = min(raised + timedelta(hours=rng.randint(2, 10 * 24)), seeder.now)
            row.update(handled_at=handled, handled_by_id=customer.owner_id, updated_at=handled,
                       action=rng.choice(list(services.ACTIONS)), outcome=rng.choice(list(services.OUTCOMES)),
                       note=rng.choice(NOTES))
        rows.append(row)
    ids = seeder.new_ids(table, len(rows))
    for warning_id, row in zip(ids, rows):
        row["id"] = warning_id
        row["link"] = None
        if row["status"] == "open":
            todos.append(row)
    seeder.report("warnings", seeder.insert(table, rows))
    todo_ids = seeder.new_ids(todo_table, len(todos))
    seeder.report("warning to-dos", seeder.insert(todo_table, (
        seeder.open_todo_row(todo_id, kind=services.TODO_HANDLE, title=row["title"], owner_id=row["owner_id"],
                             due_at=row["due_at"], link=services.warning_link(row["id"]),
                             customer_id=row["customer_id"], source=(services.SOURCE, row["id"]),
                             priority=services.SEVERITY_PRIORITY.get(row["severity"], 1),
                             created_at=row["raised_at"])
        for todo_id, row in zip(todo_ids, todos))))
