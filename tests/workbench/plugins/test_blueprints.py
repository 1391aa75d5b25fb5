"""workbench_blueprints: pages and JSON API of plugins are registered; clashes name the plugin."""
from __future__ import annotations

import pytest
from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from workbench.hookspecs import hookimpl
from workbench.plugins import PluginError

from tests.workbench.plugins.samples import with_probe


@with_probe
def test_a_plugin_page_from_workbench_blueprints_answers_inside_the_layout(app, world, client_for):
    response = client_for(world.am1).get("/probe/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="probe-title"' in html and "<nav" in html  # extends base.html


@with_probe
def test_a_plugin_page_asks_anonymous_visitors_to_sign_in(app, client):
    assert client.get("/probe/").status_code in (302, 401)


def test_a_json_api_blueprint_lands_in_the_core_api_and_its_document(start_app, plugin_module):
    api_bp = ApiBlueprint("apiprobe", __name__, url_prefix="/api/v1/apiprobe", description="Probe API")

    @api_bp.route("/ping")
    def ping():
        return {"pong": True}

    @hookimpl
    def workbench_blueprints():
        return [api_bp]

    app = start_app({"apiprobe": plugin_module("apiprobe", workbench_blueprints=workbench_blueprints)})
    client = app.test_client()
    assert client.get("/api/v1/apiprobe/ping").get_json() == {"pong": True}
    assert "/api/v1/apiprobe/ping" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_a_blueprint_name_the_core_uses_stops_start_up_naming_the_plugin(start_app, plugin_module):
    @hookimpl
    def workbench_blueprints():
        return [Blueprint("inbox", __name__, url_prefix="/fake-inbox")]

    with pytest.raises(PluginError) as failure:
        start_app({"impostor": plugin_module("impostor", workbench_blueprints=workbench_blueprints)})
    assert failure.value.plugin == "impostor"
    assert "cannot register blueprint 'inbox'" in str(failure.value)


def test_something_else_than_a_blueprint_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_blueprints():
        return ["/probe"]

    with pytest.raises(PluginError) as failure:
        start_app({"stringy": plugin_module("stringy", workbench_blueprints=workbench_blueprints)})
    assert failure.value.plugin == "stringy" and "expected Blueprint" in str(failure.value)
