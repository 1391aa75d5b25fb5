"""The live server the browser tests use: each request runs in its own app context."""
from __future__ import annotations

import json
import urllib.request

from tests.browser.conftest import CONTEXT_PROBE


def test_requests_to_the_live_server_do_not_share_the_tests_app_context(live_server):
    with urllib.request.urlopen(live_server.url + CONTEXT_PROBE, timeout=10) as response:
        answer = json.load(response)

    assert answer["sees_test_marker"] is False
    assert answer["same_session"] is False
    assert answer["thread"] != "MainThread"
