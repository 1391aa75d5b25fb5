"""The rule registry (预警规则): every warning rule is declared here, in ONE place, or
contributed by another plugin through the hook `workbench_warning_rules` (see hookspecs.py).

A rule has parameters (thresholds) with defaults and bounds; admins override them per org
unit (the nearest unit up the tree with a setting wins). A metric rule also says, as SQL
expressions over one month of every customer's indicators, when it fires and with which
figures — the scan (services.scan) turns each rule into ONE set-wise INSERT ... SELECT,
never a query per customer. Event rules (contract expiry from the contract module, overdue
opportunities) are raised by services.raise_from_event and have no SQL.

To add a rule: write a `Rule(...)` below and list it in BUILTIN_RULES, or return it from
`workbench_warning_rules()` in another plugin:

    Rule("balance_low", _l("Balance low"), params=(Param("limit", _l("Below"), 1000, 0, 10**9, unit="yuan"),),
         signals=lambda ctx: Signals(where=[ctx.cur.balance < ctx.param("balance_low", "limit")],
                                     severity=..., value=ctx.cur.balance, threshold=ctx.param(...)))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Numeric, String, and_, case, cast, func, literal
from sqlalchemy.orm import aliased

from workbench.customers.models import Customer
from workbench.org.models import OrgUnit

SEVERITIES = ("low", "medium", "high")
SEVERITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")}
SEVERITY_COLOURS = {"low": "secondary", "medium": "warning", "high": "danger"}
UNIT_LABELS = {"%": "%", "yuan": _l("yuan"), "days": _l("days"), "GB": "GB", "members": _l("members"),
               "points": _l("points")}


@dataclass(frozen=True)
class Param:
    """One threshold of a rule: bounds are checked when an admin saves a value."""

    key: str
    label: Any
    default: Decimal | int | float
    minimum: Decimal | int | float
    maximum: Decimal | int | float
    unit: str = ""
    integer: bool = False
    hint: Any = ""

    @property
    def default_value(self) -> Decimal:
        return Decimal(str(self.default))


@dataclass
class Signals:
    """What a metric rule contributes to the scan's INSERT ... SELECT: the conditions under
    which it fires and the figures it records (SQL expressions over ctx.cur / ctx.prev /
    ctx.customer; None where a figure does not apply)."""

    where: list
    severity: Any
    value: Any = None
    baseline: Any = None
    change_pct: Any = None
    threshold: Any = None
    days: Any = None
    period: Any = None  # default: the scanned month, "YYYY-MM"


@dataclass(frozen=True)
class Rule:
    key: str
    label: Any
    description: Any = ""
    params: tuple[Param, ...] = ()
    signals: Callable[["ScanContext"], Signals] | None = None  # None: raised from events only
    order: int = 100
    value_unit: str = ""
    icon: str = "bi-exclamation-triangle"
    settings_only: bool = False  # a group of settings, not a rule that raises warnings

    def param(self, key: str) -> Param:
        for param in self.params:
            if param.key == key:
                return param
        raise KeyError(f"rule {self.key} has no parameter {key}")


@dataclass
class ScanContext:
    """What a rule's SQL may use: the month scanned and the one before, today, the aliases
    of the metric rows, the customer and its unit, and each parameter's effective value per
    customer (a CASE over the units that have a setting, nearest first)."""

    period: date
    previous: date
    today: date
    now: datetime
    settings: dict  # (rule, param) -> [(unit path, Decimal)] longest path first
    rules: dict
    dialect: str
    cur: Any = None
    prev: Any = None
    customer: Any = Customer
    unit: Any = OrgUnit
    extra: dict = field(default_factory=dict)

    @property
    def period_key(self) -> str:
        return f"{self.period:%Y-%m}"

    def param(self, rule: str, key: str):
        """The effective value of a parameter for each customer's unit, as SQL."""
        default = self.rules[rule].param(key).default_value
        overrides = self.settings.get((rule, key), [])
        if not overrides:
            return _number(default)
        return case(*[(self.unit.path.startswith(path), _number(value)) for path, value in overrides],
                    else_=_number(default))

    def days_until(self, later):
        """Whole days from today to the date expression `later`, in this database's SQL."""
        if self.dialect == "postgresql":
            return later - literal(self.today)
        return cast(func.julianday(later) - func.julianday(literal(self.today.isoformat())), Integer)


def _number(value):
    # Typed, so PostgreSQL knows what a bare parameter in a SELECT list is.
    return cast(literal(Decimal(str(value))), Numeric(16, 2))


def drop_pct(current, previous):
    """Change in percent from `previous` to `current` (negative: a drop); previous > 0."""
    return (current - previous) * 100.0 / previous


# -- the built-in rules ---------------------------------------------------------------------

def _change_rule(column: str, rule_key: str, ctx: ScanContext) -> Signals:
    cur, prev = getattr(ctx.cur, column), getattr(ctx.prev, column)
    threshold = ctx.param(rule_key, "drop_pct")
    minimum = ctx.param(rule_key, "min_base")
    change = drop_pct(cur, prev)
    return Signals(
        where=[cur.is_not(None), prev.is_not(None), prev > 0, prev >= minimum, change <= -threshold],
        severity=case((change <= -2 * threshold, "high"), else_="medium"),
        value=cur, baseline=prev, change_pct=change, threshold=threshold)


def revenue_signals(ctx: ScanContext) -> Signals:
    return _change_rule("revenue", "revenue_change", ctx)


def traffic_signals(ctx: ScanContext) -> Signals:
    return _change_rule("traffic", "traffic_change", ctx)


def members_signals(ctx: ScanContext) -> Signals:
    return _change_rule("members", "member_change", ctx)


def contract_signals(ctx: ScanContext) -> Signals:
    days = ctx.param("contract_expiring", "days")
    end = ctx.cur.contract_end
    # The horizon differs per unit: compare "days left" rather than adding days to a date.
    left = ctx.days_until(end)
    return Signals(
        where=[end.is_not(None), end >= literal(ctx.today), left <= days],
        severity=case((left <= 15, "high"), else_="medium"),
        days=left, threshold=days, period=cast(end, String(40)))


def balance_signals(ctx: ScanContext) -> Signals:
    limit = ctx.param("balance_low", "limit")
    balance = ctx.cur.balance
    return Signals(where=[balance.is_not(None), balance < limit],
                   severity=case((balance < 0, "high"), else_="medium"), value=balance, threshold=limit)


def arrears_signals(ctx: ScanContext) -> Signals:
    days = ctx.param("arrears", "days")
    minimum = ctx.param("arrears", "min_amount")
    return Signals(
        where=[ctx.cur.arrears.is_not(None), ctx.cur.arrears > minimum, ctx.cur.arrears_days.is_not(None),
               ctx.cur.arrears_days >= days],
        severity=case((ctx.cur.arrears_days >= 2 * days, "high"), else_="medium"),
        value=ctx.cur.arrears, days=ctx.cur.arrears_days, threshold=days)


# Weights of the churn-risk score (流失预警): each signal adds its points when the customer's
# own rule threshold is passed, so a unit's settings shape the score too. Sum = 100.
CHURN_WEIGHTS = {"revenue": 30, "traffic": 15, "members": 15, "arrears": 20, "balance": 10, "contract": 10}


def churn_score(ctx: ScanContext):
    cur, prev = ctx.cur, ctx.prev

    def dropped(column, rule):
        now, before = getattr(cur, column), getattr(prev, column)
        return and_(now.is_not(None), before.is_not(None), before > 0,
                    drop_pct(now, before) <= -ctx.param(rule, "drop_pct"))

    def points(condition, weight):
        return case((condition, weight), else_=0)

    left = ctx.days_until(cur.contract_end)
    return (points(dropped("revenue", "revenue_change"), CHURN_WEIGHTS["revenue"])
            + points(dropped("traffic", "traffic_change"), CHURN_WEIGHTS["traffic"])
            + points(dropped("members", "member_change"), CHURN_WEIGHTS["members"])
            + points(and_(cur.arrears > 0, cur.arrears_days >= ctx.param("arrears", "days")), CHURN_WEIGHTS["arrears"])
            + points(cur.balance < ctx.param("balance_low", "limit"), CHURN_WEIGHTS["balance"])
            + points(and_(cur.contract_end.is_not(None), cur.contract_end >= literal(ctx.today),
                          left <= ctx.param("contract_expiring", "days")), CHURN_WEIGHTS["contract"]))


def churn_signals(ctx: ScanContext) -> Signals:
    score = churn_score(ctx)
    minimum = ctx.param("churn_risk", "min_score")
    return Signals(where=[score >= minimum],
                   severity=case((score >= ctx.param("churn_risk", "high_score"), "high"), else_="medium"),
                   value=score, threshold=minimum)


def _pct(key, default, label=None):
    return Param(key, label or _l("Drop of at least"), default, 1, 100, unit="%",
                 hint=_l("Month on month, in percent (1–100)."))


BUILTIN_RULES = (
    Rule("revenue_change", _l("Revenue change"), _l("Revenue fell month on month by more than the threshold."),
         params=(_pct("drop_pct", 30),
                 Param("min_base", _l("Only when last month's revenue was at least"), 1000, 0, 10**10, unit="yuan")),
         signals=revenue_signals, order=10, value_unit="yuan", icon="bi-graph-down-arrow"),
    Rule("traffic_change", _l("Product traffic change"), _l("Product traffic fell month on month."),
         params=(_pct("drop_pct", 40),
                 Param("min_base", _l("Only when last month's traffic was at least"), 100, 0, 10**10, unit="GB")),
         signals=traffic_signals, order=20, value_unit="GB", icon="bi-reception-2"),
    Rule("contract_expiring", _l("Contract expiring"), _l("The customer's contract ends within the set days."),
         params=(Param("days", _l("Ends within"), 60, 1, 365, unit="days", integer=True),),
         signals=contract_signals, order=30, value_unit="days", icon="bi-hourglass-split"),
    Rule("balance_low", _l("Balance low"), _l("The account balance is below the limit."),
         params=(Param("limit", _l("Balance below"), 1000, -10**9, 10**10, unit="yuan"),),
         signals=balance_signals, order=40, value_unit="yuan", icon="bi-wallet2"),
    Rule("arrears", _l("Arrears"), _l("The customer owes money for longer than the set days."),
         params=(Param("days", _l("Owed for at least"), 60, 1, 3650, unit="days", integer=True),
                 Param("min_amount", _l("Amount above"), 0, 0, 10**10, unit="yuan")),
         signals=arrears_signals, order=50, value_unit="yuan", icon="bi-cash-coin"),
    Rule("member_change", _l("Member change"), _l("Member numbers in use fell month on month."),
         params=(_pct("drop_pct", 20),
                 Param("min_base", _l("Only when last month's members were at least"), 5, 0, 10**8,
                       unit="members", integer=True)),
         signals=members_signals, order=60, value_unit="members", icon="bi-people"),
    Rule("churn_risk", _l("Churn risk"),
         _l("A score from 0 to 100 combining revenue, traffic and member drops, arrears, low balance and "
            "contract end (30/15/15/20/10/10 points)."),
         params=(Param("min_score", _l("Score at least"), 50, 1, 100, unit="points", integer=True),
                 Param("high_score", _l("High severity from"), 70, 1, 100, unit="points", integer=True)),
         signals=churn_signals, order=70, value_unit="points", icon="bi-door-open"),
    Rule("opportunity_overdue", _l("Overdue opportunity"),
         _l("An opportunity of the customer sat past its deadline at a step (from the opportunity module)."),
         order=80, icon="bi-alarm"),
    Rule("escalation", _l("Handling and escalation"),
         _l("How long the account manager has to handle a warning before it goes to the lead, once."),
         params=(Param("days", _l("Escalate after"), 3, 1, 90, unit="days", integer=True),),
         order=900, icon="bi-arrow-up-right-circle", settings_only=True),
)

RULE_KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


def all_rules() -> dict[str, Rule]:
    """Every rule by key, built-in first then those other plugins contribute (cached on the app)."""
    import re

    from workbench.plugins import registry

    cache = current_app.extensions.get("warning.rules")
    if cache is not None:
        return cache
    rules: dict[str, Rule] = {}
    contributed = []
    hook = getattr(registry().hook, "workbench_warning_rules", None)
    if hook is not None:
        for found in hook():
            contributed.extend(found or [])
    for rule in (*BUILTIN_RULES, *contributed):
        if not isinstance(rule, Rule):
            raise TypeError(f"workbench_warning_rules must return Rule objects, got {type(rule).__name__}")
        if not re.match(RULE_KEY_PATTERN, rule.key):
            raise ValueError(f"warning rule key {rule.key!r} must be a lowercase identifier of at most 40 characters")
        if rule.key in rules:
            raise ValueError(f"warning rule {rule.key!r} is declared twice")
        rules[rule.key] = rule
    ordered = dict(sorted(rules.items(), key=lambda item: (item[1].order, item[0])))
    current_app.extensions["warning.rules"] = ordered
    return ordered


def rule_label(key: str):
    rule = all_rules().get(key)
    return rule.label if rule else key


def metric_aliases():
    from plugins.warning.models import Metric

    return aliased(Metric, name="cur"), aliased(Metric, name="prev")


def previous_month(period: date) -> date:
    return (period.replace(day=1) - timedelta(days=1)).replace(day=1)
