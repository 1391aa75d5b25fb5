"""The intel summary: items per month by competitor, product and region, counted in the
reader's data scope (plus what was pushed to them), merged duplicates left out; its page,
chart JSON and .xlsx export agree with it."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from plugins.intel import summary
from tests.plugins.intel.conftest import act, pushed, submit
from workbench.org.scope import acting_as

pytestmark = [pytest.mark.plugins("intel", "opportunity"), pytest.mark.locale("en")]


def build(user, **filters):
    with acting_as(user.scope):
        return summary.build_summary(user, summary.SummaryFilter(**filters))


def by_name(series):
    return {row.name: row.counts for row in series}


def test_months_back_crosses_the_year():
    assert summary.months_back(date(2026, 2, 10), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_items_are_counted_by_competitor_and_month(iw):
    today = date.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).isoformat()
    submit(iw)
    submit(iw, competitor_id=iw.competitors["中国联通"].id, observed_on=last_month)
    submit(iw, competitor_id=iw.competitors["中国联通"].id)
    s = build(iw.lead, months=3)
    assert s.total == 3 and s.waiting == 3
    counts = by_name(s.competitors)
    assert counts["中国移动"] == [0, 0, 1] and counts["中国联通"] == [0, 1, 1]
    assert s.per_month == [0, 1, 2]


def test_products_and_regions(iw):
    submit(iw)                                   # am1, grid 1, 5G行业专网
    submit(iw, owner=iw.am2, product="云电脑")    # am2, grid 2
    submit(iw, owner=iw.outsider)                # the other county
    s = build(iw.lead, months=3)
    assert set(by_name(s.products)) == {"5G行业专网", "云电脑"}
    assert set(by_name(s.regions)) == {iw.grid1.name, iw.grid2.name}
    city = build(iw.admin, months=3)
    assert set(by_name(city.regions)) == {iw.county.name, iw.other_county.name}
    assert by_name(city.regions)[iw.county.name][-1] == 2


def test_a_drill_down_outside_the_scope_is_not_found(iw):
    from workbench.errors import NotFound

    with pytest.raises(NotFound):
        build(iw.lead, months=3, unit_id=iw.other_county.id)
    assert build(iw.admin, months=3, unit_id=iw.county.id).unit.id == iw.county.id


def test_the_summary_is_scoped_and_counts_what_was_pushed_to_the_reader(iw):
    submit(iw)
    assert build(iw.outsider, months=3).total == 0
    pushed(iw, [iw.outsider])
    s = build(iw.outsider, months=3)
    assert s.total == 1 and s.pushed == 1


def test_merged_duplicates_are_not_counted(iw):
    survivor, duplicate = submit(iw), submit(iw)
    act(iw.admin, duplicate, "merge", str(survivor))
    assert build(iw.lead, months=3).total == 1


def test_the_page_charts_and_exports_agree(iw, client_for):
    submit(iw)
    client = client_for(iw.lead)
    page = client.get("/intel/summary?months=3")
    assert page.status_code == 200 and "By competitor, per month" in page.get_data(as_text=True)
    data = client.get("/intel/summary/data/competitors.json?months=3").get_json()
    assert data["series"][0]["name"] == "中国移动" and data["series"][0]["total"] == 1 and len(data["months"]) == 3
    regions = client.get("/intel/summary/data/regions.json?months=3").get_json()
    assert regions["series"][0]["name"] == iw.grid1.name
    sheet = load_workbook(io.BytesIO(client.get("/intel/summary/export/competitors.xlsx?months=3").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Competitor" and rows[1][0] == "中国移动" and rows[1][-1] == 1
    assert client.get("/intel/summary/data/nothing.json").status_code == 404


def test_a_bad_period_is_shown_and_the_default_used(iw, client_for):
    page = client_for(iw.lead).get("/intel/summary?months=7&competitor=abc")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Choose 3, 6, 12 or 24 months." in body and "Unknown competitor" in body


def test_the_summary_needs_its_permission(iw, client_for):
    from tests.support.factories import make_user
    from workbench.extensions import db

    reporter = make_user("info_reporter", iw.grid1, "reporter")
    db.session.commit()
    assert client_for(reporter).get("/intel/summary").status_code == 403
