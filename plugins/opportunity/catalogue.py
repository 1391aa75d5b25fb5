"""The shipped catalogue of 19 business categories (业务类型) and their extra fields.

Administrators edit the catalogue afterwards (permission opportunity.manage_catalogue);
`services.ensure_catalogue()` adds the categories below that are missing (by code) and never
overwrites an edited one. The first migration of the plugin inserts them too.

A field is {"key", "label" (English), "label_zh", "type", "required", "choices", "group"}:
type is one of text, textarea, integer, number, choice, date; `choices` lists the values
offered for a choice; group "basic" is the leased-line "basic situation" block (基本情况).
"""
from __future__ import annotations


def field(key, label, label_zh, type_="text", required=False, choices=None, group="extra"):
    return {"key": key, "label": label, "label_zh": label_zh, "type": type_, "required": required,
            "choices": list(choices or []), "group": group}


# The leased-line "basic situation" block every leased-line category carries.
ACCESS_METHODS = ["光纤直连", "PON", "PTN", "SDH", "OTN", "微波", "5G"]
LEASED_LINE_BASIC = [
    field("bandwidth", "Bandwidth (Mbps)", "带宽（Mbps）", "number", True, group="basic"),
    field("sites", "Number of sites", "站点数", "integer", True, group="basic"),
    field("addresses", "Site addresses (one per line)", "站点地址（每行一个）", "textarea", True, group="basic"),
    field("access_method", "Access method", "接入方式", "choice", True, ACCESS_METHODS, group="basic"),
]

TERM_CHOICES = ["1年", "2年", "3年", "5年"]

# code, name (zh), name (en), parent code, is_ict, is_leased_line, extra fields
CATEGORIES = [
    ("leased_line", "专线", "Leased line", None, False, True,
     [field("term", "Contract term", "合约期", "choice", False, TERM_CHOICES)]),
    ("leased_line_internet", "互联网专线", "Internet leased line", "leased_line", False, True,
     [field("ip_addresses", "Public IP addresses", "公网IP数量", "integer", False),
      field("term", "Contract term", "合约期", "choice", False, TERM_CHOICES)]),
    ("leased_line_data", "数据专线", "Data leased line", "leased_line", False, True,
     [field("endpoints", "Point-to-point or multipoint", "组网方式", "choice", True, ["点对点", "点对多点"]),
      field("term", "Contract term", "合约期", "choice", False, TERM_CHOICES)]),
    ("leased_line_voice", "语音专线", "Voice leased line", "leased_line", False, True,
     [field("channels", "Voice channels", "话路数", "integer", True)]),
    ("leased_line_sdwan", "SD-WAN组网专线", "SD-WAN leased line", "leased_line", False, True,
     [field("branches", "Branches to connect", "接入分支机构数", "integer", True)]),
    ("enterprise_broadband", "企业宽带", "Enterprise broadband", None, False, False,
     [field("lines", "Lines", "宽带条数", "integer", True),
      field("speed", "Speed", "速率", "choice", True, ["200M", "500M", "1000M", "2000M"])]),
    ("iot", "物联网", "IoT", None, False, False,
     [field("cards", "SIM cards", "物联网卡数量", "integer", True),
      field("usage", "Use", "应用场景", "choice", False, ["车联网", "智能表计", "安防监控", "工业控制", "其他"])]),
    ("cloud", "移动云", "Cloud", None, False, False,
     [field("product", "Cloud product", "云产品", "choice", True, ["云主机", "云存储", "云数据库", "专属云"]),
      field("vcpus", "vCPUs", "vCPU核数", "integer", False)]),
    ("idc", "IDC", "IDC", None, False, False,
     [field("racks", "Racks", "机柜数", "integer", True),
      field("power_kw", "Power per rack (kW)", "单机柜功率（kW）", "number", False)]),
    ("industry_sms", "行业短信", "Industry SMS", None, False, False,
     [field("monthly_volume", "Messages per month", "月发送量", "integer", True),
      field("purpose", "Purpose", "用途", "choice", False, ["通知", "验证码", "营销"])]),
    ("vpn_group", "集团V网", "VPN group", None, False, False,
     [field("members", "Members", "成员数", "integer", True)]),
    ("ict_integration", "ICT系统集成", "ICT integration", None, True, False,
     [field("budget", "Customer budget (yuan)", "客户预算（元）", "number", False),
      field("scope", "Scope of work", "建设内容", "textarea", True),
      field("delivery_months", "Delivery time (months)", "建设周期（月）", "integer", False)]),
    ("private_5g", "5G专网", "5G private network", None, True, False,
     [field("coverage", "Coverage area", "覆盖范围", "text", True),
      field("terminals", "Terminals", "终端数", "integer", False)]),
    ("cloud_desktop", "云电脑", "Cloud desktop", None, False, False,
     [field("seats", "Seats", "座席数", "integer", True)]),
    ("video_surveillance", "视频监控", "Video surveillance", None, False, False,
     [field("cameras", "Cameras", "摄像头数", "integer", True),
      field("storage_days", "Days of storage", "存储天数", "integer", False)]),
    ("mobile_office", "移动办公", "Mobile office", None, False, False,
     [field("users", "Users", "用户数", "integer", True)]),
    ("cloud_pbx", "云总机", "Cloud PBX", None, False, False,
     [field("extensions", "Extensions", "分机数", "integer", True)]),
    ("group_mobile", "集团成员业务", "Group member plans", None, False, False,
     [field("numbers", "Member numbers", "成员号码数", "integer", True),
      field("plan", "Plan", "套餐", "choice", False, ["58元档", "88元档", "128元档", "188元档"])]),
    ("smart_industry", "行业信息化应用", "Industry applications", None, True, False,
     [field("industry", "Industry", "行业", "choice", True, ["政务", "教育", "医疗", "金融", "工业", "交通", "其他"]),
      field("application", "Application", "应用名称", "text", True)]),
]


def category_fields(code: str, is_leased_line: bool, extra: list[dict]) -> list[dict]:
    """The stored field list of a shipped category: the basic block first for leased lines."""
    return ([dict(item) for item in LEASED_LINE_BASIC] if is_leased_line else []) + [dict(item) for item in extra]
