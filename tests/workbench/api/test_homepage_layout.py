"""GET/PUT /api/v1/homepage/layout: the effective layout, saving, conflicts, bad widgets."""
from __future__ import annotations

from tests.workbench.api.expectations import assert_error_shape
from workbench.auth.models import Role
from workbench.extensions import db
from workbench.homepage import services
from workbench.org.scope import system_scope

URL = "/api/v1/homepage/layout"


def test_the_layout_lists_widgets_with_width_lock_and_title(world, api_for):
    body = api_for(world.am1).get(URL).get_json()
    assert body["version"] == 0
    assert body["widgets"], "an AM without a saved layout gets the default widgets"
    for widget in body["widgets"]:
        assert set(widget) == {"key", "width", "locked", "title"}
        assert widget["width"] in services.WIDTHS


def test_saving_keeps_the_order_and_widths_and_bumps_the_version(world, api_for):
    api = api_for(world.am1)
    keys = [widget["key"] for widget in api.get(URL).get_json()["widgets"]]
    wanted = [{"key": keys[-1], "width": 12}, {"key": keys[0], "width": 4}]
    response = api.put(URL, json={"widgets": wanted, "version": 0})
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == 1
    assert [(w["key"], w["width"]) for w in body["widgets"]] == [(keys[-1], 12), (keys[0], 4)]
    assert {w["key"] for w in body["available"]} == set(keys[1:-1])


def test_saving_on_a_stale_version_answers_409_and_keeps_the_stored_layout(world, api_for):
    api = api_for(world.am1)
    keys = [widget["key"] for widget in api.get(URL).get_json()["widgets"]]
    assert api.put(URL, json={"widgets": [{"key": keys[0]}], "version": 0}).status_code == 200
    response = api.put(URL, json={"widgets": [{"key": keys[1]}], "version": 0})
    assert_error_shape(response, 409)
    body = api.get(URL).get_json()
    assert body["version"] == 1 and [w["key"] for w in body["widgets"]] == [keys[0]]


def test_an_unknown_widget_is_refused_with_400_and_nothing_is_saved(world, api_for):
    api = api_for(world.am1)
    response = api.put(URL, json={"widgets": [{"key": "no.such.widget"}], "version": 0})
    assert "no.such.widget" in assert_error_shape(response, 400)["message"]
    assert api.get(URL).get_json()["version"] == 0


def test_a_bad_width_is_refused_per_field(world, api_for):
    api = api_for(world.am1)
    key = api.get(URL).get_json()["widgets"][0]["key"]
    response = api.put(URL, json={"widgets": [{"key": key, "width": 5}], "version": 0})
    body = assert_error_shape(response, 422)
    assert body["errors"] == {"widgets": {"0": {"width": body["errors"]["widgets"]["0"]["width"]}}}


def test_a_body_without_widgets_is_refused(world, api_for):
    body = assert_error_shape(api_for(world.am1).put(URL, json={"version": 0}), 422)
    assert "widgets" in body["errors"]


def test_locked_widgets_come_first_and_stay_whatever_the_user_sends(world, api_for):
    api = api_for(world.am1)
    keys = [widget["key"] for widget in api.get(URL).get_json()["widgets"]]
    with system_scope():
        role = db.session.query(Role).filter_by(name="account_manager").one()
        services.set_role_layout(world.admin, role, [{"key": keys[0], "width": 6}], locked=[keys[0]])
    db.session.commit()
    body = api.put(URL, json={"widgets": [{"key": keys[1], "width": 6}], "version": 0}).get_json()
    assert body["widgets"][0] == {"key": keys[0], "width": 6, "locked": True, "title": body["widgets"][0]["title"]}
    assert [w["key"] for w in body["widgets"][1:]] == [keys[1]]
