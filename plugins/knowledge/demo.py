"""Demo knowledge: a category tree in both spaces and some thirty articles a new account
manager would really look for, tagged for the pages of the opportunity and contract flows;
most published (over the last weeks), some waiting for review, one sent back, one archived."""
from __future__ import annotations

from datetime import timedelta

from workbench.extensions import db
from workbench.records import utcnow

from plugins.knowledge import services

TREE = {
    "business": {
        "产品知识": ["专线", "5G与物联网", "云与IDC", "ICT集成"],
        "业务流程": ["商机管理", "合同管理", "开通与维护"],
        "营销案例": [],
        "政策与资费": [],
    },
    "system": {
        "工作台使用": ["入门", "商机模块", "合同模块"],
        "常见问题": [],
        "版本说明": [],
    },
}


def _p(*paragraphs):
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def _ol(*items):
    return "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"


def _ul(*items):
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _table(head, *rows):
    cells = "".join(f"<th>{cell}</th>" for cell in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


# (title, space, category, tags, contexts, author, body)
ARTICLES = [
    ("专线开通流程", "business", "开通与维护", "专线, 开通", ["opportunity.confirmation", "contract.fill"], "knowledge",
     _p("集团专线从签约到开通一般需要 15 个工作日，客户经理负责全程跟进。")
     + "<h2>主要步骤</h2>" + _ol("在工作台录入商机并完成报勘", "勘察结果通过后生成合同工单", "合同审核通过后由支撑中心下发开通工单",
                             "装维人员施工、测试，客户签字确认", "客户经理回访并在工作台登记开通日期")
     + _p("注意：跨地市专线需两端分公司同时确认资源，提前与对端客户经理沟通。")),
    ("报勘审核要点", "business", "商机管理", "报勘, 审核, 专线", ["opportunity.survey_review"], "knowledge",
     _p("报勘审核决定商机能否进入确认环节，审核人重点看以下内容：")
     + _ul("客户地址精确到门牌号，并附现场照片", "带宽、接口类型与客户需求一致", "光缆路由与资源可用性已由资源中心确认",
           "预计收入与资费标准匹配，折扣超权限的须附审批")
     + _p("退回时请在意见中写明缺少的材料，避免反复退回。")),
    ("报勘材料清单", "business", "商机管理", "报勘", ["opportunity.survey_review", "opportunity.create"], "knowledge",
     _table(["材料", "要求"], ["现场照片", "机房、弱电井各一张"], ["客户需求单", "客户盖章扫描件"], ["资源核查单", "资源中心出具"])),
    ("集团专线故障报修处理流程", "business", "开通与维护", "专线, 故障, 报修", [], "knowledge",
     _p("客户报修后，客户经理应在 30 分钟内响应。")
     + _ol("在工作台登记故障单，填写专线编号与故障现象", "通知网络维护中心并跟踪处理进度", "故障恢复后与客户确认，并在 24 小时内回访")),
    ("合同审核常见问题", "business", "合同管理", "合同, 审核", ["contract.review", "contract.fill"], "knowledge",
     _p("合同审核退回最常见的原因：")
     + _ul("合同金额与商机预计收入不一致且未说明", "合同期限与资费有效期不符", "客户名称与营业执照不一致", "缺少盖章页扫描件")
     + _p("提交前请对照本清单自查。")),
    ("合同上传规范", "business", "合同管理", "合同, 上传", ["contract.upload"], "knowledge",
     _p("合同扫描件须为 PDF，清晰可辨，每页都有骑缝章。")
     + _ul("文件大小不超过 20 MB", "文件名：客户名称-合同编号.pdf", "补充协议与主合同分开上传")),
    ("5G专网介绍", "business", "5G与物联网", "5G, 专网", ["opportunity.create"], "knowledge",
     _p("5G专网面向园区、工厂、港口等场景，提供低时延、大带宽、数据不出园区的专属网络。")
     + "<h2>典型模式</h2>" + _table(["模式", "适用场景"], ["优享模式", "对时延要求一般的园区"], ["专享模式", "工厂、矿山"], ["尊享模式", "港口、电网"])),
    ("物联网卡开户指引", "business", "5G与物联网", "物联网卡, 开户", ["opportunity.create"], "knowledge",
     _ol("确认客户资质与用途", "选择套餐与流量池", "提交开户申请并上传证件", "实名认证后激活")),
    ("云专线与互联网专线的区别", "business", "专线", "专线, 云专线", [], "knowledge",
     _p("云专线连接客户机房与公有云资源池，互联网专线提供公网出口；两者可组合销售。")),
    ("互联网专线资费说明", "business", "政策与资费", "专线, 资费", ["opportunity.confirmation"], "knowledge",
     _table(["带宽", "标准月租（元）"], ["50M", "1,800"], ["100M", "3,000"], ["500M", "9,800"], ["1000M", "16,000"])),
    ("IDC机柜租用介绍", "business", "云与IDC", "IDC, 机柜", [], "knowledge",
     _p("IDC 提供标准 42U 机柜、电力和带宽，支持按月或按年租用。")),
    ("ICT项目交付要点", "business", "ICT集成", "ICT, 交付", [], "knowledge",
     _ul("项目启动会明确范围与验收标准", "采购与施工进度每周更新", "验收材料齐全后再确认收入")),
    ("政企客户拜访技巧", "business", "营销案例", "拜访, 营销", [], "am1",
     _p("第一次拜访前先在工作台查看客户视图，了解在网业务与历史工单。拜访时多问客户的业务痛点，少讲产品参数。")),
    ("医院专线扩容案例", "business", "营销案例", "专线, 医疗, 案例", [], "am1",
     _p("滨江县人民医院因影像系统上云，原有 100M 专线不够用。我们联合解决方案经理做了带宽测算，推荐 500M 专线加云专线组合。")),
    ("学校智慧校园方案经验", "business", "营销案例", "教育, 案例", [], "am2",
     _p("学校项目决策链长，建议先找信息中心主任，再一起向校领导汇报。")),
    ("商机录入注意事项", "business", "商机管理", "商机", ["opportunity.create"], "knowledge",
     _ul("客户必须是你负责的客户", "预计收入填写年收入", "专线类商机要填写基本情况")),
    ("商机池认领规则", "business", "商机管理", "商机, 商机池", ["opportunity.pool"], "knowledge",
     _p("商机池中的商机 3 个工作日内未认领会提醒主管；认领后须在 5 个工作日内完成首次跟进。")),
    ("商机确认环节说明", "business", "商机管理", "商机, 确认", ["opportunity.confirmation"], "knowledge",
     _p("确认环节由商机管理员核对客户需求与收入，通过后进入预执行池。")),
    ("行业短信产品介绍", "business", "产品知识", "短信", [], "knowledge",
     _p("行业短信用于验证码、通知、营销类消息，需提供签名与模板报备。")),
    ("集团V网办理流程", "business", "产品知识", "V网", [], "knowledge",
     _ol("收集成员名单", "确定资费包", "提交办理并通知成员")),
    ("工作台使用指南", "system", "入门", "工作台, 入门", [], "knowledge",
     _p("工作台首页汇集你的待办、商机和客户。右上角的搜索框可以搜索客户、商机和知识。")
     + _ul("待办：需要你处理的事项", "客户视图：客户的全部信息", "知识库：业务与系统知识")),
    ("首页小组件设置", "system", "入门", "工作台, 首页", [], "knowledge",
     _p("点击首页右上角的“布局”，可以添加、移除、拖动小组件。")),
    ("如何录入商机", "system", "商机模块", "商机, 工作台", ["opportunity.create"], "knowledge",
     _ol("菜单“业务拓展 → 商机”", "点击“新建商机”，选择客户与商机类型", "填写预计收入与基本情况后提交")),
    ("如何审核报勘", "system", "商机模块", "报勘, 工作台", ["opportunity.survey_review"], "knowledge",
     _p("在待办中打开报勘审核任务，查看勘察结果，选择“通过”或“退回”，退回时必须填写意见。")),
    ("如何上传合同", "system", "合同模块", "合同, 工作台", ["contract.upload"], "knowledge",
     _p("在合同工单页面点击“上传合同”，选择 PDF 扫描件；系统会检查文件类型与大小。")),
    ("合同审核操作说明", "system", "合同模块", "合同, 审核, 工作台", ["contract.review"], "knowledge",
     _p("审核人在待办中打开合同，核对金额、期限与附件后确认或退回。")),
    ("忘记密码怎么办", "system", "常见问题", "账号", [], "knowledge",
     _p("请联系本单位系统管理员重置密码；重置后首次登录须修改密码。")),
    ("搜索不到客户怎么办", "system", "常见问题", "搜索", [], "knowledge",
     _p("搜索只显示你有权查看的客户。可以用客户名称的一部分、拼音首字母（如 hwjs）或客户编码搜索。")),
    ("2026年11月版本说明", "system", "版本说明", "版本", [], "knowledge",
     _p("新增知识库、方案库，商机汇总支持导出。")),
    ("专线开通常见延误原因", "business", "开通与维护", "专线, 开通", ["contract.fill"], "am2",
     _ul("客户机房未准备好", "跨地市资源协调慢", "合同附件缺失导致审核退回")),
]


def seed(demo) -> None:
    curator = demo.users.get("knowledge") or demo.users["admin"]
    rng = demo.rng
    declared = services.declared_contexts()
    categories = {}
    for space, top in TREE.items():
        for name, children in top.items():
            parent = services.create_category(curator, space=space, name=name)
            categories[(space, name)] = parent
            for child in children:
                categories[(space, child)] = services.create_category(curator, space=space, name=child, parent=parent)
    now = utcnow()
    readers = [user for key, user in demo.users.items() if key not in ("knowledge",)]
    for index, (title, space, category, tags, contexts, author_key, body) in enumerate(ARTICLES):
        author = demo.users.get(author_key, curator)
        customer_id = None
        if "案例" in tags and author_key in demo.customers and demo.customers[author_key]:
            customer_id = demo.customers[author_key][0].id
        article = services.create_article(
            author, title=title, body_html=body, space=space, category_id=categories[(space, category)].id,
            tags=tags, contexts=[key for key in contexts if key in declared],
            kind="experience" if author_key != "knowledge" else "article", customer_id=customer_id)
        if index in (13, 14):  # two experiences waiting for review
            services.submit(author, article)
            continue
        if author_key != "knowledge":
            services.submit(author, article)
        services.approve(curator, article)
        days_ago = 2 + index * 2 if index % 4 else 1 + index % 3
        when = now - timedelta(days=days_ago, hours=rng.randint(0, 8))
        article.published_at = article.first_published_at = when
        db.session.flush()
        for reader in rng.sample(readers, k=rng.randint(0, min(6, len(readers)))):
            services.rate_useful(reader, article)
        db.session.execute(services.update(services.Article).where(services.Article.id == article.id)
                           .values(view_count=rng.randint(5, 240)))
    # One article with a second version, one archived, one comment thread.
    first = services.get_article_unscoped_by_title("专线开通流程")
    services.update_article(curator, first, version=first.version, title=first.title,
                            body_html=first.body_html + _p("补充：开通后 3 个工作日内完成回访。"), space="business",
                            category_id=first.category_id, tags=[t.name for t in first.tags],
                            contexts=first.context_keys)
    services.approve(curator, first, note="补充回访要求")
    services.add_comment(demo.users["am1"], first, "跨地市专线要多预留一周时间。")
    services.add_comment(demo.users["am2"], first, "同意，上次等资源等了十天。")
    old = services.get_article_unscoped_by_title("2026年11月版本说明")
    services.archive(curator, old)
    # An experience sent back with the curator's comment.
    sent_back = services.create_article(demo.users["am3"], title="湿地景区WiFi覆盖经验", space="business",
                                        body_html=_p("景区覆盖要考虑防水与供电。"), kind="experience",
                                        category_id=categories[("business", "营销案例")].id, tags="案例, WiFi")
    services.submit(demo.users["am3"], sent_back)
    services.send_back(curator, sent_back, "请补充投资规模与客户评价，再提交。")
    db.session.flush()
