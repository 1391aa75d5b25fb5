"""Customer indicators through the core import framework (.xlsx / .csv): one row per
customer and period (a month, or a day), keyed by customer code + period + granularity, so
importing a file twice changes nothing and a corrected file updates the figures."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from plugins.warning import services
from plugins.warning.models import Metric
from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.imports.columns import Column
from workbench.imports.kinds import ImportKind, register_import_kind
from workbench.imports.rows import Plan, RowProblem, _CustomerChildRows


def _period_ok(value):
    try:
        services.parse_period(value, "day" if len(str(value).strip()) > 7 else "month")
    except ServiceError as problem:
        return problem.message
    return None


COLUMNS = (
    Column("customer_code", "客户编码", _l("Customer code"), required=True, aliases=("code", "集团编码"),
           hint=_l("The customer the figures belong to; it must be in your scope."), max_length=64, text=True,
           sample="C0000123"),
    Column("period", "账期", _l("Period"), required=True, aliases=("month", "月份", "统计周期", "日期"),
           hint=_l("YYYY-MM for a month, YYYY-MM-DD for a day."), max_length=10, text=True, validate=_period_ok,
           sample="2026-10"),
    Column("granularity", "周期类型", _l("Granularity"), type="choice", aliases=("粒度",), choices=("月", "日", "month", "day"),
           hint=_l("月 (month, the default) or 日 (day)."), sample="月"),
    Column("revenue", "收入", _l("Revenue (yuan)"), type="decimal", aliases=("收入(元)", "月收入"), sample="125000.00"),
    Column("traffic", "产品流量", _l("Traffic (GB)"), type="decimal", aliases=("流量", "流量(GB)"), sample="3200"),
    Column("balance", "账户余额", _l("Balance (yuan)"), type="decimal", aliases=("余额",), sample="5600.00"),
    Column("arrears", "欠费金额", _l("Arrears (yuan)"), type="decimal", aliases=("欠费",), sample="0"),
    Column("arrears_days", "欠费账龄", _l("Arrears age (days)"), type="integer", aliases=("欠费天数", "账龄"),
           sample="0"),
    Column("members", "成员数", _l("Members"), type="integer", aliases=("成员数量", "成员号码数"), sample="86"),
    Column("contract_end", "合约到期日", _l("Contract end"), type="date", aliases=("合同到期日", "到期日"),
           sample="2027-03-31"),
)


class MetricRows(_CustomerChildRows):
    """Indicators of customers in the importer's scope."""

    batch_size = 200

    def natural_key(self, row):
        granularity = "day" if row.get("granularity") in ("日", "day") else "month"
        try:
            period = services.parse_period(row.get("period"), granularity)
        except ServiceError:
            return ""
        return "\x1f".join((row.get("customer_code"), granularity, period.isoformat())) if row.get("customer_code") else ""

    def preload(self, rows):
        super().preload(rows)
        ids = [customer.id for customer in self.customers.values()]
        self.metrics: dict[tuple, Metric] = {}
        for start in range(0, len(ids), 500):
            for metric in db.session.execute(select(Metric).where(Metric.customer_id.in_(ids[start:start + 500]))).scalars():
                self.metrics[(metric.customer_id, metric.granularity, metric.period)] = metric

    def release(self, rows):
        super().release(rows)
        self.metrics = {}

    def plan(self, row):
        customer = self.customer_from(row)
        try:
            values = services.clean_metric({key: row.get(key) or None for key in
                                            ("period", "granularity", *services.METRIC_FIELDS)})
        except ServiceError as problem:
            raise RowProblem(problem.field, problem.message) from None
        existing = self.metrics.get((customer.id, values["granularity"], values["period"]))
        if existing is None:
            return Plan(None, {"customer_id": customer.id, **values})
        changes = {name: values[name] for name in services.METRIC_FIELDS
                   if values[name] is not None and _differs(getattr(existing, name), values[name])}
        return Plan(existing, changes)

    def write(self, row, plan):
        if plan.record is None:
            metric = Metric(**plan.changes)
            db.session.add(metric)
            return metric
        for key, value in plan.changes.items():
            setattr(plan.record, key, value)
        return plan.record

    def saved(self, row, record):
        self.metrics[(record.customer_id, record.granularity, record.period)] = record


def _differs(stored, new) -> bool:
    if stored is None:
        return True
    try:
        from decimal import Decimal

        return Decimal(str(stored)) != Decimal(str(new))
    except Exception:  # noqa: BLE001 - dates and other values compare directly
        return stored != new


KIND = ImportKind(
    "warning.metrics", _l("Customer indicators"), COLUMNS, MetricRows, permission="warning.import_metrics",
    key_columns=("customer_code", "period"), order=60,
    description=_l("Monthly (or daily) revenue, traffic, balance, arrears, members and contract end per customer "
                   "code; the warning scan reads them."))


def register(app) -> None:
    register_import_kind(app, KIND)
