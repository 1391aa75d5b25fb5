"""The Whoosh backend on its own: documents in and out, scope pre-filter, highlighting that
escapes everything but the marks, rebuilds, and one writer at a time across threads and
processes (a second writer waits; it neither crashes nor corrupts the index)."""
from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
import threading

import pytest

from workbench.search.analysis import pinyin_keys
from workbench.search.backend import IndexBusy, IndexDocument, ScopeFilter, SearchQuery, make_ref
from workbench.search.whoosh_backend import WhooshBackend

EVERYTHING = ScopeFilter(everything=True)


def customer(number: int, name: str, body: str = "", owner: int = 1, unit: str = "/1/2/", **extra) -> IndexDocument:
    return IndexDocument(ref=make_ref("customer", number), type="customer", title=name, body=body,
                         pinyin=pinyin_keys(name), owner_id=owner, unit_path=unit, **extra)


def refs(backend, text, scope=EVERYTHING, **options) -> list[str]:
    return [hit.ref for hit in backend.search(SearchQuery(text, scope, **options))]


@pytest.fixture
def backend(whoosh_dir):
    backend = WhooshBackend(whoosh_dir, lock_timeout=10)
    yield backend
    backend.close()


def test_a_document_is_found_by_words_pinyin_initials_code_and_numbers(backend):
    backend.index([customer(1, "华为技术有限公司", "深圳 5G专线 合同金额 1200 万元", keywords="GC0000001"),
                   customer(2, "滨江县人民医院", "医疗卫生")])
    for query in ("华为", "技术有限", "hwjs", "huawei", "yxgs", "gc0000001", "GC0000001", "5G 专线", "1200"):
        assert refs(backend, query) == ["customer:1"], query
    assert refs(backend, "滨江 医院") == ["customer:2"]
    assert refs(backend, "华为 医院") == []  # every word must match


def test_prefix_search_completes_the_last_word(backend):
    backend.index([customer(1, "滨江县人民医院"), customer(2, "江城精密机械", keywords="GC0000002")])
    assert refs(backend, "滨", prefix=True) == ["customer:1"]
    assert refs(backend, "gc00", prefix=True) == ["customer:2"]
    assert refs(backend, "滨") == []


def test_the_scope_pre_filter_keeps_other_owners_and_units_out(backend):
    backend.index([customer(1, "滨江物流", owner=7, unit="/1/2/3/"), customer(2, "滨江水务", owner=8, unit="/1/2/4/"),
                   customer(3, "滨江酒店", owner=9, unit="/1/5/")])
    assert refs(backend, "滨江", ScopeFilter(owner_id=7)) == ["customer:1"]
    assert sorted(refs(backend, "滨江", ScopeFilter(owner_id=9, unit_path="/1/2/"))) == \
        ["customer:1", "customer:2", "customer:3"]
    assert sorted(refs(backend, "滨江", ScopeFilter(owner_id=1, unit_path="/1/2/"))) == ["customer:1", "customer:2"]
    assert refs(backend, "滨江", ScopeFilter()) == []


def test_public_documents_pass_the_scope_pre_filter_for_everyone(backend):
    backend.index([IndexDocument(ref="article:1", type="article", title="政企专线资费说明", public=True)])
    assert refs(backend, "专线", ScopeFilter(owner_id=99)) == ["article:1"]


def test_types_limit_the_hits(backend):
    backend.index([customer(1, "专线客户"), IndexDocument(ref="article:1", type="article", title="专线", public=True)])
    assert refs(backend, "专线", types=("article",)) == ["article:1"]
    assert refs(backend, "专线", types=()) == []


def test_the_title_ranks_above_the_body(backend):
    backend.index([customer(1, "滨江水务", "也做专线"), customer(2, "云专线", "水务")])
    assert refs(backend, "专线")[0] == "customer:2"


def test_highlights_mark_matches_and_escape_the_stored_text(backend):
    backend.index([customer(1, "<b>华为</b>技术", "合同 <script>alert('x')</script> 华为 专线")])
    marked = backend.highlight("华为 专线", ["customer:1", "customer:404"])
    assert list(marked) == ["customer:1"]
    assert marked["customer:1"].title_html == "&lt;b&gt;<mark>华为</mark>&lt;/b&gt;技术"
    snippet = marked["customer:1"].snippet_html
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>华为</mark>" in snippet and "<mark>专线</mark>" in snippet


def test_a_snippet_without_a_match_in_the_text_starts_the_text(backend):
    backend.index([customer(1, "华为技术", "通信设备制造商")])
    assert backend.highlight("hwjs", ["customer:1"])["customer:1"].snippet_html == "通信设备制造商"


def test_index_replaces_by_ref_and_deletes(backend):
    backend.index([customer(1, "旧名称"), customer(2, "乙公司")])
    backend.index([customer(1, "新名称")], delete=["customer:2"])
    assert backend.count() == 1
    assert refs(backend, "旧名称") == [] and refs(backend, "新名称") == ["customer:1"]


def test_a_ref_given_twice_in_one_batch_is_stored_once_as_its_last_version(backend):
    with backend.batch() as batch:
        batch.index([customer(1, "第一版")])
        batch.index([customer(1, "第二版")])
    assert backend.count() == 1 and refs(backend, "第二版") == ["customer:1"]


def test_a_batch_that_raises_writes_nothing(backend):
    backend.index([customer(1, "甲公司")])
    with pytest.raises(RuntimeError):
        with backend.batch() as batch:
            batch.index([customer(2, "乙公司")], delete=["customer:1"])
            raise RuntimeError("the database read failed")
    assert refs(backend, "公司") == ["customer:1"]


def test_rebuild_of_one_type_keeps_the_others_and_a_full_rebuild_replaces_all(backend):
    backend.index([customer(1, "甲公司"), IndexDocument(ref="article:1", type="article", title="公司简介", public=True)])
    stats = backend.rebuild([customer(2, "乙公司"), customer(3, "丙公司")], types=["customer"])
    assert stats.written == {"customer": 2}
    assert sorted(refs(backend, "公司")) == ["article:1", "customer:2", "customer:3"]
    backend.rebuild([customer(4, "丁公司")])
    assert refs(backend, "公司") == ["customer:4"] and backend.count() == 1


def test_two_threads_writing_at_once_both_succeed_and_nothing_is_lost(backend):
    errors = []

    def write(first: int):
        try:
            for number in range(first, first + 20):
                backend.index([customer(number, f"并发客户{number}")])
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=write, args=(start,)) for start in (1, 101, 201)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.count("customer") == 60


def _index_in_another_process(path: str, first: int) -> None:
    writer = WhooshBackend(path, lock_timeout=60)
    for number in range(first, first + 15):
        writer.index([customer(number, f"进程客户{number}")])


def test_two_processes_writing_at_once_both_succeed_and_nothing_is_lost(backend, whoosh_dir):
    backend.index([customer(1000, "已有客户")])  # the index exists before the writers start
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_index_in_another_process, args=(str(whoosh_dir), start))
                 for start in (1, 101)]
    for process in processes:
        process.start()
    for number in range(201, 216):
        backend.index([customer(number, f"进程客户{number}")])
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0]
    assert backend.count("customer") == 46


HOLD_THE_WRITER = textwrap.dedent("""
    import sys, time
    from workbench.search.whoosh_backend import WhooshBackend
    backend = WhooshBackend(sys.argv[1])
    with backend.batch():
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold_writer(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_WRITER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_writer_waits_for_the_first_process_to_finish(backend, whoosh_dir):
    backend.index([customer(1, "甲公司")])
    holder = hold_writer(whoosh_dir, 1.5)
    backend.index([customer(2, "乙公司")])  # waits about 1.5 s, then writes
    assert holder.wait(timeout=30) == 0
    assert backend.count() == 2


def test_a_writer_that_waits_past_the_timeout_fails_cleanly_and_changes_nothing(backend, whoosh_dir):
    backend.index([customer(1, "甲公司")])
    holder = hold_writer(whoosh_dir, 2)
    impatient = WhooshBackend(whoosh_dir, lock_timeout=0.3)
    with pytest.raises(IndexBusy):
        impatient.index([customer(2, "乙公司")])
    holder.wait(timeout=30)
    assert backend.count() == 1
    backend.index([customer(2, "乙公司")])  # and the index is fine afterwards
    assert backend.count() == 2
