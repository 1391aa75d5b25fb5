"""Demo data for `workbench demo`: the two standard templates, and contract work orders in
every state for the demo account managers' confirmed opportunities — some confirmed
contracts end within 7, 30 and 90 days so the expiry widget and warnings have something
to show. Runs in the system scope after the opportunity plugin's demo data."""
from __future__ import annotations

import io
from datetime import date, timedelta

from werkzeug.datastructures import FileStorage

from plugins.contract import services
from plugins.opportunity import services as opportunities
from workbench.extensions import db


def _pdf(text: str) -> bytes:
    """A small valid one-page PDF standing in for a scanned signed contract."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


LEASED_DETAILS = {"bandwidth": 100, "sites": 2, "addresses": "人民路1号\n建设路8号", "access_method": "光纤直连"}

# (owner, category, title, revenue, target state, days until the term ends)
SCENARIOS = [
    ("am1", "leased_line_internet", "政务中心互联网专线扩容", "86000", "draft", None),
    ("am2", "cloud", "园区企业上云（云主机）", "152000", "returned", None),
    ("am1", "leased_line_data", "医院分院数据专线", "240000", "business_review", None),
    ("am2", "enterprise_broadband", "开发区企业宽带批量开通", "36000", "branch_review", None),
    ("am1", "cloud", "学校私有云扩容", "98000", "signing", None),
    ("am1", "leased_line_internet", "银行网点互联网专线", "128000", "construction", None),
    ("am2", "idc", "IDC机柜租用", "310000", "confirmation", None),
    ("am1", "leased_line_internet", "税务局互联网专线", "72000", "confirmed", 5),
    ("am2", "enterprise_broadband", "物流园区宽带", "45000", "confirmed", 24),
    ("am1", "cloud", "政务云备份服务", "180000", "confirmed", 80),
    ("am2", "idc", "数据中心托管", "520000", "confirmed", 400),
    # 临湖区 has no business supervisor among the demo accounts: am3's order stays a draft.
    ("am3", "leased_line_internet", "临湖区医院互联网专线", "66000", "draft", None),
    ("am1", "enterprise_broadband", "商场宽带改造", "28000", "cancelled", None),
]

DETAILS = {
    "leased_line_internet": dict(LEASED_DETAILS, ip_addresses=8, term="3年"),
    "leased_line_data": dict(LEASED_DETAILS, endpoints="点对点"),
    "cloud": {"product": "云主机", "vcpus": 32},
    "enterprise_broadband": {"lines": 20, "speed": "500M"},
    "idc": {"racks": 4, "power_kw": 6},
}


def _pre_execution(demo, owner, category, title, revenue, customer):
    """Carry a new opportunity through the flow to the contract pre-execution pool."""
    users = demo.users
    opportunity = opportunities.create_opportunity(owner, customer=customer, kind="demand", category_code=category,
                                                   title=title, expected_revenue=revenue,
                                                   details=DETAILS.get(category, {}))
    opportunities.assign(opportunity, users["oppmgr"], assignee=owner, note="演示：直接分配")
    opportunities.submit_survey(opportunity, owner, report="已现场勘察，客户需求明确，资源具备。")
    reviewer = db.session.get(type(owner), opportunity.handler_id)
    opportunities.review_survey(opportunity, reviewer, approve=True, note="同意")
    confirmer = db.session.get(type(owner), opportunity.handler_id)
    opportunities.confirm(opportunity, confirmer, approve=True, note="进入合同预执行库")
    return opportunity


def seed(demo) -> None:
    users = demo.users
    opportunities.ensure_catalogue()  # idempotent; the opportunity demo may not have run it
    admin = users.get("contractmgr") or users["admin"]
    services.install_standard_templates(admin)
    leased_template, general_template = sorted(services.templates(), key=lambda t: not t.leased_line)[:2]
    today = services.today()
    counters: dict[str, int] = {}
    for owner_name, category, title, revenue, target, ends_in in SCENARIOS:
        owner = users.get(owner_name)
        customers = demo.customers.get(owner_name) or []
        if owner is None or not customers:
            continue
        index = counters[owner_name] = counters.get(owner_name, -1) + 1
        customer = customers[index % len(customers)]
        opportunity = _pre_execution(demo, owner, category, title, revenue, customer)
        contract = services.create_contract(owner, opportunity.id)
        if ends_in is not None:
            end = today + timedelta(days=ends_in)
            start = date(end.year - (3 if ends_in > 365 else 1), end.month, min(end.day, 28)) + timedelta(days=1)
        else:
            start = today + timedelta(days=14)
            end = date(start.year + 1, start.month, min(start.day, 28)) - timedelta(days=1)
        values = {"start_date": start, "end_date": end, "products": f"{opportunity.category.name}：{title}",
                  "payment_terms": "按月支付，每月10日前付清上月费用。" if contract.is_leased_line
                  else "合同签订后支付30%，验收后支付70%。"}
        if target == "draft":
            values.pop("payment_terms")
        services.update_contract(owner, contract, values, contract.version)
        if target in ("draft", "cancelled"):
            if target == "cancelled":
                services.cancel(owner, contract, "客户预算冻结，暂缓签约。")
            continue
        template = leased_template if contract.is_leased_line else general_template
        services.generate_draft(owner, contract, template)
        services.submit(owner, contract)
        business = db.session.get(type(owner), contract.handler_id)
        if target == "returned":
            services.send_back(business, contract, "付款方式需与客户财务再确认，金额请按最新报价单修改。")
            continue
        if target == "business_review":
            continue
        services.approve(business, contract, note="业务条款无误")
        if target == "branch_review":
            continue
        branch = db.session.get(type(owner), contract.handler_id)
        services.approve(branch, contract, note="同意签约")
        if target == "signing":
            continue
        services.upload_signed_copy(owner, contract, _upload(_pdf(f"Signed contract {contract.code}"),
                                                             f"{contract.code} 盖章扫描件.pdf"))
        if contract.is_leased_line:
            if target == "construction":
                continue
            services.record_construction(owner, contract, {
                "bandwidth": "100", "sites": "2", "circuit_ids": f"JC-{contract.id:04d}-A\nJC-{contract.id:04d}-B",
                "completed_on": (today - timedelta(days=3)).isoformat()})
        if target == "confirmation":
            continue
        confirmer = db.session.get(type(owner), contract.handler_id)
        services.confirm(confirmer, contract)
    db.session.flush()
