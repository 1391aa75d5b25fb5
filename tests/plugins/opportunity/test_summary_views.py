"""The summary page, its chart JSON, its .xlsx exports, the targets page and the "my month vs
target" widget, through HTTP: each obeys the reader's data scope (another county's record is
never counted; another county's unit answers 404) and bad target input is refused beside its
field with nothing saved."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlalchemy import select

from plugins.opportunity import summary
from plugins.opportunity.models import OpportunityTarget
from tests.plugins.opportunity.test_summary import put
from workbench.extensions import db
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("opportunity"), pytest.mark.locale("en")]


@pytest.fixture
def mixed(opp):
    """This month: two opportunities in county X1 (am1 converted 300, am2 new), one in X2."""
    now = summary.utc_start_of(summary.local_today()) + timedelta(hours=1)
    put(opp.am1, opp.customers["am1"], category="leased_line_internet", stage="pre_execution",
        created=now, converted=now, expected="300")
    put(opp.am2, opp.customers["am2"], category="cloud", created=now, expected="40")
    put(opp.outsider, opp.customers["am3"], category="idc", kind="competitive", created=now, expected="9000")
    db.session.commit()
    return opp


def figures(client, **args):
    response = client.get("/opportunity/summary/data/business_types.json", query_string=args)
    assert response.status_code == 200
    return response.get_json()["figures"]


def test_the_summary_page_shows_the_leads_county_only(mixed, client_for):
    page = client_for(mixed.lead).get("/opportunity/summary")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-figure="reported">2<' in html
    assert 'data-figure="converted">1<' in html
    assert mixed.grid1.name in html and mixed.other_county.name not in html


def test_the_chart_json_counts_only_what_the_reader_may_see(mixed, client_for):
    assert figures(client_for(mixed.admin))["reported"] == 3
    assert figures(client_for(mixed.lead))["reported"] == 2
    own = figures(client_for(mixed.am1))
    assert (own["reported"], own["converted"], own["converted_revenue"]) == (1, 1, 300.0)


@pytest.mark.parametrize("chart", ["business_types", "leased_lines", "departments", "per_capita", "targets"])
def test_every_chart_has_its_json(mixed, client_for, chart):
    data = client_for(mixed.lead).get(f"/opportunity/summary/data/{chart}.json").get_json()
    assert data["chart"] == chart
    if chart != "targets":
        assert data["categories"] and data["series"]


def test_the_department_json_lists_the_grids_of_the_county(mixed, client_for):
    data = client_for(mixed.lead).get("/opportunity/summary/data/departments.json").get_json()
    assert data["categories"] == [mixed.grid1.name, mixed.grid2.name]
    reported = next(s for s in data["series"] if s["key"] == "reported")
    assert reported["data"] == [1, 1]


def test_another_countys_unit_answers_404_on_the_page_the_json_and_the_export(mixed, client_for):
    lead = client_for(mixed.lead)
    other = mixed.other_county.id
    assert lead.get(f"/opportunity/summary?unit={other}").status_code == 404
    assert lead.get(f"/opportunity/summary/data/departments.json?unit={other}").status_code == 404
    assert lead.get(f"/opportunity/summary/export/departments.xlsx?unit={other}").status_code == 404


def test_an_unknown_chart_or_table_answers_404(mixed, client_for):
    lead = client_for(mixed.lead)
    assert lead.get("/opportunity/summary/data/everything.json").status_code == 404
    assert lead.get("/opportunity/summary/export/everything.xlsx").status_code == 404


def workbook_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_figures_export_holds_the_readers_numbers(mixed, client_for):
    rows = workbook_rows(client_for(mixed.lead).get("/opportunity/summary/export/figures.xlsx"))
    values = {row[0]: row[1] for row in rows[1:]}
    assert values["Opportunities reported"] == 2
    assert values["Converted revenue (yuan)"] == 300


@pytest.mark.parametrize("table", ["business_types", "leased_lines", "departments", "targets"])
def test_every_table_exports_to_xlsx_without_another_countys_rows(mixed, client_for, table):
    rows = workbook_rows(client_for(mixed.lead).get(f"/opportunity/summary/export/{table}.xlsx"))
    text = repr(rows)
    assert len(rows) >= 2
    assert "IDC" not in text and mixed.other_county.name not in text


def test_a_bad_filter_is_explained_and_the_default_period_shown(mixed, client_for):
    page = client_for(mixed.lead).get("/opportunity/summary?period=custom&start=2026-11-30&end=2026-11-01")
    assert page.status_code == 200
    assert "The last day comes before the first day." in page.get_data(as_text=True)


def test_the_summary_page_runs_as_many_statements_for_50_opportunities_as_for_5(opp, client_for, count_queries):
    lead = client_for(opp.lead)
    now = summary.utc_start_of(summary.local_today()) + timedelta(hours=1)

    def add(n):
        for i in range(n):
            owner = opp.am1 if i % 2 else opp.am2
            put(owner, opp.customers[owner.username], category=("cloud", "leased_line_data", "idc")[i % 3],
                stage=("new", "pre_execution", "signed")[i % 3], created=now - timedelta(days=i % 9),
                converted=now, signed=now, expected="10")
        db.session.commit()

    add(5)
    lead.get("/opportunity/summary")
    with count_queries() as five:
        assert lead.get("/opportunity/summary").status_code == 200
    add(45)
    with count_queries() as fifty:
        assert lead.get("/opportunity/summary").status_code == 200
    assert five.count == fifty.count


# --- targets page ----------------------------------------------------------------------------

def stored_targets():
    with system_scope():
        return db.session.execute(select(OpportunityTarget)).scalars().all()


def test_the_lead_sets_targets_for_the_grids(opp, client_for):
    lead = client_for(opp.lead)
    month = summary.month_key(summary.local_today())
    page = lead.get("/opportunity/targets")
    assert page.status_code == 200 and opp.grid1.name in page.get_data(as_text=True)
    response = lead.post("/opportunity/targets", data={
        "month": month, f"u{opp.grid1.id}-revenue": "120000", f"u{opp.grid1.id}-leased_lines": "3",
        f"u{opp.grid2.id}-revenue": "80,000.50"})
    assert response.status_code == 302
    saved = {t.org_unit_id: (float(t.revenue_target), t.leased_line_target) for t in stored_targets()}
    assert saved == {opp.grid1.id: (120000.0, 3), opp.grid2.id: (80000.5, None)}


@pytest.mark.parametrize("revenue, leased, message", [
    ("-100", "", "A target cannot be negative."),
    ("lots", "", "Enter a number, for example 120000."),
    ("100", "2.5", "Enter a whole number of leased lines."),
])
def test_bad_target_input_is_shown_beside_the_field_and_nothing_is_saved(opp, client_for, revenue, leased, message):
    response = client_for(opp.lead).post("/opportunity/targets", data={
        "month": summary.month_key(summary.local_today()),
        f"u{opp.grid2.id}-revenue": "500",  # a good row: not saved either
        f"u{opp.grid1.id}-revenue": revenue, f"u{opp.grid1.id}-leased_lines": leased})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored_targets() == []


def test_a_bad_month_is_refused(opp, client_for):
    response = client_for(opp.lead).post("/opportunity/targets", data={
        "month": "2026-13", f"u{opp.grid1.id}-revenue": "100"})
    assert response.status_code == 400
    assert "Give the month as YYYY-MM" in response.get_data(as_text=True)
    assert stored_targets() == []


def test_the_targets_page_of_another_countys_unit_answers_404(opp, client_for):
    lead = client_for(opp.lead)
    other = opp.other_county.id
    assert lead.get(f"/opportunity/targets?unit={other}").status_code == 404
    response = lead.post(f"/opportunity/targets?unit={other}", data={
        "month": summary.month_key(summary.local_today()), f"u{other}-revenue": "100"})
    assert response.status_code == 404
    assert stored_targets() == []


def test_an_account_manager_cannot_open_the_targets_page(opp, client_for):
    assert client_for(opp.am1).get("/opportunity/targets").status_code == 403


# --- widget ----------------------------------------------------------------------------------

def test_the_my_month_widget_shows_the_account_managers_progress(mixed, client_for):
    with system_scope():
        db.session.add(OpportunityTarget(month=summary.month_key(summary.local_today()), org_unit_id=mixed.grid1.id,
                                         owner_id=mixed.am1.id, revenue_target=600, leased_line_target=2,
                                         target_key=summary.target_key(summary.local_today(), mixed.grid1.id, mixed.am1.id)))
        db.session.commit()
    html = client_for(mixed.am1).get("/homepage/widgets/opportunity.my_month").get_data(as_text=True)
    assert "50.0%" in html  # 300 of 600
    assert "1 / 2" in html  # one leased line of two


def test_the_my_month_widget_says_when_no_target_is_set(mixed, client_for):
    html = client_for(mixed.am2).get("/homepage/widgets/opportunity.my_month").get_data(as_text=True)
    assert "No target set for this month." in html


# --- migration -------------------------------------------------------------------------------

def test_the_targets_migration_builds_the_table_the_model_describes(tmp_path):
    # SQLite file of its own (tests/workbench/test_migrations.py checks every branch on both databases).
    from workbench import create_app, database

    migrated = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}",
                           "WORKBENCH_PLUGINS": ["opportunity"]})
    database.upgrade(migrated)

    def only_targets(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name == "opportunity_target"

    with migrated.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": only_targets})
        assert compare_metadata(context, db.metadata) == []
    with migrated.app_context():
        db.engine.dispose()


# --- JSON API --------------------------------------------------------------------------------

def test_the_api_gives_the_figures_in_the_callers_scope(mixed, client_for):
    lead = client_for(mixed.lead).get("/api/v1/opportunity-summary").get_json()
    assert (lead["figures"]["reported"], lead["figures"]["converted_revenue"]) == (2, 300.0)
    assert [b["name"] for b in lead["branches"]] == [mixed.grid1.name, mixed.grid2.name]
    own = client_for(mixed.am1).get("/api/v1/opportunity-summary").get_json()
    assert own["figures"]["reported"] == 1 and own["branches"] == []


def test_the_api_answers_404_for_another_countys_unit_and_400_for_a_bad_period(mixed, client_for):
    lead = client_for(mixed.lead)
    assert lead.get(f"/api/v1/opportunity-summary?unit={mixed.other_county.id}").status_code == 404
    assert lead.get("/api/v1/opportunity-summary?period=forever").status_code in (400, 422)
    response = lead.get("/api/v1/opportunity-summary?period=custom&start=2026-11-30&end=2026-11-01")
    assert response.status_code == 400


def test_the_api_sets_a_target_and_refuses_bad_ones(opp, client_for):
    lead = client_for(opp.lead)
    month = summary.month_key(summary.local_today())
    saved = lead.put("/api/v1/opportunity-summary/targets",
                     json={"month": month, "unit_id": opp.grid1.id, "revenue_target": "5000", "leased_line_target": 2})
    assert saved.status_code == 200 and saved.get_json()["revenue_target"] == 5000.0
    negative = lead.put("/api/v1/opportunity-summary/targets",
                        json={"month": month, "unit_id": opp.grid1.id, "revenue_target": -1})
    assert negative.status_code == 400 and "revenue" in negative.get_json()["errors"]
    outside = lead.put("/api/v1/opportunity-summary/targets",
                       json={"month": month, "unit_id": opp.other_county.id, "revenue_target": 1})
    assert outside.status_code == 404
    stale = lead.put("/api/v1/opportunity-summary/targets",
                     json={"month": month, "unit_id": opp.grid1.id, "revenue_target": 1, "version": 99})
    assert stale.status_code == 409
    listed = lead.get(f"/api/v1/opportunity-summary/targets?unit={opp.grid1.id}").get_json()
    assert [t["revenue_target"] for t in listed["targets"]] == [5000.0]


def test_the_api_is_in_the_openapi_document(opp, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/opportunity-summary" in paths and "/api/v1/opportunity-summary/targets" in paths


def test_a_target_changed_meanwhile_is_refused_on_the_targets_page(opp, client_for):
    lead = client_for(opp.lead)
    month = summary.month_key(summary.local_today())
    key = f"u{opp.grid1.id}"
    assert lead.post("/opportunity/targets", data={"month": month, f"{key}-revenue": "100"}).status_code == 302
    [target] = stored_targets()
    seen = target.version
    assert lead.post("/opportunity/targets", data={"month": month, f"{key}-revenue": "200",
                                                   f"{key}-version": seen}).status_code == 302
    stale = lead.post("/opportunity/targets", data={"month": month, f"{key}-revenue": "300", f"{key}-version": seen})
    assert stale.status_code == 400
    assert "Someone else changed this target meanwhile." in stale.get_data(as_text=True)
    db.session.expire_all()
    assert [float(t.revenue_target) for t in stored_targets()] == [200.0]
