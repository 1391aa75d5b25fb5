"""The knowledge base in a real browser: a knowledge admin writes an article in the editor and
publishes it, an account manager finds it by a Chinese phrase that is not a whole word of the
title; an article built from the XSS corpus opens no dialog and injects nothing; the pages fit
a 375 px phone."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_clean, screenshot, sign_in

pytestmark = [pytest.mark.csrf, pytest.mark.plugins("knowledge")]
SHOTS = Path("/tmp/shots/knowledge")
PAYLOADS = Path(__file__).resolve().parents[1] / "plugins" / "knowledge" / "xss_payloads.txt"


def shot(page, name):
    path = screenshot(page, f"knowledge-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)


def test_an_admin_publishes_in_the_editor_and_an_account_manager_finds_it_by_a_phrase(browser, live_server):
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin_context.new_page()
    page.base_url = live_server.url
    sign_in(page, "knowledge")
    page.goto(page.base_url + "/knowledge/new")
    page.fill("#title", "政企专线割接通知处理流程")
    page.click("#wb-editor .ql-editor")
    page.keyboard.type("割接前三天通知客户，割接后回访。")
    shot(page, "editor.png")
    with page.expect_navigation():
        page.click("#wb-save")
    expect(page.locator("#wb-article-body")).to_contain_text("割接前三天通知客户")
    with page.expect_navigation():
        page.click("#wb-approve")
    expect(page.locator("#wb-article-status")).to_have_text("已发布")
    shot(page, "article.png")
    admin_context.close()

    reader_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    reader = reader_context.new_page()
    reader.base_url = live_server.url
    problems = []
    reader.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(reader, "am1")
    reader.goto(reader.base_url + "/knowledge/")
    reader.fill("#wb-knowledge-search input[name=q]", "割接流程")
    with reader.expect_navigation():
        reader.press("#wb-knowledge-search input[name=q]", "Enter")
    hit = reader.locator(".wb-knowledge-hit").first
    expect(hit).to_contain_text("政企专线割接通知处理流程")
    expect(hit.locator("mark").first).to_be_visible()
    shot(reader, "search.png")
    assert problems == []
    reader_context.close()


def test_an_article_built_from_the_xss_corpus_opens_no_dialog_and_injects_nothing(browser_page, app):
    from workbench.extensions import db
    from workbench.org.scope import system_scope
    from workbench.auth.models import User
    from sqlalchemy import select

    from plugins.knowledge import services

    with system_scope():
        curator = db.session.execute(select(User).where(User.username == "knowledge")).scalar_one()
        article = services.create_article(curator, title="XSS语料", space="system",
                                          body_html="\n".join(PAYLOADS.read_text("utf-8").splitlines()))
        services.approve(curator, article)
        db.session.commit()
        article_id = article.id
    page = browser_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, "am1")
    page.goto(f"{page.base_url}/knowledge/articles/{article_id}")
    expect(page.locator("#wb-article-body")).to_be_visible()
    body = page.locator("#wb-article-body")
    for selector in ("script", "iframe", "svg", "math", "object", "embed", "style", "form", "input", "meta",
                     "link", "base", "[style]", "img:not([src^='/knowledge/files/'])"):
        expect(body.locator(selector)).to_have_count(0)
    handlers = page.eval_on_selector_all("#wb-article-body *", "els => els.filter(el => "
                                         "Array.from(el.attributes).some(a => a.name.startsWith('on'))).length")
    links = page.eval_on_selector_all("#wb-article-body a", "els => els.map(a => a.getAttribute('href') || '')")
    assert handlers == 0
    # A link whose address was dropped keeps its text and no href; every other one is safe.
    assert not [href for href in links if href and (not href.startswith(("https://", "http://", "mailto:", "/"))
                                                    or href.startswith("//"))]
    page.mouse.move(200, 300)
    page.locator("#wb-article-body").hover()
    assert dialogs == []
    shot(page, "xss.png")


def test_the_knowledge_pages_fit_a_phone_and_the_homepage_widget_searches(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "am1")
    page.goto(page.base_url + "/knowledge/?q=报勘")
    expect(page.locator(".wb-knowledge-hit").first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "phone-search.png")
    page.goto(page.base_url + "/knowledge/articles/1")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "phone-article.png")
    assert_clean(page)
