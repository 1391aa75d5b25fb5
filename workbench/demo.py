"""Realistic demo data for `workbench demo`: an org tree, the demo accounts, customers with
contacts and member numbers, linked groups, and to-dos of every state.

Accounts (password `workbench`, demo only): admin (province + system admin), lead (county
lead of 滨江县分公司), am1 and am2 (account managers in that county), plus AMs elsewhere so
that data scope is visible; citymgr (江城 city manager), oppmgr and contractmgr (江城's
opportunity and contract managers), intel (intelligence admin), knowledge (knowledge admin)
and reporter (an information reporter in am1's grid). Plugins add their records through
workbench_seed_demo. Seeding is idempotent: it does nothing when `admin` exists.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from workbench.auth import services as accounts
from workbench.auth.models import User
from workbench.contracts import DemoData
from workbench.customers.models import Customer, CustomerContact, CustomerLink, CustomerMember
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.inbox.models import TodoItem
from workbench.org import services as org
from workbench.org.scope import system_scope
from workbench.records import utcnow

DEMO_PASSWORD = "workbench"

UNITS = [
    # code, name, level, parent code
    ("P-HQ", "省公司", "province", None),
    ("C-JC", "江城市分公司", "city", "P-HQ"),
    ("X-BJ", "滨江县分公司", "county", "C-JC"),
    ("G-BJ1", "滨江城区网格", "grid", "X-BJ"),
    ("G-BJ2", "滨江开发区网格", "grid", "X-BJ"),
    ("X-LH", "临湖区分公司", "county", "C-JC"),
    ("C-HZ", "海州市分公司", "city", "P-HQ"),
    ("X-HZKF", "海州经开区分公司", "county", "C-HZ"),
]

USERS = [
    # username, name, unit, roles
    ("admin", "系统管理员", "P-HQ", ["province_admin", "system_admin"]),
    ("lead", "王建国", "X-BJ", ["lead"]),
    ("am1", "李晓梅", "G-BJ1", ["account_manager"]),
    ("am2", "张伟", "G-BJ2", ["account_manager"]),
    ("citymgr", "陈志强", "C-JC", ["city_manager"]),
    ("am3", "刘芳", "X-LH", ["account_manager"]),
    ("am4", "赵磊", "X-HZKF", ["account_manager"]),
    ("oppmgr", "孙丽", "C-JC", ["opportunity_manager"]),
    ("contractmgr", "周敏", "C-JC", ["contract_manager"]),
    ("intel", "郑凯", "C-JC", ["intel_admin"]),
    ("knowledge", "吴静", "P-HQ", ["knowledge_admin"]),
    ("reporter", "何平", "G-BJ1", ["info_reporter"]),
]

CUSTOMERS = {
    "am1": [
        ("滨江县人民医院", "医疗卫生", "A"), ("滨江县第一中学", "教育", "B"), ("滨江农村商业银行", "金融", "A"),
        ("滨江县人民政府办公室", "政务", "A"), ("江城滨江水务有限公司", "公用事业", "B"),
        ("滨江物流园管理有限公司", "交通物流", "C"), ("滨江县中医院", "医疗卫生", "B"),
        ("滨江县市场监督管理局", "政务", "B"), ("滨江星辰酒店", "住宿餐饮", "C"), ("滨江县实验小学", "教育", "C"),
    ],
    "am2": [
        ("江城精密机械制造有限公司", "制造业", "A"), ("滨江开发区管委会", "政务", "A"),
        ("华晟新材料科技有限公司", "制造业", "B"), ("滨江电子信息产业园", "信息技术", "B"),
        ("江城汽车零部件有限公司", "制造业", "B"), ("滨江冷链仓储有限公司", "交通物流", "C"),
        ("开发区第二小学", "教育", "C"), ("滨江创新孵化中心", "信息技术", "C"),
    ],
    "am3": [("临湖区教育局", "教育", "A"), ("临湖湿地景区管理处", "文化旅游", "B"), ("临湖区人民医院", "医疗卫生", "A")],
    "am4": [("海州港务集团有限公司", "交通物流", "A"), ("海州经开区税务分局", "政务", "B")],
}

CONTACT_NAMES = ["周主任", "吴科长", "郑经理", "孙院长", "钱处长", "冯总", "何老师", "许工"]
CONTACT_TITLES = ["信息科主任", "办公室主任", "IT经理", "副院长", "采购负责人", "总经理", "网络管理员"]
PRODUCTS = ["集团专线", "5G行业专网", "企业宽带", "云电脑", "物联网卡", "集团V网", "移动办公"]

TASKS = [
    ("拜访{c}，了解专线扩容需求", -2), ("整理{c}本月收入异动情况并回复", 0),
    ("跟进{c}云电脑试用反馈", 1), ("核实{c}关键联系人变更", 3), ("准备{c}年度服务回访材料", 6),
    ("收集{c}竞争对手报价信息", 9),
]


def seed_demo(rng_seed: int = 20261122) -> bool:
    """Fill an empty database with the demo. Returns False if demo data is already there."""
    rng = random.Random(rng_seed)
    with system_scope():
        if db.session.execute(select(User.id).where(User.username == "admin")).first():
            return False
        roles = accounts.ensure_builtin_roles()
        units = {}
        for code, name, level, parent in UNITS:
            units[code] = org.create_unit(code=code, name=name, level=level, parent=units.get(parent))
        users = {}
        for username, name, unit_code, role_names in USERS:
            users[username] = accounts.create_user(
                username=username, password=DEMO_PASSWORD, display_name=name, unit=units[unit_code],
                roles=[roles[r] for r in role_names], phone=f"139{rng.randint(10000000, 99999999)}",
            )
        customers = _seed_customers(rng, users)
        _seed_links(customers)
        _seed_todos(rng, users, customers)
        _seed_announcements(users, units)
        db.session.flush()
        _seed_plugins(DemoData(users=users, units=units, customers=customers, rng=rng))
        db.session.commit()
    return True


def _seed_plugins(demo: DemoData) -> None:
    """Each enabled plugin adds its demo records, after the plugins it depends on."""
    from workbench.plugins import blame, call_impl, dependency_order, registry

    plugins = registry()
    impls = {impl.plugin_name: impl for impl in plugins.hook.workbench_seed_demo.get_hookimpls()}
    for name in dependency_order(plugins):
        if name in impls:
            with blame(name, "workbench_seed_demo failed"):
                call_impl(impls[name], demo=demo)
                db.session.flush()


def _seed_announcements(users: dict, units: dict) -> None:
    """Two published announcements: one to everybody, one to a city and its counties."""
    from workbench.notify import announcements

    admin = users["admin"]
    for title, body, target_all, unit_codes in (
        ("系统升级通知", "工作台将于本周六 22:00–24:00 升级，期间暂停使用，请提前保存工作。", True, ()),
        ("季度商机冲刺", "本季度末前请各网格完成存量客户走访，并在工作台录入商机与走访日志。", False, ("C-JC",)),
    ):
        announcement = announcements.create(admin, title=title, body=body, target_all=target_all,
                                            units=[units[code] for code in unit_codes])
        announcements.publish(admin, announcement)


def _seed_customers(rng: random.Random, users: dict) -> dict[str, list[Customer]]:
    by_owner: dict[str, list[Customer]] = {}
    number = 1000
    for username, rows in CUSTOMERS.items():
        owner = users[username]
        for name, industry, level in rows:
            number += 1
            customer = Customer(
                code=f"GC{number:07d}", name=name, industry=industry, level=level,
                address=f"{owner.org_unit.name}辖区{rng.randint(1, 300)}号", owner_id=owner.id,
                org_unit_id=owner.org_unit_id,
            )
            db.session.add(customer)
            db.session.flush()
            for i in range(rng.randint(1, 3)):
                db.session.add(CustomerContact(
                    customer_id=customer.id, name=rng.choice(CONTACT_NAMES), title=rng.choice(CONTACT_TITLES),
                    phone=f"13{rng.randint(100000000, 999999999)}", is_key=(i == 0)))
            for _ in range(rng.randint(5, 40)):
                db.session.add(CustomerMember(
                    customer_id=customer.id, number=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                    holder_name=rng.choice(["员工", "值班", "财务", "后勤"]) + str(rng.randint(1, 99)),
                    product=rng.choice(PRODUCTS), active=rng.random() > 0.1))
            by_owner.setdefault(username, []).append(customer)
    db.session.flush()
    return by_owner


def _seed_links(customers: dict[str, list[Customer]]) -> None:
    """A cross-region (双跨) medical group: the county hospital as headquarters of a branch."""
    hq = customers["am1"][0]
    for branch in (customers["am3"][2],):
        db.session.add(CustomerLink(parent_id=hq.id, child_id=branch.id, link_type="headquarters"))
    natural = customers["am2"][0]
    db.session.add(CustomerLink(parent_id=natural.id, child_id=customers["am2"][4].id, link_type="natural"))


def _seed_todos(rng: random.Random, users: dict, customers: dict) -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    lead = users["lead"]
    for username in ("am1", "am2", "am3", "am4"):
        owner = users[username]
        for index, customer in enumerate(customers[username][:6]):
            template, days = TASKS[index % len(TASKS)]
            inbox.open_todo(
                kind="task", title=template.format(c=customer.name), assignee=owner,
                due_at=now + timedelta(days=days, hours=rng.randint(1, 8)),
                priority=2 if days < 0 else 1, customer=customer,
                link=f"/customers/{customer.id}", created_by=lead if username in ("am1", "am2") else None,
            )
    with_progress = inbox.dispatch_task(
        lead, title="本周完成辖区重点客户走访并录入拜访纪要",
        description="每位客户经理至少走访3家A类客户，周五晨会汇报。",
        due_at=now + timedelta(days=4), priority=2, unit=users["lead"].org_unit,
    )
    db.session.flush()
    first = db.session.execute(
        select(TodoItem).where(TodoItem.dispatch_id == with_progress.id).order_by(TodoItem.id)
    ).scalars().first()
    if first is not None:
        inbox.mark_done(first, db.session.get(User, first.owner_id), "已走访3家，纪要已录入")
    citymgr = users["citymgr"]
    for title, days in (("审核滨江县本周客户走访计划", 0), ("汇总滨江县本月重点客户收入异动情况", 3)):
        inbox.open_todo(kind="task", title=title, assignee=lead, due_at=now + timedelta(days=days, hours=6),
                        created_by=citymgr)
    inbox.open_todo(kind="task", title="滨江城区网格：新入驻企业摸排（任一成员认领）",
                    unit=users["am1"].org_unit, due_at=now + timedelta(days=2), created_by=lead)
