"""Local accounts (Flask-Security-Too): password hashing, one answer for every failure,
sign-out by POST only, cookie flags and the `next` parameter of the sign-in form."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.factories import PASSWORD
from tests.workbench.auth.conftest import in_english
from workbench.extensions import db

GENERIC_MESSAGE = "Invalid username or password"


def alerts(response) -> list[str]:
    """The error messages shown on a rendered sign-in page, whitespace-normalised."""
    found = re.findall(r'<div class="alert alert-danger[^"]*" role="alert">(.*?)</div>',
                       response.get_data(as_text=True), re.S)
    field_errors = re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>',
                              response.get_data(as_text=True), re.S)
    return [" ".join(text.split()) for text in found + field_errors]


def assert_signed_out(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_passwords_are_stored_as_argon2_hashes(world):
    assert world.am1.password.startswith("$argon2")


def test_correct_password_signs_in_and_opens_the_homepage(world, client):
    response = client.post("/login", data={"username": "am1", "password": PASSWORD})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert client.get("/").status_code == 200


def test_username_is_matched_without_regard_to_case_or_blanks(world, client):
    response = client.post("/login", data={"username": "  AM1 ", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(world, app):
    unknown = in_english(app.test_client()).post("/login", data={"username": "nobody", "password": PASSWORD})
    wrong = in_english(app.test_client()).post("/login", data={"username": "am1", "password": "not the password"})

    assert unknown.status_code == wrong.status_code == 200
    assert alerts(unknown) == alerts(wrong) == [GENERIC_MESSAGE]


def test_account_without_a_password_gets_the_same_answer(world, app):
    from tests.support.factories import make_user

    make_user("account_manager", world.grid1, "ssoonly", password=None)
    db.session.commit()

    response = in_english(app.test_client()).post("/login", data={"username": "ssoonly", "password": "anything"})

    assert response.status_code == 200
    assert alerts(response) == [GENERIC_MESSAGE]


def test_disabled_account_gets_the_same_answer_and_is_not_signed_in(world, app):
    world.am2.active = False
    db.session.commit()
    client = in_english(app.test_client())

    response = client.post("/login", data={"username": "am2", "password": PASSWORD})

    assert response.status_code == 200
    assert alerts(response) == [GENERIC_MESSAGE]
    assert_signed_out(client)


def test_empty_form_is_refused_without_signing_in(world, client):
    response = client.post("/login", data={"username": "", "password": ""})

    assert response.status_code == 200
    assert alerts(response)
    assert_signed_out(client)


def test_sign_out_by_get_is_refused_and_keeps_the_session(world, client_for):
    client = client_for(world.am1)

    response = client.get("/logout")

    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_by_post_ends_the_session(world, client_for):
    client = client_for(world.am1)

    response = client.post("/logout")

    assert response.status_code == 302
    assert_signed_out(client)


@pytest.mark.csrf
def test_sign_out_form_on_every_page_carries_a_csrf_token_that_works(world, app):
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "am1", "password": PASSWORD, "csrf_token": token}).status_code == 302
    home = client.get("/").get_data(as_text=True)
    logout_form = re.search(r'<form method="post" action="/logout">(.*?)</form>', home, re.S).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', logout_form).group(1)

    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert_signed_out(client)


@pytest.mark.csrf
def test_sign_out_without_csrf_token_does_not_sign_out(world, app):
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "am1", "password": PASSWORD, "csrf_token": token})

    response = client.post("/logout")

    assert response.status_code in (200, 400)
    assert client.get("/").status_code == 200


@pytest.mark.csrf
def test_sign_in_without_csrf_token_is_refused(world, app):
    client = app.test_client()

    response = client.post("/login", data={"username": "am1", "password": PASSWORD})

    assert response.status_code in (200, 400)
    assert_signed_out(client)


def set_cookie_headers(response, name: str) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith(name + "=")]


def test_session_cookie_is_httponly_and_samesite_lax(world, client):
    response = client.post("/login", data={"username": "am1", "password": PASSWORD})

    [cookie] = set_cookie_headers(response, "session")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_remember_me_cookie_is_httponly_and_samesite_lax(world, client):
    response = client.post("/login", data={"username": "am1", "password": PASSWORD, "remember": "y"})

    [cookie] = set_cookie_headers(response, "remember_token")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_next_page_on_this_site_is_followed_after_sign_in(world, client):
    response = client.post("/login?next=/account", data={"username": "am1", "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", [
    "//evil.example/steal",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    " //evil.example",
    "///evil.example",
    "http:/\\evil.example",
    "javascript:alert(1)",
])
@pytest.mark.parametrize("where", ["query", "form"])
def test_next_page_off_site_is_not_followed_after_sign_in(world, client, target, where):
    if where == "query":
        response = client.post("/login", query_string={"next": target},
                               data={"username": "am1", "password": PASSWORD})
    else:
        response = client.post("/login", data={"username": "am1", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location.replace("\\", "/"))
    assert parts.scheme in ("", "http")
    assert parts.hostname in (None, "localhost")
    assert "evil.example" not in (parts.hostname or "")
    assert not location.lstrip().startswith(("//", "/\\", "\\"))


def test_sign_in_page_passes_next_on_to_the_form(world, client):
    page = client.get("/login?next=/account").get_data(as_text=True)

    assert 'action="/login?next=/account"' in page or 'action="/login?next=%2Faccount"' in page


def test_language_switch_does_not_redirect_off_site(world, client):
    for target in ("//evil.example", "/\\evil.example", "https://evil.example/"):
        response = client.post("/language/en", data={"next": target})
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).hostname in (None, "localhost")
        assert urlsplit(response.headers["Location"]).path == "/"


def test_change_password_page_is_a_workbench_page(world, client_for):
    page = client_for(world.am1).get("/change")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "vendor/bootstrap/bootstrap.min.css" in text
    assert 'name="new_password_confirm"' in text


def test_wrong_current_password_is_shown_beside_the_field_and_changes_nothing(world, client_for, app):
    client = client_for(world.am1)

    response = client.post("/change", data={"password": "not the password", "new_password": "a brand new secret 42",
                                            "new_password_confirm": "a brand new secret 42"})

    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert app.test_client().post("/login", data={"username": "am1", "password": PASSWORD}).status_code == 302


def test_changed_password_is_the_one_that_signs_in(world, client_for, app):
    client = client_for(world.am1)

    response = client.post("/change", data={"password": PASSWORD, "new_password": "a brand new secret 42",
                                            "new_password_confirm": "a brand new secret 42"})

    assert response.status_code == 302
    assert app.test_client().post("/login", data={"username": "am1", "password": PASSWORD}).status_code == 200
    assert app.test_client().post("/login", data={"username": "am1",
                                                  "password": "a brand new secret 42"}).status_code == 302
