"""Fixtures for the sign-in tests: a real OpenID Connect provider (the "corporate portal"),
an app configured for it, and a browser that follows redirects across both hosts.

The provider's issuer is known only once it runs, so `sso_app` starts it first and then
builds the app through the ordinary `app` fixture, adding the OIDC settings to whatever
@pytest.mark.app_config the test carries. Our side is driven with the Flask test client
(host "localhost"); the provider is reached over real HTTP with `requests`, and Authlib's
token exchange inside the callback request calls the provider's token endpoint for real.
"""
from __future__ import annotations

import os
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
import requests

from tests.support.oidc_provider import node_available, start_oidc_provider

CLIENT_ID = "workbench"
CLIENT_SECRET = "s3cret-for-the-tests"
# The test client answers as http://localhost, so that is where the provider sends people back.
CALLBACK_URL = "http://localhost/sso/callback"
OUR_HOST = "localhost"

# The corporate directory. Keys are login_hint values; `sub` is what the ID token carries.
PORTAL_ACCOUNTS = {
    "zhang": {"sub": "u-1001", "preferred_username": "zhangwei", "name": "Zhang Wei",
              "email": "zhang.wei@corp.example", "org_unit_code": "G1", "roles": ["account_manager"]},
    "li": {"sub": "u-1002", "preferred_username": "lina", "name": "Li Na",
           "email": "li.na@corp.example", "org_unit_code": "X1", "roles": ["lead"]},
    "nowhere": {"sub": "u-1003", "preferred_username": "nowhere", "name": "No Unit",
                "org_unit_code": "NO-SUCH-UNIT", "roles": ["account_manager"]},
    "nounitclaim": {"sub": "u-1004", "preferred_username": "nounitclaim", "name": "No Claim"},
    # The default mapping would put her in G1; the directory plugin maps her department to G2.
    "wang": {"sub": "u-1005", "preferred_username": "wangfang", "name": "Wang Fang",
             "org_unit_code": "G1", "department": "dept-grid-2", "roles": ["account_manager"]},
    "impostor": {"sub": "u-1006", "preferred_username": "am1", "name": "Not AM1",
                 "org_unit_code": "G1", "roles": ["account_manager"]},
    "boss": {"sub": "u-1008", "preferred_username": "boss", "name": "Province Boss",
             "org_unit_code": "P", "roles": ["province_admin"]},
    "norole": {"sub": "u-1007", "preferred_username": "norole", "name": "No Role",
               "org_unit_code": "G1", "roles": ["astronaut"]},
}


def require_node(why_not=node_available) -> None:
    """Skip when Node.js is missing — except under CI, which must fail loudly instead of
    silently skipping the single sign-on tests."""
    reason = why_not()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """One provider for the whole session; tests choose their person with login_hint."""
    require_node()
    provider = start_oidc_provider(
        tmp_path_factory.mktemp("oidc-provider"),
        clients=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK_URL]}],
        accounts=PORTAL_ACCOUNTS,
        default_account="zhang",
    )
    yield provider
    provider.stop()


def in_english(client):
    """Have `client` read the pages in English (the default is Simplified Chinese), so
    assertions on wording survive the Chinese catalogue."""
    client.post("/language/en")
    return client


def sso_settings(provider) -> dict:
    return {
        "WORKBENCH_OIDC_ISSUER": provider.issuer,
        "WORKBENCH_OIDC_CLIENT_ID": CLIENT_ID,
        "WORKBENCH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }


@pytest.fixture
def sso_app(request, database_url, oidc_provider):
    """The app under test with single sign-on pointed at the running provider.

    Request it before `app`/`world` (or only it): it must build the app itself.
    """
    merged = {}
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        merged.update(marker.kwargs)
    merged.update(sso_settings(oidc_provider))
    # Prepended, so the `app` fixture's get_closest_marker finds the merged settings.
    request.node.add_marker(pytest.mark.app_config(**merged), append=False)
    return request.getfixturevalue("app")


class CrossSiteBrowser:
    """Follows redirects by hand: our URLs go to the Flask test client, the provider's to a
    `requests.Session` (which keeps the provider's own cookies, like a browser would)."""

    def __init__(self, client, provider):
        self.client = client
        self.provider = provider
        self.portal = requests.Session()
        self.visited: list[str] = []

    def _ours(self, url: str) -> bool:
        return urlsplit(url).hostname == OUR_HOST

    def get(self, url: str, max_hops: int = 20):
        """GET `url` (a path on our site or an absolute URL) and follow every redirect.

        Returns the last response: a Flask TestResponse for our pages, a requests.Response
        for the provider's.
        """
        url = urljoin(f"http://{OUR_HOST}/", url)
        for _ in range(max_hops):
            self.visited.append(url)
            if self._ours(url):
                parts = urlsplit(url)
                response = self.client.get(urlunsplit(("", "", parts.path, parts.query, "")))
                status, location = response.status_code, response.headers.get("Location")
            else:
                response = self.portal.get(url, allow_redirects=False, timeout=10)
                status, location = response.status_code, response.headers.get("Location")
            if status not in (301, 302, 303, 307, 308):
                return response
            url = urljoin(url, location)
        raise AssertionError(f"too many redirects: {self.visited}")

    def sign_in(self, account: str, next_path: str | None = None):
        """Start at /sso/login as someone already signed in at the portal."""
        query = f"login_hint={account}" + (f"&next={next_path}" if next_path else "")
        return self.get(f"/sso/login?{query}")


@pytest.fixture
def browser(sso_app, oidc_provider):
    """A browser for one person: a fresh test client and a fresh portal session."""

    def make():
        return CrossSiteBrowser(in_english(sso_app.test_client()), oidc_provider)

    return make
