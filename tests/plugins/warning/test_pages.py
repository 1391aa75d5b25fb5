"""The pages, widgets, customer section, chart JSON, report and settings — each scoped: an
account manager cannot see another county's (or a colleague's) warnings anywhere."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from plugins.warning.models import CustomerWarning, Threshold
from tests.plugins.warning.conftest import scan, two_months
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = pytest.mark.plugins("warning")


@pytest.fixture
def raised(world, customers):
    """A revenue warning for am1's and for am3's (other county) customer."""
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    two_months(customers["am3"], now={"revenue": Decimal("10000")})
    scan()
    with system_scope():
        rows = db.session.execute(select(CustomerWarning).order_by(CustomerWarning.id)).unique().scalars().all()
    return {row.owner.username: row for row in rows}


def text(response):
    return response.get_data(as_text=True)


def test_the_list_shows_my_warnings_and_not_another_countys(world, raised, client_for):
    page = text(client_for(world.am1).get("/warning/?mine=1"))
    assert raised["am1"].customer.name in page and raised["am3"].customer.name not in page
    everything = text(client_for(world.am1).get("/warning/"))
    assert raised["am3"].customer.name not in everything


def test_the_lead_sees_the_countys_warnings_only(world, raised, client_for):
    page = text(client_for(world.lead).get("/warning/"))
    assert raised["am1"].customer.name in page and raised["am3"].customer.name not in page


def test_the_list_filters_by_rule_and_has_an_empty_state(world, raised, client_for):
    client = client_for(world.am1)
    assert raised["am1"].customer.name in text(client.get("/warning/?rule=revenue_change"))
    assert "No warning matches" in text(client.get("/warning/?rule=arrears"))


def test_the_detail_page_shows_the_figures_and_the_handling_form(world, raised, client_for):
    page = text(client_for(world.am1).get(f"/warning/{raised['am1'].id}"))
    assert "From 100,000.00 to 60,000.00" in page and 'data-testid="handle-form"' in page


def test_another_countys_warning_is_404_on_every_page(world, raised, client_for):
    client = client_for(world.am1)
    other = raised["am3"]
    assert client.get(f"/warning/{other.id}").status_code == 404
    assert client.post(f"/warning/{other.id}/handle", data={"action": "visited", "outcome": "resolved"}).status_code == 404
    assert client.get(f"/warning/customers/{other.customer_id}/chart.json").status_code == 404


def test_handling_through_the_page_closes_the_loop(world, raised, client_for):
    client = client_for(world.am1)
    warning = raised["am1"]
    response = client.post(f"/warning/{warning.id}/handle", data={"action": "visited", "outcome": "resolved",
                                                                   "note": "ok", "version": warning.version})
    assert response.status_code == 302
    assert "Visited the customer" in text(client.get(f"/warning/{warning.id}"))


def test_bad_handling_input_shows_the_message_beside_the_field(world, raised, client_for):
    warning = raised["am1"]
    response = client_for(world.am1).post(f"/warning/{warning.id}/handle",
                                          data={"action": "visited", "outcome": "lost", "note": "",
                                                "version": warning.version})
    assert response.status_code == 200  # the form again, the message beside the note
    assert "Describe what was done" in text(response) and "is-invalid" in text(response)
    with system_scope():
        assert db.session.get(CustomerWarning, warning.id).status == "open"


def test_the_chart_json_has_the_months_and_the_warning_marks(world, raised, client_for):
    data = client_for(world.am1).get(f"/warning/customers/{raised['am1'].customer_id}/chart.json").get_json()
    assert data["categories"] == ["2026-09", "2026-10"]
    revenue = next(s for s in data["series"] if s["key"] == "revenue")
    assert revenue["data"] == [100000.0, 60000.0]
    assert data["warnings"][0]["period"] == "2026-10"


def test_the_customer_section_lists_the_warning_history(world, raised, client_for):
    page = text(client_for(world.am1).get(f"/customers/{raised['am1'].customer_id}/sections/warning.history"))
    assert "Revenue change" in page and "warning-chart" in page


def test_my_warnings_widget_counts_by_severity(world, raised, client_for):
    page = text(client_for(world.am1).get("/homepage/widgets/warning.mine"))
    assert raised["am1"].customer.name in page
    assert "No open warnings" in text(client_for(world.am2).get("/homepage/widgets/warning.mine"))


def test_the_unit_widget_shows_the_leads_unit_only(world, raised, client_for):
    page = text(client_for(world.lead).get("/homepage/widgets/warning.unit"))
    assert "Revenue change" in page and 'data-testid="warning-widget-unit"' in page
    other_lead = make_user("lead", world.other_county)
    db.session.commit()
    other = text(client_for(other_lead).get("/homepage/widgets/warning.unit"))
    assert "<td class=\"text-end\">1</td>" in other  # am3's one warning, not am1's


def test_the_report_counts_within_the_readers_scope(world, raised, client_for):
    lead_page = text(client_for(world.lead).get("/warning/report"))
    assert 'data-testid="total-raised">1<' in lead_page
    admin_page = text(client_for(world.admin).get("/warning/report"))
    assert 'data-testid="total-raised">2<' in admin_page


def test_the_report_exports_to_excel(world, raised, client_for):
    response = client_for(world.lead).get("/warning/report?format=xlsx&by=rule")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Unit", "Rule", "Raised")
    assert rows[1][1] == "Revenue change" and rows[1][2] == 1
    assert rows[-1][0] == "Total"


def test_a_bad_report_date_is_refused_beside_the_field(world, raised, client_for):
    response = client_for(world.lead).get("/warning/report?date_from=yesterday")
    assert response.status_code == 400 and "Enter a date as YYYY-MM-DD" in text(response)


def test_an_account_manager_has_no_report_or_settings(world, client_for):
    client = client_for(world.am1)
    assert client.get("/warning/report").status_code == 403
    assert client.get("/warning/settings").status_code == 403


def test_the_list_export_holds_what_the_page_shows(world, raised, client_for):
    response = client_for(world.am1).get("/exports/warning.warnings.xlsx")
    assert response.status_code == 200
    values = [row for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)]
    names = [row[0] for row in values[1:]]
    assert names == [raised["am1"].customer.name]


def test_the_settings_page_saves_and_refuses_bad_numbers(world, client_for):
    client = client_for(world.admin)
    assert client.get(f"/warning/settings?unit_id={world.county.id}").status_code == 200
    bad = client.post("/warning/settings", data={"unit_id": world.county.id, "revenue_change.drop_pct": "-3",
                                                 "arrears.days": "30"})
    assert bad.status_code == 200 and "Enter a value from 1 to 100" in text(bad)
    with system_scope():
        assert db.session.execute(select(Threshold)).scalars().all() == []
    good = client.post("/warning/settings", data={"unit_id": world.county.id, "arrears.days": "30"})
    assert good.status_code == 302
    with system_scope():
        assert [(t.rule, t.param, int(t.value)) for t in db.session.execute(select(Threshold)).scalars()] == [
            ("arrears", "days", 30)]


def test_a_city_manager_cannot_open_another_citys_units(world, client_for):
    manager = make_user("city_manager", world.other_county)
    db.session.commit()
    assert client_for(manager).get(f"/warning/settings?unit_id={world.county.id}").status_code == 404


def test_scan_now_runs_the_scan_for_an_admin(world, customers, client_for):
    two_months(customers["am1"], now={"revenue": Decimal("60000")})
    response = client_for(world.admin).post("/warning/scan", data={"unit_id": world.province.id})
    assert response.status_code == 302
    with system_scope():
        assert db.session.execute(select(CustomerWarning.rule)).scalars().all() == ["revenue_change"]


def test_search_finds_a_warning_only_within_scope(world, customers, raised):
    from workbench.search import indexing
    from workbench.search import services as search

    name, title = customers["am1"].name, raised["am1"].title
    with system_scope():
        indexing.rebuild(["warning.warning"])
    with acting_as(world.am1.scope):
        mine = search.search(world.am1, name, "warning.warning")
        assert [item.title for item in search.present(mine.query, mine.hits_of("warning.warning"))] == [title]
    with acting_as(world.outsider.scope):
        theirs = search.search(world.outsider, name, "warning.warning")
        assert search.present(theirs.query, theirs.hits_of("warning.warning")) == []
