"""Customer indicators come in through the import framework (.csv/.xlsx) and the JSON API
(bulk POST). Every row is checked; bad input is named per row and field and saves nothing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning import services
from plugins.warning.models import Metric
from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.imports import services as imports
from workbench.org.scope import acting_as, system_scope

pytestmark = pytest.mark.plugins("warning")


def metrics():
    with system_scope():
        return db.session.execute(select(Metric).order_by(Metric.period)).scalars().all()


def test_bulk_rows_are_saved_and_a_second_load_replaces_the_figures(world, customers):
    code = customers["am1"].code
    with acting_as(world.admin.scope):
        services.upsert_metrics(world.admin, [{"customer_code": code, "period": "2026-09", "revenue": "100000"},
                                              {"customer_code": code, "period": "2026-10", "revenue": "90000",
                                               "contract_end": "2027-01-31"}])
        db.session.commit()
        services.upsert_metrics(world.admin, [{"customer_code": code, "period": "2026-10", "revenue": "95000"}])
        db.session.commit()
    rows = metrics()
    assert [(row.period, Decimal(row.revenue)) for row in rows] == [(date(2026, 9, 1), Decimal("100000")),
                                                                   (date(2026, 10, 1), Decimal("95000"))]


def test_a_daily_row_is_kept_apart_from_the_month(world, customers):
    code = customers["am1"].code
    with acting_as(world.admin.scope):
        services.upsert_metrics(world.admin, [{"customer_code": code, "period": "2026-10", "balance": "100"},
                                              {"customer_code": code, "period": "2026-10-15", "granularity": "day",
                                               "balance": "80"}])
        db.session.commit()
    assert sorted(row.granularity for row in metrics()) == ["day", "month"]


@pytest.mark.parametrize("row, field", [
    ({"period": "2026-13", "revenue": "1"}, "period"),
    ({"period": "last month", "revenue": "1"}, "period"),
    ({"period": "2026-10", "revenue": "lots"}, "revenue"),
    ({"period": "2026-10", "arrears": "-5"}, "arrears"),
    ({"period": "2026-10", "members": "3.5"}, "members"),
    ({"period": "2026-10", "contract_end": "31/01/2027"}, "contract_end"),
    ({"period": "2026-10", "granularity": "week", "revenue": "1"}, "granularity"),
    ({"period": "2026-10"}, None),
    ({"period": "2026-10", "granularity": "day", "revenue": "1"}, "period"),
])
def test_a_bad_row_is_named_with_its_field_and_nothing_is_saved(world, customers, row, field):
    good = {"customer_code": customers["am1"].code, "period": "2026-09", "revenue": "100"}
    with acting_as(world.admin.scope), pytest.raises(services.InvalidMetrics) as refused:
        services.upsert_metrics(world.admin, [good, {"customer_code": customers["am1"].code, **row}])
    db.session.rollback()
    assert [(number, name) for number, name, _message in refused.value.problems] == [(2, field)]
    assert metrics() == []


def test_an_unknown_customer_code_is_refused(world, customers):
    with acting_as(world.admin.scope), pytest.raises(services.InvalidMetrics) as refused:
        services.upsert_metrics(world.admin, [{"customer_code": "NOPE", "period": "2026-10", "revenue": "1"}])
    assert refused.value.problems[0][1] == "customer_code"


def test_a_customer_outside_the_loaders_scope_reads_like_an_unknown_code(world, customers):
    # The lead of county X1 does not see am3's customer in the other county.
    with acting_as(world.lead.scope), pytest.raises(services.InvalidMetrics) as refused:
        services.upsert_metrics(None, [{"customer_code": customers["am3"].code, "period": "2026-10", "revenue": "1"}])
    assert "in your scope" in str(refused.value.problems[0][2])
    assert metrics() == []


def test_a_repeated_customer_and_period_in_one_load_is_refused(world, customers):
    row = {"customer_code": customers["am1"].code, "period": "2026-10", "revenue": "1"}
    with acting_as(world.admin.scope), pytest.raises(services.InvalidMetrics) as refused:
        services.upsert_metrics(world.admin, [row, dict(row)])
    assert refused.value.problems[0][0] == 2


def test_an_account_manager_may_not_load_indicators(world, customers):
    with pytest.raises(NotAllowed):
        services.upsert_metrics(world.am1, [{"customer_code": customers["am1"].code, "period": "2026-10"}])


def test_an_empty_load_is_refused(world):
    with pytest.raises(ServiceError):
        services.upsert_metrics(world.admin, [])


CSV = ("客户编码,账期,收入,产品流量,账户余额,欠费金额,欠费账龄,成员数,合约到期日\n"
       "{code},2026-09,100000,5000,20000,0,0,100,2027-06-30\n"
       "{code},2026-10,60000,4800,18000,0,0,98,2027-06-30\n"
       "NOPE,2026-10,1,1,1,0,0,1,\n")


def test_the_import_kind_loads_a_csv_and_reports_the_bad_row(world, customers):
    data = CSV.format(code=customers["am1"].code).encode("utf-8")
    with acting_as(world.admin.scope):
        run = imports.import_now(world.admin, "warning.metrics", "指标.csv", data)
    assert (run.created, run.failed) == (2, 1)
    assert [Decimal(row.revenue) for row in metrics()] == [Decimal("100000"), Decimal("60000")]


def test_importing_the_same_file_twice_changes_nothing(world, customers):
    data = CSV.format(code=customers["am1"].code).encode("utf-8")
    with acting_as(world.admin.scope):
        imports.import_now(world.admin, "warning.metrics", "指标.csv", data)
        run = imports.import_now(world.admin, "warning.metrics", "指标.csv", data)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 2)
