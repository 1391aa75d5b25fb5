"""Demo data for `workbench demo`: twelve months of indicators for every demo customer, with
a few anomalies in the newest month — a revenue drop, long arrears, a low balance, a contract
ending soon, fewer members — so the first scan (run here) raises a handful of warnings for
am1 (and some for the others). One of am2's warnings is handled, to show the closed loop."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.warning import services
from plugins.warning.models import CustomerWarning
from workbench.extensions import db


def _months_back(last: date, count: int) -> list[date]:
    months, current = [], last
    for _ in range(count):
        months.append(current)
        current = (current - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def seed(demo) -> None:
    today = services.today()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last complete month
    months = _months_back(last, 12)
    rng = demo.rng
    rows = []
    # (owner, index of customer) → the anomaly of the newest month
    anomalies = {("am1", 0): "revenue", ("am1", 1): "arrears", ("am1", 2): "balance", ("am1", 3): "contract",
                 ("am1", 4): "members", ("am2", 0): "revenue", ("am2", 1): "contract", ("am3", 0): "arrears"}
    for owner, customers in sorted(demo.customers.items()):
        for index, customer in enumerate(customers):
            anomaly = anomalies.get((owner, index))
            revenue = Decimal(rng.randrange(20_000, 400_000))
            traffic = Decimal(rng.randrange(500, 20_000))
            members = rng.randrange(20, 400)
            contract_end = today + timedelta(days=rng.randrange(200, 700))
            for number, month in enumerate(months):
                newest = number == len(months) - 1
                revenue = (revenue * Decimal(str(rng.uniform(0.96, 1.05)))).quantize(Decimal("0.01"))
                traffic = (traffic * Decimal(str(rng.uniform(0.95, 1.06)))).quantize(Decimal("0.01"))
                members = max(5, members + rng.randrange(-3, 5))
                row = {"customer_id": customer.id, "granularity": "month", "period": month,
                       "revenue": revenue, "traffic": traffic, "members": members,
                       "balance": Decimal(rng.randrange(3_000, 60_000)), "arrears": Decimal("0"), "arrears_days": 0,
                       "contract_end": contract_end, "updated_at": services.utcnow()}
                if newest and anomaly == "revenue":
                    row["revenue"] = (revenue * Decimal("0.55")).quantize(Decimal("0.01"))
                    row["traffic"] = (traffic * Decimal("0.5")).quantize(Decimal("0.01"))
                if anomaly == "arrears" and number >= len(months) - 3:
                    row["arrears"] = Decimal("18600.00")
                    row["arrears_days"] = 30 * (number - len(months) + 4) + 10
                if newest and anomaly == "balance":
                    row["balance"] = Decimal("320.00")
                if anomaly == "contract":
                    row["contract_end"] = today + timedelta(days=25)
                if newest and anomaly == "members":
                    row["members"] = max(1, int(members * 0.6))
                rows.append(row)
    services.write_metrics(rows)
    db.session.flush()
    services.scan(period=last)
    db.session.flush()
    am2 = demo.users.get("am2")
    if am2 is not None:
        warning = db.session.execute(select(CustomerWarning).where(CustomerWarning.owner_id == am2.id)
                                     .order_by(CustomerWarning.id).limit(1)).unique().scalar_one_or_none()
        if warning is not None:
            services.handle(am2, warning, action="visited", outcome="in_progress",
                            note="已拜访客户财务负责人，确认下月恢复原有业务量。")
