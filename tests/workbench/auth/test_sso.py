"""Single sign-on against a real OpenID Connect provider (tests/support/oidc_provider).

The provider plays the corporate portal where the person is already signed in, so no
password is typed anywhere: /sso/login → provider → /sso/callback → signed in.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from tests.support.factories import build_world, make_user
from tests.workbench.auth import sso_directory_plugin
from tests.workbench.auth.conftest import in_english, require_node
from workbench.auth.models import User
from workbench.extensions import db


@pytest.fixture
def world(sso_app):
    """The usual org world, built inside the SSO-configured app."""
    return build_world()


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(
        select(User).where(func.lower(User.username) == username)
    ).scalar_one_or_none()


def user_count() -> int:
    return db.session.execute(select(func.count(User.id))).scalar_one()


def assert_signed_in(browser, username: str) -> None:
    page = browser.client.get("/account")
    assert page.status_code == 200, "not signed in"
    assert username in page.get_data(as_text=True)


def assert_signed_out(browser) -> None:
    response = browser.client.get("/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_login_page_offers_the_corporate_portal(world, browser):
    page = browser().client.get("/login")
    assert 'id="wb-sso-login"' in page.get_data(as_text=True)


def test_first_sign_in_from_the_portal_creates_the_account_without_a_password(world, browser, oidc_provider):
    person = browser()
    before = user_count()

    page = person.sign_in("zhang")

    assert page.status_code == 200
    assert urlsplit(person.visited[-1]).path == "/"
    # The way there went through the provider and back to our callback with a code.
    assert any(url.startswith(oidc_provider.issuer) for url in person.visited)
    callback = next(url for url in person.visited if urlsplit(url).path == "/sso/callback")
    assert "code" in parse_qs(urlsplit(callback).query)
    assert_signed_in(person, "zhangwei")

    assert user_count() == before + 1
    user = user_named("zhangwei")
    assert user.password is None
    assert user.sso_subject == f"{oidc_provider.issuer}|u-1001"
    assert user.org_unit_id == world.grid1.id
    assert user.role_names == {"account_manager"}
    assert user.display_name == "Zhang Wei"
    assert user.email == "zhang.wei@corp.example"


def test_roles_and_unit_come_from_the_claims(world, browser):
    browser().sign_in("li")

    user = user_named("lina")
    assert user.org_unit_id == world.county.id
    assert user.role_names == {"lead"}


def test_next_page_is_kept_through_the_portal(world, browser):
    person = browser()
    page = person.sign_in("zhang", next_path="/account")

    assert urlsplit(person.visited[-1]).path == "/account"
    assert page.status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/steal", "https://evil.example/", "/\\evil.example",
                                    "%2F%2Fevil.example", "/%09/evil.example"])
def test_next_page_off_site_is_ignored(world, browser, target):
    person = browser()
    person.sign_in("zhang", next_path=target)

    landed = urlsplit(person.visited[-1])
    assert landed.hostname == "localhost"
    assert landed.path == "/"
    assert not any("evil.example" in (urlsplit(url).hostname or "") for url in person.visited)
    assert_signed_in(person, "zhangwei")


def test_returning_user_is_matched_by_issuer_and_subject(world, browser):
    browser().sign_in("zhang")
    user = user_named("zhangwei")
    # Renamed here since: a match by name would create a second account.
    user.username = "zhang.renamed"
    db.session.commit()
    count = user_count()

    person = browser()
    person.sign_in("zhang")

    assert user_count() == count
    assert_signed_in(person, "zhang.renamed")
    assert user_named("zhangwei") is None


def test_unit_and_roles_are_refreshed_on_each_sign_in(world, browser, app):
    browser().sign_in("zhang")
    user = user_named("zhangwei")
    security = app.extensions["security"]
    # Changed here by hand; the directory (the claims) still says G1 / account manager.
    user.org_unit_id = world.other_county.id
    user.roles = [security.datastore.find_role("lead")]
    db.session.commit()

    browser().sign_in("zhang")

    user = user_named("zhangwei")
    assert user.org_unit_id == world.grid1.id
    assert user.role_names == {"account_manager"}


def test_claims_naming_an_unknown_unit_show_a_clear_page(world, browser):
    person = browser()
    count = user_count()

    page = person.sign_in("nowhere")

    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert 'data-reason="unknown_unit"' in text
    assert "does not belong to any unit known to the workbench" in text
    assert "NO-SUCH-UNIT" in text
    assert user_count() == count
    assert_signed_out(person)


def test_claims_without_a_unit_show_the_same_clear_page(world, browser):
    person = browser()

    page = person.sign_in("nounitclaim")

    assert page.status_code == 403
    assert 'data-reason="no_mapping"' in page.get_data(as_text=True)
    assert "does not belong to any unit known to the workbench" in page.get_data(as_text=True)
    assert user_named("nounitclaim") is None
    assert_signed_out(person)


def test_claims_with_no_known_role_are_refused(world, browser):
    person = browser()

    page = person.sign_in("norole")

    assert page.status_code == 403
    assert 'data-reason="unknown_roles"' in page.get_data(as_text=True)
    assert "no role the workbench knows" in page.get_data(as_text=True)
    assert user_named("norole") is None


def test_inactive_user_is_refused(world, browser):
    browser().sign_in("zhang")
    user = user_named("zhangwei")
    user.active = False
    db.session.commit()

    person = browser()
    page = person.sign_in("zhang")

    assert page.status_code == 403
    assert 'data-reason="inactive"' in page.get_data(as_text=True)
    assert "Your workbench account is disabled" in page.get_data(as_text=True)
    assert_signed_out(person)


def test_local_account_with_a_password_is_not_taken_over_by_a_same_named_sso_user(world, browser):
    person = browser()

    page = person.sign_in("impostor")

    assert page.status_code == 403
    assert 'data-reason="username_taken"' in page.get_data(as_text=True)
    assert "not linked to your corporate account" in page.get_data(as_text=True)
    am1 = user_named("am1")
    assert am1.sso_subject is None
    assert am1.display_name != "Not AM1"
    assert_signed_out(person)


def test_account_prepared_without_a_password_is_linked_on_first_sign_in(world, browser, oidc_provider):
    prepared = make_user("account_manager", world.grid2, "zhangwei", password=None)
    db.session.commit()
    count = user_count()

    person = browser()
    person.sign_in("zhang")

    assert user_count() == count
    user = user_named("zhangwei")
    assert user.id == prepared.id
    assert user.sso_subject == f"{oidc_provider.issuer}|u-1001"
    assert user.org_unit_id == world.grid1.id
    assert_signed_in(person, "zhangwei")


@pytest.mark.app_config(WORKBENCH_ADMIN_2FA_REQUIRED=True)
def test_admin_arriving_from_the_portal_must_still_set_up_two_factor(world, browser):
    person = browser()

    page = person.sign_in("boss")

    assert urlsplit(person.visited[-1]).path == "/tf-setup"
    assert page.status_code == 200
    assert_signed_out(person)
    setup = person.client.post("/tf-setup", data={"setup": "authenticator"}).get_data(as_text=True)
    key = re.search(r'id="wb-tf-key">([^<]+)<', setup).group(1).replace("-", "").strip()
    done = person.client.post("/tf-validate", data={"code": pyotp.TOTP(key).now()})
    assert done.status_code == 302
    assert_signed_in(person, "boss")
    assert user_named("boss").tf_primary_method == "authenticator"


def test_admin_arriving_from_the_portal_is_not_asked_when_the_setting_is_off(world, browser):
    person = browser()

    person.sign_in("boss")

    assert urlsplit(person.visited[-1]).path == "/"
    assert_signed_in(person, "boss")


def test_sso_account_is_offered_no_two_factor_setup(world, browser):
    person = browser()
    person.sign_in("zhang")

    page = person.client.get("/account").get_data(as_text=True)
    assert 'id="wb-two-factor-link"' not in page


def test_portal_refusal_shows_the_failure_page(world, browser):
    person = browser()

    # An account the portal does not know: it answers error=access_denied.
    page = person.sign_in("stranger")

    assert page.status_code == 403
    assert 'data-reason="provider"' in page.get_data(as_text=True)
    assert "did not confirm your sign-in" in page.get_data(as_text=True)
    assert_signed_out(person)


def test_forged_callback_signs_nobody_in(world, browser):
    person = browser()

    page = person.client.get("/sso/callback?code=made-up&state=made-up")

    assert page.status_code == 403
    assert 'data-reason="provider"' in page.get_data(as_text=True)
    assert "did not confirm your sign-in" in page.get_data(as_text=True)
    assert_signed_out(person)


def test_callback_cannot_be_replayed_in_another_browser(world, browser):
    """A code intercepted on its way back is useless without the browser's session state."""
    person = browser()
    response = person.client.get("/sso/login?login_hint=zhang")
    url = response.headers["Location"]
    while urlsplit(url).hostname != "localhost":
        url = urljoin(url, person.portal.get(url, allow_redirects=False, timeout=10).headers["Location"])
    assert urlsplit(url).path == "/sso/callback"

    thief = browser()
    parts = urlsplit(url)
    page = thief.client.get(f"{parts.path}?{parts.query}")

    assert page.status_code == 403
    assert_signed_out(thief)
    assert user_named("zhangwei") is None


@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={sso_directory_plugin.PLUGIN_NAME: sso_directory_plugin.__name__})
def test_plugin_mapping_wins_over_the_default(world, browser):
    person = browser()

    person.sign_in("wang")

    user = user_named("dir-wangfang")
    assert user is not None
    assert user.org_unit_id == world.grid2.id
    assert user.role_names == {"lead"}
    assert user_named("wangfang") is None
    assert_signed_in(person, "dir-wangfang")


@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={sso_directory_plugin.PLUGIN_NAME: sso_directory_plugin.__name__})
def test_plugin_returning_none_passes_to_the_default(world, browser):
    browser().sign_in("zhang")

    user = user_named("zhangwei")
    assert user.org_unit_id == world.grid1.id


def test_without_plugin_the_default_mapping_applies(world, browser):
    browser().sign_in("wang")

    user = user_named("wangfang")
    assert user.org_unit_id == world.grid1.id
    assert user.role_names == {"account_manager"}


def test_sso_routes_are_absent_when_no_provider_is_configured(client):
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404
    assert 'id="wb-sso-login"' not in client.get("/login").get_data(as_text=True)


@pytest.mark.app_config(WORKBENCH_OIDC_ISSUER="http://127.0.0.1:9", WORKBENCH_OIDC_CLIENT_ID="x",
                        WORKBENCH_OIDC_CLIENT_SECRET="y")
def test_unreachable_provider_shows_a_page_not_an_error(client):
    page = in_english(client).get("/sso/login")

    assert page.status_code == 503
    assert 'data-reason="unreachable"' in page.get_data(as_text=True)
    assert "cannot be reached" in page.get_data(as_text=True)


def test_missing_node_fails_the_sso_tests_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception):
        require_node(lambda: "node not found on PATH")


def test_missing_node_skips_the_sso_tests_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception):
        require_node(lambda: "node not found on PATH")
