"""The import service without HTTP: good rows saved and bad rows reported by row and reason,
idempotent re-imports, scope and permission rules, units parent-first, users with roles, a
row the database refuses, and the import.finished event. Each file goes through the steps
the pages take (samples.imported): upload, confirm the columns, commit — the job runs."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_user
from tests.workbench.imports.samples import CUSTOMER_HEADERS_ZH, csv_bytes, imported, problems, reasons, xlsx
from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.errors import NotAllowed
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.imports import services
from workbench.imports.models import ImportRun
from workbench.imports.readers import ImportRefused
from workbench.imports.rows import CustomerRows
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")

UNIT_HEADERS = ["单位编码", "单位名称", "层级", "上级单位编码"]
USER_HEADERS = ["用户名", "姓名", "邮箱", "手机", "所属单位", "角色", "初始密码"]


def customer(code: str) -> Customer | None:
    with system_scope():
        return db.session.execute(select(Customer).where(Customer.code == code)).scalar_one_or_none()


def grant(user: User, *permissions: str) -> User:
    user.extra_permissions = list(permissions)
    db.session.commit()
    return user


def test_good_rows_are_saved_and_bad_rows_reported_with_row_and_reason(world):
    world.outsider.active = False
    db.session.commit()
    data = xlsx([
        CUSTOMER_HEADERS_ZH,
        ["K001", "滨江县人民医院", "医疗卫生", "A", "am1", "G1", "滨江路1号"],   # row 2: good
        ["K002", "", "教育", "B", "am1", "G1", ""],                            # 3: name missing
        ["K003", "华晟科技", "制造业", "E", "am1", "G1", ""],                   # 4: bad level
        ["K004", "滨江银行", "金融", "A", "nobody", "G1", ""],                  # 5: unknown owner
        ["K005", "滨江水务", "公用事业", "B", "am1", "NOPE", ""],               # 6: unknown unit
        ["K006", "临湖中学", "教育", "C", "am3", "X2", ""],                     # 7: owner not active
        ["K001", "重复的医院", "医疗卫生", "A", "am1", "G1", ""],                # 8: duplicate code
        ["K007", "开发区管委会", "政务", "", "am2", "", ""],                      # 9: good, unit from owner
    ])
    run = imported(world.admin, "customers", "客户.xlsx", data)
    assert run.state == "done"
    assert (run.total_rows, run.created, run.updated, run.unchanged, run.failed) == (8, 2, 0, 0, 6)
    got = reasons(run)
    assert got[3] == "This field is required."
    assert got[4] == "Level must be one of A, B, C, D."
    assert "Unknown account manager username: nobody" in got[5]
    assert "Unknown unit code: NOPE" in got[6]
    assert "am3 is not active" in got[7]
    assert "more than once" in got[8] and "row 2" in got[8]
    by_row = problems(run)
    assert by_row[3][0]["title"] == "客户名称" and by_row[3][0]["index"] == 1
    assert by_row[6][0]["title"] == "所属单位" and by_row[6][0]["value"] == "NOPE"
    assert customer("K001").name == "滨江县人民医院"
    assert customer("K007").org_unit_id == world.grid2.id and customer("K007").level == "C"
    for code in ("K002", "K003", "K004", "K005", "K006"):
        assert customer(code) is None


def test_every_bad_cell_of_a_row_is_reported_with_the_original_row(world):
    data = csv_bytes([["code", "name", "industry"], ["K010", "", "x" * 101]])
    run = imported(world.admin, "customers", "a.csv", data)
    (entry,) = services.row_errors(run)
    assert entry.cells == ["K010", "", "x" * 101]
    assert [(p["column"], p["reason"]) for p in entry.problems] == [
        ("name", "This field is required."), ("industry", "Too long (at most 100 characters).")]


def test_re_importing_the_same_file_changes_nothing(world, count_queries):
    data = xlsx([CUSTOMER_HEADERS_ZH,
                 ["K101", "滨江县第一中学", "教育", "B", "am1", "G1", "学院路"],
                 ["K102", "江城精密机械", "制造业", "A", "am2", "G2", ""]])
    first = imported(world.admin, "customers", "a.xlsx", data)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    stamps = {code: (customer(code).updated_at, customer(code).version) for code in ("K101", "K102")}
    with count_queries() as counter:
        second = imported(world.admin, "customers", "a.xlsx", data)
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 2, 0)
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all(("import_run" in statement or "job" in statement) for statement in writes), writes
    assert not any("customer" in statement for statement in writes)
    db.session.expire_all()
    assert {code: (customer(code).updated_at, customer(code).version) for code in stamps} == stamps


def test_a_changed_row_updates_and_an_empty_optional_cell_keeps_the_stored_value(world):
    existing = world.customers["am1"]
    industry = existing.industry
    data = csv_bytes([["code", "name", "industry", "level", "owner"],
                      [existing.code, "新名称", "", "A", "am1"]])
    run = imported(world.admin, "customers", "a.csv", data)
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    assert customer(existing.code).name == "新名称" and customer(existing.code).level == "A"
    assert customer(existing.code).industry == industry


def test_gbk_csv_with_chinese_headers_imports(world):
    data = csv_bytes([CUSTOMER_HEADERS_ZH, ["K201", "滨江农村商业银行", "金融", "A", "am1", "G1", "江城"]], "gbk")
    run = imported(world.admin, "customers", "客户.csv", data)
    assert run.created == 1 and customer("K201").name == "滨江农村商业银行"


def test_utf8_bom_csv_imports(world):
    data = csv_bytes([["code", "name", "owner"], ["K202", "滨江星辰酒店", "am2"]], "utf-8-sig")
    run = imported(world.admin, "customers", "c.csv", data)
    assert run.created == 1 and customer("K202").owner_id == world.am2.id


def test_xlsx_with_formulas_merged_cells_and_blank_rows(world):
    data = xlsx(
        [CUSTOMER_HEADERS_ZH,
         ["K301", '=CONCATENATE("滨江","中医院")', "医疗卫生", "B", "am1", "G1", None],
         None,
         ["K302", "开发区物流园", "交通物流", "C", "am2", "G2", None],
         ["K303", "合并单元格客户", "制造业", "B", "am2", "G2", None],
         ["K304", "=A6&\"公司\"", "制造业", "B", "am2", "G2", None]],
        merge=["D5:E5"], formulas={"B2": "滨江中医院", "B6": None})
    run = imported(world.admin, "customers", "a.xlsx", data)
    assert customer("K301").name == "滨江中医院"  # the value Excel calculated
    assert customer("K302") is not None            # the blank row 3 is skipped
    got = reasons(run)
    assert "D5:E5 are merged" in got[5] and customer("K303") is None
    assert "without a calculated value" in got[6] and customer("K304") is None
    assert (run.created, run.failed) == (2, 2)


def test_a_file_refused_at_upload_stores_nothing(world, app):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    for data, name, message in (
        (csv_bytes([["客户编码", "行业", "客户经理"]]), "a.csv", "no rows"),
        (b"", "a.csv", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "a.xlsx", "not a real Excel workbook"),
    ):
        with pytest.raises(ImportRefused, match=message):
            services.upload(world.admin, "customers", name, data)
        db.session.rollback()
    assert db.session.execute(select(func.count(ImportRun.id))).scalar_one() == 0
    assert not folder.exists() or list(folder.iterdir()) == []


def test_the_upload_is_stored_under_a_generated_name_and_removed_when_done(world, app):
    from pathlib import Path

    run = services.upload(world.admin, "customers", "../../etc/客户 清单.csv",
                          csv_bytes([["code", "name", "owner"], ["K250", "甲", "am1"]]))
    db.session.commit()
    stored = Path(app.config["UPLOAD_DIR"]) / "imports" / run.stored_name
    assert run.filename == "客户 清单.csv" and stored.is_file()
    assert "客户" not in run.stored_name and run.stored_name.endswith(".csv")
    assert not str(stored.resolve()).startswith(str(Path(app.root_path, "static").resolve()))
    services.start(world.admin, run, {0: "code", 1: "name", 2: "owner"})
    db.session.commit()
    db.session.expire_all()
    assert run.state == "done" and run.stored_name is None and not stored.exists()


def test_a_missing_required_column_cannot_start_and_saves_nothing(world):
    run = services.upload(world.admin, "customers", "a.csv", csv_bytes([["客户编码", "行业", "客户经理"],
                                                                         ["K401", "教育", "am1"]]))
    db.session.commit()
    with pytest.raises(services.MappingRefused) as refused:
        services.start(world.admin, run, {0: "code", 1: "industry", 2: "owner"})
    assert "客户名称 (name)" in str(refused.value.problems[""][0])
    db.session.rollback()
    assert run.state == "mapping" and customer("K401") is None


def test_an_unrecognised_header_can_be_mapped_to_a_column(world):
    data = csv_bytes([["编号", "单位全称", "客户经理"], ["K402", "映射的客户", "am1"]])
    run = services.upload(world.admin, "customers", "a.csv", data)
    assert run.mapping == {"2": "owner"}
    db.session.commit()
    run = imported(world.admin, "customers", "a.csv", data, mapping={0: "code", 1: "name", 2: "owner"})
    assert run.created == 1 and customer("K402").name == "映射的客户"


def test_duplicate_headers_must_be_resolved_before_starting(world):
    data = csv_bytes([["客户编码", "客户名称", "客户名称", "客户经理"], ["K403", "甲", "乙", "am1"]])
    run = services.upload(world.admin, "customers", "a.csv", data)
    db.session.commit()
    suggested = {int(index): key for index, key in run.mapping.items()}
    assert suggested == {0: "code", 1: "name", 2: "name", 3: "owner"}
    with pytest.raises(services.MappingRefused) as refused:
        services.start(world.admin, run, suggested)
    assert set(refused.value.problems) == {"1", "2"}
    assert "chosen for several columns" in str(refused.value.problems["2"][0])
    db.session.rollback()
    services.start(world.admin, run, {0: "code", 1: None, 2: "name", 3: "owner"})
    db.session.commit()
    assert customer("K403").name == "乙"


def test_an_account_manager_may_not_import_customers(world):
    with pytest.raises(NotAllowed):
        services.upload(world.am1, "customers", "a.csv", csv_bytes([["code", "name"], ["K1", "a"]]))


def test_a_lead_importing_into_another_countys_unit_gets_a_row_error(world):
    lead = grant(world.lead, "customers.import")
    data = csv_bytes([["code", "name", "owner", "org_unit"],
                      ["K501", "县内客户", "am1", "G1"],
                      ["K502", "别的县的客户", "", "X2"],
                      ["K503", "别县经理的客户", "am3", ""],
                      [world.customers["am3"].code, "改别人的客户", "am1", "G1"]])
    run = imported(lead, "customers", "a.csv", data)
    got = reasons(run)
    assert run.created == 1 and customer("K501") is not None
    assert "Unit X2 is outside your scope" in got[3]
    assert "am3 is outside your scope" in got[4]
    assert "belongs to a unit outside your scope" in got[5]
    assert customer(world.customers["am3"].code).name == "am3的客户"


def test_an_account_manager_importing_touches_only_their_own_customers(world):
    """An AM allowed to import: new customers become theirs; a colleague's customer — even in
    the same grid — another owner, or another unit is refused row by row."""
    am1 = grant(world.am1, "customers.import")
    colleague = make_user("account_manager", world.grid1, "colleague")
    from tests.support.factories import make_customer

    theirs = make_customer(colleague, name="同网格同事的客户", code="K690")
    db.session.commit()
    data = csv_bytes([["code", "name", "owner", "org_unit"],
                      ["K601", "我的新客户", "", ""],
                      [world.customers["am1"].code, "我的老客户改名", "", ""],
                      [theirs.code, "改同事的客户", "", ""],
                      ["K602", "给别人的客户", "colleague", ""],
                      ["K603", "放到别的网格", "", "G2"],
                      [world.customers["am2"].code, "改别人的客户", "", ""]])
    run = imported(am1, "customers", "a.csv", data)
    got = reasons(run)
    assert (run.created, run.updated, run.failed) == (1, 1, 4)
    assert customer("K601").owner_id == world.am1.id and customer("K601").org_unit_id == world.grid1.id
    assert customer(world.customers["am1"].code).name == "我的老客户改名"
    assert "outside your scope" in got[4] and "colleague is outside your scope" in got[5]
    assert "Unit G2 is outside your scope" in got[6] and "outside your scope" in got[7]
    assert customer(theirs.code).name == "同网格同事的客户"
    assert customer(world.customers["am2"].code).name == "am2的客户"


def test_contacts_are_imported_only_for_customers_in_the_importers_scope(world):
    mine, other = world.customers["am1"], world.customers["am2"]
    data = csv_bytes([["客户编码", "联系人", "职务", "电话", "关键联系人"],
                      [mine.code, "王主任", "信息中心主任", "13800000001", "是"],
                      [other.code, "李经理", "", "", ""],
                      [mine.code, "赵会计", "", "not a phone", ""]])
    run = imported(world.am1, "contacts", "联系人.csv", data)
    got = reasons(run)
    assert (run.created, run.failed) == (1, 2)
    assert f"No customer with code {other.code} in your scope" in got[3]
    assert "phone number" in got[4]
    again = imported(world.am1, "contacts", "联系人.csv", data)
    assert (again.created, again.unchanged) == (0, 1)
    from workbench.customers.models import CustomerContact

    (contact,) = db.session.execute(select(CustomerContact)).scalars().all()
    assert (contact.name, contact.is_key, contact.customer_id) == ("王主任", True, mine.id)


def test_member_numbers_are_upserted_by_customer_and_number(world):
    from workbench.customers.models import CustomerMember

    mine = world.customers["am1"]
    data = csv_bytes([["客户编码", "成员号码", "使用人", "产品", "在用"],
                      [mine.code, "139 0000 0001", "张三", "集团V网", ""],
                      [mine.code, "13900000002", "李四", "", "否"]])
    run = imported(world.admin, "members", "成员.csv", data)
    assert run.created == 2
    changed = csv_bytes([["客户编码", "成员号码", "产品"], [mine.code, "13900000001", "5G套餐"]])
    run = imported(world.admin, "members", "成员.csv", changed)
    assert (run.created, run.updated) == (0, 1)
    members = {m.number: m for m in db.session.execute(select(CustomerMember)).scalars()}
    assert set(members) == {"13900000001", "13900000002"}
    assert members["13900000001"].product == "5G套餐" and members["13900000002"].active is False


def test_a_row_the_database_refuses_is_rolled_back_alone(world, monkeypatch):
    original = CustomerRows.write

    def write(self, row, plan):
        if row.get("code") == "BOOM":
            # A second customer with an existing code: the unique index refuses the flush.
            db.session.add(Customer(code="K601", name="x", org_unit_id=world.grid1.id))
        return original(self, row, plan)

    monkeypatch.setattr(CustomerRows, "write", write)
    data = csv_bytes([["code", "name", "owner"], ["K601", "甲", "am1"], ["BOOM", "乙", "am1"], ["K602", "丙", "am1"]])
    run = imported(world.admin, "customers", "a.csv", data)
    assert (run.created, run.failed) == (2, 1)
    assert "database refused" in reasons(run)[3]
    assert customer("BOOM") is None and customer("K601").name == "甲" and customer("K602") is not None


def test_import_finished_is_emitted_with_the_counts(app, world):
    seen = []

    class Listener:
        @hookimpl
        def workbench_handle_event(self, event):
            seen.append(event)

    pm = app.extensions["workbench.plugins"].pm
    listener = Listener()
    pm.register(listener)
    try:
        run = imported(world.admin, "customers", "a.csv", csv_bytes([["code", "name", "owner"], ["K701", "甲", "am1"]]))
    finally:
        pm.unregister(listener)
    finished = [event for event in seen if event.name == "import.finished"]
    assert len(finished) == 1
    assert finished[0].payload["import_run_id"] == run.id and finished[0].payload["created"] == 1
    assert finished[0].payload["kind"] == "customers" and finished[0].payload["filename"] == "a.csv"
    assert finished[0].actor_id == world.admin.id


def test_units_are_created_parent_first_even_when_the_child_comes_first(world):
    data = csv_bytes([UNIT_HEADERS,
                      ["G9", "新网格", "网格", "X9"],
                      ["X9", "新县区", "县区", "C1"],
                      ["G8", "另一个网格", "grid", "X9"]])
    run = imported(world.admin, "units", "units.csv", data)
    assert (run.created, run.failed) == (3, 0)
    units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
    assert units["G9"].parent_id == units["X9"].id and units["X9"].parent_id == world.city.id
    assert units["G9"].path == f"{units['X9'].path}{units['G9'].id}/"
    again = imported(world.admin, "units", "units.csv", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_unit_rows_with_a_bad_level_or_a_parent_of_the_wrong_level_are_reported(world):
    data = csv_bytes([UNIT_HEADERS,
                      ["Q1", "错误层级", "街道", "X1"],
                      ["Q2", "挂在网格下的县", "county", "G1"],
                      ["Q3", "没有上级的网格", "grid", ""],
                      ["Q4", "上级没导入", "grid", "Q2"],
                      ["G1", "改名的网格一", "grid", "X1"]])
    run = imported(world.admin, "units", "u.csv", data)
    got = reasons(run)
    assert "Unknown level 街道" in got[2]
    assert "must be of a higher level" in got[3]
    assert "only a province can be at the top" in got[4]
    assert "was not imported (see row 3)" in got[5]
    assert (run.updated, run.failed) == (1, 4)
    db.session.expire_all()
    assert db.session.get(OrgUnit, world.grid1.id).name == "改名的网格一"


def test_users_are_created_with_roles_and_the_initial_password(world, app):
    from flask_security.utils import verify_password

    data = xlsx([USER_HEADERS,
                 ["zhangsan", "张三", "zhangsan@example.com", "138 0000 0000", "G1", "account_manager",
                  "Qiye-2024-mima"],
                 ["LiSi", "李四", "", "", "X1", "lead、account_manager", ""],
                 ["wangwu", "王五", "not-an-email", "", "G1", "account_manager", ""],
                 ["zhaoliu", "赵六", "", "phone?", "G1", "account_manager", ""],
                 ["sunqi", "孙七", "", "", "G1", "magician", ""],
                 ["zhouba", "周八", "", "", "G404", "account_manager", ""],
                 ["wujiu", "吴九", "", "", "G1", "account_manager", "short"]])
    run = imported(world.admin, "users", "users.xlsx", data)
    got = reasons(run)
    assert (run.created, run.failed) == (2, 5)
    assert "e-mail" in got[4] and "phone" in got[5] and "Unknown role: magician" in got[6]
    assert "Unknown unit code: G404" in got[7]
    by_row = problems(run)
    assert by_row[8][0]["title"] == "初始密码" and by_row[8][0]["value"] == "***"
    (entry,) = [e for e in services.row_errors(run) if e.row_number == 8]
    assert "short" not in entry.cells and entry.cells[6] == "***"
    zhang = db.session.execute(select(User).where(User.username == "zhangsan")).scalar_one()
    assert zhang.role_names == {"account_manager"} and zhang.org_unit_id == world.grid1.id
    assert verify_password("Qiye-2024-mima", zhang.password)
    lisi = db.session.execute(select(User).where(User.username == "lisi")).scalar_one()
    assert lisi.role_names == {"lead", "account_manager"} and lisi.password is None
    again = imported(world.admin, "users", "users.xlsx", data)
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 2, 5)


@pytest.mark.plugins()  # the core's own types and kinds, whatever plugins are installed
def test_a_user_importer_cannot_grant_more_than_they_hold_nor_reach_outside_their_unit(world):
    lead = grant(world.lead, "admin.users")
    make_user("account_manager", world.other_county, "faraway")
    db.session.commit()
    data = csv_bytes([["username", "name", "org_unit", "roles"],
                      ["newam", "新经理", "G2", "account_manager"],
                      ["boss", "大领导", "G2", "province_admin"],
                      ["faraway", "远方", "G1", "account_manager"],
                      ["lead", "自己", "X1", "lead；account_manager"]])
    run = imported(lead, "users", "u.csv", data)
    got = reasons(run)
    assert run.created == 1
    assert "may not grant the role province_admin" in got[3]
    assert "outside your scope" in got[4]
    assert "cannot change your own roles" in got[5]


def test_an_importer_sees_only_their_own_runs_unless_they_see_everything(world):
    lead = grant(world.lead, "customers.import")
    run = imported(lead, "customers", "a.csv", csv_bytes([["code", "name", "owner"], ["K801", "甲", "am1"]]))
    assert services.get_run(lead, run.id).id == run.id
    assert services.get_run(world.admin, run.id).id == run.id
    grant(world.am1, "customers.import")
    with pytest.raises(services.NotFound):
        services.get_run(world.am1, run.id)
    assert [r.id for r in db.session.execute(services.runs_query(lead)).scalars()] == [run.id]
    assert db.session.execute(services.runs_query(world.am1)).first() is None


def test_two_new_users_with_the_same_email_in_one_file_only_the_second_fails(world):
    data = csv_bytes([["username", "email", "org_unit", "roles"],
                      ["first", "same@example.com", "G1", "account_manager"],
                      ["second", "same@example.com", "G1", "account_manager"],
                      ["third", "third@example.com", "G1", "account_manager"]])
    run = imported(world.admin, "users", "u.csv", data)
    assert (run.created, run.failed) == (2, 1)
    assert "same@example.com is already used" in reasons(run)[3]
    assert db.session.execute(select(User).where(User.username == "third")).scalar_one()


def test_stale_drafts_and_orphan_files_are_purged(world, app):
    import os
    from datetime import timedelta
    from pathlib import Path

    from workbench.records import utcnow

    draft = services.upload(world.admin, "customers", "a.csv", csv_bytes([["code", "name"], ["K901", "甲"]]))
    fresh = services.upload(world.admin, "customers", "b.csv", csv_bytes([["code", "name"], ["K902", "乙"]]))
    draft.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    orphan = folder / ("0" * 32 + ".csv")
    orphan.write_bytes(b"code,name\n")
    old = utcnow().timestamp() - 2 * 86400
    os.utime(orphan, (old, old))
    draft_file = folder / draft.stored_name
    assert services.purge_stale() == {"drafts": 1, "files": 1}
    db.session.commit()
    assert draft.state == "cancelled" and not draft_file.exists() and not orphan.exists()
    assert fresh.state == "mapping" and (folder / fresh.stored_name).exists()
