"""The import pages and the command line: who may open them, uploading, the result page, the
error reports in both formats (and 404 for someone else), templates, history, CLI."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from tests.workbench.imports.samples import CUSTOMER_HEADERS_ZH, csv_bytes, xlsx
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.imports.columns import COLUMNS, map_headers
from workbench.imports.models import ImportRun
from workbench.org.scope import system_scope

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")


def upload(client, kind: str, filename: str, data: bytes, **kwargs):
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", **kwargs)


MIXED = [CUSTOMER_HEADERS_ZH,
         ["W001", "滨江县实验小学", "教育", "C", "am1", "G1", ""],
         ["W002", "滨江县第二小学", "教育", "Z", "am1", "G1", ""]]


def test_an_account_manager_without_permission_gets_403(world, client_for):
    client = client_for(world.am1)
    assert client.get("/imports/").status_code == 403
    assert upload(client, "customers", "a.xlsx", xlsx(MIXED)).status_code == 403
    assert client.get("/imports/templates/customers.xlsx").status_code == 403


def test_a_unit_admin_without_customer_import_may_not_post_customers(world, client_for):
    world.lead.extra_permissions = ["admin.org"]
    db.session.commit()
    client = client_for(world.lead)
    page = client.get("/imports/").get_data(as_text=True)
    form = page.split('id="wb-import-form"')[1].split("</form>")[0]
    assert 'value="units"' in form and 'value="customers"' not in form
    assert upload(client, "customers", "a.xlsx", xlsx(MIXED)).status_code == 403


def test_upload_saves_good_rows_and_shows_the_result_with_errors(world, client_for):
    client = client_for(world.admin)
    response = upload(client, "customers", "客户导入.xlsx", xlsx(MIXED))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Level must be one of A, B, C, D." in page
    assert "/errors.xlsx" in page and "/errors.csv" in page
    with system_scope():
        assert db.session.execute(select(Customer).where(Customer.code == "W001")).scalar_one()
    assert "客户导入.xlsx" in client.get("/imports/").get_data(as_text=True)


def test_a_refused_file_shows_the_reason_beside_the_field_and_saves_nothing(world, client_for):
    client = client_for(world.admin)
    response = upload(client, "customers", "fake.xlsx", b"code,name\nW9,x\n")
    assert response.status_code == 200
    assert "not a real Excel workbook" in response.get_data(as_text=True)
    assert db.session.execute(select(ImportRun)).first() is None


@pytest.mark.app_config(WORKBENCH_IMPORT_MAX_BYTES=100)
def test_an_oversize_upload_is_refused(world, client_for):
    data = csv_bytes([["code", "name"]] + [["W1", "x"]] * 20)
    response = upload(client_for(world.admin), "customers", "big.csv", data)
    assert "too large" in response.get_data(as_text=True)
    assert db.session.execute(select(ImportRun)).first() is None


def test_error_reports_download_for_the_owner_in_both_formats_and_404_for_others(world, client_for):
    world.lead.extra_permissions = ["customers.import"]
    db.session.commit()
    lead = client_for(world.lead)
    location = upload(lead, "customers", "mixed.xlsx", xlsx(MIXED)).headers["Location"]
    run_id = int(location.rstrip("/").rsplit("/", 1)[1])

    response = lead.get(f"/imports/{run_id}/errors.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Value", "Reason"]
    assert rows[1] == ["3", "客户级别", "Z", "Level must be one of A, B, C, D."]

    response = lead.get(f"/imports/{run_id}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        (3, "客户级别", "Z", "Level must be one of A, B, C, D.")]

    assert client_for(world.admin).get(f"/imports/{run_id}/errors.csv").status_code == 200
    world.am2.extra_permissions = ["customers.import"]
    db.session.commit()
    other = client_for(world.am2)
    for url in (f"/imports/{run_id}", f"/imports/{run_id}/errors.csv", f"/imports/{run_id}/errors.xlsx"):
        assert other.get(url).status_code == 404, url


def test_values_that_look_like_formulas_stay_text_in_the_reports(world, client_for):
    client = client_for(world.admin)
    data = csv_bytes([["code", "name", "owner"], ["W5", "甲", "=cmd|calc"]])
    run_id = int(upload(client, "customers", "f.csv", data).headers["Location"].rsplit("/", 1)[1])
    text = client.get(f"/imports/{run_id}/errors.csv").get_data().decode("utf-8-sig")
    assert "'=cmd|calc" in text
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/imports/{run_id}/errors.xlsx").get_data())).worksheets[0]
    cell = sheet.cell(row=2, column=3)
    assert cell.value == "=cmd|calc" and cell.data_type == "s"


def test_each_template_has_the_chinese_headers_and_a_sample_row(world, client_for):
    client = client_for(world.admin)
    for kind, columns in COLUMNS.items():
        response = client.get(f"/imports/templates/{kind}.xlsx")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
        headers = [cell.value for cell in sheet[1]]
        assert headers == [column.chinese for column in columns]
        assert any(cell.value for cell in sheet[2])
        map_headers(kind, headers)  # the template's own headers are accepted


def test_the_command_line_imports_as_a_user_and_writes_the_error_report_next_to_the_file(app, world, tmp_path):
    world.lead.extra_permissions = ["customers.import"]
    db.session.commit()
    path = tmp_path / "客户.csv"
    path.write_bytes(csv_bytes([["code", "name", "org_unit"], ["V1", "县内", "G1"], ["V2", "县外", "X2"]], "gbk"))
    result = app.test_cli_runner().invoke(args=["import", "customers", str(path), "--as", "lead"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output and "1 failed" in result.output
    report = tmp_path / "客户-errors.csv"
    assert "Unit X2 is outside your scope" in report.read_bytes().decode("utf-8-sig")
    db.session.rollback()
    run = db.session.execute(select(ImportRun)).scalar_one()
    assert run.source == "cli" and run.user_id == world.lead.id


def test_the_command_line_refuses_a_bad_file_with_a_message(app, world, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_text("not a workbook")
    result = app.test_cli_runner().invoke(args=["import", "units", str(path)])
    assert result.exit_code == 1 and "not a real Excel workbook" in result.output
    result = app.test_cli_runner().invoke(args=["import", "units", str(path), "--as", "nobody"])
    assert result.exit_code == 1 and "No active user named nobody" in result.output
