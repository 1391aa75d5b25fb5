"""The opportunity summary (商机汇总) and monthly targets: pure service functions.

Every figure is computed set-wise in SQL (a fixed number of statements whatever the number
of opportunities) from `Opportunity` rows, so the central data-scope rule applies to each of
them as to any list: an account manager's figures are their own opportunities, a lead's
their county's, a city manager's the city's, a province admin's everything.

Definitions (docs/modules/opportunity.md, "Summary"):

* reported — opportunities created in the period (demand + competitive);
* converted — opportunities that reached the contract pre-execution pool (合同预执行库) or
  beyond (pre-execution or signed), counted in the period in which they reached it;
* signed — opportunities whose contract was confirmed (stage signed), counted by `signed_at`;
* potential revenue — the expected revenue of the reported opportunities still in play
  (neither converted, signed nor closed);
* converted revenue — of the converted ones: the signed revenue when signed, otherwise the
  expected revenue.

Targets (目标) are monthly, per org unit and optionally per account manager, for converted
revenue and converted leased lines; the month's progress compares them with what was
converted in that calendar month.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from workbench.auth.models import Role, User
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.org.models import OrgUnit
from workbench.records import EditConflict, utcnow

from plugins.opportunity.models import Category, Opportunity, OpportunityTarget, StepLog
from plugins.opportunity.services import Stage

MANAGE_TARGETS = "opportunity.manage_targets"
VIEW_SUMMARY = "opportunity.view_summary"

PERIODS = {
    "this_week": _l("This week"),
    "last_week": _l("Last week"),
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "this_quarter": _l("This quarter"),
    "this_year": _l("This year"),
    "custom": _l("Custom dates"),
}
KINDS = {"demand": _l("Demand"), "competitive": _l("Competitive")}
CONVERTED_STAGES = (Stage.PRE_EXECUTION.value, Stage.SIGNED.value)
CLOSED_STAGES = (Stage.SIGNED.value, Stage.CLOSED.value)
# The longest custom period, so nobody asks the database for a century by mistake.
MAX_PERIOD_DAYS = 3 * 366
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_REVENUE = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_LEASED_LINES = 1_000_000


# --- time --------------------------------------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def local_today(now: datetime | None = None) -> date:
    """Today in the workbench's time zone (weeks and months are local, not UTC)."""
    moment = (now or utcnow()).replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone()).date()


def utc_start_of(day: date) -> datetime:
    """Local midnight of `day` as the naive UTC time the database stores."""
    return datetime.combine(day, time()).replace(tzinfo=_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    first = day.replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(value: str | None, *, field_name: str = "month") -> date:
    """'2026-11' → date(2026, 11, 1); anything else is refused with a clear message."""
    match = MONTH_RE.match((value or "").strip())
    if not match:
        raise ServiceError(_l("Give the month as YYYY-MM, for example 2026-11."), field=field_name)
    return date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class Window:
    """A half-open local date range [start, end) and its label."""

    key: str
    label: Any
    start: date
    end: date

    @property
    def utc_start(self) -> datetime:
        return utc_start_of(self.start)

    @property
    def utc_end(self) -> datetime:
        return utc_start_of(self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def period_window(period: str, today: date, start: date | None = None, end: date | None = None) -> Window:
    """The dates a named period covers (weeks start on Monday); `custom` uses start..end
    inclusive."""
    if period == "this_week":
        first = today - timedelta(days=today.weekday())
        return Window(period, PERIODS[period], first, first + timedelta(days=7))
    if period == "last_week":
        first = today - timedelta(days=today.weekday() + 7)
        return Window(period, PERIODS[period], first, first + timedelta(days=7))
    if period == "this_month":
        return Window(period, PERIODS[period], month_start(today), next_month(today))
    if period == "last_month":
        first = previous_month(today)
        return Window(period, PERIODS[period], first, next_month(first))
    if period == "this_quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Window(period, PERIODS[period], first, next_month(next_month(next_month(first))))
    if period == "this_year":
        return Window(period, PERIODS[period], date(today.year, 1, 1), date(today.year + 1, 1, 1))
    if period == "custom":
        if start is None or end is None:
            raise ServiceError(_l("Give both the first and the last day."), field="start")
        if end < start:
            raise ServiceError(_l("The last day comes before the first day."), field="end")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ServiceError(_l("Choose a period of at most three years."), field="end")
        return Window(period, PERIODS[period], start, end + timedelta(days=1))
    raise ServiceError(_l("Unknown period."), field="period")


def chart_windows(today: date) -> list[Window]:
    """This/last week and this/last month: the columns of the business-type chart."""
    return [period_window(key, today) for key in ("this_week", "last_week", "this_month", "last_month")]


# --- filters -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryFilter:
    """What the summary page shows: a period, optionally one kind, one category (with its
    sub-types) and one org unit (with the units below it)."""

    period: str = "this_month"
    start: date | None = None
    end: date | None = None
    kind: str | None = None
    category_id: int | None = None
    unit_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple["SummaryFilter", dict[str, str]]:
        """Read the query string; returns the filter and {field: message} for bad values
        (a bad value falls back to its default so the page still shows something)."""
        errors: dict[str, str] = {}
        period = args.get("period") or "this_month"
        if period not in PERIODS:
            errors["period"] = str(_l("Unknown period."))
            period = "this_month"

        def read_date(name):
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                errors[name] = str(_l("Give a date as YYYY-MM-DD."))
                return None

        start, end = read_date("start"), read_date("end")
        kind = args.get("kind") or None
        if kind is not None and kind not in KINDS:
            errors["kind"] = str(_l("Unknown kind of opportunity."))
            kind = None

        def read_id(name):
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            if not raw.isdigit():
                errors[name] = str(_l("Choose a value from the list."))
                return None
            return int(raw)

        candidate = cls(period=period, start=start, end=end, kind=kind,
                        category_id=read_id("category"), unit_id=read_id("unit"))
        if period == "custom" and "start" not in errors and "end" not in errors:
            try:
                period_window("custom", date.today(), start, end)
            except ServiceError as exc:
                errors[exc.field or "start"] = str(exc.message)
                candidate = cls(kind=kind, category_id=candidate.category_id, unit_id=candidate.unit_id)
        elif period == "custom":
            candidate = cls(kind=kind, category_id=candidate.category_id, unit_id=candidate.unit_id)
        return candidate, errors

    def window(self, today: date) -> Window:
        return period_window(self.period, today, self.start, self.end)

    def as_args(self) -> dict[str, str]:
        """The query-string arguments that reproduce this filter (links, exports, JSON)."""
        args = {"period": self.period}
        if self.period == "custom":
            args["start"], args["end"] = self.start.isoformat(), self.end.isoformat()
        if self.kind:
            args["kind"] = self.kind
        if self.category_id:
            args["category"] = str(self.category_id)
        if self.unit_id:
            args["unit"] = str(self.unit_id)
        return args


def _dec(value) -> Decimal:
    if value is None:
        return Decimal("0")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _converted_revenue_expr():
    return func.coalesce(Opportunity.signed_revenue, Opportunity.expected_revenue, 0)


def _converted_at_expr():
    """When an opportunity reached the contract pre-execution pool: while it is there, the
    time it entered its stage; once signed, the step log's move into the pool (a correlated
    subquery on an indexed column, still one statement), else its signing time."""
    entered_pool = (
        select(func.min(StepLog.at))
        .where(StepLog.opportunity_id == Opportunity.id, StepLog.to_stage == Stage.PRE_EXECUTION.value)
        .correlate(Opportunity).scalar_subquery()
    )
    return case(
        (Opportunity.stage == Stage.PRE_EXECUTION.value, Opportunity.stage_entered_at),
        else_=func.coalesce(entered_pool, Opportunity.signed_at),
    )


def category_label(name: str, name_en: str | None) -> str:
    """A category's name in the reader's language (the catalogue stores both)."""
    locale = get_locale()
    if locale is not None and not str(locale).startswith("zh") and name_en:
        return name_en
    return name


def _in_window(column, window: Window):
    return and_(column >= window.utc_start, column < window.utc_end)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


# --- the base unit (drill-down) ----------------------------------------------------------

def base_unit(viewer: User, unit_id: int | None = None) -> OrgUnit | None:
    """The unit whose figures are shown: the requested one when the viewer may see it, else
    the viewer's own unit (the root for someone without a unit who sees everything).
    A unit outside the viewer's scope is NotFound, like any record they cannot see."""
    scope = viewer.scope
    if unit_id is not None:
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None or scope.level not in ("unit", "all"):
            raise NotFound(_l("No such unit."))
        if scope.level == "unit" and not unit.path.startswith(scope.unit_path or "\0"):
            raise NotFound(_l("No such unit."))
        return unit
    if viewer.org_unit is not None:
        return viewer.org_unit
    if scope.level == "all":
        return db.session.execute(
            select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.sort_order, OrgUnit.id).limit(1)
        ).scalar_one_or_none()
    return None


def shows_branches(viewer: User) -> bool:
    """Department and per-capita figures are for people who see more than their own."""
    return viewer.scope.level in ("unit", "all")


def _subtree_condition(unit: OrgUnit | None, restrict: bool):
    if unit is None or not restrict:
        return true()
    units_below = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    return Opportunity.org_unit_id.in_(units_below)


def _filter_conditions(filters: SummaryFilter, unit: OrgUnit | None) -> list:
    conditions = [_subtree_condition(unit, filters.unit_id is not None)]
    if filters.kind:
        conditions.append(Opportunity.kind == filters.kind)
    if filters.category_id:
        category_ids = select(Category.id).where(
            or_(Category.id == filters.category_id, Category.parent_id == filters.category_id))
        conditions.append(Opportunity.category_id.in_(category_ids))
    return conditions


# --- headline figures --------------------------------------------------------------------

@dataclass
class Figures:
    reported: int = 0
    demand: int = 0
    competitive: int = 0
    converted: int = 0
    signed: int = 0
    closed: int = 0
    expected_revenue: Decimal = Decimal("0")
    potential_revenue: Decimal = Decimal("0")
    converted_revenue: Decimal = Decimal("0")
    signed_revenue: Decimal = Decimal("0")

    @property
    def conversion_rate(self) -> float | None:
        """Converted in the period per opportunity reported in it (None when none reported)."""
        return None if not self.reported else round(100.0 * self.converted / self.reported, 1)

    def as_dict(self) -> dict:
        return {
            "reported": self.reported, "demand": self.demand, "competitive": self.competitive,
            "converted": self.converted, "signed": self.signed, "closed": self.closed,
            "expected_revenue": float(self.expected_revenue),
            "potential_revenue": float(self.potential_revenue),
            "converted_revenue": float(self.converted_revenue),
            "signed_revenue": float(self.signed_revenue),
            "conversion_rate": self.conversion_rate,
        }


def headline(filters: SummaryFilter, window: Window, unit: OrgUnit | None) -> Figures:
    """The figures of the period in one statement."""
    created = _in_window(Opportunity.created_at, window)
    converted = and_(Opportunity.stage.in_(CONVERTED_STAGES), _in_window(_converted_at_expr(), window))
    signed = and_(Opportunity.stage == Stage.SIGNED.value, _in_window(Opportunity.signed_at, window))
    in_play = and_(created, Opportunity.stage.notin_(CONVERTED_STAGES + (Stage.CLOSED.value,)))
    expected = func.coalesce(Opportunity.expected_revenue, 0)
    row = db.session.execute(
        select(
            _count_if(created),
            _count_if(and_(created, Opportunity.kind == "demand")),
            _count_if(and_(created, Opportunity.kind == "competitive")),
            _count_if(converted),
            _count_if(signed),
            _count_if(and_(created, Opportunity.stage == Stage.CLOSED.value)),
            _sum_if(created, expected),
            _sum_if(in_play, expected),
            _sum_if(converted, _converted_revenue_expr()),
            _sum_if(signed, _converted_revenue_expr()),
        )
        # select_from names the entity: the central scope rule attaches its criteria to the
        # entities a statement selects FROM, and columns wrapped in CASE/SUM do not name one.
        .select_from(Opportunity)
        .where(or_(created, converted, signed), *_filter_conditions(filters, unit))
    ).one()
    return Figures(
        reported=int(row[0]), demand=int(row[1]), competitive=int(row[2]), converted=int(row[3]),
        signed=int(row[4]), closed=int(row[5]), expected_revenue=_dec(row[6]),
        potential_revenue=_dec(row[7]), converted_revenue=_dec(row[8]), signed_revenue=_dec(row[9]),
    )


# --- by business type --------------------------------------------------------------------

@dataclass
class TypeRow:
    category_id: int
    name: str
    counts: dict[str, int]          # window key → opportunities reported
    revenue: dict[str, Decimal]     # window key → expected revenue reported


def by_business_type(filters: SummaryFilter, today: date, unit: OrgUnit | None) -> tuple[list[Window], list[TypeRow]]:
    """Opportunities reported per business type (top-level category: a leased-line sub-type
    counts as leased line) in this and last week and this and last month. Two statements."""
    windows = chart_windows(today)
    top = func.coalesce(Category.parent_id, Category.id)
    expected = func.coalesce(Opportunity.expected_revenue, 0)
    columns = [top.label("top")]
    for window in windows:
        columns.append(_count_if(_in_window(Opportunity.created_at, window)))
    for window in windows:
        columns.append(_sum_if(_in_window(Opportunity.created_at, window), expected))
    earliest = min(window.utc_start for window in windows)
    rows = db.session.execute(
        select(*columns).select_from(Opportunity).join(Category, Category.id == Opportunity.category_id)
        .where(Opportunity.created_at >= earliest, *_filter_conditions(filters, unit))
        .group_by(top)
    ).all()
    names = _top_categories()
    result = []
    n = len(windows)
    for row in rows:
        counts = {window.key: int(row[1 + i]) for i, window in enumerate(windows)}
        if not any(counts.values()):
            continue
        revenue = {window.key: _dec(row[1 + n + i]) for i, window in enumerate(windows)}
        name, order = names.get(row[0], (str(row[0]), 9999))
        result.append((order, TypeRow(row[0], name, counts, revenue)))
    result.sort(key=lambda pair: (pair[0], pair[1].name))
    return windows, [row for _order, row in result]


def _top_categories() -> dict[int, tuple[str, int]]:
    rows = db.session.execute(
        select(Category.id, Category.name, Category.name_en, Category.order).where(Category.parent_id.is_(None))).all()
    return {row.id: (category_label(row.name, row.name_en), row.order or 0) for row in rows}


# --- leased-line sub-types ---------------------------------------------------------------

@dataclass
class LeasedLineRow:
    category_id: int
    name: str
    reported: int
    expected_revenue: Decimal
    converted: int
    converted_revenue: Decimal


def leased_line_subtypes(filters: SummaryFilter, window: Window, unit: OrgUnit | None) -> list[LeasedLineRow]:
    """Leased-line sub-types (专线细分) by count and revenue in the period: one statement."""
    created = _in_window(Opportunity.created_at, window)
    converted = and_(Opportunity.stage.in_(CONVERTED_STAGES), _in_window(_converted_at_expr(), window))
    rows = db.session.execute(
        select(Category.id, Category.name, Category.name_en, Category.order,
               _count_if(created), _sum_if(created, func.coalesce(Opportunity.expected_revenue, 0)),
               _count_if(converted), _sum_if(converted, _converted_revenue_expr()))
        .select_from(Opportunity)
        .join(Category, Category.id == Opportunity.category_id)
        .where(Category.is_leased_line.is_(True), or_(created, converted), *_filter_conditions(filters, unit))
        .group_by(Category.id, Category.name, Category.name_en, Category.order)
        .order_by(Category.order, Category.name)
    ).all()
    return [LeasedLineRow(row[0], category_label(row[1], row[2]), int(row[4]), _dec(row[5]), int(row[6]), _dec(row[7]))
            for row in rows]


# --- by department and per capita --------------------------------------------------------

@dataclass
class BranchRow:
    unit_id: int
    name: str
    is_base: bool                 # opportunities held by the base unit itself
    has_children: bool
    reported: int = 0
    converted: int = 0
    signed: int = 0
    potential_revenue: Decimal = Decimal("0")
    converted_revenue: Decimal = Decimal("0")
    account_managers: int = 0
    month_target_revenue: Decimal | None = None
    month_target_leased_lines: int | None = None
    month_converted_revenue: Decimal = Decimal("0")
    month_converted_leased_lines: int = 0

    @property
    def per_capita(self) -> float | None:
        if not self.account_managers:
            return None
        return round(self.reported / self.account_managers, 2)

    @property
    def target_percent(self) -> float | None:
        if not self.month_target_revenue:
            return None
        return round(float(100 * self.month_converted_revenue / self.month_target_revenue), 1)


def _bucket_join(base: OrgUnit, bucket, unit):
    """`unit` (an opportunity's or person's unit) falls in `bucket`: a child of `base` and the
    units below it, or `base` itself for what it holds directly."""
    return or_(
        and_(bucket.id != base.id, unit.path.startswith(bucket.path)),
        and_(bucket.id == base.id, unit.id == base.id),
    )


def branches(filters: SummaryFilter, window: Window, base: OrgUnit, today: date) -> list[BranchRow]:
    """One row per unit directly below `base` (and one for `base` itself when it holds
    opportunities or people directly): the period's figures, the account managers, and the
    month's targets and conversions. Five statements whatever the number of units."""
    children = db.session.execute(
        select(OrgUnit.id, OrgUnit.name)
        .where(OrgUnit.parent_id == base.id, OrgUnit.active.is_(True))
        .order_by(OrgUnit.sort_order, OrgUnit.name)
    ).all()
    grandchildren_parents = set(db.session.execute(
        select(OrgUnit.parent_id).where(OrgUnit.parent_id.in_([c.id for c in children] or [-1]),
                                        OrgUnit.active.is_(True)).distinct()
    ).scalars())
    rows: dict[int, BranchRow] = {
        child.id: BranchRow(child.id, child.name, False, child.id in grandchildren_parents) for child in children
    }
    base_row = BranchRow(base.id, base.name, True, False)
    bucket_ids = [base.id, *rows]

    bucket = aliased(OrgUnit, name="bucket")
    unit = aliased(OrgUnit, name="holder")
    created = _in_window(Opportunity.created_at, window)
    converted = and_(Opportunity.stage.in_(CONVERTED_STAGES), _in_window(_converted_at_expr(), window))
    signed = and_(Opportunity.stage == Stage.SIGNED.value, _in_window(Opportunity.signed_at, window))
    in_play = and_(created, Opportunity.stage.notin_(CONVERTED_STAGES + (Stage.CLOSED.value,)))
    figures = db.session.execute(
        select(bucket.id, _count_if(created), _count_if(converted), _count_if(signed),
               _sum_if(in_play, func.coalesce(Opportunity.expected_revenue, 0)),
               _sum_if(converted, _converted_revenue_expr()))
        .select_from(Opportunity)
        .join(unit, unit.id == Opportunity.org_unit_id)
        .join(bucket, _bucket_join(base, bucket, unit))
        .where(bucket.id.in_(bucket_ids), or_(created, converted, signed), *_filter_conditions(filters, None))
        .group_by(bucket.id)
    ).all()

    month = Window("month", PERIODS["this_month"], month_start(today), next_month(today))
    month_converted = and_(Opportunity.stage.in_(CONVERTED_STAGES), _in_window(_converted_at_expr(), month))
    month_rows = db.session.execute(
        select(bucket.id, _sum_if(month_converted, _converted_revenue_expr()),
               _count_if(and_(month_converted, Category.is_leased_line.is_(True))))
        .select_from(Opportunity)
        .join(Category, Category.id == Opportunity.category_id)
        .join(unit, unit.id == Opportunity.org_unit_id)
        .join(bucket, _bucket_join(base, bucket, unit))
        .where(bucket.id.in_(bucket_ids), month_converted)
        .group_by(bucket.id)
    ).all()

    roles_users = db.Model.metadata.tables["roles_users"]
    people = db.session.execute(
        select(bucket.id, func.count(func.distinct(User.id)))
        .select_from(User)
        .join(roles_users, roles_users.c.user_id == User.id)
        .join(Role, Role.id == roles_users.c.role_id)
        .join(unit, unit.id == User.org_unit_id)
        .join(bucket, _bucket_join(base, bucket, unit))
        .where(bucket.id.in_(bucket_ids), Role.name == "account_manager", User.active.is_(True))
        .group_by(bucket.id)
    ).all()

    targets = db.session.execute(
        select(OpportunityTarget.org_unit_id, OpportunityTarget.revenue_target, OpportunityTarget.leased_line_target)
        .where(OpportunityTarget.month == month_key(today), OpportunityTarget.owner_id.is_(None),
               OpportunityTarget.org_unit_id.in_(bucket_ids))
    ).all()

    def row_for(unit_id):
        return base_row if unit_id == base.id else rows[unit_id]

    for unit_id, reported, conv, sig, potential, conv_revenue in figures:
        row = row_for(unit_id)
        row.reported, row.converted, row.signed = int(reported), int(conv), int(sig)
        row.potential_revenue, row.converted_revenue = _dec(potential), _dec(conv_revenue)
    for unit_id, revenue, leased in month_rows:
        row = row_for(unit_id)
        row.month_converted_revenue, row.month_converted_leased_lines = _dec(revenue), int(leased)
    for unit_id, count in people:
        row_for(unit_id).account_managers = int(count)
    for unit_id, revenue, leased in targets:
        if unit_id == base.id:
            continue  # the base unit's own target is the page's overall target
        row = row_for(unit_id)
        row.month_target_revenue = None if revenue is None else _dec(revenue)
        row.month_target_leased_lines = leased

    result = list(rows.values())
    if base_row.reported or base_row.converted or base_row.signed or base_row.account_managers or not result:
        result.append(base_row)
    return result


# --- the month against its target --------------------------------------------------------

@dataclass
class TargetProgress:
    month: str
    revenue_target: Decimal | None
    leased_line_target: int | None
    converted_revenue: Decimal
    converted_leased_lines: int
    # "personal", "unit" (the unit's own target) or "branches" (the sum of the branches')
    source: str | None = None

    @staticmethod
    def _percent(done, target) -> float | None:
        if not target:
            return None
        return round(float(100 * Decimal(done) / Decimal(target)), 1)

    @property
    def revenue_percent(self) -> float | None:
        return self._percent(self.converted_revenue, self.revenue_target)

    @property
    def leased_line_percent(self) -> float | None:
        return self._percent(self.converted_leased_lines, self.leased_line_target)

    @property
    def has_target(self) -> bool:
        return self.revenue_target is not None or self.leased_line_target is not None

    def as_dict(self) -> dict:
        return {
            "month": self.month, "source": self.source,
            "revenue_target": None if self.revenue_target is None else float(self.revenue_target),
            "leased_line_target": self.leased_line_target,
            "converted_revenue": float(self.converted_revenue),
            "converted_leased_lines": self.converted_leased_lines,
            "revenue_percent": self.revenue_percent,
            "leased_line_percent": self.leased_line_percent,
        }


def month_progress(viewer: User, unit: OrgUnit | None, today: date, restrict_to_unit: bool = False) -> TargetProgress:
    """This month's targets and what was converted against them, in the viewer's scope.

    An account manager compares with their personal target; anybody who sees a unit with
    the unit's target, or, when the unit has none, with the sum of its branches' targets.
    Two statements. The kind/category filters do not apply: targets cover every kind."""
    month = Window("month", PERIODS["this_month"], month_start(today), next_month(today))
    converted = and_(Opportunity.stage.in_(CONVERTED_STAGES), _in_window(_converted_at_expr(), month))
    row = db.session.execute(
        select(_sum_if(converted, _converted_revenue_expr()),
               _count_if(and_(converted, Category.is_leased_line.is_(True))))
        .select_from(Opportunity)
        .join(Category, Category.id == Opportunity.category_id)
        .where(converted, _subtree_condition(unit, restrict_to_unit))
    ).one()
    progress = TargetProgress(month_key(today), None, None, _dec(row[0]), int(row[1]))
    key = month_key(today)
    if not shows_branches(viewer) or unit is None:
        target = db.session.execute(
            select(OpportunityTarget.revenue_target, OpportunityTarget.leased_line_target)
            .where(OpportunityTarget.month == key, OpportunityTarget.owner_id == viewer.id)
        ).first()
        if target is not None:
            progress.revenue_target = None if target[0] is None else _dec(target[0])
            progress.leased_line_target = target[1]
            progress.source = "personal"
        return progress
    targets = db.session.execute(
        select(OpportunityTarget.org_unit_id, OpportunityTarget.revenue_target, OpportunityTarget.leased_line_target)
        .join(OrgUnit, OrgUnit.id == OpportunityTarget.org_unit_id)
        .where(OpportunityTarget.month == key, OpportunityTarget.owner_id.is_(None),
               or_(OrgUnit.id == unit.id, OrgUnit.parent_id == unit.id))
    ).all()
    own = [t for t in targets if t[0] == unit.id and (t[1] is not None or t[2] is not None)]
    if own:
        progress.revenue_target = None if own[0][1] is None else _dec(own[0][1])
        progress.leased_line_target = own[0][2]
        progress.source = "unit"
        return progress
    branch_targets = [t for t in targets if t[0] != unit.id]
    revenues = [t[1] for t in branch_targets if t[1] is not None]
    leased = [t[2] for t in branch_targets if t[2] is not None]
    if revenues or leased:
        progress.revenue_target = _dec(sum((Decimal(str(v)) for v in revenues), Decimal("0"))) if revenues else None
        progress.leased_line_target = sum(leased) if leased else None
        progress.source = "branches"
    return progress


# --- the whole summary -------------------------------------------------------------------

@dataclass
class Summary:
    filters: SummaryFilter
    window: Window
    unit: OrgUnit | None
    figures: Figures
    progress: TargetProgress
    type_windows: list[Window]
    types: list[TypeRow]
    leased_lines: list[LeasedLineRow]
    branches: list[BranchRow] = field(default_factory=list)
    shows_branches: bool = False


def build_summary(viewer: User, filters: SummaryFilter, today: date | None = None) -> Summary:
    """Everything the summary page shows, for `viewer` in their scope (run it inside the
    viewer's scope: a request, or `acting_as(viewer.scope)`). A fixed number of statements."""
    today = today or local_today()
    window = filters.window(today)
    unit = base_unit(viewer, filters.unit_id)
    type_windows, types = by_business_type(filters, today, unit)
    summary = Summary(
        filters=filters, window=window, unit=unit,
        figures=headline(filters, window, unit),
        progress=month_progress(viewer, unit, today, restrict_to_unit=filters.unit_id is not None),
        type_windows=type_windows, types=types,
        leased_lines=leased_line_subtypes(filters, window, unit),
        shows_branches=shows_branches(viewer) and unit is not None,
    )
    if summary.shows_branches:
        summary.branches = branches(filters, window, unit, today)
    return summary


def breadcrumb(viewer: User, unit: OrgUnit | None) -> list[OrgUnit]:
    """The units from the viewer's own unit (or the root) down to `unit`, for drilling up."""
    if unit is None or viewer.scope.level not in ("unit", "all"):
        return []  # an account manager cannot drill into units
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    units = {u.id: u for u in db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))).scalars()}
    chain = [units[i] for i in ids if i in units]
    scope = viewer.scope
    if scope.level == "unit" and scope.unit_path:
        chain = [u for u in chain if u.path.startswith(scope.unit_path)]
    return chain


def category_choices() -> list[tuple[int, str]]:
    """Top-level categories and their sub-types (indented), for the filter."""
    rows = db.session.execute(
        select(Category.id, Category.name, Category.name_en, Category.parent_id, Category.order)
        .where(Category.active.is_(True)).order_by(Category.order, Category.name)).all()
    tops = [r for r in rows if r.parent_id is None]
    children: dict[int, list] = {}
    for r in rows:
        if r.parent_id is not None:
            children.setdefault(r.parent_id, []).append(r)
    choices = []
    for top in tops:
        choices.append((top.id, category_label(top.name, top.name_en)))
        for child in children.get(top.id, []):
            choices.append((child.id, "— " + category_label(child.name, child.name_en)))
    return choices


# --- targets -----------------------------------------------------------------------------

def can_manage_targets(actor: User) -> bool:
    return actor.can(MANAGE_TARGETS) and actor.scope.level in ("unit", "all")


def target_units(actor: User, parent: OrgUnit | None) -> list[OrgUnit]:
    """The units whose targets the page edits: `parent` and its active children."""
    if parent is None:
        return []
    children = db.session.execute(
        select(OrgUnit).where(OrgUnit.parent_id == parent.id, OrgUnit.active.is_(True))
        .order_by(OrgUnit.sort_order, OrgUnit.name)).scalars().all()
    return [parent, *children]


def target_people(parent: OrgUnit | None) -> list[User]:
    """The active account managers directly in `parent` (personal targets)."""
    if parent is None:
        return []
    roles_users = db.Model.metadata.tables["roles_users"]
    account_managers = (select(roles_users.c.user_id).join(Role, Role.id == roles_users.c.role_id)
                        .where(Role.name == "account_manager"))
    return db.session.execute(
        select(User).where(User.org_unit_id == parent.id, User.active.is_(True), User.id.in_(account_managers))
        .order_by(User.display_name, User.username)).scalars().all()


def targets_for(month: date, unit_ids: list[int], user_ids: list[int]) -> dict[tuple[int, int | None], OpportunityTarget]:
    """The stored targets of `month` for those units (unit targets) and people, keyed by
    (org_unit_id, owner_id)."""
    if not unit_ids and not user_ids:
        return {}
    rows = db.session.execute(
        select(OpportunityTarget).where(
            OpportunityTarget.month == month_key(month),
            or_(and_(OpportunityTarget.owner_id.is_(None), OpportunityTarget.org_unit_id.in_(unit_ids or [-1])),
                OpportunityTarget.owner_id.in_(user_ids or [-1])))).scalars().all()
    return {(t.org_unit_id, t.owner_id): t for t in rows}


def _within_actor(actor: User, unit: OrgUnit) -> bool:
    scope = actor.scope
    if scope.level == "all":
        return True
    return scope.level == "unit" and bool(scope.unit_path) and unit.path.startswith(scope.unit_path)


def parse_revenue(raw, field_name: str = "revenue") -> Decimal | None:
    """A revenue target in yuan: empty → None; otherwise a non-negative number with at most
    two decimals."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceError(_l("Enter a number, for example 120000."), field=field_name) from None
    if not value.is_finite():
        raise ServiceError(_l("Enter a number, for example 120000."), field=field_name)
    if value < 0:
        raise ServiceError(_l("A target cannot be negative."), field=field_name)
    if value > MAX_REVENUE:
        raise ServiceError(_l("This target is too large."), field=field_name)
    if value != value.quantize(Decimal("0.01")):
        raise ServiceError(_l("Use at most two decimals."), field=field_name)
    return value.quantize(Decimal("0.01"))


def parse_leased_lines(raw, field_name: str = "leased_lines") -> int | None:
    """A leased-line target: empty → None; otherwise a whole number ≥ 0."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ServiceError(_l("Enter a whole number of leased lines."), field=field_name)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not re.fullmatch(r"-?\d+", text):
            raise ServiceError(_l("Enter a whole number of leased lines."), field=field_name)
        value = int(text)
    if value < 0:
        raise ServiceError(_l("A target cannot be negative."), field=field_name)
    if value > MAX_LEASED_LINES:
        raise ServiceError(_l("This target is too large."), field=field_name)
    return value


def set_target(actor: User, *, month: date, unit: OrgUnit | None = None, person: User | None = None,
               revenue=None, leased_lines=None, version=None) -> OpportunityTarget | None:
    """Set (or clear, with both values empty) the month's target of a unit or of one account
    manager. Refuses a unit or person outside the actor's reach, negative or non-numeric
    values, and a stale version (someone else saved in between). Returns the target."""
    if not can_manage_targets(actor):
        raise NotAllowed(_l("You may not set opportunity targets."))
    if person is not None:
        unit = person.org_unit
        if unit is None:
            raise ServiceError(_l("This person belongs to no unit."), field="unit")
    if unit is None:
        raise ServiceError(_l("Choose a unit."), field="unit")
    if not _within_actor(actor, unit):
        raise NotFound(_l("No such unit."))
    revenue_value = parse_revenue(revenue)
    leased_value = parse_leased_lines(leased_lines)
    owner_id = person.id if person is not None else None
    key = target_key(month, unit.id, owner_id)
    existing = db.session.execute(
        select(OpportunityTarget).where(OpportunityTarget.target_key == key)).scalar_one_or_none()
    if existing is not None and version not in (None, ""):
        try:
            existing.check_version(version)
        except EditConflict:
            raise Conflict(_l("Someone else changed this target meanwhile. Reload the page and try again."),
                           field="version") from None
    if existing is None:
        if revenue_value is None and leased_value is None:
            return None
        existing = OpportunityTarget(month=month_key(month), org_unit_id=unit.id, owner_id=owner_id,
                                     target_key=key, set_by_id=actor.id)
        db.session.add(existing)
    elif _unchanged(existing, revenue_value, leased_value):
        return existing  # nothing to record: no audit entry, no event
    existing.revenue_target = revenue_value
    existing.leased_line_target = leased_value
    existing.set_by_id = actor.id
    try:
        db.session.flush()
    except IntegrityError:
        # Two people created the same month's target at once: the unique key let one in.
        db.session.rollback()
        raise Conflict(_l("Someone else changed this target meanwhile. Reload the page and try again."),
                       field="version") from None
    emit("opportunity.target_set", actor=actor, target_id=existing.id, month=existing.month,
         org_unit_id=existing.org_unit_id, owner_id=existing.owner_id,
         revenue_target=None if revenue_value is None else float(revenue_value),
         leased_line_target=leased_value)
    return existing


def _unchanged(target: OpportunityTarget, revenue: Decimal | None, leased_lines: int | None) -> bool:
    same_revenue = (target.revenue_target is None and revenue is None) or (
        target.revenue_target is not None and revenue is not None and _dec(target.revenue_target) == revenue)
    return same_revenue and target.leased_line_target == leased_lines


def target_key(month: date, unit_id: int, owner_id: int | None) -> str:
    """One target per month and unit (owner 0) or person: a unique key both databases
    enforce (a UNIQUE over a nullable owner would let two unit targets through)."""
    return f"{month_key(month)}:{unit_id}:{owner_id or 0}"


def my_month(viewer: User, today: date | None = None) -> TargetProgress:
    """The homepage widget's figures: the viewer's month against their target (personal for
    an account manager, their unit's for a lead or manager)."""
    today = today or local_today()
    unit = viewer.org_unit if shows_branches(viewer) else None
    return month_progress(viewer, unit, today)


# --- demo ----------------------------------------------------------------------------------

DEMO_TARGETS = [
    # unit code, person (None: the unit's own target), revenue (yuan), leased lines
    ("C-JC", None, 1_200_000, 24),
    ("X-BJ", None, 600_000, 12),
    ("G-BJ1", None, 350_000, 7),
    ("G-BJ2", None, 250_000, 5),
    ("X-LH", None, 300_000, 6),
    ("G-BJ1", "am1", 350_000, 7),
    ("G-BJ2", "am2", 250_000, 5),
    ("X-LH", "am3", 300_000, 6),
]


def seed_demo_targets(demo, today: date | None = None) -> int:
    """Targets of this month and last for the demo's units and account managers (called from
    the plugin's workbench_seed_demo in the system scope; the caller commits). Units or people
    the demo does not have are skipped. Returns the number of targets written."""
    today = today or local_today()
    written = 0
    for month in (month_start(today), previous_month(today)):
        for unit_code, username, revenue, leased in DEMO_TARGETS:
            unit = demo.units.get(unit_code)
            person = demo.users.get(username) if username else None
            if unit is None or (username and person is None):
                continue
            owner_id = person.id if person is not None else None
            key = target_key(month, unit.id, owner_id)
            if db.session.execute(select(OpportunityTarget.id).where(OpportunityTarget.target_key == key)).first():
                continue
            db.session.add(OpportunityTarget(month=month_key(month), org_unit_id=unit.id, owner_id=owner_id,
                                             target_key=key, revenue_target=Decimal(revenue),
                                             leased_line_target=leased))
            written += 1
    db.session.flush()
    return written
