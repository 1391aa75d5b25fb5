"""Steps and checks the browser tests share: signing in, waiting for the homepage widgets,
asserting a page stayed clean, keeping screenshots as artifacts."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PASSWORD = "workbench"
# Generous enough for a loaded CI machine; every wait is on a selector, a condition or a
# response, never a fixed sleep.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(page.base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#wb-sign-in")
    page.wait_for_selector("#wb-user-menu", state="attached")


def wait_for_widgets(page) -> None:
    """Every widget on the homepage has replaced its loading placeholder."""
    page.wait_for_selector("#wb-grid", state="attached")
    wait_until_loaded(page)


def wait_until_loaded(page) -> None:
    """Every lazily loaded part (homepage widget, customer section) has arrived.

    Locator counts, not page.wait_for_function: a string predicate is run with eval(), which
    the page's CSP rightly refuses."""
    expect(page.locator(".spinner-border")).to_have_count(0)


def widget_order(page) -> list[str]:
    return page.eval_on_selector_all("#wb-grid > .wb-widget", "els => els.map(el => el.dataset.key)")


def assert_clean(page) -> None:
    """No console errors, no uncaught errors, no CSP violations, no request off 127.0.0.1."""
    assert page.problems == [], "the page reported problems:\n" + "\n".join(page.problems)
    foreign = [url for url in page.requested
               if urlparse(url).scheme not in ("data", "blob") and urlparse(url).hostname != "127.0.0.1"]
    assert foreign == [], f"requests left the machine: {foreign}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def open_todos_of(username: str) -> int:
    """What the to-do widget should count: the demo gives am1 core to-dos and every enabled
    plugin adds its own, so the figure comes from the inbox service, not a constant."""
    from sqlalchemy import select

    from workbench.auth.models import User
    from workbench.extensions import db
    from workbench.inbox import services as inbox
    from workbench.org.scope import acting_as, system_scope

    with system_scope():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    with acting_as(user.scope):
        return sum(c.total for c in inbox.counts_by_kind(user))
