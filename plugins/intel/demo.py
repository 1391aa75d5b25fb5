"""Demo intelligence for `workbench demo`: the competitor list, and a dozen items about am1's
and am2's customers — some still waiting for screening, some rated and tagged, a duplicate
merged, and the valuable ones pushed to the account managers and the county lead (one of
them already read). Made through the services, so to-dos, notifications, audit entries and
events are the real ones; only the dates are spread over the last months."""
from __future__ import annotations

from datetime import timedelta

from plugins.intel import services
from workbench.extensions import db

# (owner, customer index, competitor, title, product, offer, source, days ago, screening)
# screening: None (waits), ("rate", value, tags), ("push", value, tags, [recipients]), ("merge", n)
ITEMS = [
    ("am1", 0, "中国移动", "移动推5G专网免费试用三个月", "5G行业专网", "试用期免费，正式后每月1.2万元", "visit", 3,
     ("push", "high", ["5G", "价格战"], ["am1", "lead"])),
    ("am1", 2, "中国联通", "联通报价银行专线低于我方两成", "互联网专线", "100M 每月2600元，三年合约", "customer", 8,
     ("push", "high", ["专线", "价格战"], ["am1", "lead", "am2"])),
    ("am1", 3, "中国移动", "移动为县政府办公室提供云电脑方案", "云电脑", "首年赠送50台终端", "tender", 15,
     ("rate", "medium", ["云电脑", "招投标"])),
    ("am1", 1, "中国广电", "广电以校园电视网切入第一中学", "校园电视网", "免费建设，按年收服务费", "colleague", 21,
     ("rate", "low", ["教育"])),
    ("am1", 2, "中国联通", "联通银行专线报价（重复上报）", "互联网专线", "100M 每月约2600元", "public", 9, ("merge", 1)),
    ("am1", 4, "长城宽带", "长城宽带在水务公司楼宇铺设光缆", "企业宽带", "300M 每月599元", "visit", 2, None),
    ("am1", 6, "中国移动", "移动给中医院推荐医疗物联网卡", "物联网卡", "每卡每月3元", "material", 40,
     ("rate", "worthless", [])),
    ("am2", 0, "中国联通", "联通对精密机械推出工业互联网平台", "工业互联网平台", "平台首年免费", "visit", 5,
     ("push", "high", ["工业互联网"], ["am2", "lead"])),
    ("am2", 1, "中国移动", "移动参与开发区管委会视频监控招标", "视频监控", "标书报价约85万元", "tender", 12,
     ("push", "medium", ["招投标", "视频监控"], ["am2"])),
    ("am2", 3, "阿里云", "阿里云向产业园推介云主机优惠", "云主机", "新客户三折", "partner", 33,
     ("rate", "medium", ["云"])),
    ("am2", 4, "中国移动", "移动为汽车零部件公司报集团V网套餐", "集团V网", "人均每月18元", "customer", 1, None),
    ("am2", 5, "地方有线电视网络公司", "地方有线网络低价接入冷链仓储", "企业宽带", "200M 每月399元", "visit", 55,
     ("rate", "low", ["宽带"])),
]


def seed(demo) -> None:
    services.ensure_competitors()
    users = demo.users
    admin = users.get("intel")
    if admin is None:
        return
    names = {row.name: row.id for row in services.competitors()}
    made = []
    for owner_name, customer_index, competitor, title, product, offer, source, days, screening in ITEMS:
        owner = users.get(owner_name)
        customers = demo.customers.get(owner_name) or []
        if owner is None or not customers:
            continue
        customer = customers[customer_index % len(customers)]
        item = services.submit_intel(owner, {
            "title": title, "competitor_id": names[competitor], "customer_id": customer.id, "product": product,
            "offer": offer, "source": source, "source_detail": f"{customer.name}信息科",
            "observed_on": (services.today() - timedelta(days=days)).isoformat(),
            "description": f"{title}。客户反馈对方近期多次上门沟通，建议尽快安排拜访并准备应对方案。"})
        item.created_at = item.created_at - timedelta(days=days)
        made.append(item)
        if screening is None:
            continue
        if screening[0] == "merge":
            services.merge(admin, item, made[screening[1]])
            continue
        services.rate(admin, item, value=screening[1], tags=screening[2],
                      note="已核实，信息可靠" if screening[1] in ("high", "medium") else "")
        if screening[0] == "push":
            recipients = [users[name].id for name in screening[3] if name in users]
            services.push(admin, item, recipients, note="请关注竞争动态，及时制定应对措施")
    # One recipient has already read theirs.
    lead = users.get("lead")
    if lead is not None and made:
        services.mark_read(lead, made[0])
    db.session.flush()
