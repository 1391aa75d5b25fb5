"""Fixtures for the JSON API tests: clients that send an API token, and a browser-like
session client that can sign in while CSRF protection is on."""
from __future__ import annotations

import re

import pytest

from tests.support.factories import PASSWORD

TOKEN_HEADER = "Authentication-Token"


class TokenClient:
    """A test client that sends `Authentication-Token` on every request (and no cookie)."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def _open(self, method: str, url: str, **kwargs):
        headers = {TOKEN_HEADER: self.token, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self._open("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self._open("post", url, **kwargs)

    def patch(self, url, **kwargs):
        return self._open("patch", url, **kwargs)

    def put(self, url, **kwargs):
        return self._open("put", url, **kwargs)


@pytest.fixture
def token_for(app):
    """token_for(user) → a token as POST /api/v1/auth/token would issue it."""

    def make(user) -> str:
        with app.test_request_context():
            return user.get_auth_token()

    return make


@pytest.fixture
def api_for(app, token_for):
    """api_for(user) → a TokenClient authenticated as that user."""

    def make(user) -> TokenClient:
        return TokenClient(app.test_client(), token_for(user))

    return make


_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def browser_for(app):
    """browser_for(user) → (client, csrf_token): signed in through the form with its CSRF token,
    as a browser would be; for tests marked @pytest.mark.csrf."""

    def make(user, password: str = PASSWORD):
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        form_token = _CSRF_INPUT.search(login_page).group(1)
        response = client.post("/login", data={"username": user.username, "password": password,
                                               "csrf_token": form_token})
        assert response.status_code == 302, "sign-in failed"
        home = client.get("/").get_data(as_text=True)
        return client, _CSRF_META.search(home).group(1)

    return make
