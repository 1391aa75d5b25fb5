"""Demo data for `workbench demo`: the four resource types with their approval chains, a
catalogue of gifts, marketing material, experience cards and event funds, stock in the demo
city (江城) and its counties, and requests of am1 and am2 in every state — so the lead and the
city manager find approvals in their to-dos, the city manager an issue, and the account
managers a use to confirm. Runs in the system scope; the caller commits."""
from __future__ import annotations

from plugins.resources import services
from workbench.extensions import db

TYPES = [
    ("GIFT", "礼品", "客户答谢、节日慰问礼品", [{"role": "lead", "level": "county"},
                                        {"role": "city_manager", "level": "city"}]),
    ("MKT", "营销物料", "宣传折页、易拉宝、展架等", [{"role": "lead", "level": "county"}]),
    ("CARD", "体验卡", "云电脑、5G流量体验卡", [{"role": "lead", "level": "county"}]),
    ("FUND", "活动经费", "客户活动、沙龙经费（按元计）", [{"role": "lead", "level": "county"},
                                               {"role": "city_manager", "level": "city"}]),
]

# code, name, type, measure, unit value
ITEMS = [
    ("LP-001", "定制保温杯", "GIFT", "个", "68.00"),
    ("LP-002", "商务笔记本礼盒", "GIFT", "套", "45.00"),
    ("LP-003", "蓝牙音箱", "GIFT", "个", "199.00"),
    ("WL-001", "5G宣传折页", "MKT", "份", "1.50"),
    ("WL-002", "易拉宝展架", "MKT", "个", "120.00"),
    ("TY-001", "云电脑体验卡（1个月）", "CARD", "张", "99.00"),
    ("TY-002", "5G流量体验卡（30GB）", "CARD", "张", "50.00"),
    ("JF-001", "客户沙龙活动经费", "FUND", "元", "1.00"),
]

# item code, unit code, quantity, low threshold
STOCK = [
    ("LP-001", "C-JC", 120, 20), ("LP-002", "C-JC", 60, 10), ("LP-003", "C-JC", 6, 5),
    ("WL-001", "X-BJ", 2000, 200), ("WL-002", "X-BJ", 8, 3), ("TY-001", "X-BJ", 40, 10),
    ("TY-002", "C-JC", 300, 50), ("JF-001", "C-JC", 50000, 5000), ("LP-001", "X-LH", 30, 5),
    ("TY-001", "X-LH", 15, 5),
]

# owner, item code, quantity, title, purpose, target state
REQUESTS = [
    ("am1", "LP-001", 10, "年终客户答谢礼品", "年终走访重点客户，答谢全年合作。", "pending"),
    ("am2", "TY-001", 5, "云电脑试用推广", "开发区企业云电脑试用，随访发放体验卡。", "pending"),
    ("am1", "LP-003", 2, "医院信息科座谈礼品", "与信息科座谈，交流专线扩容方案。", "pending_city"),
    ("am2", "JF-001", 3000, "园区企业沙龙", "开发区企业数字化转型沙龙，场地与茶歇。", "approved"),
    ("am1", "WL-001", 300, "政务中心宣传", "政务服务中心5G业务宣传。", "issued"),
    ("am2", "LP-002", 6, "管委会拜访礼品", "拜访开发区管委会领导。", "used"),
    ("am1", "TY-002", 20, "学校流量体验", "学校教职工5G流量体验活动。", "rejected"),
    ("am2", "WL-002", 2, "展会展架", "参加区商会展会。", "cancelled"),
]


def seed(demo) -> None:
    users = demo.users
    admin = users.get("citymgr") or users["admin"]
    types = {}
    for code, name, description, steps in TYPES:
        types[code] = services.save_type(users["admin"], {"code": code, "name": name, "description": description,
                                                         "steps": steps, "active": True})
    items = {}
    for code, name, type_code, measure, value in ITEMS:
        items[code] = services.save_item(users["admin"], {"code": code, "name": name, "type_id": types[type_code].id,
                                                         "measure": measure, "unit_value": value, "active": True})
    stocks = {}
    for item_code, unit_code, quantity, low in STOCK:
        unit = demo.units.get(unit_code)
        if unit is None:
            continue
        stocks[(item_code, unit_code)] = services.open_stock(users["admin"], items[item_code].id, unit.id,
                                                             low_threshold=low, quantity=quantity,
                                                             reason="期初入库")
    db.session.flush()
    for index, (owner_name, item_code, quantity, title, purpose, target) in enumerate(REQUESTS):
        owner = users.get(owner_name)
        customers = demo.customers.get(owner_name) or []
        if owner is None or not customers:
            continue
        drawable = set(services.drawable_unit_ids(owner))
        stock = next((found for (code, _unit), found in stocks.items()
                      if code == item_code and found.org_unit_id in drawable), None)
        if stock is None:
            continue
        customer = customers[(index * 3 + demo.rng.randint(0, 2)) % len(customers)]
        request = services.create_request(owner, customer_id=customer.id, title=title, purpose=purpose,
                                          lines=[{"stock_id": stock.id, "quantity": quantity}])
        if target == "pending":
            continue
        if target == "cancelled":
            services.cancel(owner, request, "展会延期，暂不需要。")
            continue
        lead = services.approvers(services.current_step(request), exclude={owner.id})[0]
        if target == "rejected":
            services.reject(lead, request, "体验卡本月额度已用完，请下月再申请。")
            continue
        services.approve(lead, request, "同意")
        if target == "pending_city":
            continue
        while request.state == services.State.PENDING.value:
            decider = services.approvers(services.current_step(request), exclude={owner.id})[0]
            services.approve(decider, request, "同意")
        if target == "approved":
            continue
        services.issue(admin, request, "已当面交付")
        if target == "issued":
            continue
        services.confirm_use(owner, request, note="已在拜访时交付客户，客户表示感谢。")
    db.session.flush()
