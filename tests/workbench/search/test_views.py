"""The search pages over HTTP: the header box on every page, results grouped by type with
highlights, a type filter with counts and paging, an empty state, and bad input answered
with a message instead of an error."""
from __future__ import annotations

import pytest

from workbench.extensions import db

from tests.support.factories import make_customer


@pytest.fixture
def am1_client(world, client_for):
    return client_for(world.am1)


def test_the_header_search_box_is_on_every_page(app, world, am1_client):
    page = am1_client.get("/").get_data(as_text=True)
    assert 'id="wb-search-box"' in page and 'action="/search/"' in page and 'name="q"' in page


def test_the_header_box_keeps_the_words_on_the_results_page(app, world, am1_client):
    page = am1_client.get("/search/?q=客户").get_data(as_text=True)
    assert 'id="wb-search-q" value="客户"' in page


def test_results_are_grouped_by_type_with_counts_and_highlights(app, world, am1_client):
    make_customer(world.am1, name="华为技术有限公司", industry="信息技术", code="GC8880001")
    db.session.commit()
    page = am1_client.get("/search/?q=华为").get_data(as_text=True)
    assert 'class="card wb-card mb-3 wb-search-group" data-type="customer"' in page
    assert "<mark>华为</mark>技术有限公司" in page
    assert "GC8880001 · 信息技术" in page
    assert 'data-type="customer"' in page and 'href="/search/?q=%E5%8D%8E%E4%B8%BA&amp;type=customer"' in page


def test_a_name_with_markup_is_shown_as_text(app, world, am1_client):
    make_customer(world.am1, name='<img src=x onerror="alert(1)">华为分公司')
    db.session.commit()
    page = am1_client.get("/search/?q=华为").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;<mark>华为</mark>分公司" in page


def test_the_type_filter_pages_through_one_type(app, world, am1_client):
    for number in range(23):
        make_customer(world.am1, name=f"数据专线客户{number:02d}")
    db.session.commit()
    first = am1_client.get("/search/?q=数据专线&type=customer").get_data(as_text=True)
    second = am1_client.get("/search/?q=数据专线&type=customer&page=2").get_data(as_text=True)
    assert first.count('class="list-group-item wb-search-result"') == 20
    assert second.count('class="list-group-item wb-search-result"') == 3
    assert "page=2" in first


@pytest.mark.locale("en")
def test_no_results_show_an_empty_state_that_says_what_to_try(app, world, am1_client):
    page = am1_client.get("/search/?q=不存在的名称").get_data(as_text=True)
    assert "Nothing found for" in page and "pinyin initials" in page


@pytest.mark.locale("en")
def test_an_empty_query_shows_what_to_type(app, world, am1_client):
    response = am1_client.get("/search/?q=")
    assert response.status_code == 200
    assert "Type what you are looking for" in response.get_data(as_text=True)
    assert am1_client.get("/search/").status_code == 200


@pytest.mark.locale("en")
def test_an_unknown_type_shows_a_message_and_every_type(app, world, am1_client):
    response = am1_client.get("/search/?q=客户&type=secret")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is no result type “secret”." in page
    assert "am1的<mark>客户</mark>" in page


@pytest.mark.locale("en")
def test_a_very_long_query_is_cut_with_a_notice(app, world, am1_client):
    response = am1_client.get("/search/?q=" + "客户" * 2000)
    assert response.status_code == 200
    assert "Only the first 100 characters were searched." in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ['AND OR "', "*", "title:(", "%", "<script>"])
def test_query_syntax_and_markup_in_the_query_never_break_the_page(app, world, am1_client, query):
    response = am1_client.get("/search/", query_string={"q": query})
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("</nav>", 1)[1]


def test_the_page_needs_a_signed_in_user(app, world, client):
    assert client.get("/search/?q=客户").status_code in (302, 401)


def test_suggest_answers_json_for_a_prefix(app, world, am1_client):
    customer = make_customer(world.am1, name="滨江星辰酒店", code="GC9990001")
    db.session.commit()
    answer = am1_client.get("/search/suggest?type=customer&q=滨江星").get_json()
    assert answer == {"items": [{"id": customer.id, "title": "滨江星辰酒店", "detail": "GC9990001 · C",
                                 "url": f"/customers/{customer.id}"}]}
    assert am1_client.get("/search/suggest?type=customer&q=bjxc").get_json()["items"][0]["id"] == customer.id


@pytest.mark.locale("en")
def test_suggest_refuses_a_missing_or_unknown_type_and_ignores_an_empty_query(app, world, am1_client):
    unknown = am1_client.get("/search/suggest?type=nope&q=滨江")
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "type"
    assert am1_client.get("/search/suggest?q=滨江").status_code == 400
    assert am1_client.get("/search/suggest?type=customer&q=").get_json() == {"items": []}
    assert am1_client.get("/search/suggest?type=customer&q=" + "滨" * 5000).status_code == 200


def test_suggest_returns_at_most_ten(app, world, am1_client):
    for number in range(14):
        make_customer(world.am1, name=f"滨江网格客户{number}")
    db.session.commit()
    assert len(am1_client.get("/search/suggest?type=customer&q=滨江网格").get_json()["items"]) == 10
    assert len(am1_client.get("/search/suggest?type=customer&q=滨江网格&limit=3").get_json()["items"]) == 3
