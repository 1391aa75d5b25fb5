"""The intel summary (情报汇总): how much intelligence there is by competitor, by product and
by region (org unit), month by month, for the reader's data scope.

Every figure comes from ORM queries over Intel's mapped attributes, so the central scope rule
applies to them exactly as to the list: the summary counts what the reader may open (their
scope, plus what was pushed to them). Merged duplicates are not counted — their survivor is.
Months are calendar months of the date the intel was learned (observed_on).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from plugins.intel import services
from plugins.intel.models import Competitor, Intel
from workbench.auth.models import User
from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.org.models import OrgUnit

MONTH_CHOICES = (3, 6, 12, 24)
DEFAULT_MONTHS = 6
TOP_PRODUCTS = 8
NO_PRODUCT = _l("(no product given)")
OTHER_PRODUCTS = _l("Other products")


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_back(end: date, count: int) -> list[str]:
    """`count` month keys ending with the month of `end`, oldest first."""
    year, month = end.year, end.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(keys))


def month_start(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)


@dataclass(frozen=True)
class SummaryFilter:
    months: int = DEFAULT_MONTHS
    competitor_id: int | None = None
    unit_id: int | None = None
    value: str | None = None

    @classmethod
    def from_args(cls, args) -> tuple["SummaryFilter", dict]:
        """Read the page's query string; a bad value falls back to its default with a message."""
        errors = {}
        months = DEFAULT_MONTHS
        raw = args.get("months")
        if raw not in (None, ""):
            try:
                months = int(raw)
            except ValueError:
                months = -1
            if months not in MONTH_CHOICES:
                errors["months"] = str(_l("Choose 3, 6, 12 or 24 months."))
                months = DEFAULT_MONTHS
        competitor_id = None
        raw = args.get("competitor")
        if raw not in (None, ""):
            if str(raw).isdigit() and db.session.get(Competitor, int(raw)) is not None:
                competitor_id = int(raw)
            else:
                errors["competitor"] = str(_l("Unknown competitor; showing all."))
        unit_id = None
        raw = args.get("unit")
        if raw not in (None, ""):
            if str(raw).isdigit():
                unit_id = int(raw)
            else:
                errors["unit"] = str(_l("Unknown unit; showing your whole scope."))
        value = args.get("value") if args.get("value") in services.VALUES else None
        return cls(months=months, competitor_id=competitor_id, unit_id=unit_id, value=value), errors

    def as_args(self) -> dict:
        args = {"months": self.months}
        if self.competitor_id:
            args["competitor"] = self.competitor_id
        if self.unit_id:
            args["unit"] = self.unit_id
        if self.value:
            args["value"] = self.value
        return args


@dataclass
class Series:
    key: str
    name: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Summary:
    months: list[str]
    unit: OrgUnit | None
    total: int = 0
    screened: int = 0
    pushed: int = 0
    high: int = 0
    waiting: int = 0
    competitors: list[Series] = field(default_factory=list)
    products: list[Series] = field(default_factory=list)
    regions: list[Series] = field(default_factory=list)
    region_ids: list[int | None] = field(default_factory=list)
    per_month: list[int] = field(default_factory=list)

    def figures(self) -> dict:
        return {"total": self.total, "screened": self.screened, "pushed": self.pushed, "high": self.high,
                "waiting": self.waiting}


def base_unit(user: User, unit_id: int | None) -> OrgUnit | None:
    """The unit the regions are the branches of: the reader's own unit (the province root
    for a province-wide reader) or, drilling down, a unit within their scope."""
    scope = user.scope
    if unit_id is not None:
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None:
            raise NotFound(_l("No such unit."))
        if not scope.sees_everything and not (scope.level == "unit" and scope.unit_path
                                              and unit.path.startswith(scope.unit_path)):
            raise NotFound(_l("No such unit."))
        return unit
    if scope.sees_everything:
        root = db.session.execute(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)).scalars().first()
        return root
    if scope.level == "unit":
        return user.org_unit
    return None


def build_summary(user: User, filters: SummaryFilter, today: date | None = None) -> Summary:
    """All figures of the summary page for `user` (whose data scope is the current one)."""
    today = today or services.today()
    keys = months_back(today, filters.months)
    first_day = month_start(keys[0])
    unit = base_unit(user, filters.unit_id)
    summary = Summary(months=keys, unit=unit)
    conditions = [Intel.status != services.Status.MERGED.value, Intel.observed_on >= first_day,
                  Intel.observed_on <= today]
    if filters.competitor_id:
        conditions.append(Intel.competitor_id == filters.competitor_id)
    if filters.value:
        conditions.append(Intel.value == filters.value)
    if filters.unit_id and unit is not None:
        conditions.append(Intel.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))))

    index = {key: position for position, key in enumerate(keys)}

    def bucket(rows, name_of):
        series: dict = {}
        for observed_on, key, count in rows:
            slot = index.get(month_key(observed_on))
            if slot is None:
                continue
            entry = series.setdefault(key, [0] * len(keys))
            entry[slot] += count
        return series

    # Figures.
    figures = db.session.execute(select(
        func.count(Intel.id),
        func.count(Intel.screened_at),
        func.count(Intel.pushed_at),
        func.sum(case((Intel.value == "high", 1), else_=0)),
        func.sum(case((Intel.status == services.Status.NEW.value, 1), else_=0)),
    ).where(*conditions)).one()
    summary.total, summary.screened, summary.pushed = figures[0] or 0, figures[1] or 0, figures[2] or 0
    summary.high, summary.waiting = int(figures[3] or 0), int(figures[4] or 0)

    # By competitor and month (grouped by day in SQL — portable — and bucketed here).
    rows = db.session.execute(select(Intel.observed_on, Intel.competitor_id, func.count(Intel.id))
                              .where(*conditions).group_by(Intel.observed_on, Intel.competitor_id)).all()
    by_competitor = bucket(rows, None)
    names = {row.id: row.name for row in db.session.execute(select(Competitor)).scalars()}
    summary.competitors = sorted(
        (Series(str(key), names.get(key, str(key)), counts) for key, counts in by_competitor.items()),
        key=lambda s: (-s.total, s.name))
    summary.per_month = [sum(s.counts[i] for s in summary.competitors) for i in range(len(keys))]

    # By product: the most frequent products, the rest together.
    rows = db.session.execute(select(Intel.observed_on, Intel.product, func.count(Intel.id))
                              .where(*conditions).group_by(Intel.observed_on, Intel.product)).all()
    by_product = bucket(rows, None)
    products = sorted((Series(key or "", key or str(NO_PRODUCT), counts) for key, counts in by_product.items()),
                      key=lambda s: (-s.total, s.name))
    if len(products) > TOP_PRODUCTS:
        rest = products[TOP_PRODUCTS - 1:]
        products = products[:TOP_PRODUCTS - 1] + [Series("__other__", str(OTHER_PRODUCTS),
                                                         [sum(s.counts[i] for s in rest) for i in range(len(keys))])]
    summary.products = products

    # By region: each item counted under the branch of the base unit it lies in.
    rows = db.session.execute(select(Intel.observed_on, Intel.org_unit_id, func.count(Intel.id))
                              .where(*conditions).group_by(Intel.observed_on, Intel.org_unit_id)).all()
    by_unit = bucket(rows, None)
    summary.regions, summary.region_ids = _regions(unit, by_unit, len(keys))
    return summary


def _regions(base: OrgUnit | None, by_unit: dict, width: int) -> tuple[list[Series], list[int | None]]:
    """Fold per-unit counts into the branches directly below `base` (items of `base` itself
    make their own row, "directly"); units outside `base` (items pushed to the reader) are
    shown under their own name."""
    if not by_unit:
        return [], []
    units = {row.id: row for row in db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(list(by_unit)))).scalars()}
    branch_of: dict[int, OrgUnit] = {}
    branch_ids = set()
    for unit_id, unit in units.items():
        ids = [int(part) for part in unit.path.strip("/").split("/") if part]
        if base is not None and base.id in ids:
            position = ids.index(base.id)
            branch_id = ids[position + 1] if position + 1 < len(ids) else base.id
        else:
            branch_id = unit.id
        branch_ids.add(branch_id)
        branch_of[unit_id] = branch_id
    branches = {row.id: row for row in db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(branch_ids))).scalars()}
    folded: dict[int, list[int]] = defaultdict(lambda: [0] * width)
    for unit_id, counts in by_unit.items():
        target = folded[branch_of[unit_id]]
        for i, count in enumerate(counts):
            target[i] += count
    rows = []
    for branch_id, counts in folded.items():
        branch = branches.get(branch_id)
        name = branch.name if branch else str(branch_id)
        if base is not None and branch_id == base.id:
            name = str(_l("%(unit)s (directly)", unit=name))
        drill = branch_id if branch is not None and base is not None and branch_id != base.id \
            and branch.path.startswith(base.path) else None
        rows.append((Series(str(branch_id), name, counts), drill, branch.path if branch else ""))
    rows.sort(key=lambda row: (-row[0].total, row[2]))
    return [row[0] for row in rows], [row[1] for row in rows]


def competitor_activity(today: date | None = None) -> list[tuple[str, int, int]]:
    """This month's items per competitor in the reader's scope: (name, count, high value)."""
    today = today or services.today()
    first = today.replace(day=1)
    rows = db.session.execute(
        select(Competitor.name, func.count(Intel.id),
               func.sum(case((Intel.value == "high", 1), else_=0)))
        .join(Competitor, Competitor.id == Intel.competitor_id)
        .where(Intel.status != services.Status.MERGED.value, Intel.observed_on >= first, Intel.observed_on <= today)
        .group_by(Competitor.name).order_by(func.count(Intel.id).desc(), Competitor.name)).all()
    return [(name, count, int(high or 0)) for name, count, high in rows]


def check_months(value) -> int:
    try:
        months = int(value)
    except (TypeError, ValueError):
        months = -1
    if months not in MONTH_CHOICES:
        raise ServiceError(_l("Choose 3, 6, 12 or 24 months."), field="months")
    return months
