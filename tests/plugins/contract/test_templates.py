"""The standard template library: validating uploads, the shipped templates, generating a
draft from a contract (opened with python-docx to read the merged text)."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document

from plugins.contract import documents, services
from tests.plugins.contract.conftest import act, load, new_contract, upload
from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.files import services as files
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("contract", "opportunity"), pytest.mark.locale("en")]


def template_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_of(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def add_template(user, data, name="测试模版"):
    with acting_as(user.scope):
        template = services.create_template(user, name=name, file_storage=upload(data, "模版.docx"))
        db.session.commit()
        return template.id


def test_a_template_with_known_fields_is_accepted_and_lists_them(cw):
    tid = add_template(cw.contractmgr, template_with("甲方：{{ customer.name }}", "金额：{{ contract.amount }}"))
    template = services.get_template(tid)
    assert template.fields_used == ["contract", "customer"]
    assert template.file.kind == "docx"


def test_a_template_with_unknown_fields_is_refused_listing_them(cw):
    with acting_as(cw.contractmgr.scope), pytest.raises(ServiceError) as error:
        services.create_template(cw.contractmgr, name="坏模版", file_storage=upload(
            template_with("{{ customer.nmae }} {{ contract.amount }} {{ price }}"), "bad.docx"))
    assert "customer.nmae" in str(error.value.message) and "price" in str(error.value.message)
    assert error.value.field == "file"


def test_a_template_with_broken_brackets_is_refused(cw):
    with acting_as(cw.contractmgr.scope), pytest.raises(ServiceError, match="cannot be read"):
        services.create_template(cw.contractmgr, name="坏模版", file_storage=upload(
            template_with("{{ customer.name "), "bad.docx"))


def test_a_template_cannot_reach_python_internals(cw):
    with acting_as(cw.contractmgr.scope), pytest.raises(ServiceError):
        services.create_template(cw.contractmgr, name="恶意", file_storage=upload(
            template_with("{{ customer.__class__.__mro__[1].__subclasses__() }}"), "evil.docx"))


def test_a_template_must_be_a_word_document(cw):
    with acting_as(cw.contractmgr.scope), pytest.raises(ServiceError, match="not accepted"):
        services.create_template(cw.contractmgr, name="PDF", file_storage=upload(b"%PDF-1.4\n%%EOF", "a.pdf"))


def test_an_account_manager_cannot_add_templates(cw):
    with acting_as(cw.am1.scope), pytest.raises(NotAllowed):
        services.create_template(cw.am1, name="x", file_storage=upload(template_with("x"), "x.docx"))


def test_the_two_standard_templates_validate_and_install_once(cw):
    with acting_as(cw.contractmgr.scope):
        added = services.install_standard_templates(cw.contractmgr)
        again = services.install_standard_templates(cw.contractmgr)
        db.session.commit()
    assert [t.name for t in added] == ["集团专线业务合同", "通用信息化服务合同"]
    assert again == []


def test_a_draft_generated_from_a_template_carries_the_contract_customer_and_opportunity(cw):
    with acting_as(cw.contractmgr.scope):
        services.install_standard_templates(cw.contractmgr)
        db.session.commit()
    cid = new_contract(cw)
    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        services.update_contract(cw.am1, contract, {"amount": "120000", "start_date": "2027-01-01",
                                                    "end_date": "2029-12-31", "payment_terms": "按月支付"},
                                 contract.version)
        leased = next(t for t in services.templates() if t.leased_line)
        services.generate_draft(cw.am1, contract, leased)
        db.session.commit()
    contract = load(cid)
    assert contract.contract_file.kind == "docx" and contract.template_id == leased.id
    merged = text_of(files.read_stored(contract.contract_file))
    assert cw.customers["am1"].name in merged
    assert "120,000.00" in merged and "壹拾贰万元整" in merged
    assert "2027-01-01" in merged and "36 个月" in merged
    with system_scope():  # the opportunity loads on use, and outside a scope nothing is visible
        assert contract.opportunity.code in merged
    assert "100 Mbps" in merged and "PTN" in merged
    assert "{{" not in merged


def test_merged_values_are_escaped_so_the_document_stays_valid(cw):
    tid = add_template(cw.contractmgr, template_with("{{ contract.party_a }}"))
    cid = new_contract(cw)
    with acting_as(cw.am1.scope):
        contract = services.get_contract(cid)
        services.update_contract(cw.am1, contract, {"party_a": "A&B <公司>"}, contract.version)
        services.generate_draft(cw.am1, contract, services.get_template(tid))
        db.session.commit()
    assert "A&B <公司>" in text_of(files.read_stored(load(cid).contract_file))


def test_an_archived_template_is_not_offered_and_cannot_be_used(cw):
    tid = add_template(cw.contractmgr, template_with("{{ contract.code }}"))
    with acting_as(cw.contractmgr.scope):
        services.set_template_active(cw.contractmgr, services.get_template(tid), False)
        db.session.commit()
    cid = new_contract(cw)
    with acting_as(cw.am1.scope):
        assert tid not in [t.id for t in services.templates()]
        with pytest.raises(ServiceError, match="archived"):
            services.generate_draft(cw.am1, services.get_contract(cid), services.get_template(tid))


def test_a_draft_cannot_be_generated_once_submitted(cw):
    from tests.plugins.contract.conftest import fill

    tid = add_template(cw.contractmgr, template_with("{{ contract.code }}"))
    cid = fill(cw, new_contract(cw))
    act(cw.am1, cid, "submit")
    with acting_as(cw.am1.scope), pytest.raises(ServiceError, match="draft or sent back"):
        services.generate_draft(cw.am1, services.get_contract(cid), services.get_template(tid))


@pytest.mark.parametrize("amount, words", [
    ("120000", "壹拾贰万元整"), ("100010000", "壹亿零壹万元整"), ("1001.5", "壹仟零壹元伍角整"),
    ("305.07", "叁佰零伍元零柒分"), ("10", "壹拾元整"),
])
def test_amounts_are_written_in_chinese_capitals(amount, words):
    assert documents.amount_in_words(Decimal(amount)) == words
