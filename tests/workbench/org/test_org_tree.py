"""The org tree keeps materialised paths right when units are created and moved."""
from __future__ import annotations

import pytest

from tests.support.factories import make_unit
from workbench.errors import ServiceError
from workbench.org import services


def test_paths_nest_from_province_down_to_grid(world):
    assert world.grid1.path.startswith(world.county.path)
    assert world.county.path.startswith(world.city.path)
    assert world.grid1.is_within(world.province)
    assert not world.grid1.is_within(world.other_county)


def test_a_county_cannot_sit_under_a_grid(world):
    with pytest.raises(ServiceError):
        make_unit("BAD", "county", world.grid1)


def test_only_a_province_is_a_root(app):
    with pytest.raises(ServiceError):
        make_unit("ROOT", "city", None)


def test_moving_a_county_moves_its_grids(world):
    other_city = make_unit("C2", "city", world.province)
    services.move_unit(world.county, other_city)
    from workbench.extensions import db

    db.session.refresh(world.grid1)
    assert world.grid1.path.startswith(other_city.path)
    assert world.grid1.path == f"{other_city.path}{world.county.id}/{world.grid1.id}/"


def test_a_unit_cannot_move_below_itself(world):
    with pytest.raises(ServiceError):
        services.move_unit(world.county, world.grid1)
