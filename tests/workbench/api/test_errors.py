"""The stable error shape under /api/: unknown routes, wrong methods, crashes, bad JSON."""
from __future__ import annotations

import pytest

from tests.workbench.api.expectations import assert_error_shape


def test_an_unknown_route_under_the_api_answers_404_json(world, api_for):
    assert_error_shape(api_for(world.am1).get("/api/v1/no-such-thing"), 404)


def test_an_unknown_route_answers_404_json_even_without_credentials(client):
    assert_error_shape(client.get("/api/v1/customers/1/nothing-here"), 404)


def test_a_wrong_method_answers_405_json_with_the_allowed_methods(world, api_for):
    response = api_for(world.am1).put("/api/v1/todos/counts", json={})
    assert_error_shape(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_refused_per_field(world, api_for):
    response = api_for(world.am1).put("/api/v1/homepage/layout", data="widgets=1",
                                      content_type="application/x-www-form-urlencoded")
    body = assert_error_shape(response, 422)
    assert {"widgets", "version"} <= set(body["errors"])


def test_malformed_json_is_refused_with_the_error_shape(world, api_for):
    response = api_for(world.am1).put("/api/v1/homepage/layout", data="{not json",
                                      content_type="application/json")
    body = assert_error_shape(response, 400)
    assert "JSON" in body["message"] and body["errors"]["_schema"]


def test_a_crash_answers_500_json_without_details(app, client):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/test-explode", "test_explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/test-explode")
    body = assert_error_shape(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["status"] == "Internal Server Error"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/todos", "/api/v1/customers", "/api/v1/homepage/layout"])
def test_every_core_read_refuses_anonymous_callers_with_401_json(client, path):
    assert_error_shape(client.get(path), 401)
