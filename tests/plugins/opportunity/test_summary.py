"""The opportunity summary's figures (plugins/opportunity/summary.py), tested without HTTP:
every number equals what the records say, per scope, and the statement count does not grow
with the data."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.opportunity import summary
from plugins.opportunity.models import Category, Opportunity, OpportunityTarget, StepLog
from tests.plugins.opportunity.conftest import to_stage
from workbench.audit.models import AuditEntry
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("opportunity")]

# A Wednesday: this week is 16–22 November, last week 9–15, this month November.
TODAY = date(2026, 11, 18)
_codes = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    """A local time of `day` as the naive UTC the database stores."""
    return summary.utc_start_of(day) + timedelta(hours=hour)


def put(owner, customer, *, category="cloud", kind="demand", stage="new", created, expected=None,
        signed_revenue=None, converted=None, signed=None):
    """An opportunity written straight to the table, so every date and amount is known."""
    with system_scope():
        cat = db.session.execute(select(Category).where(Category.code == category)).scalar_one()
        item = Opportunity(
            code=f"TS{next(_codes):08d}", title=f"{category} {kind}", kind=kind, category_id=cat.id,
            customer_id=customer.id, owner_id=owner.id, org_unit_id=owner.org_unit_id, created_by_id=owner.id,
            stage=stage, stage_entered_at=(signed if stage == "signed" else converted) or created,
            created_at=created, expected_revenue=None if expected is None else Decimal(expected),
            signed_revenue=None if signed_revenue is None else Decimal(signed_revenue),
            signed_at=signed, details={},
        )
        db.session.add(item)
        db.session.flush()
        if stage == "signed" and converted is not None:
            db.session.add(StepLog(opportunity_id=item.id, from_stage="confirmation", to_stage="pre_execution",
                                   action="confirm", at=converted))
        return item


@pytest.fixture
def known(opp):
    """The known set (see the module's comments for what each one counts as)."""
    c1, c2, c3 = opp.customers["am1"], opp.customers["am2"], opp.customers["am3"]
    nov = lambda d: at(date(2026, 11, d))  # noqa: E731
    # am1 (grid G1 of county X1)
    put(opp.am1, c1, category="cloud", kind="demand", created=nov(3), expected="100")                 # a: reported, in play
    put(opp.am1, c1, category="leased_line_internet", kind="competitive", stage="pre_execution",
        created=nov(5), converted=nov(10), expected="200")                                            # b: reported, converted
    put(opp.am1, c1, category="leased_line_data", stage="signed", created=at(date(2026, 10, 20)),
        converted=nov(2), signed=nov(12), expected="300", signed_revenue="280")                        # c: converted, signed
    put(opp.am1, c1, category="iot", stage="closed", created=nov(8), expected="50")                   # d: reported, closed
    # am2 (grid G2 of county X1)
    put(opp.am2, c2, category="idc", kind="competitive", stage="survey_review", created=nov(17),
        expected="400")                                                                               # e: this week, in play
    put(opp.am2, c2, category="cloud", created=at(date(2026, 10, 5)), expected="70")                  # f: last month only
    # am3 (county X2)
    put(opp.outsider, c3, category="cloud", stage="signed", created=nov(4), converted=nov(6),
        signed=nov(7), expected="1000", signed_revenue="900")                                         # g: another county
    db.session.commit()
    return opp


def build(user, **filters):
    with acting_as(user.scope):
        return summary.build_summary(user, summary.SummaryFilter(**filters), today=TODAY)


# --- headline figures ----------------------------------------------------------------------

def test_the_province_admin_sees_every_figure_of_the_records(known):
    f = build(known.admin).figures
    assert (f.reported, f.demand, f.competitive) == (5, 3, 2)
    assert (f.converted, f.signed, f.closed) == (3, 2, 1)
    assert f.expected_revenue == Decimal("1750.00")
    assert f.potential_revenue == Decimal("500.00")
    assert f.converted_revenue == Decimal("1380.00")
    assert f.signed_revenue == Decimal("1180.00")
    assert f.conversion_rate == 60.0


def test_a_lead_sees_none_of_another_countys_figures(known):
    f = build(known.lead).figures
    assert (f.reported, f.demand, f.competitive) == (4, 2, 2)
    assert (f.converted, f.signed, f.closed) == (2, 1, 1)
    assert (f.expected_revenue, f.potential_revenue) == (Decimal("750.00"), Decimal("500.00"))
    assert (f.converted_revenue, f.signed_revenue) == (Decimal("480.00"), Decimal("280.00"))


def test_an_account_manager_sees_only_their_own_figures(known):
    f = build(known.am1).figures
    assert (f.reported, f.demand, f.competitive, f.converted, f.signed) == (3, 2, 1, 2, 1)
    assert (f.potential_revenue, f.converted_revenue) == (Decimal("100.00"), Decimal("480.00"))


def test_the_kind_filter_keeps_one_kind(known):
    f = build(known.lead, kind="competitive").figures
    assert (f.reported, f.demand, f.competitive, f.converted) == (2, 0, 2, 1)


def test_the_category_filter_includes_the_sub_types(known):
    with system_scope():
        leased = db.session.execute(select(Category.id).where(Category.code == "leased_line")).scalar_one()
    f = build(known.lead, category_id=leased).figures
    assert (f.reported, f.converted, f.signed) == (1, 2, 1)


def test_last_month_counts_what_was_reported_in_october(known):
    f = build(known.lead, period="last_month").figures
    assert (f.reported, f.converted) == (2, 0)
    assert f.expected_revenue == Decimal("370.00")


def test_a_custom_period_counts_its_days_inclusive(known):
    f = build(known.admin, period="custom", start=date(2026, 11, 3), end=date(2026, 11, 5)).figures
    assert f.reported == 3  # 3, 4 and 5 November


def test_an_opportunity_moved_through_the_flow_counts_as_converted_when_it_reaches_the_pool(opp):
    to_stage(opp, "pre_execution")
    with acting_as(opp.lead.scope):
        f = summary.build_summary(opp.lead, summary.SummaryFilter(period="this_month")).figures
    assert (f.reported, f.converted, f.signed) == (1, 1, 0)


# --- charts --------------------------------------------------------------------------------

@pytest.mark.locale("zh_Hans_CN")  # category names as the Chinese catalogue shows them
def test_the_business_type_chart_counts_each_week_and_month_with_sub_types_rolled_up(known):
    s = build(known.lead)
    assert [w.key for w in s.type_windows] == ["this_week", "last_week", "this_month", "last_month"]
    rows = {row.name: row.counts for row in s.types}
    assert rows["专线"] == {"this_week": 0, "last_week": 0, "this_month": 1, "last_month": 1}
    assert rows["移动云"] == {"this_week": 0, "last_week": 0, "this_month": 1, "last_month": 1}
    assert rows["物联网"] == {"this_week": 0, "last_week": 0, "this_month": 1, "last_month": 0}
    assert rows["IDC"] == {"this_week": 1, "last_week": 0, "this_month": 1, "last_month": 0}
    assert set(rows) == {"专线", "移动云", "物联网", "IDC"}


@pytest.mark.locale("zh_Hans_CN")  # category names as the Chinese catalogue shows them
def test_the_leased_line_chart_gives_each_sub_type_its_count_and_revenue(known):
    rows = {row.name: row for row in build(known.lead).leased_lines}
    assert (rows["互联网专线"].reported, rows["互联网专线"].expected_revenue) == (1, Decimal("200.00"))
    assert (rows["互联网专线"].converted, rows["互联网专线"].converted_revenue) == (1, Decimal("200.00"))
    assert (rows["数据专线"].reported, rows["数据专线"].converted) == (0, 1)
    assert rows["数据专线"].converted_revenue == Decimal("280.00")


def test_departments_are_the_units_below_the_viewer_with_per_capita_figures(known):
    rows = {row.name: row for row in build(known.lead).branches}
    assert set(rows) == {known.grid1.name, known.grid2.name}
    g1, g2 = rows[known.grid1.name], rows[known.grid2.name]
    assert (g1.reported, g1.converted, g1.signed, g1.account_managers, g1.per_capita) == (3, 2, 1, 1, 3.0)
    assert (g1.potential_revenue, g1.converted_revenue) == (Decimal("100.00"), Decimal("480.00"))
    assert (g2.reported, g2.converted, g2.account_managers, g2.per_capita) == (1, 0, 1, 1.0)


def test_the_province_admin_can_drill_into_a_county(known):
    s = build(known.admin, unit_id=known.county.id)
    assert s.figures.reported == 4
    assert {row.name for row in s.branches} == {known.grid1.name, known.grid2.name}


def test_an_account_manager_gets_no_department_figures(known):
    s = build(known.am1)
    assert not s.shows_branches and s.branches == []


def test_a_unit_outside_the_viewers_scope_is_not_found(known):
    with pytest.raises(NotFound):
        build(known.lead, unit_id=known.other_county.id)
    with pytest.raises(NotFound):
        build(known.am1, unit_id=known.grid1.id)


# --- targets against what was converted ----------------------------------------------------

def set_target(actor, *, unit=None, person=None, revenue=None, leased=None, month=TODAY, version=None):
    with acting_as(actor.scope):
        target = summary.set_target(actor, month=month, unit=unit, person=person, revenue=revenue,
                                    leased_lines=leased, version=version)
        db.session.commit()
        return target


def test_without_a_county_target_the_lead_is_measured_against_the_sum_of_the_grids(known):
    set_target(known.lead, unit=known.grid1, revenue="1000", leased="3")
    set_target(known.lead, unit=known.grid2, revenue="500", leased="1")
    p = build(known.lead).progress
    assert (p.source, p.revenue_target, p.leased_line_target) == ("branches", Decimal("1500.00"), 4)
    assert (p.converted_revenue, p.converted_leased_lines) == (Decimal("480.00"), 2)
    assert (p.revenue_percent, p.leased_line_percent) == (32.0, 50.0)


def test_the_countys_own_target_wins_over_the_sum_of_its_grids(known):
    set_target(known.lead, unit=known.grid1, revenue="1000")
    set_target(known.lead, unit=known.county, revenue="2000", leased="5")
    p = build(known.lead).progress
    assert (p.source, p.revenue_target, p.leased_line_target) == ("unit", Decimal("2000.00"), 5)


def test_each_grid_shows_its_target_and_this_months_conversions(known):
    set_target(known.lead, unit=known.grid1, revenue="960", leased="4")
    rows = {row.name: row for row in build(known.lead).branches}
    g1 = rows[known.grid1.name]
    assert (g1.month_target_revenue, g1.month_converted_revenue, g1.target_percent) == (Decimal("960.00"), Decimal("480.00"), 50.0)
    assert (g1.month_target_leased_lines, g1.month_converted_leased_lines) == (4, 2)
    assert rows[known.grid2.name].month_target_revenue is None


def test_an_account_manager_compares_with_their_personal_target(known):
    set_target(known.lead, person=known.am1, revenue="600", leased="2")
    with acting_as(known.am1.scope):
        p = summary.my_month(known.am1, today=TODAY)
    assert (p.source, p.revenue_target, p.converted_revenue, p.revenue_percent) == ("personal", Decimal("600.00"), Decimal("480.00"), 80.0)
    assert p.leased_line_percent == 100.0


def test_another_account_managers_personal_target_stays_hidden(known):
    set_target(known.lead, person=known.am2, revenue="600")
    with acting_as(known.am1.scope):
        assert summary.my_month(known.am1, today=TODAY).revenue_target is None


def test_a_negative_target_is_refused_beside_its_field(known):
    with pytest.raises(ServiceError) as refused:
        set_target(known.lead, unit=known.grid1, revenue="-5")
    assert refused.value.field == "revenue"
    with pytest.raises(ServiceError) as refused:
        set_target(known.lead, unit=known.grid1, leased="-1")
    assert refused.value.field == "leased_lines"


@pytest.mark.parametrize("revenue, leased, field", [("abc", None, "revenue"), ("1e400", None, "revenue"),
                                                     ("NaN", None, "revenue"), ("12.345", None, "revenue"),
                                                     (None, "1.5", "leased_lines"), (None, "three", "leased_lines")])
def test_a_target_that_is_not_a_number_is_refused(known, revenue, leased, field):
    with pytest.raises(ServiceError) as refused:
        set_target(known.lead, unit=known.grid1, revenue=revenue, leased=leased)
    assert refused.value.field == field


def test_a_unit_outside_the_admins_scope_is_refused(known):
    with pytest.raises(NotFound):
        set_target(known.lead, unit=known.other_county, revenue="100")
    with pytest.raises(NotFound):
        set_target(known.lead, person=known.outsider, revenue="100")
    with system_scope():
        assert db.session.execute(select(OpportunityTarget)).first() is None


def test_an_account_manager_may_not_set_targets(known):
    with pytest.raises(NotAllowed):
        set_target(known.am1, person=known.am1, revenue="100")


def test_a_target_saved_meanwhile_by_someone_else_is_a_conflict(known):
    first = set_target(known.lead, unit=known.grid1, revenue="100")
    stale = first.version
    set_target(known.admin, unit=known.grid1, revenue="200", version=stale)
    with pytest.raises(ServiceError) as refused:
        set_target(known.lead, unit=known.grid1, revenue="300", version=stale)
    assert refused.value.field == "version"


def test_setting_a_target_is_audited(known):
    target = set_target(known.lead, unit=known.grid1, revenue="100", leased="2")
    set_target(known.lead, unit=known.grid1, revenue="150", leased="2", version=target.version)
    with system_scope():
        entries = db.session.execute(select(AuditEntry).where(
            AuditEntry.model_key == "opportunity_target", AuditEntry.record_id == target.id)
            .order_by(AuditEntry.id)).scalars().all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[0].actor_id == known.lead.id
    assert entries[1].changes["revenue_target"][1] in ("150.00", 150, 150.0, "150")


def test_one_target_per_month_and_unit(known):
    set_target(known.lead, unit=known.grid1, revenue="100")
    set_target(known.lead, unit=known.grid1, revenue="120")
    set_target(known.lead, unit=known.grid1, revenue="90", month=date(2026, 12, 1))
    with system_scope():
        rows = db.session.execute(select(OpportunityTarget.month, OpportunityTarget.revenue_target)
                                  .order_by(OpportunityTarget.month)).all()
    assert [(m, Decimal(str(v))) for m, v in rows] == [("2026-11", Decimal("120")), ("2026-12", Decimal("90"))]


def test_a_month_not_written_as_year_and_month_is_refused():
    with pytest.raises(ServiceError):
        summary.parse_month("2026-13")
    with pytest.raises(ServiceError):
        summary.parse_month("November")
    assert summary.parse_month("2026-02") == date(2026, 2, 1)


# --- cost ----------------------------------------------------------------------------------

def test_the_summary_runs_as_many_statements_for_50_opportunities_as_for_5(opp, count_queries):
    customers = {"am1": opp.customers["am1"], "am2": opp.customers["am2"]}
    categories = ["cloud", "leased_line_internet", "idc", "leased_line_data", "iot"]
    stages = ["new", "pre_execution", "signed", "survey_review", "closed"]

    def add(n, offset):
        for i in range(offset, offset + n):
            owner = opp.am1 if i % 2 else opp.am2
            put(owner, customers[owner.username], category=categories[i % 5], stage=stages[i % 5],
                kind="demand" if i % 3 else "competitive", created=at(TODAY - timedelta(days=i % 40)),
                converted=at(TODAY - timedelta(days=i % 7)), signed=at(TODAY - timedelta(days=i % 5)),
                expected=str(100 + i))
        db.session.commit()

    def statements():
        db.session.expire_all()
        with count_queries() as counter:
            build(opp.lead)
        return counter.count

    add(5, 0)
    statements()  # warm caches (mappers, roles) once
    with_5 = statements()
    add(45, 5)
    with_50 = statements()
    assert with_5 == with_50
    assert with_50 <= 16


def test_an_account_manager_gets_no_unit_breadcrumb_to_drill_with(known):
    with acting_as(known.am1.scope):
        assert summary.breadcrumb(known.am1, known.grid1) == []
    with acting_as(known.lead.scope):
        assert [u.code for u in summary.breadcrumb(known.lead, known.grid1)] == ["X1", "G1"]


def test_setting_a_target_emits_an_event_for_other_modules(known, events):
    target = set_target(known.lead, unit=known.grid1, revenue="100", leased="2")
    [emitted] = [e for e in events if e.name == "opportunity.target_set"]
    assert emitted.payload == {"target_id": target.id, "month": "2026-11", "org_unit_id": known.grid1.id,
                               "owner_id": None, "revenue_target": 100.0, "leased_line_target": 2}
    assert emitted.actor_id == known.lead.id


def test_a_refused_target_emits_nothing(known, events):
    with pytest.raises(ServiceError):
        set_target(known.lead, unit=known.grid1, revenue="-1")
    db.session.rollback()
    assert not [e for e in events if e.name == "opportunity.target_set"]
