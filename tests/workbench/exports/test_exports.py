"""Exporting lists to .xlsx: the customers list, the inbox and one's import runs hold exactly
what the person's list shows (scope and filters), an empty scope gives the headers only, a
large export runs as a background job whose file only its creator can download, and old
files are removed."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from tests.support.factories import make_customer, make_todo, make_user
from workbench.exports import services
from workbench.exports.kinds import get_export_kind
from workbench.exports.models import ExportFile
from workbench.extensions import db
from workbench.jobs import job_for_key
from workbench.org.scope import acting_as
from workbench.records import utcnow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def grant(user, *permissions):
    user.extra_permissions = list(permissions)
    db.session.commit()
    return user


def test_a_leads_customer_export_holds_the_customers_of_their_unit_with_chinese_headers(world, client_for):
    make_customer(world.am1, name="=HYPERLINK(\"http://x\")", code="C-EVIL", level="A")
    db.session.commit()
    response = client_for(world.lead).get("/exports/customers.xlsx")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"] and ".xlsx" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:4] == ("客户编码", "名称", "行业", "级别")
    names = {row[1] for row in rows[1:]}
    assert names == {"am1的客户", "am2的客户", "=HYPERLINK(\"http://x\")"}
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    evil = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "C-EVIL")
    assert evil[1].data_type == "s"


@pytest.mark.locale("en")
def test_the_export_applies_the_list_filters(world, client_for):
    make_customer(world.am1, name="滨江县人民医院", industry="医疗卫生", level="A")
    db.session.commit()
    client = client_for(world.lead)
    assert [row[1] for row in rows_of(client.get("/exports/customers.xlsx?industry=医疗卫生&page=3"))[1:]] == ["滨江县人民医院"]
    assert [row[1] for row in rows_of(client.get("/exports/customers.xlsx?q=am2"))[1:]] == ["am2的客户"]
    # A unit outside the lead's scope as a filter gives nothing, not that unit's customers.
    assert rows_of(client.get(f"/exports/customers.xlsx?unit={world.other_county.id}"))[1:] == []


def test_an_account_manager_without_the_export_right_gets_403(world, client_for):
    assert client_for(world.am1).get("/exports/customers.xlsx").status_code == 403
    assert client_for(world.am1).get("/exports/planets.xlsx").status_code == 404


@pytest.mark.locale("en")
def test_an_empty_scope_exports_the_headers_only(world, client_for):
    newcomer = grant(make_user("account_manager", world.grid1, "newcomer"), "customers.export")
    rows = rows_of(client_for(newcomer).get("/exports/customers.xlsx"))
    assert rows == [("Customer code", "Name", "Industry", "Level", "Account manager", "Username", "Unit code",
                     "Unit", "Address", "Created at")]


def test_counting_an_export_obeys_the_scope_rule(world):
    kind = get_export_kind("customers")
    for user, expected in ((world.am1, 1), (world.lead, 2), (world.admin, 3)):
        with acting_as(user.scope):
            assert services.count_rows(kind, user, {}) == expected


@pytest.mark.locale("en")
def test_the_inbox_export_holds_the_persons_own_open_to_dos(world, client_for):
    make_todo(world.am1, title="回访滨江医院")
    make_todo(world.am1, title="=1+1 提交方案", due_in=timedelta(days=-1))
    make_todo(world.am2, title="别人的待办")
    db.session.commit()
    client = client_for(world.am1)
    assert 'id="wb-todos-export"' in client.get("/inbox/").get_data(as_text=True)
    rows = rows_of(client.get("/exports/todos.xlsx"))
    assert rows[0] == ("Kind", "Title", "Priority", "Due", "Status", "Created at")
    assert [row[1] for row in rows[1:]] == ["=1+1 提交方案", "回访滨江医院"]
    assert [row[1] for row in rows_of(client.get("/exports/todos.xlsx?due=overdue"))[1:]] == ["=1+1 提交方案"]


@pytest.mark.locale("en")
def test_the_import_runs_export_holds_ones_own_runs(world, client_for):
    from tests.workbench.imports.samples import csv_bytes, imported

    imported(world.admin, "customers", "管理员的.csv", csv_bytes([["code", "name", "owner"], ["E1", "甲", "am1"]]))
    imported(world.am1, "contacts", "我的联系人.csv",
             csv_bytes([["客户编码", "联系人"], [world.customers["am1"].code, "王主任"]]))
    rows = rows_of(client_for(world.am1).get("/exports/imports.xlsx"))
    assert [(row[0], row[1], row[2], row[5]) for row in rows[1:]] == [("我的联系人.csv", "Customer contacts", "Finished", 1)]


@pytest.mark.locale("en")
@pytest.mark.app_config(WORKBENCH_EXPORT_INLINE_MAX_ROWS=2)
def test_a_large_export_is_prepared_in_the_background_for_its_creator_only(world, client_for):
    make_customer(world.am2, name="第三个客户", level="A")
    db.session.commit()
    lead = client_for(world.lead)
    page = lead.get("/exports/customers.xlsx?level=&q=客户").get_data(as_text=True)
    assert "This list has 3 rows, more than the 2" in page and 'name="q" value="客户"' in page
    assert db.session.execute(select(ExportFile)).first() is None  # nothing until asked

    response = lead.post("/exports/customers/background", data={"q": "客户"})
    assert response.status_code == 302
    export = db.session.execute(select(ExportFile)).scalar_one()
    assert (export.state, export.row_count, export.args, export.user_id) == ("done", 3, {"q": "客户"}, world.lead.id)
    job = job_for_key(export.job_key)
    assert job.state == "done" and job.progress_total == 3 and job.created_by_id == world.lead.id
    detail = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-job-state="done"' in detail and 'id="wb-export-download"' in detail
    rows = rows_of(lead.get(f"/exports/files/{export.id}/download"))
    assert len(rows) == 4 and {row[1] for row in rows[1:]} == {"am1的客户", "am2的客户", "第三个客户"}
    assert export.filename in lead.get("/exports/").get_data(as_text=True)

    for other in (world.admin, world.am2):
        client = client_for(other)
        assert client.get(f"/exports/files/{export.id}").status_code == 404
        assert client.get(f"/exports/files/{export.id}/download").status_code == 404


@pytest.mark.locale("en")
@pytest.mark.app_config(WORKBENCH_EXPORT_INLINE_MAX_ROWS=0)
def test_a_background_export_runs_in_its_creators_scope(world, client_for):
    client = client_for(grant(world.am1, "customers.export"))
    client.post("/exports/customers/background", data={})
    export = db.session.execute(select(ExportFile)).scalar_one()
    assert [row[1] for row in rows_of(client.get(f"/exports/files/{export.id}/download"))[1:]] == ["am1的客户"]


@pytest.mark.locale("en")
def test_a_background_export_of_someone_who_lost_the_right_fails_with_a_reason(world):
    lead = world.lead
    export = services.start_export(lead, get_export_kind("customers"), {})
    lead.active = False
    db.session.commit()
    db.session.expire_all()
    export = db.session.get(ExportFile, export.id)
    assert export.state == "failed" and "no longer export" in export.message
    assert services.file_of(export) is None


@pytest.mark.locale("en")
def test_old_export_files_are_removed_and_then_not_found(world, client_for, app):
    export = services.start_export(world.lead, get_export_kind("customers"), {})
    db.session.commit()
    export = db.session.get(ExportFile, export.id)
    path = services.file_of(export)
    assert path is not None and path.is_file()
    assert str(path).startswith(app.config["UPLOAD_DIR"])  # outside the web root (static/)
    export.finished_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert services.purge_expired() == {"expired": 1, "files": 0}
    db.session.commit()
    assert not path.exists() and export.state == "expired"
    client = client_for(world.lead)
    assert client.get(f"/exports/files/{export.id}/download").status_code == 404
    assert "This file was removed" in client.get(f"/exports/files/{export.id}").get_data(as_text=True)
