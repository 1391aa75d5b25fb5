"""Fixtures of the opportunity plugin's tests: the `world` of tests/conftest.py plus an
opportunity manager in the city, an information reporter in am1's grid and the shipped
category catalogue; helpers that move an opportunity along the flow."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from plugins.opportunity import services
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

LEASED = {"bandwidth": "100", "sites": "2", "addresses": "滨江路1号\n江城大道8号", "access_method": "PTN"}


@dataclass
class OppWorld:
    world: object
    oppmgr: object
    reporter: object

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def opp(world):
    with system_scope():
        services.ensure_catalogue()
    oppmgr = make_user("opportunity_manager", world.city, "oppmgr")
    reporter = make_user("info_reporter", world.grid1, "reporter")
    db.session.commit()
    return OppWorld(world=world, oppmgr=oppmgr, reporter=reporter)


def create(user, customer, *, category="leased_line_internet", details=None, **values):
    """A new opportunity reported by `user` (committed)."""
    values.setdefault("kind", "demand")
    values.setdefault("title", "扩容互联网专线")
    with acting_as(user.scope):
        item = services.create_opportunity(user, customer=customer, category_code=category,
                                           details=LEASED if details is None else details, **values)
        db.session.commit()
        return item.id


def act(user, opportunity_id, action, *args, **kwargs):
    """Run services.<action>(opportunity, user, ...) as `user` and commit; returns the id."""
    with acting_as(user.scope):
        item = services.get_opportunity(opportunity_id)
        getattr(services, action)(item, user, *args, **kwargs)
        db.session.commit()
    return opportunity_id


def load(opportunity_id):
    db.session.expire_all()
    with system_scope():
        return services.get_opportunity(opportunity_id)


def to_stage(opp, stage, customer=None):
    """An opportunity of am1's customer moved along the flow up to `stage`."""
    oid = create(opp.am1, customer or opp.customers["am1"])
    if stage == "new":
        return oid
    act(opp.oppmgr, oid, "assign", assignee=opp.am1)
    if stage == "assignment":
        return oid
    act(opp.am1, oid, "submit_survey", report="现场勘察完成，具备接入条件")
    if stage == "survey_review":
        return oid
    act(opp.lead, oid, "review_survey", approve=True)
    if stage == "confirmation":
        return oid
    act(opp.oppmgr, oid, "confirm", approve=True)
    return oid


@pytest.fixture
def events(app):
    """The events delivered during the test (after their transaction committed)."""
    from workbench.hookspecs import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def workbench_handle_event(self, event):
            seen.append(event)

    pm = app.extensions["workbench.plugins"].pm
    listener = Listener()
    pm.register(listener, name="opportunity-test-listener")
    yield seen
    pm.unregister(listener)
