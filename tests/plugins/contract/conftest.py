"""Fixtures of the contract plugin's tests: the `world` of tests/conftest.py plus an
opportunity manager, a city manager (branch review) and a contract manager in the city, the
opportunity catalogue, and helpers that carry an opportunity to the contract pre-execution
pool and a contract along its flow."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from docx import Document
from werkzeug.datastructures import FileStorage

from plugins.contract import services
from plugins.opportunity import services as opportunities
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

LEASED = {"bandwidth": "100", "sites": "2", "addresses": "滨江路1号\n江城大道8号", "access_method": "PTN"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")


@dataclass
class ContractWorld:
    world: object
    oppmgr: object
    citymgr: object
    contractmgr: object

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def cw(world):
    with system_scope():
        opportunities.ensure_catalogue()
    people = dict(oppmgr=make_user("opportunity_manager", world.city, "oppmgr"),
                  citymgr=make_user("city_manager", world.city, "citymgr"),
                  contractmgr=make_user("contract_manager", world.city, "contractmgr"))
    db.session.commit()
    return ContractWorld(world=world, **people)


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def docx_bytes(text: str = "合同正文") -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pre_execution(cw, owner=None, category="leased_line_internet", details=None, customer=None) -> int:
    """An opportunity of `owner` (am1) carried to the contract pre-execution pool."""
    owner = owner or cw.am1
    customer = customer or cw.customers[owner.username]
    with acting_as(owner.scope):
        item = opportunities.create_opportunity(
            owner, customer=customer, kind="demand", category_code=category, title="扩容互联网专线",
            expected_revenue="86000", details=(LEASED if category.startswith("leased") else {"product": "云主机"})
            if details is None else details)
        db.session.commit()
        opportunity_id = item.id
    steps = [(cw.oppmgr, "assign", {"assignee": owner}),
             (owner, "submit_survey", {"report": "现场勘察完成"}),
             (None, "review_survey", {"approve": True}),
             (cw.oppmgr, "confirm", {"approve": True})]
    for actor, action, kwargs in steps:
        if actor is None:
            with system_scope():
                actor = opportunities.get_opportunity(opportunity_id).handler
        with acting_as(actor.scope):
            getattr(opportunities, action)(opportunities.get_opportunity(opportunity_id), actor, **kwargs)
            db.session.commit()
    return opportunity_id


def act(user, contract_id, action, *args, **kwargs):
    """services.<action>(user, contract, ...) as `user`, committed; returns the contract id."""
    with acting_as(user.scope):
        getattr(services, action)(user, services.get_contract(contract_id), *args, **kwargs)
        db.session.commit()
    return contract_id


def load(contract_id):
    db.session.expire_all()
    with system_scope():
        return services.get_contract(contract_id)


def new_contract(cw, owner=None, category="leased_line_internet") -> int:
    owner = owner or cw.am1
    opportunity_id = pre_execution(cw, owner, category)
    with acting_as(owner.scope):
        contract = services.create_contract(owner, opportunity_id)
        db.session.commit()
        return contract.id


FILLED = {"party_b": "中国电信股份有限公司江城分公司", "amount": "86000.00",
          "products": "互联网专线 100M", "payment_terms": "按月支付"}


def fill(cw, contract_id, owner=None):
    owner = owner or cw.am1
    start = date.today() + timedelta(days=10)
    values = dict(FILLED, start_date=start.isoformat(), end_date=(start + timedelta(days=365)).isoformat())
    with acting_as(owner.scope):
        contract = services.get_contract(contract_id)
        services.update_contract(owner, contract, values, contract.version)
        services.attach_contract_file(owner, contract, upload(PDF, "合同.pdf"))
        db.session.commit()
    return contract_id


def to_state(cw, state: str, category="leased_line_internet", owner=None) -> int:
    """A contract of am1 carried along the flow up to `state`."""
    owner = owner or cw.am1
    cid = new_contract(cw, owner, category)
    if state == "draft":
        return cid
    fill(cw, cid, owner)
    act(owner, cid, "submit")
    if state == "business_review":
        return cid
    act(cw.lead, cid, "approve")
    if state == "branch_review":
        return cid
    act(cw.citymgr, cid, "approve")
    if state == "signing":
        return cid
    act(owner, cid, "upload_signed_copy", upload(PDF, "盖章件.pdf"))
    if state in ("construction", "confirmation") and load(cid).state == state:
        return cid
    if load(cid).state == "construction":
        act(owner, cid, "record_construction", {"bandwidth": "100", "sites": "2", "circuit_ids": "JC-1\nJC-2",
                                                "completed_on": date.today().isoformat()})
    if state == "confirmation":
        return cid
    act(cw.contractmgr, cid, "confirm")
    return cid
