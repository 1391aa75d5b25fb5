"""Demo work logs for `workbench demo`: three weeks of service, work, project and visit logs for
am1's and am2's customers (with contacts met and next steps, a few follow-ups still open), and
this week's visit plans — some done with their visit log, one missed, the rest still ahead.
Made through the services, so to-dos, audit entries and events are the real ones; only the
dates of past plans are moved back."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from plugins.worklog import services
from plugins.worklog.services import LogInput
from workbench.customers.models import CustomerContact
from workbench.extensions import db

CONTENT = {
    "service": ["处理客户反映的专线时延问题，已协调网络部排查，今日恢复正常",
                "客户咨询话费账单明细，现场解释集团套餐的计费方式",
                "协助客户办理成员号码批量变更，资料已提交营业厅"],
    "work": ["整理本周商机跟进表并提交县区经理", "参加分公司政企条线周例会，领取重点客户清单",
             "准备客户年度服务方案材料"],
    "project": ["与集成商确认视频监控项目施工进度，第二批点位下周完工", "项目例会：确认云桌面试点范围和验收标准"],
    "visit": ["拜访信息科负责人，了解明年信息化预算安排", "上门拜访，介绍5G专网方案并演示远程巡检",
              "回访专线使用情况，客户满意，提出增加一条备份线路", "拜访办公室主任，沟通续约事宜"],
}
NEXT_STEPS = ["下周提交报价方案", "安排技术经理现场勘察", "发送产品资料", "约定下次演示时间", ""]
PURPOSES = ["介绍5G专网方案", "续约沟通", "专线扩容需求调研", "年度服务回访", "云桌面试点推进"]


def _contacts(customer, rng) -> list[str]:
    contacts = list(db.session.query(CustomerContact).filter(CustomerContact.customer_id == customer.id))
    if not contacts:
        db.session.add(CustomerContact(customer_id=customer.id, name=rng.choice(["王主任", "陈科长", "刘经理"]),
                                       title=rng.choice(["办公室主任", "信息科科长", "采购经理"]), phone="",
                                       is_key=True))
        db.session.flush()
        contacts = list(db.session.query(CustomerContact).filter(CustomerContact.customer_id == customer.id))
    return [str(contact.id) for contact in contacts[:1]]


def _local(day, hour: int) -> str:
    return datetime.combine(day, time(hour, 0)).strftime("%Y-%m-%dT%H:%M")


def seed(demo) -> None:
    rng = demo.rng
    today = services.today()
    for username in ("am1", "am2"):
        am = demo.users.get(username)
        customers = demo.customers.get(username) or []
        if am is None or not customers:
            continue
        # three weeks of logs, two or three a working day, oldest first
        for days_ago in range(20, 0, -1):
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randint(1, 2)):
                kind = rng.choice(["visit", "visit", "service", "work", "project"])
                customer = rng.choice(customers)
                next_step = rng.choice(NEXT_STEPS) if kind in ("visit", "service") else ""
                follow_up = None
                if next_step and days_ago < 5 and rng.random() < 0.5:
                    follow_up = (today + timedelta(days=rng.randint(1, 6))).isoformat()
                services.create_log(am, LogInput(
                    kind=kind, customer_id=customer.id if kind != "work" else None,
                    happened_at=_local(day, rng.randint(9, 17)), content=rng.choice(CONTENT[kind]),
                    contact_ids=_contacts(customer, rng) if kind in ("visit", "service") else [],
                    contacts_text=rng.choice(["", "", "张工"]) if kind == "visit" else "",
                    next_step=next_step, follow_up_on=follow_up))
        # this week's visit plans
        start = services.week_start(today)
        for index in range(5):
            day = start + timedelta(days=index)
            customer = customers[index % len(customers)]
            plan = services.create_plan(am, customer.id, max(day, today).isoformat(), PURPOSES[index % len(PURPOSES)])
            if day < today:
                plan.planned_on = day  # the plan was made earlier in the week
                db.session.flush()
                if index % 3 != 2:  # done with its visit log; every third is left missed
                    services.create_log(am, LogInput(
                        kind="visit", customer_id=customer.id, happened_at=_local(day, 10),
                        content=rng.choice(CONTENT["visit"]), contact_ids=_contacts(customer, rng),
                        next_step=rng.choice(NEXT_STEPS), plan_id=plan.id))
    db.session.flush()
