"""Fixtures of the intel plugin's tests: the `world` of tests/conftest.py (province → city →
county X1 with grids G1/G2 and county X2; am1, am2 in X1's grids, am3 "outsider" in X2, the
county lead of X1) plus an intel admin in the city, a second intel admin in another city,
the competitor list and the opportunity catalogue, and helpers that record, rate and push
an item as someone."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from plugins.intel import services
from plugins.opportunity import services as opportunities
from tests.support.factories import make_unit, make_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")


@dataclass
class IntelWorld:
    world: object
    admin: object         # intel admin of the city (screens X1 and X2)
    far_admin: object     # intel admin of another city
    far_am: object        # an AM in that other city
    competitors: dict

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def iw(world):
    with system_scope():
        services.ensure_competitors()
        opportunities.ensure_catalogue()
        competitors = {row.name: row for row in services.competitors()}
    other_city = make_unit("C2", "city", world.province)
    far_county = make_unit("X9", "county", other_city)
    people = dict(admin=make_user("intel_admin", world.city, "intel"),
                  far_admin=make_user("intel_admin", other_city, "intel2"),
                  far_am=make_user("account_manager", far_county, "am9"))
    db.session.commit()
    return IntelWorld(world=world, competitors=competitors, **people)


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def values(iw, owner=None, **overrides) -> dict:
    owner = owner or iw.am1
    base = {"title": "移动推5G专网免费试用", "competitor_id": iw.competitors["中国移动"].id,
            "customer_id": iw.customers[owner.username].id if owner.username in iw.customers else None,
            "product": "5G行业专网",
            "offer": "试用三个月免费", "source": "visit", "source_detail": "信息科主任",
            "observed_on": (services.today() - timedelta(days=2)).isoformat(),
            "description": "客户透露移动多次上门"}
    base.update(overrides)
    return base


def submit(iw, owner=None, uploads=(), **overrides) -> int:
    """An item recorded by `owner` (am1), committed; returns its id."""
    owner = owner or iw.am1
    with acting_as(owner.scope):
        item = services.submit_intel(owner, values(iw, owner, **overrides), uploads)
        db.session.commit()
        return item.id


def load(intel_id):
    db.session.expire_all()
    with system_scope():
        return services.get_intel(intel_id)


def act(user, intel_id, action, *args, **kwargs):
    """services.<action>(user, item, ...) as `user`, committed; returns the result."""
    with acting_as(user.scope):
        result = getattr(services, action)(user, services.get_intel(intel_id), *args, **kwargs)
        db.session.commit()
        return result


def rated(iw, owner=None, value="high", **overrides) -> int:
    intel_id = submit(iw, owner, **overrides)
    act(iw.admin, intel_id, "rate", value=value, tags=["5G"])
    return intel_id


def pushed(iw, recipients, owner=None, value="high", **overrides) -> int:
    intel_id = rated(iw, owner, value, **overrides)
    act(iw.admin, intel_id, "push", [person.id for person in recipients], note="请关注")
    return intel_id
