"""The import pages and the command line: who may open them, uploading, checking and mapping
the columns with a preview, the result page, the error reports in both formats (for the
uploader and admins; 404 for anyone else), templates, history, a plugin's import kind, CLI."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from tests.workbench.imports.samples import CUSTOMER_HEADERS_ZH, csv_bytes, png, xlsx
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.imports.columns import map_headers
from workbench.imports.models import ImportRun
from workbench.org.scope import system_scope

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")


def upload(client, kind: str, filename: str, data: bytes, **kwargs):
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", **kwargs)


def upload_and_start(client, kind: str, filename: str, data: bytes, columns: dict[int, str] | None = None):
    """Upload, then start with the suggested columns (or `columns`); returns the result URL."""
    confirm_url = upload(client, kind, filename, data).headers["Location"]
    if columns is None:
        run = db.session.execute(select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
        columns = {int(index): key for index, key in run.mapping.items()}
    form = {f"column-{index}": key for index, key in columns.items()}
    response = client.post(confirm_url, data={**form, "action": "start"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def run_id_of(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


MIXED = [CUSTOMER_HEADERS_ZH,
         ["W001", "滨江县实验小学", "教育", "C", "am1", "G1", ""],
         ["W002", "滨江县第二小学", "教育", "Z", "am1", "G1", ""]]


def test_an_account_manager_may_open_the_page_for_contacts_only(world, client_for):
    client = client_for(world.am1)
    page = client.get("/imports/").get_data(as_text=True)
    form = page.split('id="wb-import-form"')[1].split("</form>")[0]
    assert 'value="contacts"' in form and 'value="customers"' not in form
    assert upload(client, "customers", "a.xlsx", xlsx(MIXED)).status_code == 403
    assert client.get("/imports/templates/customers.xlsx").status_code == 403
    assert client.get("/imports/templates/contacts.xlsx").status_code == 200


def test_someone_who_may_import_nothing_gets_403(world, client_for):
    from tests.support.factories import make_user

    viewer = make_user("knowledge_admin", world.grid1, "viewer")
    db.session.commit()
    assert client_for(viewer).get("/imports/").status_code == 403


def test_a_unit_admin_without_customer_import_may_not_post_customers(world, client_for):
    world.lead.extra_permissions = ["admin.org"]
    db.session.commit()
    client = client_for(world.lead)
    page = client.get("/imports/").get_data(as_text=True)
    form = page.split('id="wb-import-form"')[1].split("</form>")[0]
    assert 'value="units"' in form and 'value="customers"' not in form
    assert upload(client, "customers", "a.xlsx", xlsx(MIXED)).status_code == 403


def test_the_column_page_previews_the_first_rows_and_flags_unknown_headers(world, client_for):
    client = client_for(world.admin)
    data = xlsx([["客户编码", "单位全称", "客户经理", "备注"]] + [[f"W1{n}", f"客户{n}", "am1", ""] for n in range(8)])
    response = upload(client, "customers", "客户.xlsx", data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/columns")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    preview = page.split('id="wb-import-preview"')[1].split("</table>")[0]
    assert "W10" in preview and "W14" in preview and "W15" not in preview  # five rows
    mapping = page.split('id="wb-import-mapping"')[1].split("</ul>")[0]
    assert mapping.count("Not recognised") == 2  # 单位全称, 备注
    assert "Required columns missing: 客户名称 (name)" in page
    assert '<option value="code" selected>' in mapping
    with system_scope():
        assert db.session.execute(select(Customer).where(Customer.code == "W10")).first() is None


def test_mapping_an_unknown_header_then_starting_imports_the_rows(world, client_for):
    client = client_for(world.admin)
    data = xlsx([["客户编码", "单位全称", "客户经理"], ["W201", "映射后的客户", "am1"]])
    result = upload_and_start(client, "customers", "a.xlsx", data, columns={0: "code", 1: "name", 2: "owner"})
    page = client.get(result).get_data(as_text=True)
    assert "Every row was imported" in page and 'data-job-state="done"' in page
    with system_scope():
        assert db.session.execute(select(Customer.name).where(Customer.code == "W201")).scalar_one() == "映射后的客户"


def test_starting_without_a_required_column_or_with_a_column_twice_shows_why(world, client_for):
    client = client_for(world.admin)
    confirm_url = upload(client, "customers", "a.csv",
                         csv_bytes([["客户编码", "名字", "简称"], ["W301", "甲", "乙"]])).headers["Location"]
    page = client.post(confirm_url, data={"column-0": "code", "action": "start"}).get_data(as_text=True)
    assert "Required columns missing: 客户名称 (name)" in page
    page = client.post(confirm_url, data={"column-0": "code", "column-1": "name", "column-2": "name",
                                          "action": "start"}).get_data(as_text=True)
    assert page.count("is chosen for several columns") == 2 and "is-invalid" in page
    assert db.session.execute(select(ImportRun.state)).scalar_one() == "mapping"


def test_a_started_or_cancelled_import_cannot_be_started_again(world, client_for):
    client = client_for(world.admin)
    confirm_url = upload(client, "customers", "a.csv", csv_bytes([["code", "name"], ["W401", "甲"]])).headers["Location"]
    response = client.post(confirm_url, data={"action": "cancel"})
    assert response.status_code == 302
    assert db.session.execute(select(ImportRun.state)).scalar_one() == "cancelled"
    response = client.post(confirm_url, data={"column-0": "code", "column-1": "name", "action": "start"})
    assert response.status_code == 302 and "/columns" not in response.headers["Location"]
    with system_scope():
        assert db.session.execute(select(Customer).where(Customer.code == "W401")).first() is None


def test_someone_elses_upload_is_not_found(world, client_for):
    world.lead.extra_permissions = ["customers.import"]
    db.session.commit()
    confirm_url = upload(client_for(world.lead), "customers", "a.csv",
                         csv_bytes([["code", "name"], ["W501", "甲"]])).headers["Location"]
    world.am2.extra_permissions = ["customers.import"]
    db.session.commit()
    other = client_for(world.am2)
    assert other.get(confirm_url).status_code == 404
    assert other.post(confirm_url, data={"column-0": "code", "column-1": "name", "action": "start"}).status_code == 404
    assert client_for(world.admin).get(confirm_url).status_code == 404  # admins look, they do not start


def test_the_result_page_shows_errors_and_the_reports_download_for_the_uploader_and_admins(world, client_for):
    world.lead.extra_permissions = ["customers.import"]
    db.session.commit()
    lead = client_for(world.lead)
    result = upload_and_start(lead, "customers", "客户导入.xlsx", xlsx(MIXED))
    page = lead.get(result).get_data(as_text=True)
    assert "Level must be one of A, B, C, D." in page
    assert "/errors.xlsx" in page and "/errors.csv" in page
    with system_scope():
        assert db.session.execute(select(Customer).where(Customer.code == "W001")).scalar_one()
    assert "客户导入.xlsx" in lead.get("/imports/").get_data(as_text=True)
    run_id = run_id_of(result)

    response = lead.get(f"/imports/{run_id}/errors.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Value", "Reason"]
    assert rows[1] == ["3", "客户级别", "Z", "Level must be one of A, B, C, D."]

    response = lead.get(f"/imports/{run_id}/errors.xlsx")
    assert response.headers["Cache-Control"] == "private, no-store"
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    rows_sheet, list_sheet = book.worksheets
    assert [cell.value for cell in rows_sheet[1]] == [*CUSTOMER_HEADERS_ZH, "Row in the original file",
                                                      "Why it was not imported"]
    original = [cell.value for cell in rows_sheet[2]]
    assert original[:6] == ["W002", "滨江县第二小学", "教育", "Z", "am1", "G1"]
    assert original[7] == 3 and "客户级别: Level must be one of A, B, C, D." in original[8]
    level_cell = rows_sheet.cell(row=2, column=4)
    assert level_cell.comment.text == "Level must be one of A, B, C, D."
    assert level_cell.fill.fgColor.rgb.endswith("F8CBAD")
    assert list(list_sheet.iter_rows(min_row=2, values_only=True)) == [
        (3, "客户级别", "Z", "Level must be one of A, B, C, D.")]

    assert client_for(world.admin).get(f"/imports/{run_id}/errors.xlsx").status_code == 200
    world.am2.extra_permissions = ["customers.import"]
    db.session.commit()
    other = client_for(world.am2)
    for url in (f"/imports/{run_id}", f"/imports/{run_id}/errors.csv", f"/imports/{run_id}/errors.xlsx"):
        assert other.get(url).status_code == 404, url


def test_a_corrected_error_report_imports_as_it_is(world, client_for):
    client = client_for(world.admin)
    result = upload_and_start(client, "customers", "a.xlsx", xlsx(MIXED))
    report = client.get(f"/imports/{run_id_of(result)}/errors.xlsx").get_data()
    book = openpyxl.load_workbook(io.BytesIO(report))
    book.worksheets[0].cell(row=2, column=4, value="B")  # the person corrects the level
    corrected = io.BytesIO()
    book.save(corrected)
    confirm_url = upload(client, "customers", "a-errors.xlsx", corrected.getvalue()).headers["Location"]
    page = client.get(confirm_url).get_data(as_text=True)
    assert page.count("From an error report") == 2 and "Not recognised" not in page
    result = upload_and_start(client, "customers", "a-errors.xlsx", corrected.getvalue())
    assert "Every row was imported" in client.get(result).get_data(as_text=True)
    with system_scope():
        assert db.session.execute(select(Customer.level).where(Customer.code == "W002")).scalar_one() == "B"


def test_wrong_files_show_the_reason_beside_the_field_and_save_nothing(world, client_for):
    client = client_for(world.admin)
    for filename, data, message in (
        ("fake.xlsx", b"code,name\nW9,x\n", "not a real Excel workbook"),
        ("photo.xlsx", png(), "not a real Excel workbook"),
        ("empty.csv", b"", "The file is empty"),
        ("blank.csv", b"\r\n,,\r\n", "The file is empty"),
        ("header.csv", b"code,name\r\n", "no rows below them"),
        ("notes.txt", b"code,name\nW9,x\n", "Only .xlsx and .csv"),
    ):
        response = upload(client, "customers", filename, data)
        assert response.status_code == 200, filename
        page = response.get_data(as_text=True)
        assert message in page and "invalid-feedback" in page, filename
    assert db.session.execute(select(ImportRun)).first() is None


@pytest.mark.app_config(WORKBENCH_IMPORT_MAX_BYTES=100)
def test_an_oversize_upload_is_refused(world, client_for):
    data = csv_bytes([["code", "name"]] + [["W1", "x"]] * 20)
    response = upload(client_for(world.admin), "customers", "big.csv", data)
    assert "too large" in response.get_data(as_text=True)
    assert db.session.execute(select(ImportRun)).first() is None


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1000)
def test_a_request_over_the_global_limit_answers_413(world, client_for):
    data = csv_bytes([["code", "name"]] + [["W1", "x" * 50]] * 40)
    assert upload(client_for(world.admin), "customers", "big.csv", data).status_code == 413


def test_values_that_look_like_formulas_stay_text_in_the_reports(world, client_for):
    client = client_for(world.admin)
    data = csv_bytes([["code", "name", "owner"], ["W5", "甲", "=cmd|calc"]])
    run_id = run_id_of(upload_and_start(client, "customers", "f.csv", data))
    text = client.get(f"/imports/{run_id}/errors.csv").get_data().decode("utf-8-sig")
    assert "'=cmd|calc" in text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/imports/{run_id}/errors.xlsx").get_data()))
    for cell in (book.worksheets[0].cell(row=2, column=3), book.worksheets[1].cell(row=2, column=3)):
        assert cell.value == "=cmd|calc" and cell.data_type == "s"


def test_each_template_has_the_chinese_headers_and_a_sample_row(world, client_for, app):
    from workbench.imports.kinds import import_kinds

    client = client_for(world.admin)
    for kind in import_kinds():
        response = client.get(f"/imports/templates/{kind.key}.xlsx")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
        headers = [cell.value for cell in sheet[1]]
        assert headers == [column.chinese for column in kind.columns]
        assert any(cell.value for cell in sheet[2])
        map_headers(kind.columns, headers)  # the template's own headers are accepted


def test_the_history_lists_the_uploaders_runs_with_their_state(world, client_for):
    client = client_for(world.admin)
    upload_and_start(client, "customers", "第一批.csv", csv_bytes([["code", "name", "owner"], ["W601", "甲", "am1"]]))
    upload(client, "customers", "第二批.csv", csv_bytes([["code", "name", "owner"], ["W602", "乙", "am1"]]))
    page = client.get("/imports/").get_data(as_text=True)
    history = page.split('id="wb-import-history"')[1]
    assert "第一批.csv" in history and "Finished" in history and "Waiting for columns" in history
    assert "第二批.csv" not in client.get("/imports/?q=第一").get_data(as_text=True).split('id="wb-import-history"')[1]
    assert "No imports match" in client.get("/imports/?history_kind=units").get_data(as_text=True)


@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"visits": "tests.workbench.imports.visits_plugin"})
def test_a_plugin_declares_its_own_import_kind_from_init_app(world, client_for):
    from tests.workbench.imports import visits_plugin

    client = client_for(world.admin)
    assert 'value="visits.visits"' in client.get("/imports/").get_data(as_text=True)
    data = csv_bytes([["客户编码", "拜访日期", "备注"], [world.customers["am1"].code, "2024/3/5", "首次拜访"],
                      [world.customers["am1"].code, "2024-02-30", ""]])
    result = upload_and_start(client, "visits.visits", "拜访.csv", data)
    page = client.get(result).get_data(as_text=True)
    assert "Enter a date such as 2024-03-31." in page
    assert visits_plugin.SAVED == [(world.customers["am1"].code, "2024-03-05", "首次拜访")]


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
    assert run.source == "cli" and run.user_id == world.lead.id and run.state == "done"


def test_the_command_line_refuses_a_bad_file_with_a_message(app, world, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_text("not a workbook")
    result = app.test_cli_runner().invoke(args=["import", "units", str(path)])
    assert result.exit_code == 1 and "not a real Excel workbook" in result.output
    result = app.test_cli_runner().invoke(args=["import", "units", str(path), "--as", "nobody"])
    assert result.exit_code == 1 and "No active user named nobody" in result.output
    result = app.test_cli_runner().invoke(args=["import", "planets", str(path)])
    assert result.exit_code == 1 and "Unknown kind of import planets" in result.output
    unknown = tmp_path / "units.csv"
    unknown.write_bytes(csv_bytes([["单位编码", "单位名称", "层级", "负责人"], ["Q1", "x", "grid", "y"]]))
    result = app.test_cli_runner().invoke(args=["import", "units", str(unknown)])
    assert result.exit_code == 1 and "Unknown columns: 负责人" in result.output
