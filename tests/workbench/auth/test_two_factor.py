"""Two-factor sign-in with an authenticator app (TOTP): optional for everyone, required for
admins when WORKBENCH_ADMIN_2FA_REQUIRED is on. Codes are computed with pyotp from the key
the setup page shows, as a phone app would."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.support.factories import PASSWORD
from workbench.extensions import db

admins_need_two_factor = pytest.mark.app_config(WORKBENCH_ADMIN_2FA_REQUIRED=True)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def assert_not_signed_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert path_of(response) == "/login"


def wrong_code_for(totp: pyotp.TOTP) -> str:
    """A six-digit code that is not valid now (nor in the neighbouring windows)."""
    now = time.time()
    valid = {totp.at(now + offset) for offset in range(-150, 151, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def set_up_authenticator(app, user) -> pyotp.TOTP:
    """What finishing the setup page does, done directly; returns the phone app's view."""
    security = app.extensions["security"]
    secret = security.totp_factory.generate_totp_secret()
    security.datastore.tf_set(user, "authenticator", totp_secret=secret)
    db.session.commit()
    return pyotp.TOTP(security.totp_factory.get_totp_b32_key(secret))


def start_setup(client):
    """Choose the authenticator app on the setup page; return the page and the phone's TOTP."""
    page = client.post("/tf-setup", data={"setup": "authenticator"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    key = re.search(r'id="wb-tf-key">([^<]+)<', text).group(1)
    return page, pyotp.TOTP(key.strip().replace("-", "").replace(" ", ""))


def code_form_action(page) -> str:
    text = page.get_data(as_text=True)
    form = re.search(r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"', text)
    return unescape(form.group(1))


def assert_no_inline_script(text: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler attribute"


@admins_need_two_factor
def test_admin_without_two_factor_is_sent_to_set_it_up(world, client):
    response = sign_in(client, "admin")

    assert response.status_code == 302
    assert path_of(response) == "/tf-setup"
    assert_not_signed_in(client)


@admins_need_two_factor
def test_admin_cannot_reach_any_page_until_setup_is_done(world, client):
    sign_in(client, "admin")

    for path in ("/", "/account", "/customers/"):
        response = client.get(path)
        assert response.status_code in (302, 401, 404)
        if response.status_code == 302:
            assert path_of(response) == "/login"


@admins_need_two_factor
def test_setup_page_is_a_workbench_page_without_inline_script(world, client):
    sign_in(client, "admin")

    page = client.get("/tf-setup")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "vendor/bootstrap/bootstrap.min.css" in text  # it extends base.html
    assert 'id="wb-tf-required"' in text
    assert 'value="disable"' not in text  # required: turning it off is not offered
    assert_no_inline_script(text)


@admins_need_two_factor
def test_setup_shows_the_qr_code_as_a_data_image_allowed_by_the_csp(world, client):
    sign_in(client, "admin")

    page, _totp = start_setup(client)

    text = page.get_data(as_text=True)
    image = re.search(r'<img[^>]*id="qrcode"[^>]*>', text, re.S).group(0)
    assert 'src="data:image/svg+xml;base64,' in image
    assert_no_inline_script(text)
    csp = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in csp
    assert "script-src 'self';" in csp


@admins_need_two_factor
def test_admin_finishes_setup_with_a_code_and_reaches_the_homepage(world, client):
    sign_in(client, "admin")
    page, totp = start_setup(client)

    response = client.post(code_form_action(page), data={"code": totp.now()})

    assert response.status_code == 302
    assert path_of(response) == "/"
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert world.admin.tf_primary_method == "authenticator"


@admins_need_two_factor
def test_wrong_code_does_not_finish_setup(world, client):
    sign_in(client, "admin")
    page, totp = start_setup(client)

    response = client.post(code_form_action(page), data={"code": wrong_code_for(totp)})

    assert response.status_code == 200
    assert 'id="wb-code-error"' in response.get_data(as_text=True)
    assert_not_signed_in(client)
    db.session.expire_all()
    assert world.admin.tf_primary_method is None


@admins_need_two_factor
def test_admin_with_two_factor_must_enter_the_code(world, app, client):
    totp = set_up_authenticator(app, world.admin)

    response = sign_in(client, "admin")

    assert response.status_code == 302
    assert path_of(response) == "/tf-validate"
    assert_not_signed_in(client)
    page = client.get("/tf-validate")
    assert page.status_code == 200
    assert_no_inline_script(page.get_data(as_text=True))
    response = client.post("/tf-validate", data={"code": totp.now()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@admins_need_two_factor
def test_wrong_code_is_refused(world, app, client):
    totp = set_up_authenticator(app, world.admin)
    sign_in(client, "admin")

    response = client.post("/tf-validate", data={"code": wrong_code_for(totp)})

    assert response.status_code == 200
    assert 'id="wb-code-error"' in response.get_data(as_text=True)
    assert_not_signed_in(client)


@admins_need_two_factor
def test_code_page_cannot_be_used_without_the_password_step(world, app, client):
    totp = set_up_authenticator(app, world.admin)

    response = client.post("/tf-validate", data={"code": totp.now()})

    assert response.status_code == 302
    assert_not_signed_in(client)


@admins_need_two_factor
def test_admin_cannot_turn_required_two_factor_off(world, app, client):
    totp = set_up_authenticator(app, world.admin)
    sign_in(client, "admin")
    client.post("/tf-validate", data={"code": totp.now()})

    response = client.post("/tf-setup", data={"setup": "disable"})

    assert response.status_code == 200
    db.session.expire_all()
    assert world.admin.tf_primary_method == "authenticator"


def test_admins_are_not_forced_when_the_setting_is_off(world, client):
    response = sign_in(client, "admin")

    assert response.status_code == 302
    assert path_of(response) == "/"


@admins_need_two_factor
def test_account_managers_are_not_forced_even_when_admins_are(world, client):
    response = sign_in(client, "am1")

    assert path_of(response) == "/"


def test_account_manager_turns_two_factor_on_from_the_account_page(world, client_for, app):
    client = client_for(world.am1)
    account = client.get("/account").get_data(as_text=True)
    assert 'id="wb-two-factor-link"' in account
    setup = client.get("/tf-setup").get_data(as_text=True)
    assert 'id="wb-tf-required"' not in setup
    assert_no_inline_script(setup)

    page, totp = start_setup(client)
    response = client.post(code_form_action(page), data={"code": totp.now()})

    assert response.status_code == 302
    db.session.expire_all()
    assert world.am1.tf_primary_method == "authenticator"
    # From now on the code is asked for at sign-in.
    again = app.test_client()
    assert path_of(sign_in(again, "am1")) == "/tf-validate"


def test_wrong_code_does_not_turn_two_factor_on(world, client_for):
    client = client_for(world.am1)
    page, totp = start_setup(client)

    response = client.post(code_form_action(page), data={"code": wrong_code_for(totp)})

    assert response.status_code == 302
    assert path_of(response) == "/tf-setup"
    db.session.expire_all()
    assert world.am1.tf_primary_method is None


def test_account_manager_may_turn_two_factor_off(world, app):
    totp = set_up_authenticator(app, world.am1)
    client = app.test_client()
    sign_in(client, "am1")
    client.post("/tf-validate", data={"code": totp.now()})
    assert 'value="disable"' in client.get("/tf-setup").get_data(as_text=True)

    response = client.post("/tf-setup", data={"setup": "disable"})

    assert response.status_code == 302
    db.session.expire_all()
    assert world.am1.tf_primary_method is None
    assert path_of(sign_in(app.test_client(), "am1")) == "/"


def test_setup_page_without_a_sign_in_sends_to_the_sign_in_page(world, client):
    response = client.get("/tf-setup")

    assert response.status_code == 302
    assert path_of(response) == "/login"


@pytest.mark.app_config(SECURITY_FRESHNESS=timedelta(0), SECURITY_FRESHNESS_GRACE_PERIOD=timedelta(0))
def test_changing_two_factor_after_a_while_asks_for_the_password_again(world, client_for):
    client = client_for(world.am1)

    response = client.get("/tf-setup")

    assert response.status_code == 302
    assert path_of(response) == "/verify"
    verify_url = response.headers["Location"]
    page = client.get(verify_url)
    assert page.status_code == 200
    assert "vendor/bootstrap/bootstrap.min.css" in page.get_data(as_text=True)
    assert_no_inline_script(page.get_data(as_text=True))
    wrong = client.post(verify_url, data={"password": "not the password"})
    assert wrong.status_code == 200
    assert "invalid-feedback" in wrong.get_data(as_text=True) or "alert-danger" in wrong.get_data(as_text=True)
    right = client.post(verify_url, data={"password": PASSWORD})
    assert right.status_code == 302
    assert path_of(right) == "/tf-setup"


@pytest.mark.parametrize("choice", ["help", "email"])
def test_mail_based_rescue_is_not_offered(world, app, client, choice):
    set_up_authenticator(app, world.am1)
    sign_in(client, "am1")

    assert 'name="help_setup"' not in client.get("/tf-validate").get_data(as_text=True)
    assert client.post("/tf-rescue", data={"help_setup": choice}).status_code == 404
    assert_not_signed_in(client)
