"""Finding knowledge (Chinese phrases, filters, sorting, drafts never found), the sanitizer
against a corpus of XSS payloads, context panels, widgets, pages and the API by scope."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.extensions import db
from workbench.org.scope import acting_as

from plugins.knowledge import services
from plugins.knowledge.sanitize import clean_html

pytestmark = [pytest.mark.plugins("knowledge")]
PAYLOADS = [line for line in (Path(__file__).parent / "xss_payloads.txt").read_text("utf-8").splitlines() if line]


def found(user, q, **filters):
    with acting_as(user.scope):
        results = services.search_articles(user, services.ArticleFilter(q=q, **filters))
        return [item.title for item in results.items]


# --- sanitization -------------------------------------------------------------------------

def test_the_corpus_holds_more_than_sixty_known_payloads():
    assert len(PAYLOADS) >= 60


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_known_xss_payload_survives_sanitizing(payload):
    cleaned = clean_html(payload).lower()
    for forbidden in ("<script", "javascript:", "vbscript:", "data:", " on", "style=", "<svg", "<iframe",
                      "<object", "<embed", "<style", "<form", "<input", "<meta", "<link", "<base", "<math",
                      "//evil", "http://evil", "../"):
        assert forbidden not in cleaned, (payload, cleaned)


def test_allowed_formatting_survives_sanitizing():
    html = ('<h2>标题</h2><p class="ql-align-center"><strong>粗</strong><em>斜</em></p><ul><li>一</li></ul>'
            '<ol><li>二</li></ol><table><tbody><tr><td>格</td></tr></tbody></table><pre>code</pre>'
            '<a href="https://example.com/x">链接</a><img src="/knowledge/files/abc" alt="图">')
    cleaned = clean_html(html)
    for kept in ("<h2>", '<p class="ql-align-center">', "<strong>", "<ul>", "<ol>", "<table>", "<td>", "<pre>",
                 'href="https://example.com/x"', 'src="/knowledge/files/abc"'):
        assert kept in cleaned


def test_an_article_written_from_the_corpus_is_stored_clean(world):
    with acting_as(world.am1.scope):
        article = services.create_article(world.am1, title="XSS", body_html="\n".join(PAYLOADS), space="system")
    import re
    body = article.body_html.lower()
    assert "<script" not in body and not re.search(r"<[^>]*\son\w+\s*=", body)


# --- search -------------------------------------------------------------------------------

def test_a_chinese_phrase_that_is_not_a_whole_word_of_the_title_finds_the_article(world, publish):
    publish(title="集团专线故障报修处理流程", body="<p>按步骤处理。</p>")
    assert found(world.am1, "报修流程") == ["集团专线故障报修处理流程"]
    assert found(world.am1, "专线故障") == ["集团专线故障报修处理流程"]


def test_a_title_match_ranks_above_a_body_match(world, publish):
    publish(title="合同审核常见问题", body="<p>盖章与金额。</p>")
    publish(title="工作台使用指南", body="<p>在工作台中可以发起合同审核。</p>")
    assert found(world.am1, "合同审核")[0] == "合同审核常见问题"


def test_drafts_are_never_found_by_others(world, publish):
    with acting_as(world.am1.scope):
        services.create_article(world.am1, title="专线开通流程草稿", body_html="<p>专线开通</p>", space="business")
        db.session.commit()
    assert found(world.am2, "专线开通") == []


def test_search_filters_by_space(world, publish):
    publish(title="专线开通流程", space="business")
    publish(title="工作台专线模块说明", space="system")
    assert found(world.am1, "专线", space="system") == ["工作台专线模块说明"]


def test_search_filters_by_category_including_its_sub_categories(world, curator, publish):
    with acting_as(curator.scope):
        parent = services.create_category(curator, space="business", name="专线")
        child = services.create_category(curator, space="business", name="开通", parent=parent)
        db.session.commit()
    publish(title="专线开通流程", category_id=child.id)
    publish(title="专线资费说明")
    assert found(world.am1, "专线", category_id=parent.id) == ["专线开通流程"]


def test_search_filters_by_tag(world, publish):
    publish(title="报勘审核要点", tags="报勘, 审核")
    publish(title="报勘材料清单")
    assert found(world.am1, "报勘", tag="审核") == ["报勘审核要点"]


def test_search_sorts_by_most_useful(world, publish):
    publish(title="物联网卡开户指引")
    popular = publish(title="物联网卡套餐对比")
    with acting_as(world.am1.scope):
        services.rate_useful(world.am1, services.get_article(popular.id, world.am1))
        db.session.commit()
    assert found(world.am1, "物联网卡", sort="useful")[0] == "物联网卡套餐对比"


def test_search_sorts_by_newest(world, publish):
    publish(title="云专线介绍 一")
    publish(title="云专线介绍 二")
    assert found(world.am1, "云专线", sort="newest")[0] == "云专线介绍 二"


def test_results_highlight_the_matched_words(world, publish):
    publish(title="集团专线故障报修处理流程")
    with acting_as(world.am1.scope):
        results = services.search_articles(world.am1, services.ArticleFilter(q="报修"))
    assert "<mark>报修</mark>" in str(results.items[0].title_html)


# --- in context ---------------------------------------------------------------------------

def test_an_article_tagged_for_a_help_context_appears_beside_the_page_that_declared_it(world, publish,
                                                                                     client_for):
    publish(title="写好一篇知识文章", contexts=["knowledge.write"])
    html = client_for(world.am1).get("/knowledge/new").get_data(as_text=True)
    assert 'data-context-key="knowledge.write"' in html and "写好一篇知识文章" in html


def test_a_help_context_without_articles_shows_no_panel(world, client_for):
    html = client_for(world.am1).get("/knowledge/new").get_data(as_text=True)
    assert 'data-context-key="knowledge.write"' not in html


# --- pages, API and scope -----------------------------------------------------------------

@pytest.mark.locale("en")
def test_the_knowledge_page_searches_with_a_chinese_phrase(world, publish, client_for):
    publish(title="集团专线故障报修处理流程")
    response = client_for(world.am1).get("/knowledge/?q=报修流程")
    assert response.status_code == 200 and "<mark>报修</mark>" in response.get_data(as_text=True)


def test_another_counties_draft_answers_404_on_the_page_and_the_api(world, client_for):
    with acting_as(world.am1.scope):
        article = services.create_article(world.am1, title="草稿", body_html="<p>x</p>", space="business")
        db.session.commit()
    client = client_for(world.outsider)
    assert client.get(f"/knowledge/articles/{article.id}").status_code == 404
    assert client.get(f"/api/v1/knowledge/articles/{article.id}").status_code == 404


def test_the_author_sees_their_draft_page(world, client_for):
    with acting_as(world.am1.scope):
        article = services.create_article(world.am1, title="我的草稿", body_html="<p>x</p>", space="business")
        db.session.commit()
    assert "我的草稿" in client_for(world.am1).get(f"/knowledge/articles/{article.id}").get_data(as_text=True)


def test_an_account_manager_cannot_publish_through_the_page(world, client_for):
    with acting_as(world.am1.scope):
        article = services.create_article(world.am1, title="x", body_html="<p>x</p>", space="business")
        db.session.commit()
    assert client_for(world.am1).post(f"/knowledge/articles/{article.id}/approve").status_code == 403


def test_the_review_page_is_for_curators_only(world, curator, client_for):
    assert client_for(world.am1).get("/knowledge/review").status_code == 403
    assert client_for(curator).get("/knowledge/review").status_code == 200


@pytest.mark.locale("en")
def test_a_new_article_without_a_title_shows_the_message_beside_the_field(world, client_for):
    response = client_for(world.am1).post("/knowledge/new", data={"title": "", "space": "business",
                                                                  "body_html": "<p>x</p>"})
    assert response.status_code == 200 and "Give the article a title." in response.get_data(as_text=True)


def test_the_api_creates_a_sanitized_draft(world, client_for):
    response = client_for(world.am1).post("/api/v1/knowledge/articles", json={
        "title": "API草稿", "body_html": "<p onclick=alert(1)>正文</p><script>x</script>"})
    assert response.status_code == 201 and response.json["html"] == "<p>正文</p>"


def test_the_api_searches_published_articles(world, publish, client_for):
    publish(title="集团专线故障报修处理流程")
    response = client_for(world.outsider).get("/api/v1/knowledge/articles?q=专线故障")
    assert [item["title"] for item in response.json["items"]] == ["集团专线故障报修处理流程"]


def test_the_widgets_render_for_a_reader(world, publish, client_for):
    publish(title="新文章")
    client = client_for(world.am1)
    for key in ("knowledge.search", "knowledge.most_useful", "knowledge.new_this_week"):
        assert client.get(f"/homepage/widgets/{key}").status_code == 200
    assert "新文章" in client.get("/homepage/widgets/knowledge.new_this_week").get_data(as_text=True)


def test_the_customer_section_lists_shared_experience_about_the_customer(world, publish, client_for):
    customer = world.customers["am1"]
    publish(title="某客户专线案例", author=world.am1, kind="experience", customer_id=customer.id)
    response = client_for(world.am1).get(f"/customers/{customer.id}/sections/knowledge.cases")
    assert "某客户专线案例" in response.get_data(as_text=True)


def test_the_api_appears_in_the_openapi_document(world, client_for):
    paths = client_for(world.am1).get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/knowledge/articles", "/api/v1/knowledge/articles/{article_id}"} <= set(paths)


def test_a_stale_edit_form_shows_a_conflict_and_keeps_the_article(world, client_for):
    with acting_as(world.am1.scope):
        article = services.create_article(world.am1, title="原标题", body_html="<p>x</p>", space="business")
        db.session.commit()
    response = client_for(world.am1).post(f"/knowledge/articles/{article.id}/edit", data={
        "title": "新标题", "space": "business", "body_html": "<p>y</p>", "version": article.version - 1})
    assert response.status_code == 200
    with acting_as(world.am1.scope):
        assert services.get_article(article.id, world.am1).title == "原标题"
