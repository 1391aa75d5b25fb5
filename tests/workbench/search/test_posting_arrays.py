"""Ranked searches evaluated over posting arrays (workbench/search/posting_arrays.py) give
what Whoosh's own matchers give for the same query: the same documents in the same order
with the same scores — on an index of several segments with deleted and replaced documents,
under scope, type and facet filters, for Chinese words, sub-words, pinyin and codes."""
from __future__ import annotations

import random

import pytest

from workbench.search.analysis import pinyin_keys
from workbench.search.backend import IndexDocument, ScopeFilter, SearchQuery, make_ref
from workbench.search.whoosh_backend import WhooshBackend

EVERYTHING = ScopeFilter(everything=True)
NAMES = ["华为技术有限公司", "滨江县人民医院", "江城精密机械", "海州港务集团", "临湖区教育局", "城东新区管委会",
         "江城市第一中学", "滨江物流园", "高新园区数据中心", "港口片区海关"]
PHRASES = ["互联网专线开通流程", "数据专线报勘审核", "云专线合同审核", "5G专网故障报修", "物联网卡资费审批",
           "千兆宽带续约办理", "视频监控割接通知", "智慧校园投诉处理", "IDC机柜资源核查", "SD-WAN组网工单派发"]
QUERIES = ["专线", "专线 审核", "报勘审核", "华为", "hwjs", "huawei", "江城 中学", "5g 专网", "idc", "sd-wan 工单",
           "资源核查", "智慧 校园", "合同", "不存在的词", "gc0000007", "医院 专线", "审核流程"]


def document(number: int, rng: random.Random) -> IndexDocument:
    name = rng.choice(NAMES)
    body = "；".join(rng.choice(PHRASES) for _ in range(rng.randint(1, 6)))
    type_key = "customer" if number % 3 else "knowledge.article"
    return IndexDocument(
        ref=make_ref(type_key, number), type=type_key, title=f"{name}{rng.choice(PHRASES)}", body=body, keywords=f"GC{number:07d}",
        pinyin=pinyin_keys(name), owner_id=rng.randint(1, 4), unit_path=rng.choice(["/1/2/", "/1/2/3/", "/1/5/"]),
        public=number % 5 == 0, facets=(f"space={rng.choice(['business', 'system'])}", f"tag={rng.randint(1, 3)}"))


@pytest.fixture
def index_of_several_segments(whoosh_dir):
    """Four batches (four segments, Whoosh merges small ones now and then), then documents
    replaced and deleted, so deletions live in older segments."""
    rng = random.Random(5)
    writer = WhooshBackend(whoosh_dir, lock_timeout=10)
    for batch in range(4):
        writer.index([document(number, rng) for number in range(batch * 60 + 1, batch * 60 + 61)])
    writer.index([document(number, rng) for number in range(5, 40, 3)])  # replaced: new versions
    writer.delete([make_ref("customer", number) for number in range(50, 120, 7)]
                  + [make_ref("knowledge.article", number) for number in range(3, 200, 9)])
    writer.close()
    arrays, matchers = WhooshBackend(whoosh_dir), WhooshBackend(whoosh_dir, ranked_arrays=False)
    yield arrays, matchers
    arrays.close()
    matchers.close()


SEARCHES = [
    dict(scope=EVERYTHING),
    dict(scope=ScopeFilter(owner_id=2)),
    dict(scope=ScopeFilter(owner_id=3, unit_path="/1/2/")),
    dict(scope=ScopeFilter()),
    dict(scope=EVERYTHING, types=("customer",)),
    dict(scope=ScopeFilter(owner_id=1, unit_path="/1/5/"), types=("knowledge.article",)),
    dict(scope=EVERYTHING, filters=(("space", ("business",)),)),
    dict(scope=EVERYTHING, types=("knowledge.article", "customer"), filters=(("tag", ("1", "3")), ("space", ("system",)))),
    dict(scope=EVERYTHING, limit=7),
]


def ranking(hits) -> list[tuple[float, set]]:
    """Hits as groups of equal score, best first. Equal means within a millionth: the two
    evaluations add the same numbers in different orders, so a tie in one may be decided by
    the last bit in the other."""
    groups: list[tuple[float, set]] = []
    for hit in hits:
        if groups and abs(groups[-1][0] - hit.score) <= 1e-6 * abs(hit.score):
            groups[-1][1].add(hit.ref)
        else:
            groups.append((hit.score, {hit.ref}))
    return groups


@pytest.mark.parametrize("options", SEARCHES, ids=range(len(SEARCHES)))
def test_arrays_and_whoosh_matchers_rank_alike(index_of_several_segments, options):
    arrays, matchers = index_of_several_segments
    options = {"limit": 1000, **options}
    compared = 0
    for text in QUERIES:
        fast = ranking(arrays.search(SearchQuery(text, **options)))
        slow = ranking(matchers.search(SearchQuery(text, **options)))
        assert [score for score, _refs in fast] == pytest.approx([score for score, _refs in slow], rel=1e-6), text
        if sum(len(refs) for _score, refs in fast) == options["limit"]:
            # Cut inside a group of equal scores: which of them made it may differ.
            assert len(fast[-1][1]) == len(slow[-1][1]), text
            fast, slow = fast[:-1], slow[:-1]
        assert [refs for _score, refs in fast] == [refs for _score, refs in slow], text
        compared += len(fast)
    assert compared  # the queries found something to compare


def test_the_segments_really_are_several_and_have_deletions(index_of_several_segments):
    arrays, _ = index_of_several_segments
    with arrays._pool.searcher() as searcher:
        leaves = list(searcher.reader().leaf_readers())
        assert len(leaves) > 1
        assert any(leaf.has_deletions() for leaf, _offset in leaves)


def test_a_document_written_after_a_search_is_found_by_the_next(whoosh_dir):
    backend = WhooshBackend(whoosh_dir)
    backend.index([IndexDocument(ref="customer:1", type="customer", title="滨江县人民医院", owner_id=1, unit_path="/1/")])
    assert [hit.ref for hit in backend.search(SearchQuery("医院", EVERYTHING))] == ["customer:1"]
    backend.index([IndexDocument(ref="customer:2", type="customer", title="江城人民医院", owner_id=1, unit_path="/1/")])
    backend.delete(["customer:1"])
    assert [hit.ref for hit in backend.search(SearchQuery("医院", EVERYTHING))] == ["customer:2"]
    backend.close()


def test_the_posting_cache_stays_within_its_budget(index_of_several_segments, whoosh_dir):
    small = WhooshBackend(whoosh_dir, cache_postings=50)
    wide = WhooshBackend(whoosh_dir, ranked_arrays=False)
    for text in QUERIES:
        assert [hit.ref for hit in small.search(SearchQuery(text, EVERYTHING))] == \
            [hit.ref for hit in wide.search(SearchQuery(text, EVERYTHING))]
    cache = small._ranked.cache
    assert cache._size <= 50 or len(cache._postings) == 1
    small.close()
    wide.close()


def test_postings_and_lengths_read_in_blocks_equal_whooshs_own_answers(index_of_several_segments):
    """The block reading uses the W3 codec's internals (whoosh-reloaded is pinned below 2.8);
    an upgrade that changes them fails here rather than ranking wrongly."""
    from workbench.search.posting_arrays import read_lengths, read_postings

    arrays, _ = index_of_several_segments
    with arrays._pool.searcher() as searcher:
        for leaf, _offset in searcher.reader().leaf_readers():
            for word in ("专线", "审核", "华为", "gc0000007"):
                ids, weights = read_postings(leaf, "content", word)
                expected = []
                if ("content", word) in leaf:
                    matcher = leaf._terms.matcher("content", word.encode(), leaf.schema["content"].format, None)
                    while matcher.is_active():
                        expected.append((matcher.id(), matcher.weight()))
                        matcher.next()
                assert list(zip(ids.tolist(), weights.tolist())) == pytest.approx(expected)
            lengths = read_lengths(leaf, "content")
            assert lengths.tolist() == [leaf.doc_field_length(n, "content", 0) or 0
                                        for n in range(leaf.doc_count_all())]
