"""Who may call the API: token clients, browser sessions (with CSRF to change things), nobody else."""
from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD
from tests.workbench.api.expectations import assert_error_shape
from workbench.auth.models import User
from workbench.extensions import db

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")


def test_a_token_in_the_header_authenticates_the_caller(world, api_for):
    response = api_for(world.am1).get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["username"] == "am1"
    assert response.get_json()["scope_level"] == "own"


def test_a_token_request_sets_no_session_cookie(world, api_for):
    response = api_for(world.am1).get("/api/v1/me")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_forged_token_is_refused_with_401_json(world, client):
    response = client.get("/api/v1/me", headers={"Authentication-Token": "not-a-real-token"})
    body = assert_error_shape(response, 401)
    assert "token" in body["message"].lower()


def test_a_bad_token_is_refused_even_with_a_signed_in_session(world, client_for):
    client = client_for(world.am1)
    response = client.get("/api/v1/me", headers={"Authentication-Token": "garbage"})
    assert_error_shape(response, 401)


def test_no_credentials_answers_401_json(world, client):
    assert_error_shape(client.get("/api/v1/todos"), 401)


def test_the_token_of_a_deactivated_account_stops_working(world, api_for):
    api = api_for(world.am1)
    user = db.session.get(User, world.am1.id)
    user.active = False
    db.session.commit()
    assert_error_shape(api.get("/api/v1/me"), 401)


def test_a_token_of_an_account_that_lost_api_use_is_refused_with_403(world, api_for):
    api = api_for(world.am1)
    user = db.session.get(User, world.am1.id)
    for role in user.roles:
        role.permissions = [p for p in role.permissions if p != "api.use"]
    db.session.commit()
    assert_error_shape(api.get("/api/v1/me"), 403)


def test_a_token_in_the_query_string_is_refused_even_when_valid(world, client, token_for):
    token = token_for(world.am1)
    response = client.get(f"/api/v1/me?auth_token={token}")
    body = assert_error_shape(response, 400)
    assert "Authentication-Token header" in body["message"]


def test_flask_security_ignores_a_token_in_the_query_string_anywhere(app, world, token_for):
    from flask import request

    token = token_for(world.am1)
    with app.test_request_context(f"/customers/?auth_token={token}"):
        assert app.login_manager.request_callback(request) is None


def test_a_token_in_a_json_body_does_not_authenticate(world, client, token_for):
    response = client.post("/api/v1/todos/1/snooze", json={"auth_token": token_for(world.am1),
                                                            "until": "2099-01-01T00:00:00Z"})
    assert_error_shape(response, 401)


def test_a_session_without_csrf_reads_without_a_token(world, client_for):
    client = client_for(world.am1)
    assert client.get("/api/v1/me").get_json()["username"] == "am1"


@pytest.mark.csrf
def test_a_session_post_without_the_csrf_header_is_refused_with_400(world, browser_for):
    client, _csrf = browser_for(world.am1)
    layout = client.get("/api/v1/homepage/layout").get_json()
    response = client.put("/api/v1/homepage/layout", json={"widgets": [], "version": layout["version"]})
    body = assert_error_shape(response, 400)
    assert "X-CSRFToken" in body["message"]
    assert client.get("/api/v1/homepage/layout").get_json()["version"] == layout["version"]


@pytest.mark.csrf
def test_a_session_post_with_the_csrf_header_is_accepted(world, browser_for):
    from tests.support.factories import make_todo

    todo = make_todo(world.am1)
    db.session.commit()
    client, csrf_token = browser_for(world.am1)
    response = client.post(f"/api/v1/todos/{todo.id}/done", json={"note": "called back", "version": todo.version},
                           headers={"X-CSRFToken": csrf_token})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "done"


@pytest.mark.csrf
def test_a_token_client_needs_no_csrf_token(world, api_for):
    api = api_for(world.am1)
    layout = api.get("/api/v1/homepage/layout").get_json()
    response = api.put("/api/v1/homepage/layout", json={"widgets": [], "version": layout["version"]})
    assert response.status_code == 200, response.get_json()


@pytest.mark.csrf
def test_the_token_endpoint_needs_no_csrf_token(world, client):
    response = client.post("/api/v1/auth/token", json={"username": "am1", "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
