"""Demo ICT projects for `workbench demo`: one in each stage for am1's and am2's customers —
discovery (with a team and milestones), review (waiting for the lead), monitoring with its work
order in the pool, monitoring with the order in the contract pre-execution pool (so "Generate
contract" shows), closed as won, and abandoned. Moves go through the services, so to-dos,
history and events are the real ones."""
from __future__ import annotations

import logging
from datetime import timedelta

from workbench.extensions import db
from workbench.org.scope import acting_as

from plugins.ict import services

log = logging.getLogger(__name__)


def _project(demo, username, index, name, scope, value, start_days, months):
    owner = demo.users[username]
    customers = demo.customers.get(username) or []
    if not customers:
        return None
    today = services.utcnow().date()
    start = today + timedelta(days=start_days)
    with acting_as(owner.scope):
        project = services.create_project(
            owner, customer_id=customers[index % len(customers)].id, name=name, scope_of_work=scope,
            estimated_value=value, expected_start=start, expected_end=start + timedelta(days=30 * months))
        services.add_milestone(owner, project, title="方案评审", planned_date=today + timedelta(days=demo.rng.randint(1, 6)))
        services.add_milestone(owner, project, title="设备到货", planned_date=start + timedelta(days=20))
        services.add_note(owner, project, "已与客户信息化负责人沟通需求，约定下周现场勘察。")
    return project


def _approve(demo, project):
    owner = db.session.get(services.User, project.owner_id)
    with acting_as(owner.scope):
        services.submit_for_review(owner, project)
    reviewer = db.session.get(services.User, project.handler_id)
    with acting_as(reviewer.scope):
        services.approve(reviewer, project, "方案可行，同意立项。")


def _walk_order(demo, project, until: str) -> None:
    """Carry the project's work order through the opportunity flow up to `until`."""
    from plugins.opportunity import services as opportunities
    from plugins.opportunity.models import Opportunity

    order = db.session.get(Opportunity, project.opportunity_id)
    oppmgr = demo.users.get("oppmgr")
    owner = db.session.get(services.User, project.owner_id)
    if until == "pool":
        opportunities.publish_to_pool(order, oppmgr, note="欢迎认领")
        return
    opportunities.assign(order, oppmgr, assignee=owner, note="指派给客户经理跟进")
    opportunities.submit_survey(order, owner, report="现场勘察完成，具备实施条件。")
    opportunities.review_survey(order, db.session.get(services.User, order.handler_id), approve=True, note="同意")
    opportunities.confirm(order, db.session.get(services.User, order.handler_id), approve=True, note="确认")
    if until == "signed":
        opportunities.mark_signed(order, actor=demo.users.get("contractmgr"), contract_id=None,
                                  signed_revenue=project.estimated_value)


def seed(demo) -> None:
    from plugins.opportunity import services as opportunities

    if "am1" not in demo.users:
        return
    opportunities.ensure_catalogue()  # idempotent: the work orders need the ICT categories
    _project(demo, "am1", 0, "智慧园区综合管理平台", "视频监控、门禁、能耗管理与园区运营中心大屏。", "1850000", 10, 6)
    owner_member = _project(demo, "am1", 1, "县医院数据中心升级", "机房改造、服务器与存储扩容、容灾备份。", "2600000", 20, 4)
    if owner_member is not None:
        services.add_member(demo.users["am1"], owner_member, user_id=demo.users["am2"].id, role="solution_engineer")
        owner = demo.users["am1"]
        with acting_as(owner.scope):
            services.submit_for_review(owner, owner_member)
    steps = [
        ("am1", 2, "智慧教育录播教室", "20间录播教室及互动平台。", "960000", "pool"),
        ("am2", 0, "工业园区5G专网", "园区5G专网覆盖与MEC边缘计算。", "3200000", "pre_execution"),
        ("am2", 1, "雪亮工程视频联网", "乡镇路口高清视频接入公安视频平台。", "1480000", "signed"),
    ]
    for username, index, name, scope, value, until in steps:
        project = _project(demo, username, index, name, scope, value, 5, 5)
        if project is None:
            continue
        try:
            with db.session.begin_nested():
                _approve(demo, project)
                _walk_order(demo, project, until)
        except Exception:  # demo data must never stop `workbench demo`; the project stays where it got
            log.exception("ICT demo: could not carry %s to %s", name, until)
    dropped = _project(demo, "am2", 2, "政务外网安全加固", "等保三级整改与安全设备部署。", "700000", 3, 2)
    if dropped is not None:
        owner = demo.users["am2"]
        with acting_as(owner.scope):
            services.abandon(owner, dropped, "客户预算取消，项目暂缓。")
