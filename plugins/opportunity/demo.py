"""Demo opportunities for `workbench demo`: every stage of the flow for am1's and am2's
customers, some in the pool with claims, some overdue, a few signed or closed, spread over
this month and last (the summary's charts use them). Made through the services, so to-dos,
step logs, audit entries and events are the real ones; only the dates are moved back."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from workbench.extensions import db
from workbench.records import utcnow
from plugins.opportunity import services
from plugins.opportunity.models import Claim, StepLog

# stage reached → how many opportunities (per AM)
PLAN = [("new", 1), ("pool", 2), ("assignment", 2), ("survey_review", 1), ("confirmation", 1),
        ("pre_execution", 2), ("signed", 3), ("closed", 1)]
CATEGORY_WEIGHTS = ["leased_line_internet", "leased_line_data", "leased_line_internet", "leased_line_voice",
                    "leased_line_sdwan", "enterprise_broadband", "iot", "cloud", "idc", "industry_sms", "vpn_group",
                    "ict_integration", "private_5g", "cloud_desktop", "video_surveillance", "mobile_office",
                    "cloud_pbx", "group_mobile", "smart_industry"]
NEEDS = {"leased_line": "新增分支机构互联，要求双路由保障", "enterprise_broadband": "办公区宽带提速",
         "iot": "设备联网与集中管理", "cloud": "业务系统上云", "idc": "核心系统托管", "industry_sms": "业务通知短信",
         "vpn_group": "全员集团V网", "ict_integration": "信息化系统集成建设", "private_5g": "园区5G专网覆盖",
         "cloud_desktop": "云电脑替换老旧终端", "video_surveillance": "园区视频监控", "mobile_office": "移动办公平台",
         "cloud_pbx": "统一云总机", "group_mobile": "员工集团成员套餐", "smart_industry": "行业信息化应用"}
FOLLOWUP_NOTES = ["上门拜访信息科，确认需求范围", "电话沟通预算与时间安排", "发送产品资料并约定演示", "与采购负责人沟通报价"]


def sample_details(category, rng) -> dict:
    values = {}
    for field in category.fields:
        kind = field["type"]
        if kind == "integer":
            values[field["key"]] = rng.randint(1, 12) if field["key"] in ("sites", "branches") else rng.randint(5, 300)
        elif kind == "number":
            values[field["key"]] = rng.choice([50, 100, 200, 500, 1000])
        elif kind == "choice":
            values[field["key"]] = rng.choice(field["choices"])
        elif kind == "textarea":
            values[field["key"]] = "\n".join(rng.sample(["滨江路18号", "江城大道66号", "开发区科创路9号", "临江街3号"], 2))
        elif kind == "date":
            values[field["key"]] = utcnow().date().isoformat()
        else:
            values[field["key"]] = "园区及周边"
    return values


def _backdate(item, days: int, rng) -> None:
    """Move an opportunity's history `days` back (created, steps, follow-ups)."""
    shift = timedelta(days=days, hours=rng.randint(0, 8))
    item.created_at = item.created_at - shift
    item.stage_entered_at = item.stage_entered_at - shift
    if item.stage_due_at is not None:
        # most steps are still within their deadline; seed() makes a few overdue on purpose
        item.stage_due_at = utcnow() + timedelta(hours=rng.randint(4, max(5, services.sla_hours(item.stage))))
    if item.signed_at is not None:
        item.signed_at = item.signed_at - shift
    if item.closed_at is not None:
        item.closed_at = item.closed_at - shift
    for step in db.session.execute(select(StepLog).where(StepLog.opportunity_id == item.id)).scalars():
        step.at = step.at - shift
    for row in db.session.execute(select(Claim).where(Claim.opportunity_id == item.id)).scalars():
        row.created_at = row.created_at - shift


def seed(demo) -> None:
    services.ensure_catalogue()
    users = demo.users
    oppmgr, lead = users.get("oppmgr"), users.get("lead")
    if oppmgr is None or lead is None:
        return
    rng = demo.rng
    reporter = users.get("reporter")
    for username in ("am1", "am2"):
        am, other = users[username], users["am2" if username == "am1" else "am1"]
        customers = demo.customers.get(username) or []
        if not customers:
            continue
        number = 0
        for stage, count in PLAN:
            for _ in range(count):
                customer = customers[number % len(customers)]
                number += 1
                category = services.get_category(rng.choice(CATEGORY_WEIGHTS))
                family = category.parent.code if category.parent is not None else category.code
                creator = reporter if (reporter is not None and username == "am1" and number % 4 == 0) else am
                if creator is reporter and customer.owner_id != reporter.id:
                    creator = am
                item = services.create_opportunity(
                    creator, customer=customer, kind=rng.choice(["demand", "demand", "competitive"]),
                    category_code=category.code, title=f"{customer.name}{category.name}需求",
                    description=NEEDS.get(family, "客户提出新的业务需求"),
                    expected_revenue=rng.choice([12000, 36000, 58000, 96000, 150000, 280000]),
                    details=sample_details(category, rng))
                _walk(item, stage, am, other, oppmgr, lead, rng)
                days = rng.randint(0, 50)
                _backdate(item, days, rng)
                if stage in ("assignment", "survey_review", "confirmation") and number % 2 == 0:
                    item.stage_due_at = utcnow() - timedelta(hours=rng.randint(2, 60))  # overdue
                if stage not in ("new", "closed"):
                    for index in range(rng.randint(0, 2)):
                        services.record_followup(item, item.owner, kind=rng.choice(["visit", "call", "note"]),
                                                 note=rng.choice(FOLLOWUP_NOTES),
                                                 happened_at=utcnow() - timedelta(days=max(0, days - 3 - index)))
    db.session.flush()


def _walk(item, stage, am, other, oppmgr, lead, rng) -> None:
    if stage == "new":
        return
    if stage == "pool":
        services.publish_to_pool(item, oppmgr, claim_hours=rng.choice([24, 48, 72]))
        if rng.random() < 0.7:
            services.claim(item, other, note="熟悉该客户的需求")
        return
    services.assign(item, oppmgr, assignee=am)
    if stage == "closed":
        services.close(item, am, reason=rng.choice(["客户预算取消", "竞争对手低价中标", "客户需求延后到明年"]))
        return
    if stage == "assignment":
        return
    services.submit_survey(item, am, report="现场勘察完成：机房具备接入条件，需新建光缆约300米。")
    if stage == "survey_review":
        return
    services.review_survey(item, lead, approve=True, note="同意")
    if stage == "confirmation":
        return
    services.confirm(item, oppmgr, approve=True, note="确认进入合同预执行库")
    if stage == "pre_execution":
        return
    revenue = item.expected_revenue * Decimal(rng.choice(["1", "1", "0.9", "1.1"])) if item.expected_revenue else None
    services.mark_signed(item, actor=am, contract_id=None, signed_revenue=revenue)
