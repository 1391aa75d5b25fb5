"""Demo material of the solution library: industries, ten products each with all five kinds
of piece (introduction, functions, typical cases per industry, technical solution, prices),
published by the knowledge admin, and two proposals for am1's customers."""
from __future__ import annotations

from workbench.audit.actor import acting_user
from workbench.extensions import db

from plugins.solutions import services

INDUSTRIES = ["教育", "医疗卫生", "政务", "制造业", "金融", "交通物流", "公用事业", "文化旅游", "信息技术", "住宿餐饮"]

# code, name, product line, industries, summary, functions, technical, prices, cases
PRODUCTS = [
    ("DL-001", "集团专线", "基础连接", ["政务", "金融", "医疗卫生", "教育", "制造业"],
     "端到端独享带宽的数字电路与互联网专线，提供99.9%可用性的服务等级保障。",
     ["独享带宽，上下行对称，2M–10G 灵活选择", "双路由、双节点保护，故障自动倒换", "7×24 小时网管监控与4小时故障修复承诺",
      "支持IPv4/IPv6双栈及固定公网地址"],
     "采用城域传送网（OTN/SPN）承载，客户侧部署智能网关，核心节点双归属接入；通过专线网管平台实时监测时延、丢包与带宽利用率，"
     "提供月度服务报告。",
     [("互联网专线", "100M 对称", "条/月", "2800.00", "1", "含固定公网IP 8个"),
      ("数字电路", "点对点 50M", "条/月", "1800.00", "1", "同城"), ("一次性开通费", "含勘察施工", "次", "3000.00", "1", "")],
     [("金融", "某农商银行网点互联", "为全县32个网点建设MSTP+互联网双专线，核心业务零中断，年节省运维成本约40万元。"),
      ("政务", "县政务外网接入", "为县政府及28个委办局提供政务外网专线接入，满足等保三级要求。")]),
    ("5G-001", "5G行业专网", "5G+", ["制造业", "交通物流", "医疗卫生"],
     "基于5G网络切片与MEC边缘计算的行业专网，数据不出园区，满足生产控制低时延要求。",
     ["网络切片隔离，端到端时延低于20ms", "MEC边缘计算，数据本地分流不出园区", "专网自服务门户，终端与流量可视可管", "支持AGV、机器视觉、远程控制等场景"],
     "园区内部署5G室分与宏站补盲，下沉UPF至园区机房，结合切片与DNN实现业务隔离；工业网关接入PLC与传感器，平台侧对接客户MES系统。",
     [("5G专网基础服务", "虚拟专网 优享型", "套/年", "120000.00", "1", "含UPF下沉"),
      ("5G工业网关", "CPE 工业级", "台", "3500.00", "20", ""), ("专网物联卡", "定向流量 10G/月", "张/月", "30.00", "50", "")],
     [("制造业", "精密机械厂5G智能工厂", "部署5G专网连接68台AGV与视觉质检设备，产线换型时间缩短30%，质检效率提升3倍。"),
      ("交通物流", "港口5G远程理货", "龙门吊远程控制与高清视频回传，单台设备节省司机2名。")]),
    ("CC-001", "云电脑", "云服务", ["教育", "政务", "金融", "信息技术"],
     "桌面上云，数据集中存储、终端即开即用，降低终端采购与运维成本。",
     ["多规格云桌面，按需升降配", "数据不落地，支持水印与外设管控", "统一镜像批量分发，集中运维", "手机、平板、瘦终端多端接入"],
     "云桌面资源部署于省级云资源池，采用SPICE/自研传输协议，支持1080P高清与视频重定向；管理平台对接客户AD域实现统一认证。",
     [("云电脑 标准型", "4核8G 100G", "台/月", "89.00", "50", "含正版操作系统"),
      ("云电脑 专业型", "8核16G 200G", "台/月", "169.00", "10", ""), ("瘦终端", "盒子形态", "台", "499.00", "50", "一次性")],
     [("教育", "中学计算机教室云化", "为两间计算机教室共100台终端改造云电脑，课前镜像一键还原，维护时间由每周1天降至1小时。"),
      ("金融", "银行网点柜面云桌面", "柜面终端全部上云，数据不落地，满足监管审计要求。")]),
    ("IOT-001", "物联网卡", "物联网", ["制造业", "交通物流", "公用事业"],
     "面向设备联网的专用号卡，提供定向流量、机卡绑定与连接管理平台。",
     ["流量池共享，灵活套餐", "机卡绑定、定向访问，防盗用", "连接管理平台实时查询与停复机", "工业级贴片卡，耐高低温"],
     "依托OneLink连接管理平台，提供API对接客户业务系统，支持NB-IoT、4G Cat.1与5G多制式。",
     [("物联网卡", "流量池 30M/月", "张/月", "5.00", "500", "两年合约"), ("物联网卡", "流量池 1G/月", "张/月", "15.00", "100", ""),
      ("贴片卡", "工业级 MP2", "张", "8.00", "500", "一次性")],
     [("公用事业", "水务智能水表", "为水务公司1.2万只NB-IoT智能水表提供连接，抄表率由85%提升至99.6%。"),
      ("交通物流", "冷链车辆监控", "冷链车载终端实时回传温度与位置，货损率下降40%。")]),
    ("EDU-001", "智慧校园", "行业应用", ["教育"],
     "覆盖教学、管理与安全的一体化校园信息化方案：校园网、平安校园、家校互动与智慧课堂。",
     ["校园千兆网络与全屋WiFi覆盖", "平安校园：人脸门禁、视频监控、一键报警", "家校互动与电子班牌", "智慧课堂与录播教室"],
     "以校园专线和校园网为底座，部署统一身份与数据中台，应用层采用SaaS化部署，对接教育局监管平台。",
     [("校园网改造", "千兆到桌面", "项", "280000.00", "1", "含设备与施工"), ("电子班牌", "21.5寸", "块", "2600.00", "36", ""),
      ("平安校园平台", "SaaS 年服务", "校/年", "36000.00", "1", "")],
     [("教育", "县第一中学智慧校园", "建设千兆校园网、36间教室电子班牌与平安校园平台，家长满意度提升至98%。"),
      ("教育", "区教育局平安校园", "全区42所学校视频监控统一接入区级平台，实现隐患分钟级处置。")]),
    ("MED-001", "智慧医疗", "行业应用", ["医疗卫生"],
     "面向医院与基层卫生机构的互联网医院、5G急救与远程会诊方案。",
     ["互联网医院：在线问诊、处方流转", "5G急救车：病人体征实时回传", "远程会诊与影像云", "医院内网安全与等保"],
     "医院核心业务系统通过医疗专网与区域卫生平台互联，影像数据存储于医疗云，5G急救车经切片回传至急诊中心。",
     [("互联网医院平台", "SaaS 年服务", "院/年", "120000.00", "1", ""), ("5G急救车改造", "车载套件", "辆", "45000.00", "3", ""),
      ("影像云存储", "10TB", "年", "30000.00", "1", "")],
     [("医疗卫生", "县人民医院5G急救", "3辆5G急救车投入使用，院前院内信息同步，胸痛患者救治时间缩短18分钟。"),
      ("医疗卫生", "中医院远程会诊", "与省级医院建立远程会诊中心，年会诊量超1200例。")]),
    ("IDC-001", "IDC托管", "云服务", ["金融", "信息技术", "政务"],
     "T3+等级数据中心机柜托管，双路市电与柴发保障，多运营商BGP接入。",
     ["标准42U机柜，单柜最高8kW", "2N供电、N+1制冷", "7×24驻场运维与远程手", "BGP多线带宽按需购买"],
     "机房位于省级数据中心园区，通过同城双活链路与客户本地机房互联，提供机柜、带宽、IP与安全增值服务的组合。",
     [("标准机柜", "42U 13A", "架/月", "4500.00", "2", ""), ("BGP带宽", "100M", "月", "6000.00", "1", ""),
      ("公网IP", "/29", "段/月", "300.00", "1", "")],
     [("金融", "农商行灾备机房", "为农商银行建设同城灾备，RPO小于15分钟，通过人民银行验收。"),
      ("信息技术", "产业园企业上架", "为园区12家软件企业提供机柜托管，统一安全防护。")]),
    ("BB-001", "企业宽带", "基础连接", ["住宿餐饮", "文化旅游", "制造业", "教育"],
     "面向中小企业与门店的高速宽带，千兆光纤入户，组网与WiFi一站式服务。",
     ["300M–1000M 光纤宽带", "企业组网：总部与门店互联", "商用WiFi与认证营销", "上门装维与24小时报障"],
     "采用FTTH/FTTO方式接入，部署企业级路由与AP，可选固定IP与组网VPN。",
     [("企业宽带", "500M", "条/月", "399.00", "1", "含路由器"), ("企业宽带", "1000M", "条/月", "699.00", "1", ""),
      ("商用AP", "WiFi 6 吸顶", "台", "800.00", "6", "")],
     [("住宿餐饮", "星级酒店WiFi改造", "客房全覆盖WiFi 6，住客网络投诉下降90%。"),
      ("文化旅游", "景区游客WiFi", "游客中心与主要景点覆盖，认证页推送景区导览。")]),
    ("SMS-001", "行业短信", "通信服务", ["政务", "金融", "医疗卫生", "公用事业"],
     "企业通知、验证码与营销短信的一站式发送平台，三网合一，秒级到达。",
     ["验证码、通知、营销分类通道", "支持接口与网页群发", "发送报告与状态回执", "签名与模板合规审核"],
     "通过CMPP/HTTP接口接入短信网关，支持高并发与失败重发，提供防骚扰与黑名单过滤。",
     [("行业短信", "通知类", "条", "0.045", "200000", "预付费"), ("行业短信", "验证码类", "条", "0.050", "50000", ""),
      ("签名报备", "", "个", "0.00", "1", "免费")],
     [("医疗卫生", "医院就诊提醒", "挂号、检验结果与复诊提醒短信，爽约率下降25%。"),
      ("政务", "政务服务通知", "为政务服务中心发送办件进度通知，群众来电咨询量减少35%。")]),
    ("VID-001", "视频监控", "行业应用", ["政务", "教育", "交通物流", "制造业"],
     "云化视频监控（千里眼），摄像头即插即用，录像云存储，手机随时看。",
     ["高清摄像头即插即用", "录像云存储7–90天可选", "AI算法：越界、烟火、安全帽识别", "多级权限与分享"],
     "前端摄像头经专线或宽带接入视频云平台，存储于运营商云资源池，支持GB/T 28181对接客户已有平台。",
     [("云摄像头", "400万 枪机", "台", "380.00", "20", ""), ("云存储", "30天循环", "路/月", "25.00", "20", ""),
      ("AI算法", "烟火识别", "路/月", "30.00", "10", "")],
     [("政务", "市场监管明厨亮灶", "全县420家餐饮单位后厨视频接入监管平台，食品安全投诉下降一半。"),
      ("制造业", "工厂安全生产监控", "安全帽与越界AI识别，年度安全事故为零。")]),
]


def _paragraphs(text: str) -> str:
    return f"<p>{text}</p>"


def seed(demo) -> None:
    knowledge = demo.users.get("knowledge")
    if knowledge is None:
        return
    with acting_user(knowledge):
        industries = {}
        for order, name in enumerate(INDUSTRIES):
            industries[name] = services.create_industry(knowledge, name=name, order=order * 10)
        products = {}
        for code, name, line, product_industries, summary, functions, technical, prices, cases in PRODUCTS:
            product = services.create_product(knowledge, code=code, name=name, product_line=line, summary=summary,
                                              industry_ids=[industries[i].id for i in product_industries])
            products[name] = product
            pieces = [
                services.create_piece(knowledge, product, kind="intro", title=f"{name}产品介绍",
                                      body_html=_paragraphs(summary) + _paragraphs(
                                          f"{name}已在全省服务超过{demo.rng.randint(200, 3000)}家政企客户。")),
                services.create_piece(knowledge, product, kind="functions", title="主要功能",
                                      body_html="<ul>" + "".join(f"<li>{f}</li>" for f in functions) + "</ul>"),
                services.create_piece(knowledge, product, kind="technical", title="技术方案",
                                      body_html=_paragraphs(technical)),
                services.create_piece(knowledge, product, kind="prices", title="资费标准", price_rows=[
                    {"item": i, "spec": s, "unit": u, "unit_price": p, "quantity": q, "remark": r}
                    for i, s, u, p, q, r in prices]),
            ]
            for industry, title, text in cases:
                pieces.append(services.create_piece(knowledge, product, kind="case", title=title,
                                                    body_html=_paragraphs(text), industry_id=industries[industry].id))
            for piece in pieces:
                services.publish_piece(knowledge, piece, version=piece.version)
        db.session.flush()
    am1 = demo.users.get("am1")
    customers = demo.customers.get("am1") or []
    if am1 is None or not customers:
        return
    by_name = {c.name: c for c in customers}
    wishes = [("滨江县人民医院", ["智慧医疗", "集团专线", "行业短信"]), ("滨江县第一中学", ["智慧校园", "云电脑", "视频监控"])]
    with acting_user(am1):
        for customer_name, product_names in wishes:
            customer = by_name.get(customer_name) or customers[0]
            request = services.check_request(am1, product_ids=[products[n].id for n in product_names],
                                             customer_id=customer.id)
            services.generate_proposal(am1, request)
