"""Failed sign-ins are throttled per account and per client address (Flask-Limiter);
successful ones are not counted. Limits here: 3 failures per account, 5 per address."""
from __future__ import annotations

import itertools

import pyotp
import pytest

from tests.support.factories import PASSWORD
from tests.workbench.auth.conftest import in_english
from workbench.extensions import db

pytestmark = pytest.mark.app_config(
    WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
    WORKBENCH_LOGIN_LIMIT_PER_ADDRESS="5 per hour",
)

_addresses = (f"10.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def client_from(app, address: str | None = None):
    """A fresh browser at `address` (a new one each time unless given)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    return client


def sign_in(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password})


def test_failures_for_one_account_from_many_addresses_block_that_account(world, app):
    for _ in range(3):
        assert sign_in(client_from(app), "am1", "wrong").status_code == 200

    blocked = sign_in(in_english(client_from(app)), "am1", PASSWORD)

    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_blocked_account_does_not_block_another_account(world, app):
    for _ in range(3):
        sign_in(client_from(app), "am1", "wrong")
    assert sign_in(client_from(app), "am1", PASSWORD).status_code == 429

    assert sign_in(client_from(app), "am2", PASSWORD).status_code == 302


def test_account_bucket_ignores_case_and_blanks_of_the_username(world, app):
    for typed in ("am1", "AM1", " Am1 "):
        sign_in(client_from(app), typed, "wrong")

    assert sign_in(client_from(app), "am1", PASSWORD).status_code == 429


def test_failures_from_one_address_across_accounts_block_that_address(world, app):
    address = "192.0.2.10"
    for username in ("am1", "am2", "lead", "nobody", "am3"):
        assert sign_in(client_from(app, address), username, "wrong").status_code == 200

    assert sign_in(client_from(app, address), "admin", PASSWORD).status_code == 429
    # The same account from elsewhere is fine: the address is blocked, not the account.
    assert sign_in(client_from(app), "admin", PASSWORD).status_code == 302


def test_successful_sign_ins_are_not_counted(world, app):
    address = "192.0.2.20"
    for _ in range(7):
        client = client_from(app, address)
        assert sign_in(client, "am1", PASSWORD).status_code == 302
        client.post("/logout")

    assert sign_in(client_from(app, address), "am1", PASSWORD).status_code == 302


def test_requests_refused_while_blocked_are_not_counted_as_failures(world, app):
    """Only real failures count, so the block ends when the window does, however often a
    blocked account is tried meanwhile."""
    from limits import parse

    from workbench.extensions import limiter

    for _ in range(3):
        sign_in(client_from(app), "am2", "wrong")
    for _ in range(4):
        assert sign_in(client_from(app), "am2", "wrong").status_code == 429

    counter_key = parse("3 per hour").key_for(app.config["RATELIMIT_KEY_PREFIX"], "account:am2", "login-account")
    assert limiter.storage.get(counter_key) == 3


def test_json_sign_in_failures_count_too(world, app):
    for _ in range(3):
        response = client_from(app).post("/login", json={"username": "am1", "password": "wrong"})
        assert response.status_code == 400

    assert client_from(app).post("/login", json={"username": "am1", "password": PASSWORD}).status_code == 429


def test_signing_in_page_itself_is_never_throttled(world, app):
    address = "192.0.2.30"
    for username in ("a", "b", "c", "d", "e"):
        sign_in(client_from(app, address), username, "wrong")

    assert client_from(app, address).get("/login").status_code == 200


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
                        WORKBENCH_LOGIN_LIMIT_PER_ADDRESS="50 per hour")
def test_wrong_two_factor_codes_count_against_the_account(world, app):
    real_code = set_up_authenticator(app, world.am1).now()
    wrong_code = "000000" if real_code != "000000" else "111111"

    client = client_from(app)
    assert sign_in(client, "am1", PASSWORD).status_code == 302  # on to the code page
    for _ in range(3):
        assert client.post("/tf-validate", data={"code": wrong_code}).status_code == 200

    assert client.post("/tf-validate", data={"code": real_code}).status_code == 429
    assert sign_in(client_from(app), "am1", PASSWORD).status_code == 429
    assert client.get("/").status_code == 302


def set_up_authenticator(app, user) -> pyotp.TOTP:
    security = app.extensions["security"]
    secret = security.totp_factory.generate_totp_secret()
    security.datastore.tf_set(user, "authenticator", totp_secret=secret)
    db.session.commit()
    return pyotp.TOTP(security.totp_factory.get_totp_b32_key(secret))


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
                        WORKBENCH_LOGIN_LIMIT_PER_ADDRESS="50 per hour")
def test_wrong_codes_for_one_account_do_not_block_another_accounts_code(world, app):
    set_up_authenticator(app, world.am1)
    am2_totp = set_up_authenticator(app, world.am2)

    attacker = client_from(app)
    sign_in(attacker, "am1", PASSWORD)
    for _ in range(3):
        attacker.post("/tf-validate", data={"code": "000000"})

    colleague = client_from(app)
    assert sign_in(colleague, "am2", PASSWORD).status_code == 302
    assert colleague.post("/tf-validate", data={"code": am2_totp.now()}).status_code == 302
    assert colleague.get("/").status_code == 200


@pytest.mark.app_config(WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
                        WORKBENCH_LOGIN_LIMIT_PER_ADDRESS="50 per hour")
@pytest.mark.parametrize("page", ["/verify", "/change"])
def test_password_guesses_in_a_signed_in_session_count_against_the_account(world, app, page):
    """A stolen session must not become a way to guess the account's password."""
    thief = client_from(app)
    assert sign_in(thief, "am1", PASSWORD).status_code == 302
    guess = {"password": "wrong", "new_password": "another long secret 9", "new_password_confirm": "another long secret 9"}
    for _ in range(3):
        assert thief.post(page, data=guess).status_code == 200

    assert thief.post(page, data=guess).status_code == 429
    assert sign_in(client_from(app), "am1", PASSWORD).status_code == 429
    assert sign_in(client_from(app), "am2", PASSWORD).status_code == 302
