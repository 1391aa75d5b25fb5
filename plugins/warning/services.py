"""Rules of the warning plugin (预警): indicators in, warnings out, and the closed loop (闭环).

    metrics (import / API) ──scan (set-wise SQL, one INSERT ... SELECT per rule)──▶ warning (open)
    contract.expiring / opportunity.overdue events ─────────────────────────────────▶ warning (open)
    open ──to-do for the customer's AM──▶ handled (what was done, outcome)   [to-dos closed]
    open past its due time ──escalate, once──▶ to-do for the lead(s) of the unit

The scan is idempotent: the unique key (customer, rule, period) and an insert-if-absent
(ON CONFLICT DO NOTHING, on SQLite and PostgreSQL) make the same signal in the same period
one warning however often it runs. Its statement count does not depend on the number of
customers: each rule is one INSERT ... SELECT; the new rows are read back once by the scan's
token; the to-dos of all of them are one INSERT ... SELECT into the inbox table, their audit
entries one more; the account managers are notified with one notify() call. The new warnings
are announced as one batch of warning.raised events (emit_batch) and handed to the search
indexer as one bulk update, so what runs after the commit does not cost a transaction or an
index write per warning either.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Reads need no scope filter: the core applies the
data-scope rule to every ORM SELECT.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, Select, String, and_, case, cast, func, literal, null, or_, select, type_coerce, update
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError

from plugins.warning import rules as rule_registry
from plugins.warning.models import CustomerWarning, Metric, Threshold
from plugins.warning.rules import SEVERITIES, ScanContext
from workbench.audit.models import AuditEntry
from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.events import emit, emit_batch
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.notify.services import notify
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope
from workbench.records import utcnow

# Permissions (declared in plugin.py)
PERM_VIEW = "warning.view"
PERM_HANDLE = "warning.handle"
PERM_UNIT = "warning.view_unit"
PERM_CONFIGURE = "warning.configure"
PERM_REPORT = "warning.report"
PERM_METRICS = "warning.import_metrics"
PERM_ESCALATIONS = "warning.receive_escalations"

# To-do kinds (declared in plugin.py); the source links a to-do to its warning.
TODO_HANDLE = "warning.handle"
TODO_ESCALATED = "warning.escalated"
SOURCE = "warning_warning"

STATUSES = ("open", "handled")
STATUS_LABELS = {"open": _l("Open"), "handled": _l("Handled")}
ACTIONS = {
    "visited": _l("Visited the customer"),
    "called": _l("Called the customer"),
    "retention_offer": _l("Made a retention offer"),
    "payment_collected": _l("Collected the payment"),
    "renewal_started": _l("Started the renewal"),
    "escalated_internally": _l("Raised it with another department"),
    "other": _l("Other"),
}
OUTCOMES = {
    "resolved": _l("Resolved"),
    "in_progress": _l("Being worked on, customer retained for now"),
    "lost": _l("Customer or business lost"),
    "false_alarm": _l("False alarm: the figures were explained"),
}
SEVERITY_PRIORITY = {"low": 0, "medium": 1, "high": 2}
NOTE_MAX = 2000
METRIC_FIELDS = ("revenue", "traffic", "balance", "arrears", "arrears_days", "members", "contract_end")
MAX_METRIC_ROWS = 5000


# -- small readers ----------------------------------------------------------------------------

def today() -> date:
    """Today in the workbench's time zone (metric periods and contract ends are local dates)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return datetime.now(zone).date()


def warning_link(warning_id) -> str:
    return f"/warning/{warning_id}"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(model):
    """An INSERT that can say ON CONFLICT DO NOTHING / DO UPDATE on both databases."""
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _json_literal(value: dict):
    """A constant JSON value in a SELECT list (CAST on PostgreSQL; SQLite stores the text)."""
    if _dialect() == "postgresql":
        return cast(type_coerce(value, JSON), JSON)
    return type_coerce(value, JSON)


def _default_locale():
    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh_Hans_CN"


# -- thresholds per unit ----------------------------------------------------------------------

def load_settings() -> dict[tuple[str, str], list[tuple[str, Decimal]]]:
    """Every unit's settings: (rule, param) → [(unit path, value)], deepest unit first, so
    the first path that prefixes a customer's unit is the nearest setting up the tree."""
    rows = db.session.execute(
        select(Threshold.rule, Threshold.param, OrgUnit.path, Threshold.value)
        .join(OrgUnit, OrgUnit.id == Threshold.org_unit_id)).all()
    settings: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}
    for rule, param, path, value in rows:
        settings.setdefault((rule, param), []).append((path, Decimal(str(value))))
    for values in settings.values():
        values.sort(key=lambda item: len(item[0]), reverse=True)
    return settings


def effective_value(rule: str, param: str, unit: OrgUnit | None, settings=None) -> tuple[Decimal, OrgUnit | None]:
    """The value that applies in `unit` and the unit it comes from (None: the rule default)."""
    settings = load_settings() if settings is None else settings
    path = unit.path if unit is not None else ""
    for unit_path, value in settings.get((rule, param), []):
        if path.startswith(unit_path):
            source = db.session.execute(select(OrgUnit).where(OrgUnit.path == unit_path)).scalar_one_or_none()
            return value, source
    return rule_registry.all_rules()[rule].param(param).default_value, None


def configurable_units(actor: User) -> list[OrgUnit]:
    """Units whose thresholds `actor` may set: everything for admins, else their unit and below."""
    if not actor.can(PERM_CONFIGURE):
        return []
    query = select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.path)
    if not actor.scope.sees_everything:
        if actor.org_unit is None:
            return []
        query = query.where(OrgUnit.path.startswith(actor.org_unit.path))
    return list(db.session.execute(query).scalars())


@dataclass
class ParamSetting:
    rule: object
    param: object
    own: Decimal | None          # this unit's own setting
    inherited: Decimal           # what applies without it (nearest unit above, or the default)
    inherited_from: OrgUnit | None

    @property
    def field(self) -> str:
        return f"{self.rule.key}.{self.param.key}"

    @property
    def effective(self) -> Decimal:
        return self.own if self.own is not None else self.inherited


def unit_settings(unit: OrgUnit) -> list[ParamSetting]:
    """Every rule parameter as the settings page shows it for `unit`."""
    settings = load_settings()
    own = {(t.rule, t.param): Decimal(str(t.value)) for t in db.session.execute(
        select(Threshold).where(Threshold.org_unit_id == unit.id)).scalars()}
    parent = db.session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    result = []
    for rule in rule_registry.all_rules().values():
        for param in rule.params:
            inherited, source = effective_value(rule.key, param.key, parent, settings) if parent else (
                param.default_value, None)
            result.append(ParamSetting(rule, param, own.get((rule.key, param.key)), inherited, source))
    return result


class InvalidThresholds(ServiceError):
    """Some submitted thresholds are not acceptable: `errors` maps each field to its message."""

    def __init__(self, errors: dict):
        first = next(iter(errors))
        super().__init__(_l("Some thresholds are not valid; nothing was saved."), field=first)
        self.errors = errors


def _format_bound(value) -> str:
    number = Decimal(str(value))
    return f"{number:,.0f}" if number == number.to_integral() else f"{number:,}"


def clean_threshold(param, text) -> Decimal | None:
    """A submitted value: blank → None (inherit); else a number within the parameter's bounds."""
    text = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    try:
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ServiceError(_l("Enter a number, such as 30 or 1000.50.")) from None
    if param.integer and value != value.to_integral():
        raise ServiceError(_l("Enter a whole number."))
    if value.as_tuple().exponent < -2:
        raise ServiceError(_l("At most two decimals."))
    if value < Decimal(str(param.minimum)) or value > Decimal(str(param.maximum)):
        raise ServiceError(_l("Enter a value from %(low)s to %(high)s.", low=_format_bound(param.minimum),
                              high=_format_bound(param.maximum)))
    return value


def save_thresholds(actor: User, unit: OrgUnit, values: dict[str, str]) -> int:
    """Save the unit's settings from {"rule.param": text}: blank removes the unit's own value
    (it inherits again). Every value is checked first; one bad value saves nothing. Returns
    the number of settings changed."""
    if unit not in configurable_units(actor):
        raise NotAllowed(_l("You may not set warning thresholds for this unit."))
    known = {f"{rule.key}.{param.key}": (rule, param) for rule in rule_registry.all_rules().values()
             for param in rule.params}
    errors, cleaned = {}, {}
    for name, text in values.items():
        if name not in known:
            continue
        try:
            cleaned[name] = clean_threshold(known[name][1], text)
        except ServiceError as problem:
            errors[name] = problem.message
    if not errors and "churn_risk.min_score" in cleaned and "churn_risk.high_score" in cleaned:
        low = cleaned["churn_risk.min_score"] or known["churn_risk.min_score"][1].default_value
        high = cleaned["churn_risk.high_score"] or known["churn_risk.high_score"][1].default_value
        if high < low:
            errors["churn_risk.high_score"] = _l("High severity cannot start below the score that raises the warning.")
    if errors:
        raise InvalidThresholds(errors)
    existing = {(t.rule, t.param): t for t in db.session.execute(
        select(Threshold).where(Threshold.org_unit_id == unit.id)).scalars()}
    changed = 0
    for name, value in cleaned.items():
        rule, param = known[name]
        row = existing.get((rule.key, param.key))
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(Threshold(org_unit_id=unit.id, rule=rule.key, param=param.key, value=value,
                                     updated_by_id=actor.id))
            changed += 1
        elif Decimal(str(row.value)) != value:
            row.value = value
            row.updated_by_id = actor.id
            changed += 1
    db.session.flush()
    if changed:
        emit("warning.thresholds_changed", actor=actor, unit_id=unit.id, changed=changed)
    return changed


# -- metrics in -------------------------------------------------------------------------------

class InvalidMetrics(ServiceError):
    """Rows of a metrics upload that cannot be saved: [(row number, field, message)]."""

    def __init__(self, problems: list[tuple[int, str | None, object]]):
        super().__init__(_l("%(count)d rows are not valid; nothing was saved.", count=len({p[0] for p in problems})))
        self.problems = problems


def parse_period(text, granularity: str = "month") -> date:
    """"2026-10", "2026/10", "202610" or a date; a month is stored as its first day."""
    if isinstance(text, datetime):
        text = text.date()
    if isinstance(text, date):
        value = text
    else:
        raw = str(text or "").strip()
        match = re.fullmatch(r"(\d{4})[-/.年]?(\d{1,2})月?(?:[-/.](\d{1,2})日?)?", raw)
        if not match:
            raise ServiceError(_l("Enter the period as YYYY-MM (a month) or YYYY-MM-DD (a day)."), field="period")
        year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
        try:
            value = date(year, month, int(day) if day else 1)
        except ValueError:
            raise ServiceError(_l("Enter the period as YYYY-MM (a month) or YYYY-MM-DD (a day)."),
                               field="period") from None
        if granularity == "day" and not day:
            raise ServiceError(_l("A daily row needs the day: YYYY-MM-DD."), field="period")
    if value.year < 2000 or value > date.today() + timedelta(days=31):
        raise ServiceError(_l("The period must lie between 2000 and this month."), field="period")
    return value.replace(day=1) if granularity == "month" else value


def _decimal(name, text, minimum=None, integer=False):
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = Decimal(str(text).strip().replace(",", ""))
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ServiceError(_l("Enter a number."), field=name) from None
    if integer:
        if value != value.to_integral():
            raise ServiceError(_l("Enter a whole number."), field=name)
        value = int(value)
    if minimum is not None and value < minimum:
        raise ServiceError(_l("Cannot be negative."), field=name)
    if abs(Decimal(value)) >= Decimal("1e14"):
        raise ServiceError(_l("The number is too large."), field=name)
    return value


def clean_metric(values: dict) -> dict:
    """One metric row checked and normalised (raises ServiceError naming the field)."""
    granularity = str(values.get("granularity") or "month").strip().lower()
    granularity = {"月": "month", "日": "day", "monthly": "month", "daily": "day"}.get(granularity, granularity)
    if granularity not in ("month", "day"):
        raise ServiceError(_l("Granularity is month or day."), field="granularity")
    cleaned = {"granularity": granularity, "period": parse_period(values.get("period"), granularity)}
    cleaned["revenue"] = _decimal("revenue", values.get("revenue"))
    cleaned["traffic"] = _decimal("traffic", values.get("traffic"), minimum=0)
    cleaned["balance"] = _decimal("balance", values.get("balance"))
    cleaned["arrears"] = _decimal("arrears", values.get("arrears"), minimum=0)
    cleaned["arrears_days"] = _decimal("arrears_days", values.get("arrears_days"), minimum=0, integer=True)
    cleaned["members"] = _decimal("members", values.get("members"), minimum=0, integer=True)
    end = values.get("contract_end")
    if end in (None, ""):
        cleaned["contract_end"] = None
    else:
        try:
            cleaned["contract_end"] = end if isinstance(end, date) else date.fromisoformat(str(end).strip()[:10])
        except ValueError:
            raise ServiceError(_l("Enter the contract end as YYYY-MM-DD."), field="contract_end") from None
    if all(cleaned[name] is None for name in METRIC_FIELDS):
        raise ServiceError(_l("The row has no figures."), field=None)
    return cleaned


def upsert_metrics(actor: User | None, rows: list[dict]) -> dict:
    """Save many metric rows at once (the JSON API): each {customer_code, period, granularity?,
    revenue?, ...}. Every row is checked first; any bad row saves nothing and all problems are
    reported. A row for an existing (customer, granularity, period) replaces its figures."""
    if actor is not None and not actor.can(PERM_METRICS):
        raise NotAllowed(_l("You may not load customer indicators."))
    if not rows:
        raise ServiceError(_l("Send at least one row."), field="rows")
    if len(rows) > MAX_METRIC_ROWS:
        raise ServiceError(_l("At most %(max)d rows per request.", max=MAX_METRIC_ROWS), field="rows")
    codes = {str(row.get("customer_code") or "").strip() for row in rows if isinstance(row, dict)} - {""}
    customers = {}
    for chunk in _chunks(sorted(codes), 900):
        # Scoped: a customer outside the caller's scope reads like an unknown code.
        customers.update(dict(db.session.execute(
            select(Customer.code, Customer.id).where(Customer.code.in_(chunk), Customer.archived.is_(False))).all()))
    problems, cleaned, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append((number, None, _l("Each row is an object.")))
            continue
        code = str(row.get("customer_code") or "").strip()
        if code not in customers:
            problems.append((number, "customer_code", _l("No customer with code %(code)s in your scope.", code=code)))
            continue
        try:
            values = clean_metric(row)
        except ServiceError as problem:
            problems.append((number, problem.field, problem.message))
            continue
        key = (customers[code], values["granularity"], values["period"])
        if key in seen:
            problems.append((number, "period", _l("Repeats row %(row)d (same customer and period).", row=seen[key])))
            continue
        seen[key] = number
        cleaned.append({"customer_id": customers[code], **values, "updated_at": utcnow()})
    if problems:
        raise InvalidMetrics(problems)
    write_metrics(cleaned)
    return {"saved": len(cleaned)}


def write_metrics(rows: list[dict]) -> None:
    """Upsert checked rows set-wise (one executemany per chunk, never an ORM object per row)."""
    if not rows:
        return
    statement = _insert(Metric)
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id", "granularity", "period"],
        set_={name: getattr(statement.excluded, name) for name in (*METRIC_FIELDS, "updated_at")})
    for chunk in _chunks(rows, 2000):
        db.session.execute(statement, chunk)


def _chunks(values, size):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def metrics_of(customer_id: int, months: int = 12) -> list[Metric]:
    """The customer's monthly indicators, oldest first (the caller checked the customer)."""
    rows = db.session.execute(
        select(Metric).where(Metric.customer_id == customer_id, Metric.granularity == "month")
        .order_by(Metric.period.desc()).limit(months)).scalars().all()
    return list(reversed(rows))


def chart_data(customer: Customer, months: int = 12) -> dict:
    """The customer's indicator chart: months, series, and the months with a warning."""
    rows = metrics_of(customer.id, months)
    categories = [f"{row.period:%Y-%m}" for row in rows]

    def series(name):
        return [float(getattr(row, name)) if getattr(row, name) is not None else None for row in rows]

    marks = db.session.execute(
        select(CustomerWarning.period, CustomerWarning.rule, CustomerWarning.severity)
        .where(CustomerWarning.customer_id == customer.id, CustomerWarning.period.in_(categories))).all()
    labels = {key: str(rule.label) for key, rule in rule_registry.all_rules().items()}
    return {
        "categories": categories,
        "series": [
            {"key": "revenue", "name": str(_l("Revenue (yuan)")), "data": series("revenue"), "axis": 0},
            {"key": "balance", "name": str(_l("Balance (yuan)")), "data": series("balance"), "axis": 0},
            {"key": "arrears", "name": str(_l("Arrears (yuan)")), "data": series("arrears"), "axis": 0},
            {"key": "traffic", "name": str(_l("Traffic (GB)")), "data": series("traffic"), "axis": 1},
            {"key": "members", "name": str(_l("Members")), "data": series("members"), "axis": 1},
        ],
        "warnings": [{"period": period, "rule": rule, "label": labels.get(rule, rule), "severity": severity}
                     for period, rule, severity in marks],
        "labels": {"money": str(_l("yuan")), "count": str(_l("GB / members"))},
    }


# -- the scan ---------------------------------------------------------------------------------

@dataclass
class ScanResult:
    period: str | None = None
    raised: int = 0
    by_rule: dict = field(default_factory=dict)
    escalated: int = 0
    warning_ids: list = field(default_factory=list)


def latest_period(on: date | None = None) -> date | None:
    """The newest month with indicators, not after the month of `on`."""
    on = on or today()
    return db.session.execute(select(func.max(Metric.period)).where(
        Metric.granularity == "month", Metric.period <= on.replace(day=1))).scalar()


def _due_expression(ctx: ScanContext):
    """When an open warning escalates: now + the unit's "escalate after" days (a CASE over
    the units with a setting, nearest first — no date arithmetic in SQL)."""
    default = rule_registry.all_rules()["escalation"].param("days").default_value
    overrides = ctx.settings.get(("escalation", "days"), [])
    due = lambda days: literal(ctx.now + timedelta(days=int(days)))  # noqa: E731
    if not overrides:
        return due(default)
    return case(*[(OrgUnit.path.startswith(path), due(days)) for path, days in overrides], else_=due(default))


WARNING_INSERT_COLUMNS = ("customer_id", "rule", "period", "severity", "title", "value", "baseline", "change_pct",
                          "threshold", "days", "source", "reference", "status", "raised_at", "due_at", "owner_id",
                          "org_unit_id", "scan_token", "created_at", "updated_at", "version", "action", "outcome",
                          "note")


def _rule_select(rule, ctx: ScanContext, token: str, prefix: str) -> Select:
    signals = rule.signals(ctx)
    cur, prev = ctx.cur, ctx.prev

    def figure(expression, kind):
        return null() if expression is None else cast(expression, kind)

    from sqlalchemy import Numeric

    columns = (
        cur.customer_id,
        literal(rule.key),
        signals.period if signals.period is not None else literal(ctx.period_key),
        signals.severity,
        literal(prefix) + Customer.name,
        figure(signals.value, Numeric(16, 2)),
        figure(signals.baseline, Numeric(16, 2)),
        figure(signals.change_pct, Numeric(10, 2)),
        figure(signals.threshold, Numeric(16, 2)),
        figure(signals.days, Integer),
        literal("scan"), literal(""), literal("open"), literal(ctx.now), _due_expression(ctx),
        Customer.owner_id, Customer.org_unit_id, literal(token), literal(ctx.now), literal(ctx.now), literal(1),
        literal(""), literal(""), literal(""),
    )
    return (select(*columns).select_from(cur)
            .join(Customer, Customer.id == cur.customer_id)
            .join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
            .outerjoin(prev, and_(prev.customer_id == cur.customer_id, prev.granularity == "month",
                                  prev.period == ctx.previous))
            .where(cur.granularity == "month", cur.period == ctx.period, Customer.archived.is_(False),
                   *signals.where))


def scan(period: date | None = None, now: datetime | None = None, escalate_too: bool = True) -> ScanResult:
    """Evaluate every metric rule for ALL customers of `period` (default: the newest month
    with indicators), set-wise; open a to-do for each new warning's AM; notify them; then
    escalate what is overdue. A system job: it runs in the system scope."""
    now = now or utcnow()
    result = ScanResult()
    with system_scope():
        period = period.replace(day=1) if period else latest_period()
        if period is not None:
            result.period = f"{period:%Y-%m}"
            token = uuid.uuid4().hex
            all_rules = rule_registry.all_rules()
            cur, prev = rule_registry.metric_aliases()
            ctx = ScanContext(period=period, previous=rule_registry.previous_month(period), today=today(), now=now,
                              settings=load_settings(), rules=all_rules, dialect=_dialect(), cur=cur, prev=prev)
            with force_locale(_default_locale()):
                prefixes = {key: f"{rule.label}：" for key, rule in all_rules.items()}
            for rule in all_rules.values():
                if rule.signals is None or rule.settings_only:
                    continue
                statement = (_insert(CustomerWarning)
                             .from_select(list(WARNING_INSERT_COLUMNS), _rule_select(rule, ctx, token, prefixes[rule.key]))
                             .on_conflict_do_nothing(index_elements=["customer_id", "rule", "period"]))
                db.session.execute(statement)
            new = _announce_new(token, actor=None)
            result.raised = len(new)
            result.warning_ids = [row.id for row in new]
            for row in new:
                result.by_rule[row.rule] = result.by_rule.get(row.rule, 0) + 1
        if escalate_too:
            result.escalated = escalate(now=now)
    return result


def _announce_new(token: str, actor: User | None) -> list:
    """For the warnings raised under `token`: their to-dos (one INSERT ... SELECT), their
    audit entries (one more), one notification call for their AMs and a warning.raised
    event each, emitted as one batch. Returns the rows read back."""
    new = db.session.execute(
        select(CustomerWarning.id, CustomerWarning.customer_id, CustomerWarning.rule, CustomerWarning.severity,
               CustomerWarning.title, CustomerWarning.period, CustomerWarning.owner_id, CustomerWarning.org_unit_id)
        .where(CustomerWarning.scan_token == token).order_by(CustomerWarning.id)
        .execution_options(skip_scope=True)).all()  # system work: the scan's own rows
    if not new:
        return []
    _open_todos_setwise(CustomerWarning.scan_token == token, TODO_HANDLE, owner_column=CustomerWarning.owner_id,
                        due_column=CustomerWarning.due_at)
    _audit_setwise(CustomerWarning.scan_token == token, {"status": [None, "open"]}, "create", actor)
    owner_ids = sorted({row.owner_id for row in new if row.owner_id})
    if owner_ids:
        owners = list(db.session.execute(select(User).where(User.id.in_(owner_ids), User.active.is_(True))).scalars())
        if owners:
            notify(owners, TODO_HANDLE, _l("New warnings about your customers are waiting for you: open "
                                           "“My warnings” to see the figures and record what you did."),
                   link="/warning/?mine=1", title=_l("New customer warnings"))
    _index_later([row.id for row in new])
    # One batch, not an emit per warning: batch handlers (the work log's system entries)
    # write their rows set-wise; each event keeps the payload a single warning.raised has.
    emit_batch("warning.raised", [
        {"warning_id": row.id, "customer_id": row.customer_id, "rule": row.rule, "severity": row.severity,
         "title": row.title, "period": row.period, "owner_id": row.owner_id, "org_unit_id": row.org_unit_id}
        for row in new], actor=actor)
    return new


def _index_later(warning_ids: list[int]) -> None:
    """Rows written by Core statements are invisible to the search indexer's flush hook:
    hand their ids to it, so they are indexed after the commit, in bulk (one index write)."""
    from workbench.search import indexing

    indexing.index_after_commit("warning.warning", warning_ids)


def _open_todos_setwise(condition, kind: str, *, owner_column=None, owner_id: int | None = None, due_column=None,
                        title_prefix: str = "") -> None:
    """Open one inbox to-do per warning matching `condition`, in ONE statement. The to-do
    goes to `owner_id` (a lead) or the warning's owner; a customer without an AM queues it
    for the customer's unit. (The to-dos are then announced by one notify() call, not one
    todo.opened event each.)"""
    now = utcnow()
    owner = literal(owner_id) if owner_id is not None else owner_column
    priority = case(*[(CustomerWarning.severity == key, value) for key, value in SEVERITY_PRIORITY.items()], else_=1)
    selected = select(
        literal(kind), literal(title_prefix) + CustomerWarning.title, literal(""),
        owner, case((owner.is_(None), CustomerWarning.org_unit_id), else_=null()),
        CustomerWarning.org_unit_id, CustomerWarning.customer_id,
        due_column if due_column is not None else literal(now + timedelta(days=1)),
        priority, literal(TodoStatus.OPEN), literal("/warning/") + cast(CustomerWarning.id, String),
        literal(SOURCE), cast(CustomerWarning.id, String), literal(now), literal(now), literal(1), literal(""),
    ).where(condition)
    statement = TodoItem.__table__.insert().from_select(
        ["kind", "title", "description", "owner_id", "assignee_unit_id", "org_unit_id", "customer_id", "due_at",
         "priority", "status", "link", "source_type", "source_id", "created_at", "updated_at", "version",
         "result_note"], selected)
    db.session.execute(statement)


def _audit_setwise(condition, changes: dict, action: str, actor: User | None) -> None:
    """The audit entries of a set-wise change, in ONE statement (the ORM's recorder does not
    see Core INSERT/UPDATE statements)."""
    selected = select(
        literal(SOURCE), CustomerWarning.id, literal(action), literal(getattr(actor, "id", None), Integer),
        literal(utcnow()), _json_literal(changes), CustomerWarning.org_unit_id, CustomerWarning.owner_id,
        func.substr(CustomerWarning.title, 1, 200),
    ).where(condition)
    db.session.execute(AuditEntry.__table__.insert().from_select(
        ["model_key", "record_id", "action", "actor_id", "at", "changes", "org_unit_id", "owner_id", "summary"],
        selected))


# -- escalation -------------------------------------------------------------------------------

def escalate(now: datetime | None = None) -> int:
    """Open warnings past their due time go to the lead(s) of their unit (the nearest unit up
    the tree with someone holding warning.receive_escalations), once: a to-do for each lead
    and a warning.escalated event. Set-wise: one UPDATE marks them; the statements after it
    depend on the number of units and leads involved, not of customers."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    with system_scope():
        marked = db.session.execute(
            update(CustomerWarning.__table__)
            .where(CustomerWarning.__table__.c.status == "open", CustomerWarning.__table__.c.escalated_at.is_(None),
                   CustomerWarning.__table__.c.due_at <= now)
            .values(escalated_at=now, escalation_token=token,
                    version=CustomerWarning.__table__.c.version + 1)).rowcount
        if not marked:
            return 0
        condition = CustomerWarning.escalation_token == token
        _audit_setwise(condition, {"escalated_at": [None, now.isoformat(timespec="seconds")]}, "update", None)
        rows = db.session.execute(
            select(CustomerWarning.id, CustomerWarning.customer_id, CustomerWarning.rule, CustomerWarning.title,
                   CustomerWarning.owner_id, CustomerWarning.org_unit_id)
            .where(condition).order_by(CustomerWarning.id).execution_options(skip_scope=True)).all()
        unit_ids = sorted({row.org_unit_id for row in rows})
        leads_by_unit = {unit_id: escalation_leads(unit_id) for unit_id in unit_ids}
        by_lead: dict[int, tuple[User, list[int]]] = {}
        for unit_id, leads in leads_by_unit.items():
            for lead in leads:
                by_lead.setdefault(lead.id, (lead, []))[1].append(unit_id)
        with force_locale(_default_locale()):
            prefix = str(_l("Escalated: "))
        for lead, units in by_lead.values():
            _open_todos_setwise(and_(condition, CustomerWarning.org_unit_id.in_(units)), TODO_ESCALATED,
                                owner_id=lead.id, title_prefix=prefix)
        if by_lead:
            notify([lead for lead, _units in by_lead.values()], TODO_ESCALATED,
                   _l("Warnings of your team were not handled in time and were escalated to you."),
                   link="/warning/?escalated=1", title=_l("Escalated warnings"))
        emit_batch("warning.escalated", [
            {"warning_id": row.id, "customer_id": row.customer_id, "rule": row.rule, "title": row.title,
             "lead_ids": [lead.id for lead in leads_by_unit.get(row.org_unit_id, [])], "owner_id": row.owner_id,
             "org_unit_id": row.org_unit_id} for row in rows])
        return marked


def escalation_leads(unit_id: int | None) -> list[User]:
    """Active people holding warning.receive_escalations in the unit or the nearest unit above."""
    unit = db.session.get(OrgUnit, unit_id) if unit_id else None
    if unit is None:
        return []
    chain = [unit] + list(reversed(org.ancestors(unit)))
    for level in chain:
        people = db.session.execute(select(User).where(User.org_unit_id == level.id, User.active.is_(True))
                                    .order_by(User.id).options(selectinload(User.roles))).unique().scalars().all()
        found = [person for person in people if person.can(PERM_ESCALATIONS)]
        if found:
            return found
    return []


# -- warnings from other modules' events ------------------------------------------------------

def raise_warning(*, customer_id: int, rule: str, period: str, severity: str, source: str = "event",
                  reference: str = "", link: str | None = None, owner_id: int | None = None,
                  org_unit_id: int | None = None, actor_id: int | None = None, **figures) -> CustomerWarning | None:
    """Raise one warning unless the same (customer, rule, period) exists: a SAVEPOINT around
    the insert makes a concurrent duplicate harmless. Returns the new warning or None."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.archived:
        return None
    exists = db.session.execute(select(CustomerWarning.id).where(
        CustomerWarning.customer_id == customer_id, CustomerWarning.rule == rule,
        CustomerWarning.period == period)).first()
    if exists:
        return None
    all_rules = rule_registry.all_rules()
    unit = db.session.get(OrgUnit, org_unit_id or customer.org_unit_id)
    days, _source = effective_value("escalation", "days", unit)
    now = utcnow()
    with force_locale(_default_locale()):
        title = f"{all_rules[rule].label}：{customer.name}"
    warning = CustomerWarning(
        customer_id=customer_id, rule=rule, period=period[:40], severity=severity, title=title[:300],
        source=source, reference=reference[:64], link=link, status="open", raised_at=now,
        due_at=now + timedelta(days=int(days)), owner_id=owner_id or customer.owner_id,
        org_unit_id=unit.id, **figures)
    try:
        with db.session.begin_nested():
            db.session.add(warning)
            db.session.flush()
    except IntegrityError:
        return None
    owner = db.session.get(User, warning.owner_id) if warning.owner_id else None
    inbox.open_todo(kind=TODO_HANDLE, title=warning.title, assignee=owner if owner and owner.active else None,
                    unit=None if owner and owner.active else unit, due_at=warning.due_at,
                    priority=SEVERITY_PRIORITY.get(severity, 1), link=warning_link(warning.id),
                    customer=customer_id, source=(SOURCE, warning.id))
    emit("warning.raised", actor=actor_id, warning_id=warning.id, customer_id=customer_id, rule=rule,
         severity=severity, title=warning.title, period=warning.period, owner_id=warning.owner_id,
         org_unit_id=warning.org_unit_id)
    return warning


def on_contract_expiring(payload: dict, actor_id=None) -> CustomerWarning | None:
    """contract.expiring → the "contract expiring" warning, when the days left are within the
    unit's threshold. Its period is the end date, as the metric rule's is, so both sources
    make one warning."""
    customer = db.session.get(Customer, payload.get("customer_id"))
    if customer is None or not payload.get("end_date"):
        return None
    days_left = int(payload.get("days_left") or 0)
    unit = db.session.get(OrgUnit, customer.org_unit_id)
    limit, _source = effective_value("contract_expiring", "days", unit)
    if days_left > limit:
        return None
    return raise_warning(customer_id=customer.id, rule="contract_expiring", period=str(payload["end_date"])[:10],
                         severity="high" if days_left <= 15 else "medium", reference=str(payload.get("code") or ""),
                         link=f"/contract/{payload['contract_id']}" if payload.get("contract_id") else None,
                         days=days_left, threshold=limit, actor_id=actor_id)


def on_opportunity_overdue(payload: dict, actor_id=None) -> CustomerWarning | None:
    """opportunity.overdue → a work warning for the opportunity's owner, once per step."""
    if not payload.get("customer_id") or not payload.get("opportunity_id"):
        return None
    opportunity_id = payload["opportunity_id"]
    return raise_warning(customer_id=payload["customer_id"], rule="opportunity_overdue",
                         period=f"opp{opportunity_id}:{payload.get('stage') or ''}", severity="medium",
                         reference=str(payload.get("title") or "")[:64], link=f"/opportunity/{opportunity_id}",
                         owner_id=payload.get("owner_id"), org_unit_id=payload.get("org_unit_id"), actor_id=actor_id)


def on_user_handed_over(payload: dict, actor_id=None) -> int:
    """user.handed_over → the departing AM's open warnings follow their customers (and
    to-dos) to the successor, so the successor sees and can handle them. Through the ORM:
    each move is in the audit history."""
    successor = db.session.get(User, payload.get("successor_id"))
    if successor is None or not payload.get("user_id"):
        return 0
    warnings = db.session.execute(select(CustomerWarning).where(
        CustomerWarning.owner_id == payload["user_id"], CustomerWarning.status == "open")).unique().scalars().all()
    for warning in warnings:
        warning.owner_id = successor.id
        warning.org_unit_id = successor.org_unit_id or warning.org_unit_id
    return len(warnings)


# -- reading and handling ---------------------------------------------------------------------

@dataclass(frozen=True)
class WarningFilter:
    q: str | None = None
    status: str | None = "open"
    severity: str | None = None
    rule: str | None = None
    mine: bool = False
    escalated: bool = False
    customer_id: int | None = None
    unit_id: int | None = None


def warning_filter_from(args) -> WarningFilter:
    """Filters from a query string (the list page, its export and the API share them)."""
    def integer(name):
        try:
            return int(args.get(name)) if args.get(name) else None
        except (TypeError, ValueError):
            return None

    status = args.get("status", "open")
    return WarningFilter(
        q=(args.get("q") or "").strip()[:100] or None,
        status=status if status in STATUSES else None,
        severity=args.get("severity") if args.get("severity") in SEVERITIES else None,
        rule=args.get("rule") if args.get("rule") in rule_registry.all_rules() else None,
        mine=str(args.get("mine", "")).lower() in ("1", "true", "on", "yes"),
        escalated=str(args.get("escalated", "")).lower() in ("1", "true", "on", "yes"),
        customer_id=integer("customer_id"), unit_id=integer("unit_id"))


def warning_query(filters: WarningFilter | None = None, actor: User | None = None) -> Select:
    """Warnings the reader may see, most severe and newest first, filtered."""
    filters = filters or WarningFilter()
    severity_order = case({"high": 0, "medium": 1, "low": 2}, value=CustomerWarning.severity, else_=3)
    query = select(CustomerWarning).order_by(severity_order, CustomerWarning.raised_at.desc(), CustomerWarning.id.desc())
    if filters.status:
        query = query.where(CustomerWarning.status == filters.status)
    if filters.severity:
        query = query.where(CustomerWarning.severity == filters.severity)
    if filters.rule:
        query = query.where(CustomerWarning.rule == filters.rule)
    if filters.mine and actor is not None:
        query = query.where(CustomerWarning.owner_id == actor.id)
    if filters.escalated:
        query = query.where(CustomerWarning.escalated_at.is_not(None))
    if filters.customer_id:
        query = query.where(CustomerWarning.customer_id == filters.customer_id)
    if filters.unit_id:
        unit = db.session.get(OrgUnit, filters.unit_id)
        path = unit.path if unit else "-"
        query = query.where(CustomerWarning.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(path))))
    if filters.q:
        term = filters.q
        query = query.where(or_(CustomerWarning.title.contains(term, autoescape=True),
                                CustomerWarning.customer_id.in_(select(Customer.id).where(or_(
                                    Customer.name.contains(term, autoescape=True),
                                    Customer.code.contains(term, autoescape=True))))))
    return query


def get_warning(warning_id) -> CustomerWarning:
    """A warning within the current scope, or NotFound (out of scope looks absent)."""
    try:
        warning_id = int(warning_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Warning not found.")) from None
    warning = db.session.execute(select(CustomerWarning).where(CustomerWarning.id == warning_id)).unique() \
        .scalar_one_or_none()
    if warning is None:
        raise NotFound(_l("Warning not found."))
    return warning


def may_handle(actor: User, warning: CustomerWarning) -> bool:
    """The customer's AM, or anyone with the handling right who sees the warning (a lead
    taking over an escalated one); the caller has already read it through the scope."""
    return warning.is_open and actor.can(PERM_HANDLE) and (
        warning.owner_id == actor.id or actor.scope.level in ("unit", "all"))


def handle(actor: User, warning: CustomerWarning, *, action: str, outcome: str, note: str = "",
           version=None) -> CustomerWarning:
    """Close the loop: record what was done and the outcome; the to-dos close (the AM's and
    any lead's escalation one)."""
    if version is not None:
        warning.check_version(version)
    if not warning.is_open:
        raise ServiceError(_l("This warning was already handled."))
    if not may_handle(actor, warning):
        raise NotAllowed(_l("Only the customer's account manager or their lead can handle this warning."))
    action = (action or "").strip()
    outcome = (outcome or "").strip()
    note = (note or "").strip()
    if action not in ACTIONS:
        raise ServiceError(_l("Choose what was done."), field="action")
    if outcome not in OUTCOMES:
        raise ServiceError(_l("Choose the outcome."), field="outcome")
    if (action == "other" or outcome in ("lost", "false_alarm")) and not note:
        raise ServiceError(_l("Describe what was done and why, in a few words."), field="note")
    if len(note) > NOTE_MAX:
        raise ServiceError(_l("At most %(max)d characters.", max=NOTE_MAX), field="note")
    warning.status = "handled"
    warning.action = action
    warning.outcome = outcome
    warning.note = note
    warning.handled_at = utcnow()
    warning.handled_by_id = actor.id
    db.session.flush()
    inbox.close_todos_for((SOURCE, warning.id), actor=actor, note=f"{ACTIONS[action]} · {OUTCOMES[outcome]}")
    emit("warning.handled", actor=actor, warning_id=warning.id, customer_id=warning.customer_id, rule=warning.rule,
         severity=warning.severity, title=warning.title, action=action, outcome=outcome, owner_id=warning.owner_id,
         org_unit_id=warning.org_unit_id)
    return warning


def counts_by_severity(owner: User | None = None, unit: OrgUnit | None = None) -> dict[str, int]:
    """Open warnings per severity in the reader's scope (only the owner's, or a unit's)."""
    query = select(CustomerWarning.severity, func.count(CustomerWarning.id)).where(
        CustomerWarning.status == "open").group_by(CustomerWarning.severity)
    if owner is not None:
        query = query.where(CustomerWarning.owner_id == owner.id)
    if unit is not None:
        query = query.where(CustomerWarning.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))))
    return {severity: count for severity, count in db.session.execute(query).all()}


def warnings_of_customer(customer, limit: int = 30) -> list[CustomerWarning]:
    return list(db.session.execute(select(CustomerWarning).where(CustomerWarning.customer_id == customer.id)
                                   .order_by(CustomerWarning.raised_at.desc(), CustomerWarning.id.desc()).limit(limit))
                .unique().scalars())


# -- reports ----------------------------------------------------------------------------------

@dataclass
class ReportRow:
    unit: str
    unit_id: int | None
    rule: str
    rule_label: object
    raised: int
    handled: int
    open: int
    escalated: int
    overdue: int

    @property
    def handled_pct(self) -> int:
        return round(self.handled * 100 / self.raised) if self.raised else 0


def parse_day(text, field_name):
    if not text:
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field=field_name) from None


def report(date_from: date | None = None, date_to: date | None = None, by: str = "unit") -> list[ReportRow]:
    """Warnings raised in the period and how many were handled, escalated, are open or
    overdue — by unit and rule — within the reader's scope (the ORM select is scoped)."""
    if date_from and date_to and date_from > date_to:
        raise ServiceError(_l("The start date is after the end date."), field="date_from")
    now = utcnow()
    is_handled = case((CustomerWarning.status == "handled", 1), else_=0)
    is_open = case((CustomerWarning.status == "open", 1), else_=0)
    escalated = case((CustomerWarning.escalated_at.is_not(None), 1), else_=0)
    overdue = case((and_(CustomerWarning.status == "open", CustomerWarning.due_at < now), 1), else_=0)
    group = [OrgUnit.id, OrgUnit.name, CustomerWarning.rule] if by == "unit" else [CustomerWarning.rule]
    query = (select(*group, func.count(CustomerWarning.id), func.sum(is_handled), func.sum(is_open),
                    func.sum(escalated), func.sum(overdue))
             .join(OrgUnit, OrgUnit.id == CustomerWarning.org_unit_id).group_by(*group))
    if date_from:
        query = query.where(CustomerWarning.raised_at >= datetime.combine(date_from, datetime.min.time()))
    if date_to:
        query = query.where(CustomerWarning.raised_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    all_rules = rule_registry.all_rules()
    rows = []
    for values in db.session.execute(query).all():
        if by == "unit":
            unit_id, unit_name, rule, *numbers = values
        else:
            unit_id, unit_name, (rule, *numbers) = None, "", values
        rows.append(ReportRow(unit_name, unit_id, rule, all_rules[rule].label if rule in all_rules else rule,
                              *[int(number or 0) for number in numbers]))
    order = {key: index for index, key in enumerate(all_rules)}
    rows.sort(key=lambda row: (row.unit, order.get(row.rule, 999)))
    return rows


def report_totals(rows: list[ReportRow]) -> dict:
    totals = {"raised": 0, "handled": 0, "open": 0, "escalated": 0, "overdue": 0}
    for row in rows:
        for key in totals:
            totals[key] += getattr(row, key)
    totals["handled_pct"] = round(totals["handled"] * 100 / totals["raised"]) if totals["raised"] else 0
    return totals


def describe(warning: CustomerWarning) -> str:
    """The figures behind a warning in one sentence, in the reader's language."""
    def money(value):
        return f"{Decimal(value):,.2f}" if value is not None else "—"

    rule = warning.rule
    if rule in ("revenue_change", "traffic_change", "member_change") and warning.change_pct is not None:
        return str(_l("From %(before)s to %(now)s (%(pct)s%%; threshold −%(limit)s%%).",
                      before=money(warning.baseline), now=money(warning.value),
                      pct=f"{Decimal(warning.change_pct):.1f}", limit=f"{Decimal(warning.threshold or 0):.0f}"))
    if rule == "contract_expiring":
        return str(_l("The contract ends on %(date)s, in %(days)s days (threshold %(limit)s days).",
                      date=warning.period, days=warning.days, limit=f"{Decimal(warning.threshold or 0):.0f}"))
    if rule == "balance_low":
        return str(_l("Balance %(value)s yuan, below %(limit)s.", value=money(warning.value),
                      limit=money(warning.threshold)))
    if rule == "arrears":
        return str(_l("%(value)s yuan owed for %(days)s days (threshold %(limit)s days).", value=money(warning.value),
                      days=warning.days, limit=f"{Decimal(warning.threshold or 0):.0f}"))
    if rule == "churn_risk":
        return str(_l("Churn-risk score %(value)s of 100 (warning from %(limit)s).",
                      value=f"{Decimal(warning.value or 0):.0f}", limit=f"{Decimal(warning.threshold or 0):.0f}"))
    if rule == "opportunity_overdue":
        return str(_l("Opportunity “%(title)s” is past its deadline.", title=warning.reference))
    if warning.value is not None:
        return str(_l("Value %(value)s (threshold %(limit)s).", value=money(warning.value), limit=money(warning.threshold)))
    return ""
