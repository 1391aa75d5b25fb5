"""Homepage layouts: defaults per role, locked widgets, a user's own arrangement, conflicts."""
from __future__ import annotations

import re

import pytest

from workbench.errors import Conflict, NotAllowed, ServiceError
from workbench.extensions import db
from workbench.homepage import services

SAMPLE = pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"sample": "tests.support.sample_plugin"})


def keys(placed) -> list[str]:
    return [item.key for item in placed]


def grid_keys(html: str) -> list[str]:
    return re.findall(r'class="col-12 col-lg-\d+ wb-widget" data-key="([^"]+)"', html)


def test_without_any_default_every_permitted_widget_is_shown(world):
    placed, version = services.effective_layout(world.am1)
    assert "inbox.my_todos" in keys(placed) and "customers.mine" in keys(placed)
    assert "inbox.team_tasks" not in keys(placed)  # needs the dispatch permission
    assert version == 0


def test_a_user_reorders_resizes_and_removes_widgets(world):
    services.save_layout(world.am1, [{"key": "customers.mine", "width": 12}, {"key": "inbox.my_todos", "width": 4}])
    placed, version = services.effective_layout(world.am1)
    assert [(p.key, p.width) for p in placed] == [("customers.mine", 12), ("inbox.my_todos", 4)]
    assert version == 1


def test_unknown_or_forbidden_widgets_and_bad_widths_are_refused_whole(world):
    services.save_layout(world.am1, [{"key": "inbox.my_todos", "width": 6}])
    for bad in ([{"key": "nope", "width": 6}], [{"key": "inbox.team_tasks", "width": 6}],
                [{"key": "inbox.my_todos", "width": 5}], "not a list", [{"width": 6}]):
        with pytest.raises(ServiceError):
            services.save_layout(world.am1, bad)
    placed, _ = services.effective_layout(world.am1)
    assert keys(placed) == ["inbox.my_todos"]


def test_saving_from_an_old_version_is_a_conflict(world):
    services.save_layout(world.am1, [{"key": "inbox.my_todos", "width": 6}], version=0)
    with pytest.raises(Conflict):
        services.save_layout(world.am1, [{"key": "customers.mine", "width": 6}], version=0)


def test_role_default_with_a_locked_widget(world):
    role = next(r for r in world.am1.roles if r.name == "account_manager")
    services.set_role_layout(world.admin, role, [{"key": "homepage.quick_links", "width": 12},
                                                 {"key": "inbox.my_todos", "width": 6}],
                             locked=["homepage.quick_links"])
    services.save_layout(world.am1, [{"key": "customers.mine", "width": 6}])
    placed, _ = services.effective_layout(world.am1)
    assert keys(placed) == ["homepage.quick_links", "customers.mine"]
    assert placed[0].locked and not placed[1].locked


def test_only_homepage_admins_set_role_layouts(world):
    role = world.am1.roles[0]
    with pytest.raises(NotAllowed):
        services.set_role_layout(world.am1, role, [], [])
    with pytest.raises(ServiceError):
        services.set_role_layout(world.admin, role, [{"key": "inbox.my_todos", "width": 6}], ["customers.mine"])


def test_the_layout_is_kept_across_requests(world, client_for):
    client = client_for(world.am1)
    response = client.post("/homepage/layout", json={"widgets": [{"key": "customers.mine", "width": 4},
                                                                  {"key": "inbox.my_todos", "width": 8}], "version": 0})
    assert response.status_code == 200 and response.json["version"] == 1
    assert grid_keys(client.get("/").get_data(as_text=True)) == ["customers.mine", "inbox.my_todos"]
    stale = client.post("/homepage/layout", json={"widgets": [], "version": 0})
    assert stale.status_code == 409
    assert grid_keys(client.get("/").get_data(as_text=True)) == ["customers.mine", "inbox.my_todos"]


def test_reset_goes_back_to_the_default(world, client_for):
    client = client_for(world.am1)
    client.post("/homepage/layout", json={"widgets": [{"key": "customers.mine", "width": 4}], "version": 0})
    assert client.post("/homepage/layout/reset").status_code == 200
    assert "inbox.my_todos" in grid_keys(client.get("/").get_data(as_text=True))


@SAMPLE
def test_a_broken_widget_shows_an_error_card_and_the_rest_still_works(world, client_for):
    client = client_for(world.am1)
    shell = client.get("/")
    assert shell.status_code == 200 and "sample.broken" in grid_keys(shell.get_data(as_text=True))
    broken = client.get("/homepage/widgets/sample.broken")
    assert broken.status_code == 200 and "wb-widget-error" in broken.get_data(as_text=True)
    assert client.get("/homepage/widgets/inbox.my_todos").status_code == 200


def test_a_widget_the_user_may_not_see_answers_404(world, client_for):
    assert client_for(world.am1).get("/homepage/widgets/inbox.team_tasks").status_code == 404
    assert client_for(world.lead).get("/homepage/widgets/inbox.team_tasks").status_code == 200
