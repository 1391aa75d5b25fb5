"""The standard template library (合同标准模版库): .docx templates with docxtpl fields merged
from the contract, its customer and its opportunity.

Templates are rendered in Jinja's sandbox (an uploaded template cannot reach Python
internals) with XML escaping on (a customer named "A&B" cannot break the document). A
template is validated when it is uploaded: it must render with sample data, and every field
it uses must be one of FIELDS — unknown ones are listed back to the uploader.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docxtpl import DocxTemplate
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    sample: str


FIELDS: tuple[Field, ...] = (
    Field("contract.code", _l("Contract number"), "HT202611-0001"),
    Field("contract.title", _l("Contract title"), "市政务服务中心互联网专线"),
    Field("contract.party_a", _l("Party A (customer)"), "某市政务服务中心"),
    Field("contract.party_b", _l("Party B (our company)"), "中国电信股份有限公司某市分公司"),
    Field("contract.amount", _l("Amount (yuan, 2 decimals)"), "120,000.00"),
    Field("contract.amount_in_words", _l("Amount in Chinese capitals"), "壹拾贰万元整"),
    Field("contract.start_date", _l("Term starts"), "2026-12-01"),
    Field("contract.end_date", _l("Term ends"), "2029-11-30"),
    Field("contract.term_months", _l("Term in months"), "36"),
    Field("contract.products", _l("Products and services"), "互联网专线 100M ×2"),
    Field("contract.payment_terms", _l("Payment terms"), "按月支付，每月10日前"),
    Field("contract.notes", _l("Notes"), ""),
    Field("customer.name", _l("Customer name"), "某市政务服务中心"),
    Field("customer.code", _l("Customer code"), "C000123"),
    Field("customer.address", _l("Customer address"), "某市人民路1号"),
    Field("customer.industry", _l("Customer industry"), "政务"),
    Field("opportunity.code", _l("Opportunity number"), "SJ202611-0042"),
    Field("opportunity.title", _l("Opportunity title"), "政务中心专线扩容"),
    Field("opportunity.category", _l("Business category"), "互联网专线"),
    Field("opportunity.bandwidth", _l("Bandwidth (Mbps), leased lines"), "100"),
    Field("opportunity.sites", _l("Number of sites, leased lines"), "2"),
    Field("opportunity.addresses", _l("Site addresses, leased lines"), "人民路1号；建设路8号"),
    Field("opportunity.access_method", _l("Access method, leased lines"), "光纤直连"),
    Field("manager.name", _l("Account manager"), "张经理"),
    Field("manager.phone", _l("Account manager's phone"), "13800000000"),
    Field("today", _l("Date generated"), "2026-11-23"),
)
FIELD_NAMES = frozenset(field.name for field in FIELDS)


class TemplateProblem(Exception):
    """The template cannot be used; `unknown` lists fields it uses that do not exist."""

    def __init__(self, message, unknown: list[str] | None = None):
        super().__init__(str(message))
        self.message = message
        self.unknown = unknown or []


def _nest(flat: dict[str, str]) -> dict:
    context: dict = {}
    for name, value in flat.items():
        head, _dot, tail = name.partition(".")
        if tail:
            context.setdefault(head, {})[tail] = value
        else:
            context[head] = value
    return context


def sample_context() -> dict:
    return _nest({field.name: field.sample for field in FIELDS})


class _Recording(Undefined):
    """An undefined name or attribute renders empty and is remembered, so one pass lists
    every unknown field rather than stopping at the first."""

    seen: list[str]

    def _record(self) -> None:
        owner = self._undefined_obj
        name = self._undefined_name or ""
        if isinstance(owner, dict) and owner.get("__field_prefix__"):
            name = f"{owner['__field_prefix__']}.{name}"
        _Recording.seen.append(name)

    def __str__(self) -> str:
        self._record()
        return ""

    def __iter__(self):
        self._record()
        return iter(())

    def __bool__(self) -> bool:
        self._record()
        return False

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._record()
        return self


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=_Recording, autoescape=False)


def _with_prefixes(context: dict) -> dict:
    prepared = {}
    for key, value in context.items():
        prepared[key] = dict(value, __field_prefix__=key) if isinstance(value, dict) else value
    return prepared


def render(template_bytes: bytes, context: dict) -> tuple[bytes, list[str]]:
    """Merge `context` into the template; returns the document and the unknown fields used."""
    _Recording.seen = []
    try:
        document = DocxTemplate(io.BytesIO(template_bytes))
        document.render(_with_prefixes(context), jinja_env=_environment(), autoescape=True)
    except TemplateSyntaxError as error:
        raise TemplateProblem(_l("A field in the template cannot be read (line %(line)s: %(error)s). Check "
                                 "the {{ }} brackets.", line=error.lineno, error=error.message)) from None
    except SecurityError:
        raise TemplateProblem(_l("The template uses something that is not allowed in a field.")) from None
    except Exception as error:  # a damaged .docx, a bad tag docxtpl cannot place ...
        raise TemplateProblem(_l("The template could not be merged: %(error)s", error=str(error)[:200])) from None
    output = io.BytesIO()
    document.save(output)
    unknown = sorted({name for name in _Recording.seen if name and not name.startswith("__")})
    return output.getvalue(), unknown


def validate(template_bytes: bytes) -> list[str]:
    """Check a template with sample data; returns the fields it uses. Raises TemplateProblem
    listing unknown fields, or naming the syntax error."""
    _document, unknown = render(template_bytes, sample_context())
    if unknown:
        raise TemplateProblem(_l("The template uses fields that do not exist: %(fields)s. The available "
                                 "fields are listed on this page.", fields=", ".join(unknown)), unknown)
    try:
        used = DocxTemplate(io.BytesIO(template_bytes))
        variables = used.get_undeclared_template_variables(_environment())
    except Exception:  # already rendered fine; the list is informative only
        variables = set()
    return sorted(variables)


def amount_in_words(amount: Decimal | None) -> str:
    """人民币大写: 120000.50 → 壹拾贰万元伍角整 (as written on Chinese contracts)."""
    if amount is None:
        return ""
    digits = "零壹贰叁肆伍陆柒捌玖"
    units = ["", "拾", "佰", "仟"]
    big_units = ["", "万", "亿", "兆"]
    value = Decimal(amount).quantize(Decimal("0.01"))
    if value < 0:
        return "负" + amount_in_words(-value)
    integer = int(value)
    cents = int((value - integer) * 100)
    jiao, fen = divmod(cents, 10)
    words = ""
    if integer == 0:
        words = "零"
    else:
        groups = []
        while integer:
            groups.append(integer % 10000)
            integer //= 10000
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(words)
                continue
            text = ""
            zero = False
            for position in range(3, -1, -1):
                digit = group // (10 ** position) % 10
                if digit == 0:
                    zero = bool(text)
                else:
                    if zero:
                        text += "零"
                        zero = False
                    text += digits[digit] + units[position]
            if words and (need_zero or group < 1000):
                words += "零"
            words += text + big_units[index]
            need_zero = False
    result = words + "元"
    if jiao == 0 and fen == 0:
        return result + "整"
    if jiao:
        result += digits[jiao] + "角"
    elif words != "零":
        result += "零"
    if fen:
        result += digits[fen] + "分"
    else:
        result += "整"
    return result


def _money(amount) -> str:
    return f"{Decimal(amount):,.2f}" if amount is not None else ""


def contract_context(contract, today_text: str) -> dict:
    """The fields of one contract, its customer, opportunity and account manager."""
    customer = contract.customer
    opportunity = contract.opportunity
    details = (opportunity.details or {}) if opportunity is not None else {}
    months = ""
    if contract.start_date and contract.end_date:
        span = (contract.end_date.year - contract.start_date.year) * 12 + contract.end_date.month - contract.start_date.month
        if contract.end_date.day >= contract.start_date.day:
            span += 1
        months = str(max(span, 1))
    owner = contract.owner
    flat = {
        "contract.code": contract.code, "contract.title": contract.title, "contract.party_a": contract.party_a,
        "contract.party_b": contract.party_b, "contract.amount": _money(contract.amount),
        "contract.amount_in_words": amount_in_words(contract.amount),
        "contract.start_date": contract.start_date.isoformat() if contract.start_date else "",
        "contract.end_date": contract.end_date.isoformat() if contract.end_date else "",
        "contract.term_months": months, "contract.products": contract.products,
        "contract.payment_terms": contract.payment_terms, "contract.notes": contract.notes,
        "customer.name": getattr(customer, "name", "") or "", "customer.code": getattr(customer, "code", "") or "",
        "customer.address": getattr(customer, "address", "") or "",
        "customer.industry": getattr(customer, "industry", "") or "",
        "opportunity.code": getattr(opportunity, "code", "") or "",
        "opportunity.title": getattr(opportunity, "title", "") or "",
        "opportunity.category": opportunity.category.label if opportunity is not None and opportunity.category else "",
        "opportunity.bandwidth": str(details.get("bandwidth", "") or ""),
        "opportunity.sites": str(details.get("sites", "") or ""),
        "opportunity.addresses": "；".join(str(details.get("addresses", "") or "").splitlines()),
        "opportunity.access_method": str(details.get("access_method", "") or ""),
        "manager.name": owner.name if owner is not None else "",
        "manager.phone": (getattr(owner, "phone", "") or "") if owner is not None else "",
        "today": today_text,
    }
    return _nest(flat)


# -- the two standard templates shipped with the plugin ---------------------------------------

def _heading(document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(18)


def _clause(document, title: str, body: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(title).bold = True
    document.add_paragraph(body)


def _parties(document) -> None:
    document.add_paragraph("合同编号：{{ contract.code }}")
    document.add_paragraph("甲方（客户）：{{ contract.party_a }}")
    document.add_paragraph("地址：{{ customer.address }}")
    document.add_paragraph("乙方：{{ contract.party_b }}")
    document.add_paragraph("乙方客户经理：{{ manager.name }}　联系电话：{{ manager.phone }}")


def _signatures(document) -> None:
    table = document.add_table(rows=3, cols=2)
    cells = [("甲方（盖章）：", "乙方（盖章）："), ("授权代表（签字）：", "授权代表（签字）："),
             ("日期：　　年　　月　　日", "日期：　　年　　月　　日")]
    for row, (left, right) in zip(table.rows, cells):
        row.cells[0].text = left
        row.cells[1].text = right


def leased_line_template() -> bytes:
    """集团专线业务合同: the standard leased-line contract."""
    document = Document()
    _heading(document, "集团专线业务合同")
    _parties(document)
    document.add_paragraph("甲乙双方经友好协商，就乙方为甲方提供专线业务事宜，订立本合同。")
    _clause(document, "第一条　业务内容",
            "乙方为甲方提供{{ opportunity.category }}业务：{{ contract.products }}。接入带宽 {{ opportunity.bandwidth }} Mbps，"
            "站点 {{ opportunity.sites }} 个（{{ opportunity.addresses }}），接入方式：{{ opportunity.access_method }}。")
    _clause(document, "第二条　合同期限",
            "自 {{ contract.start_date }} 起至 {{ contract.end_date }} 止，共 {{ contract.term_months }} 个月。")
    _clause(document, "第三条　费用及支付",
            "合同总金额人民币 {{ contract.amount }} 元（大写：{{ contract.amount_in_words }}）。支付方式：{{ contract.payment_terms }}。")
    _clause(document, "第四条　服务质量",
            "乙方保证专线月可用率不低于99.9%，故障受理7×24小时，市区4小时、郊县8小时内恢复。")
    _clause(document, "第五条　双方责任",
            "甲方应按时支付费用，不得将专线转租或用于违法用途；乙方应按约定提供线路及维护服务，并对甲方信息保密。")
    _clause(document, "第六条　违约责任",
            "任何一方违约，应承担由此给对方造成的直接损失。甲方逾期付款的，每日按应付金额的万分之五支付违约金。")
    _clause(document, "第七条　争议解决", "因本合同引起的争议，双方协商解决；协商不成的，提交乙方所在地人民法院诉讼解决。")
    _clause(document, "第八条　其他", "本合同一式肆份，甲乙双方各执贰份，自双方盖章之日起生效。{{ contract.notes }}")
    _signatures(document)
    document.add_paragraph("（本合同由客户经理工作台于 {{ today }} 根据商机 {{ opportunity.code }} 生成）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ict_service_template() -> bytes:
    """通用信息化服务合同: the general information-technology service contract."""
    document = Document()
    _heading(document, "通用信息化服务合同")
    _parties(document)
    document.add_paragraph("根据《中华人民共和国民法典》及相关法律法规，甲乙双方就信息化服务事宜达成如下协议。")
    _clause(document, "第一条　服务内容", "项目名称：{{ contract.title }}。服务内容：{{ contract.products }}。")
    _clause(document, "第二条　服务期限", "自 {{ contract.start_date }} 起至 {{ contract.end_date }} 止。")
    _clause(document, "第三条　合同价款",
            "合同总价人民币 {{ contract.amount }} 元（大写：{{ contract.amount_in_words }}），含税。支付方式：{{ contract.payment_terms }}。")
    _clause(document, "第四条　交付与验收", "乙方按双方确认的实施方案交付，甲方在交付后十五个工作日内组织验收。")
    _clause(document, "第五条　知识产权与保密", "项目中甲方提供的数据归甲方所有；双方对在合作中知悉的对方商业秘密负有保密义务。")
    _clause(document, "第六条　违约责任", "一方违反本合同约定的，应赔偿对方因此遭受的直接损失。")
    _clause(document, "第七条　争议解决", "因本合同引起的争议，双方协商解决；协商不成的，提交乙方所在地人民法院诉讼解决。")
    _clause(document, "第八条　其他", "{{ contract.notes }}")
    _signatures(document)
    document.add_paragraph("（生成日期：{{ today }}）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


STANDARD_TEMPLATES = (
    ("集团专线业务合同", "专线类业务（互联网专线、数据专线、语音专线、SD-WAN）的标准合同。", True, leased_line_template),
    ("通用信息化服务合同", "ICT集成、云、物联网等信息化服务的通用合同。", False, ict_service_template),
)
