"""Fixtures of the resources plugin's tests: the `world` of tests/conftest.py (province P →
city C1 → county X1 with grids G1 (am1), G2 (am2); county X2 with am3) plus a city manager
(approves the second step, manages the stock), two resource types (gifts: lead at county →
city manager at city; marketing material: lead only), catalogue items and stock held by the
city and by county X1, and helpers to carry a request along its flow."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from werkzeug.datastructures import FileStorage

from plugins.resources import services
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")
GIFT_STEPS = [{"role": "lead", "level": "county"}, {"role": "city_manager", "level": "city"}]


@dataclass
class ResourcesWorld:
    world: object
    citymgr: object
    gift: object           # type GIFT (two steps)
    material: object       # type MKT (one step)
    cup: object            # item: 保温杯, 68.00
    leaflet: object        # item: 宣传折页, 1.50
    cups: int              # stock id: cups held by the city (C1), 10 on hand
    leaflets: int          # stock id: leaflets held by county X1, 500 on hand
    other_cups: int        # stock id: cups held by county X2, 5 on hand

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def rw(world):
    citymgr = make_user("city_manager", world.city, "citymgr")
    admin = world.admin
    with system_scope():
        gift = services.save_type(admin, {"code": "GIFT", "name": "礼品", "steps": GIFT_STEPS})
        material = services.save_type(admin, {"code": "MKT", "name": "营销物料",
                                               "steps": [{"role": "lead", "level": "county"}]})
        cup = services.save_item(admin, {"code": "LP-001", "name": "定制保温杯", "type_id": gift.id, "measure": "个",
                                         "unit_value": "68.00"})
        leaflet = services.save_item(admin, {"code": "WL-001", "name": "宣传折页", "type_id": material.id,
                                             "measure": "份", "unit_value": "1.50"})
        cups = services.open_stock(admin, cup.id, world.city.id, low_threshold=2, quantity=10, reason="期初入库")
        leaflets = services.open_stock(admin, leaflet.id, world.county.id, quantity=500, reason="期初入库")
        other = services.open_stock(admin, cup.id, world.other_county.id, quantity=5, reason="期初入库")
        db.session.commit()
        return ResourcesWorld(world=world, citymgr=citymgr, gift=gift, material=material, cup=cup, leaflet=leaflet,
                              cups=cups.id, leaflets=leaflets.id, other_cups=other.id)


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def new_request(rw, owner=None, stock=None, quantity=2, title="年终答谢礼品", purpose="年终走访重点客户") -> int:
    owner = owner or rw.am1
    with acting_as(owner.scope):
        request = services.create_request(owner, customer_id=rw.customers[owner.username].id, title=title,
                                          purpose=purpose, lines=[{"stock_id": stock or rw.cups, "quantity": quantity}])
        db.session.commit()
        return request.id


def act(user, request_id, action, *args, **kwargs):
    """services.<action>(user, request, ...) as `user`, committed; returns the request id."""
    with acting_as(user.scope):
        getattr(services, action)(user, services.get_request(request_id), *args, **kwargs)
        db.session.commit()
    return request_id


def load(request_id):
    db.session.expire_all()
    with system_scope():
        return services.get_request(request_id)


def stock(stock_id):
    db.session.expire_all()
    with system_scope():
        return services.get_stock(stock_id)


def to_state(rw, state: str, quantity: int = 2, owner=None) -> int:
    """A gift request of am1 (two steps) carried to `state`."""
    owner = owner or rw.am1
    rid = new_request(rw, owner=owner, quantity=quantity)
    if state == "pending":
        return rid
    act(rw.lead, rid, "approve")
    if state == "pending_city":
        return rid
    act(rw.citymgr, rid, "approve")
    if state == "approved":
        return rid
    act(rw.citymgr, rid, "issue")
    if state == "issued":
        return rid
    act(owner, rid, "confirm_use", note="已交付客户")
    return rid
