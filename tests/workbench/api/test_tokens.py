"""POST /api/v1/auth/token over HTTP: issuing, generic refusals, throttling."""
from __future__ import annotations

import logging

import pytest

from tests.support.factories import PASSWORD, make_user
from tests.workbench.api.expectations import assert_error_shape

TOKEN_URL = "/api/v1/auth/token"


def test_a_token_is_issued_for_a_right_password_and_works(world, client):
    response = client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "am1" and body["expires_in"] > 0
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authentication-Token": body["token"]})
    assert me.get_json()["username"] == "am1"


def test_the_username_is_matched_like_the_sign_in_form(world, client):
    response = client.post(TOKEN_URL, json={"username": " AM1 ", "password": PASSWORD})
    assert response.status_code == 200


def test_issuing_a_token_does_not_open_a_session(world, client):
    response = client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert_error_shape(client.get("/api/v1/me"), 401)


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(world, client):
    wrong = assert_error_shape(client.post(TOKEN_URL, json={"username": "am1", "password": "nope"}), 401)
    unknown = assert_error_shape(client.post(TOKEN_URL, json={"username": "ghost", "password": "nope"}), 401)
    assert wrong["message"] == unknown["message"]
    assert "errors" not in wrong


def test_an_account_without_api_use_gets_no_token(world, client):
    make_user("intel_admin", world.county, "intel")
    from workbench.extensions import db

    db.session.commit()
    body = assert_error_shape(client.post(TOKEN_URL, json={"username": "intel", "password": PASSWORD}), 403)
    assert "API" in body["message"]


def test_a_body_without_a_password_is_refused_with_field_errors(world, client):
    body = assert_error_shape(client.post(TOKEN_URL, json={"username": "am1"}), 422)
    assert "password" in body["errors"]


def test_a_body_that_is_not_an_object_is_refused(world, client):
    assert_error_shape(client.post(TOKEN_URL, json=["am1", PASSWORD]), 422)


def test_the_token_never_appears_in_the_log(world, client, caplog):
    with caplog.at_level(logging.DEBUG):
        token = client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD}).get_json()["token"]
        client.get("/api/v1/me", headers={"Authentication-Token": token})
    assert token not in caplog.text


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
def test_repeated_failures_for_one_account_are_throttled_with_429_json(world, client):
    for _attempt in range(3):
        assert client.post(TOKEN_URL, json={"username": "am1", "password": "wrong"}).status_code == 401
    response = client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD})
    body = assert_error_shape(response, 429)
    assert "token" not in (response.get_json() or {})
    assert body["status"] == "Too Many Requests"


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
def test_the_throttle_of_one_account_leaves_other_accounts_alone(world, client):
    for _attempt in range(4):
        client.post(TOKEN_URL, json={"username": "am1", "password": "wrong"})
    assert client.post(TOKEN_URL, json={"username": "am2", "password": PASSWORD}).status_code == 200


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
def test_repeated_failures_from_one_address_are_throttled_across_accounts(world, client):
    for name in ("am1", "am2", "am3", "lead"):
        assert client.post(TOKEN_URL, json={"username": name, "password": "wrong"}).status_code == 401
    assert_error_shape(client.post(TOKEN_URL, json={"username": "admin", "password": "wrong"}), 429)


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
def test_failures_on_the_sign_in_form_count_against_the_token_endpoint(world, client):
    for _attempt in range(3):
        client.post("/login", data={"username": "am1", "password": "wrong"})
    assert_error_shape(client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD}), 429)


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
def test_successful_token_requests_are_not_counted_as_failures(world, client):
    for _attempt in range(5):
        assert client.post(TOKEN_URL, json={"username": "am1", "password": PASSWORD}).status_code == 200
