"""The import service without HTTP: good rows saved and bad rows reported by row and reason,
idempotent re-imports, scope and permission rules, units parent-first, users with roles, a
row the database refuses, and the import.finished event."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_user
from tests.workbench.imports.samples import CUSTOMER_HEADERS_ZH, csv_bytes, xlsx
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


def reasons(run: ImportRun) -> dict[int, str]:
    return {error["row"]: error["reason"] for error in run.errors}


def grant(user: User, *permissions: str) -> User:
    user.extra_permissions = list(permissions)
    db.session.commit()
    return user


def test_good_rows_are_saved_and_bad_rows_reported_with_row_and_reason(world):
    world.outsider.active = False
    db.session.flush()
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
    run = services.run_import(world.admin, "customers", "客户.xlsx", data)
    db.session.commit()
    assert (run.total_rows, run.created, run.updated, run.unchanged, run.failed) == (8, 2, 0, 0, 6)
    got = reasons(run)
    assert got[3] == "This field is required."
    assert got[4] == "Level must be one of A, B, C, D."
    assert "Unknown account manager username: nobody" in got[5]
    assert "Unknown unit code: NOPE" in got[6]
    assert "am3 is not active" in got[7]
    assert "more than once" in got[8] and "row 2" in got[8]
    by_row = {error["row"]: error for error in run.errors}
    assert by_row[3]["column"] == "客户名称"
    assert by_row[6]["column"] == "所属单位" and by_row[6]["value"] == "NOPE"
    assert customer("K001").name == "滨江县人民医院"
    assert customer("K007").org_unit_id == world.grid2.id and customer("K007").level == "C"
    for code in ("K002", "K003", "K004", "K005", "K006"):
        assert customer(code) is None


def test_re_importing_the_same_file_changes_nothing(world, count_queries):
    data = xlsx([CUSTOMER_HEADERS_ZH,
                 ["K101", "滨江县第一中学", "教育", "B", "am1", "G1", "学院路"],
                 ["K102", "江城精密机械", "制造业", "A", "am2", "G2", ""]])
    first = services.run_import(world.admin, "customers", "a.xlsx", data)
    db.session.commit()
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    stamps = {code: (customer(code).updated_at, customer(code).version) for code in ("K101", "K102")}
    with count_queries() as counter:
        second = services.run_import(world.admin, "customers", "a.xlsx", data)
        db.session.commit()
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 2, 0)
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all("import_run" in statement for statement in writes), writes
    db.session.expire_all()
    assert {code: (customer(code).updated_at, customer(code).version) for code in stamps} == stamps


def test_a_changed_row_updates_and_an_empty_optional_cell_keeps_the_stored_value(world):
    existing = world.customers["am1"]
    data = csv_bytes([["code", "name", "industry", "level", "owner"],
                      [existing.code, "新名称", "", "A", "am1"]])
    run = services.run_import(world.admin, "customers", "a.csv", data)
    db.session.commit()
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    db.session.expire_all()
    assert customer(existing.code).name == "新名称" and customer(existing.code).level == "A"
    assert customer(existing.code).industry == existing.industry


def test_gbk_csv_with_chinese_headers_imports(world):
    data = csv_bytes([CUSTOMER_HEADERS_ZH, ["K201", "滨江农村商业银行", "金融", "A", "am1", "G1", "江城"]], "gbk")
    run = services.run_import(world.admin, "customers", "客户.csv", data)
    assert run.created == 1 and customer("K201").name == "滨江农村商业银行"


def test_utf8_bom_csv_imports(world):
    data = csv_bytes([["code", "name", "owner"], ["K202", "滨江星辰酒店", "am2"]], "utf-8-sig")
    run = services.run_import(world.admin, "customers", "c.csv", data)
    assert run.created == 1 and customer("K202").owner_id == world.am2.id


def test_xlsx_with_formula_merged_cells_and_empty_rows_imports(world):
    data = xlsx(
        [CUSTOMER_HEADERS_ZH,
         ["K301", '=CONCATENATE("滨江","中医院")', "医疗卫生", "B", "am1", "G1", None],
         None,
         ["K302", "开发区物流园", "交通物流", "C", "am2", "G2", None],
         ["K303", "合并单元格客户", "制造业", None, "am2", "G2", None]],
        merge=["D5:E5"], formulas={"B2": "滨江中医院"})
    run = services.run_import(world.admin, "customers", "a.xlsx", data)
    assert customer("K301").name == "滨江中医院"
    assert customer("K302") is not None
    # D5:E5 merged: the level cell keeps the value, the owner cell is empty, so the owner is
    # missing and the unit G2 is used; the row is still good.
    assert customer("K303").owner_id is None and customer("K303").org_unit_id == world.grid2.id
    assert (run.created, run.failed) == (3, 0)


def test_a_missing_required_column_refuses_the_whole_file_and_saves_nothing(world):
    data = csv_bytes([["客户编码", "行业", "客户经理"], ["K401", "教育", "am1"]])
    with pytest.raises(ImportRefused, match="客户名称"):
        services.run_import(world.admin, "customers", "a.csv", data)
    assert customer("K401") is None
    assert db.session.execute(select(func.count(ImportRun.id))).scalar_one() == 0


def test_an_account_manager_may_not_import(world):
    with pytest.raises(NotAllowed):
        services.run_import(world.am1, "customers", "a.csv", csv_bytes([["code", "name"], ["K1", "a"]]))


def test_a_lead_importing_into_another_countys_unit_gets_a_row_error(world):
    lead = grant(world.lead, "customers.import")
    data = csv_bytes([["code", "name", "owner", "org_unit"],
                      ["K501", "县内客户", "am1", "G1"],
                      ["K502", "别的县的客户", "", "X2"],
                      ["K503", "别县经理的客户", "am3", ""],
                      [world.customers["am3"].code, "改别人的客户", "am1", "G1"]])
    run = services.run_import(lead, "customers", "a.csv", data)
    got = reasons(run)
    assert run.created == 1 and customer("K501") is not None
    assert "Unit X2 is outside your scope" in got[3]
    assert "am3 is outside your scope" in got[4]
    assert "belongs to a unit outside your scope" in got[5]
    db.session.expire_all()
    assert customer(world.customers["am3"].code).name == "am3的客户"


def test_a_row_the_database_refuses_is_rolled_back_alone(world, monkeypatch):
    original = CustomerRows.write

    def write(self, row, plan):
        if row.get("code") == "BOOM":
            # A second customer with an existing code: the unique index refuses the flush.
            db.session.add(Customer(code="K601", name="x", org_unit_id=world.grid1.id))
        return original(self, row, plan)

    monkeypatch.setattr(CustomerRows, "write", write)
    data = csv_bytes([["code", "name", "owner"], ["K601", "甲", "am1"], ["BOOM", "乙", "am1"], ["K602", "丙", "am1"]])
    run = services.run_import(world.admin, "customers", "a.csv", data)
    db.session.commit()
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
        run = services.run_import(world.admin, "customers", "a.csv",
                                  csv_bytes([["code", "name", "owner"], ["K701", "甲", "am1"]]))
    finally:
        pm.unregister(listener)
    finished = [event for event in seen if event.name == "import.finished"]
    assert len(finished) == 1
    assert finished[0].payload["import_run_id"] == run.id and finished[0].payload["created"] == 1
    assert finished[0].actor_id == world.admin.id


def test_units_are_created_parent_first_even_when_the_child_comes_first(world):
    data = csv_bytes([UNIT_HEADERS,
                      ["G9", "新网格", "网格", "X9"],
                      ["X9", "新县区", "县区", "C1"],
                      ["G8", "另一个网格", "grid", "X9"]])
    run = services.run_import(world.admin, "units", "units.csv", data)
    db.session.commit()
    assert (run.created, run.failed) == (3, 0)
    units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
    assert units["G9"].parent_id == units["X9"].id and units["X9"].parent_id == world.city.id
    assert units["G9"].path == f"{units['X9'].path}{units['G9'].id}/"
    again = services.run_import(world.admin, "units", "units.csv", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_unit_rows_with_a_bad_level_or_a_parent_of_the_wrong_level_are_reported(world):
    data = csv_bytes([UNIT_HEADERS,
                      ["Q1", "错误层级", "街道", "X1"],
                      ["Q2", "挂在网格下的县", "county", "G1"],
                      ["Q3", "没有上级的网格", "grid", ""],
                      ["Q4", "上级没导入", "grid", "Q2"],
                      ["G1", "改名的网格一", "grid", "X1"]])
    run = services.run_import(world.admin, "units", "u.csv", data)
    got = reasons(run)
    assert "Unknown level 街道" in got[2]
    assert "must be of a higher level" in got[3]
    assert "only a province can be at the top" in got[4]
    assert "was not imported (see row 3)" in got[5]
    assert (run.updated, run.failed) == (1, 4)
    assert world.grid1.name == "改名的网格一"


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
    run = services.run_import(world.admin, "users", "users.xlsx", data)
    db.session.commit()
    got = reasons(run)
    assert (run.created, run.failed) == (2, 5)
    assert "e-mail" in got[4] and "phone" in got[5] and "Unknown role: magician" in got[6]
    assert "Unknown unit code: G404" in got[7]
    by_row = {error["row"]: error for error in run.errors}
    assert by_row[8]["column"] == "初始密码" and by_row[8]["value"] == "***"
    zhang = db.session.execute(select(User).where(User.username == "zhangsan")).scalar_one()
    assert zhang.role_names == {"account_manager"} and zhang.org_unit_id == world.grid1.id
    assert verify_password("Qiye-2024-mima", zhang.password)
    lisi = db.session.execute(select(User).where(User.username == "lisi")).scalar_one()
    assert lisi.role_names == {"lead", "account_manager"} and lisi.password is None
    again = services.run_import(world.admin, "users", "users.xlsx", data)
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 2, 5)


def test_a_user_importer_cannot_grant_more_than_they_hold_nor_reach_outside_their_unit(world):
    lead = grant(world.lead, "admin.users")
    make_user("account_manager", world.other_county, "faraway")
    db.session.commit()
    data = csv_bytes([["username", "name", "org_unit", "roles"],
                      ["newam", "新经理", "G2", "account_manager"],
                      ["boss", "大领导", "G2", "province_admin"],
                      ["faraway", "远方", "G1", "account_manager"],
                      ["lead", "自己", "X1", "lead；account_manager"]])
    run = services.run_import(lead, "users", "u.csv", data)
    got = reasons(run)
    assert run.created == 1
    assert "may not grant the role province_admin" in got[3]
    assert "outside your scope" in got[4]
    assert "cannot change your own roles" in got[5]


def test_an_importer_sees_only_their_own_runs_unless_they_see_everything(world):
    lead = grant(world.lead, "customers.import")
    run = services.run_import(lead, "customers", "a.csv", csv_bytes([["code", "name", "owner"], ["K801", "甲", "am1"]]))
    db.session.commit()
    assert services.get_run(lead, run.id) is run
    assert services.get_run(world.admin, run.id) is run
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
    run = services.run_import(world.admin, "users", "u.csv", data)
    assert (run.created, run.failed) == (2, 1)
    assert "same@example.com is already used" in reasons(run)[3]
    assert db.session.execute(select(User).where(User.username == "third")).scalar_one()
