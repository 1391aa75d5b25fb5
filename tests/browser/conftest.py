"""Real-browser fixtures: the real app seeded with the demo data, served over HTTP by a
werkzeug server in a background thread, and driven by Debian's headless Chromium through
Playwright.

- The browser tests run on SQLite only: what they check is the page (HTML, JS, CSS, CSRF,
  CSP), not the database; the database behaviour is covered on both backends elsewhere.
  Overriding `database_url` takes `db_backend` out of the fixture closure, so the root
  conftest does not parametrize these tests over PostgreSQL.
- Chromium comes from the system (/usr/bin/chromium, or WORKBENCH_CHROMIUM); Playwright's own
  browser download is never used. Without Chromium the tests skip with the reason, except
  under CI=true, where they fail.
- Screenshots go to test-artifacts/ at the repository root (gitignored) so a person can look
  at the pages a run produced.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest

from tests.browser.pages import TIMEOUT_MS

CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# Chromium reports CSP violations on the console too; this makes each one an explicit error
# whatever the browser version prints.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="session")
def database_url():
    """SQLite only (see the module docstring); the `app` fixture gives each test its own file."""
    return "sqlite"


# One Playwright and one Chromium per test process. Plugin test modules import these fixtures
# from here, and each importing module would otherwise get its own session fixture: a second
# sync Playwright in the same process fails ("Sync API inside the asyncio loop").
_SHARED: dict = {}


def _shared_browser(config):
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _SHARED["playwright"] = playwright
        _SHARED["browser"] = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        def stop():
            _SHARED.pop("browser").close()
            _SHARED.pop("playwright").stop()

        config.add_cleanup(stop)
    return _SHARED["browser"]


@pytest.fixture(scope="session")
def browser(request):
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = f"Chromium not found at {CHROMIUM} (install the Debian `chromium` package)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests are required under CI: {reason}")
        pytest.skip(reason)
    return _shared_browser(request.config)


class LiveServer:
    """The app answering real HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # threading.Thread starts every thread with an empty contextvars context, so request
        # threads never see the app context the test pushed: each request pushes its own.
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


CONTEXT_PROBE = "/__test__/context-probe"


@pytest.fixture
def live_server(app):
    """The demo seeded, then the app served; yields the server (`.url` is the base URL).

    A test-only probe URL answers whether a request sees the test's own app context (a
    marker put in its `g`) or its database session; tests/browser/test_live_server.py checks
    that neither is shared."""
    from flask import g, jsonify

    from workbench.demo import seed_demo
    from workbench.extensions import db

    assert seed_demo(), "the demo data was already there"
    g.browser_test_marker = "test-thread"
    test_session = db.session()

    def context_probe():
        return jsonify({
            "sees_test_marker": g.get("browser_test_marker") is not None,
            "same_session": db.session() is test_session,
            "thread": threading.current_thread().name,
        })

    app.add_url_rule(CONTEXT_PROBE, "test_context_probe", context_probe)
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh browser context and page that records console errors, uncaught errors, CSP
    violations and every URL requested; `pages.assert_clean(page)` checks them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.problems = []
    page.requested = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(
        f"console error on {page.url}: {message.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"uncaught error on {page.url}: {error}"))
    page.on("request", lambda request: page.requested.append(request.url))
    # The console says "Failed to load resource" without the URL; this names it.
    page.on("response", lambda response: response.status >= 400 and page.problems.append(
        f"HTTP {response.status} for {response.url}"))
    page.base_url = live_server.url
    yield page
    context.close()
