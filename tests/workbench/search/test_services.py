"""The search service without HTTP: bad input gets a clear message and no search; results
are counted per type, grouped and paged."""
from __future__ import annotations

import pytest

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as
from workbench.search import services

from tests.support.factories import make_customer


@pytest.mark.locale("en")
@pytest.mark.parametrize("empty", [None, "", "   \t "])
def test_an_empty_query_searches_nothing_and_says_what_to_type(app, world, search_as, empty):
    outcome = search_as(world.am1, empty)
    assert not outcome.searched and outcome.hits == []
    assert "Type what you are looking for" in str(outcome.notices[0])


@pytest.mark.locale("en")
def test_a_very_long_query_is_cut_and_the_reader_told(app, world, search_as):
    outcome = search_as(world.am1, "am1的客户 " + "专线" * 3000)
    assert len(outcome.query) == app.config["WORKBENCH_SEARCH_MAX_QUERY_LENGTH"]
    assert outcome.searched
    assert any("first 100 characters" in str(notice) for notice in outcome.notices)


@pytest.mark.parametrize("query", ['AND OR "', "华为 AND (", "am1的客户 OR", "title:x", "a~2^3", "[1 TO 5]"])
def test_query_syntax_characters_are_searched_as_plain_words_without_error(app, world, search_as, query):
    outcome = search_as(world.am1, query)
    assert outcome.searched
    assert all(hit.type == "customer" for hit in outcome.hits)


@pytest.mark.locale("en")
@pytest.mark.parametrize("query", ["*", "?", "！？。，", "的", "\\"])
def test_a_query_without_words_searches_nothing_and_says_so(app, world, search_as, query):
    outcome = search_as(world.am1, query)
    assert not outcome.searched
    assert "has no words to search for" in str(outcome.notices[-1])


@pytest.mark.locale("en")
def test_an_unknown_type_is_refused_with_a_message(app, world, search_as):
    with pytest.raises(ServiceError) as refused:
        search_as(world.am1, "客户", "no_such_type")
    assert refused.value.field == "type" and "no_such_type" in str(refused.value.message)


@pytest.mark.plugins()  # the core's own types and kinds, whatever plugins are installed
def test_counts_cover_every_searchable_type(app, world, search_as):
    outcome = search_as(world.admin, "客户")
    assert [(count.source.key, count.count) for count in outcome.counts] == [("customer", 3)]


def test_results_of_one_type_come_in_pages(app, world, search_as):
    for number in range(25):
        make_customer(world.am1, name=f"云专线客户{number:02d}")
    db.session.commit()
    outcome = search_as(world.am1, "云专线")
    with acting_as(world.am1.scope):
        first = services.result_page(outcome, "customer", 1, 20)
        second = services.result_page(outcome, "customer", 2, 20)
        beyond = services.result_page(outcome, "customer", 9, 20)
    assert (first.total, first.pages, len(first.items), len(second.items), beyond.items) == (25, 2, 20, 5, [])
    assert first.has_next and not second.has_next and second.has_prev
    assert not {item.record_id for item in first.items} & {item.record_id for item in second.items}


def test_groups_show_the_best_few_of_each_type(app, world, search_as):
    for number in range(8):
        make_customer(world.am1, name=f"智慧园区客户{number}")
    db.session.commit()
    outcome = search_as(world.am1, "智慧园区")
    with acting_as(world.am1.scope):
        groups = services.groups(outcome)
    [(count, items)] = groups
    assert count.count == 8 and len(items) == services.GROUP_SIZE
    assert all("<mark>" in item.title_html for item in items)
    assert items[0].url.startswith("/customers/")


@pytest.mark.locale("en")
@pytest.mark.app_config(WORKBENCH_SEARCH_MAX_HITS=3)
def test_only_the_best_hits_are_counted_and_the_reader_is_told(app, world, search_as):
    for number in range(5):
        make_customer(world.am1, name=f"千兆宽带客户{number}")
    db.session.commit()
    outcome = search_as(world.am1, "千兆宽带")
    assert outcome.capped and outcome.total == 3
    assert any("best 3 matches" in str(notice) for notice in outcome.notices)


def test_suggest_completes_a_prefix_of_a_name_code_or_pinyin(app, world):
    customer = make_customer(world.am1, name="滨江县人民医院", code="GC7770001")
    db.session.commit()
    with acting_as(world.am1.scope):
        for typed in ("滨", "滨江县人", "bjx", "binjiang", "GC777", "gc7770001"):
            assert [item.record_id for item in services.suggest(world.am1, typed, "customer")] == [customer.id], typed
        assert services.suggest(world.am1, "", "customer") == []
        assert services.suggest(world.am1, "*", "customer") == []


def test_suggest_needs_a_known_type(app, world):
    with acting_as(world.am1.scope):
        with pytest.raises(ServiceError):
            services.suggest(world.am1, "滨江", None)
        with pytest.raises(ServiceError):
            services.suggest(world.am1, "滨江", "nope")
