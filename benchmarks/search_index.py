"""Indexing and query speed of the search index, next to their floor, measured in one run.

The floor for indexing is bare jieba segmentation of the same texts: jieba's default `cut`
(target: indexing at least 60% of its rate), and `cut(HMM=False)`, the dictionary-only call
the analyzer makes. The analyzer, Whoosh's postings and the commit must cost little beside it. Queries are two-word
searches over the whole index as the service runs them (best 1,000 hits, scope pre-filter);
target: p95 under 25 ms.

The articles are generated, reproducibly (seeded), from a built-in vocabulary of telecom
government-and-enterprise phrases: no downloads.

    python -m benchmarks.search_index [--articles 20000] [--queries 300] [--seed 7]

Prints a table, rewrites the "search" section of docs/benchmarks.md (between its markers,
the way benchmarks/core_pages.py rewrites its own) and ends with the summary line
`python -m benchmarks` collects (benchmarks/summary.py).
"""
from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import summary

# Process CPU time: other work on the machine does not count against either side.
CLOCK = time.process_time
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- search:start -->", "<!-- search:end -->"
SECTION_HEAD = """## Search (index and query)

Reproduce: `python -m benchmarks.search_index --articles 20000 --queries 300`. The script
generates the articles from a seeded telecom vocabulary and rewrites the table below.

Indexing is compared with bare jieba segmentation of the same texts in the same run, measured
chunk by chunk between the indexing (CPU time of this process, so other load on the machine
counts for neither): jieba's default `cut`, the target being at least 60% of its rate; and
`cut(HMM=False)`, the dictionary-only segmentation the analyzer actually runs (docs/search.md
says why), which no analyzer built on it can beat. Queries are
two-word searches as the service runs them (best 1,000 hits, then the page's highlights);
target p95 < 25 ms.
"""

PLACES = ["滨江县", "临湖区", "海州经开区", "江城市", "城东新区", "北岸镇", "南山街道", "高新园区", "港口片区", "西湖乡"]
INDUSTRIES = ["医疗卫生", "教育", "政务", "金融", "制造业", "交通物流", "公用事业", "住宿餐饮", "信息技术", "农业"]
ORGANISATIONS = ["人民医院", "第一中学", "农村商业银行", "市场监督管理局", "水务有限公司", "物流园管理公司",
                 "精密机械制造公司", "开发区管委会", "新材料科技公司", "电子信息产业园", "中医院", "实验小学",
                 "供电公司", "燃气集团", "公安局", "税务局", "冷链仓储公司", "汽车零部件公司", "文旅集团", "港务集团"]
PRODUCTS = ["云专线", "互联网专线", "数据专线", "语音专线", "5G专网", "切片专网", "物联网卡", "天翼云", "移动云",
            "云电脑", "千兆宽带", "视频监控", "雪亮工程", "平安乡村", "智慧校园", "智慧医疗", "智慧园区",
            "算力网络", "IDC机房", "SD-WAN组网", "等保测评", "数字政府平台", "一网通办系统", "云视讯", "企业邮箱"]
ACTIONS = ["完成需求调研", "提交解决方案", "通过方案评审", "进入合同审核", "完成合同签约", "启动工程实施",
           "完成设备安装", "通过竣工验收", "开通业务", "完成割接上线", "开展客户走访", "召开项目推进会",
           "处理投诉工单", "完成续约谈判", "发起资源申请", "录入商机信息", "完成报勘审核", "提交竞争情报"]
PEOPLE = ["李晓梅", "张伟", "王建国", "陈志强", "刘芳", "赵磊", "孙丽", "周杰", "吴敏", "郑浩"]
CONCERNS = ["带宽不足", "网络时延偏高", "资费偏高", "合同即将到期", "账户余额不足", "出现欠费", "成员数量下降",
            "收入环比下滑", "竞争对手低价冲击", "系统需要等保二级", "机房需要扩容", "视频会议卡顿"]
FOLLOW_UPS = ["客户经理已安排上门", "县区经理协调资源支撑", "网格经理每周跟进", "省公司专家远程支撑",
              "方案库已推送标准方案", "知识库补充了案例", "已生成派单待办", "预警已闭环处理"]


def make_articles(count: int, seed: int) -> list[tuple[str, str]]:
    """(title, body ~400 characters) pairs, the same for the same seed."""
    rng = random.Random(seed)
    articles = []
    for _ in range(count):
        place, organisation, product = rng.choice(PLACES), rng.choice(ORGANISATIONS), rng.choice(PRODUCTS)
        title = f"{place}{organisation}{product}项目{rng.choice(ACTIONS)}"
        sentences = []
        while sum(map(len, sentences)) < 400:
            sentences.append(rng.choice([
                f"{place}{rng.choice(INDUSTRIES)}行业客户{organisation}提出{rng.choice(PRODUCTS)}需求，"
                f"客户经理{rng.choice(PEOPLE)}已{rng.choice(ACTIONS)}。",
                f"{rng.randint(2023, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日，项目{rng.choice(ACTIONS)}，"
                f"合同金额{rng.randint(5, 900)}万元，带宽{rng.choice([100, 200, 500, 1000, 10000])}M。",
                f"客户反映{rng.choice(CONCERNS)}，{rng.choice(FOLLOW_UPS)}，预计{rng.randint(1, 30)}天内完成。",
                f"本期建设{rng.choice(PRODUCTS)}和{rng.choice(PRODUCTS)}，覆盖{rng.randint(2, 60)}个网点，"
                f"联系电话1{rng.randint(3000000000, 9999999999)}。",
                f"政企客户{organisation}与我司签订{rng.choice(PRODUCTS)}合作协议，{rng.choice(FOLLOW_UPS)}。",
            ]))
        articles.append((title, "".join(sentences)[:420]))
    return articles


def two_word_queries(count: int, seed: int) -> list[str]:
    """Queries of two words, each a single word of the vocabulary as the analyzer cuts it
    (滨江县 is two words, 滨江 and 县; 云专线 is one)."""
    from workbench.search.analysis import query_words

    phrases = [*PLACES, *INDUSTRIES, *ORGANISATIONS, *PRODUCTS, *PEOPLE, *CONCERNS, *ACTIONS]
    words = sorted({word for phrase in phrases for word in query_words(phrase) if len(word) >= 2})
    rng = random.Random(seed + 1)
    return [" ".join(rng.sample(words, 2)) for _ in range(count)]


def documents(articles, first: int = 1):
    from workbench.search.backend import IndexDocument, make_ref

    units = [f"/1/{city}/{county}/" for city in (2, 3) for county in range(4, 9)]
    for number, (title, body) in enumerate(articles, start=first):
        yield IndexDocument(ref=make_ref("article", number), type="article", title=title, body=body,
                            owner_id=number % 400, unit_path=units[number % len(units)])


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def measure_queries(backend, queries, scope, highlight: bool) -> list[float]:
    from workbench.search.backend import SearchQuery

    for query in queries[:10]:  # warm the searcher and the caches
        backend.search(SearchQuery(query, scope, types=("article",)))
    times = []
    for query in queries:
        start = CLOCK()
        hits = backend.search(SearchQuery(query, scope, types=("article",), limit=1000))
        if highlight:
            backend.highlight(query, [hit.ref for hit in hits[:20]])
        times.append((CLOCK() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    from workbench.search.analysis import segmenter
    from workbench.search.backend import ScopeFilter
    from workbench.search.whoosh_backend import WhooshBackend

    articles = make_articles(args.articles, args.seed)
    characters = sum(len(title) + len(body) for title, body in articles)
    tokenizer = segmenter()  # load the dictionary before timing
    floors = {True: 0.0, False: 0.0}  # jieba's default (HMM on), and its dictionary alone

    def segment(chunk, hmm: bool) -> None:
        for title, body in chunk:
            for _word in tokenizer.cut(title, HMM=hmm):
                pass
            for _word in tokenizer.cut(body, HMM=hmm):
                pass

    def interleaved(chunk_size: int = 100):
        """The documents, with the floors measured on each chunk just before it is indexed:
        all three see the same machine load, so their ratios hold on a busy machine too."""
        for start in range(0, len(articles), chunk_size):
            chunk = articles[start:start + chunk_size]
            for hmm in floors:
                started = CLOCK()
                segment(chunk, hmm)
                floors[hmm] += CLOCK() - started
            yield from documents(chunk, first=start + 1)

    for hmm in floors:
        segment(articles[:200], hmm)  # warm up every path alike
    with tempfile.TemporaryDirectory() as folder:
        backend = WhooshBackend(folder)
        backend.count()  # create the empty index before timing
        started = CLOCK()
        backend.rebuild(interleaved())
        index_seconds = CLOCK() - started - sum(floors.values())
        size_mb = sum(path.stat().st_size for path in Path(folder).iterdir()) / 1e6

        queries = two_word_queries(args.queries, args.seed)
        account_manager = ScopeFilter(owner_id=17)
        lead = ScopeFilter(owner_id=17, unit_path="/1/2/")
        admin = ScopeFilter(everything=True)
        results = [
            ("two words, admin (no scope filter)", measure_queries(backend, queries, admin, False)),
            ("two words, lead (half the documents in scope)", measure_queries(backend, queries, lead, False)),
            ("two words, account manager (own documents)", measure_queries(backend, queries, account_manager, False)),
            ("two words, lead, + highlights of 20", measure_queries(backend, queries, lead, True)),
        ]
        backend.close()

    default_rate, dictionary_rate = len(articles) / floors[True], len(articles) / floors[False]
    index_rate = len(articles) / index_seconds
    lines = [
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}; "
        f"{len(articles)} articles, {characters / len(articles):.0f} characters each on average (seed {args.seed}); "
        f"index {size_mb:.1f} MB; one process, CPU time.",
        "",
        "| indexing | documents/s | index ÷ this |",
        "|---|---:|---:|",
        f"| floor: bare jieba segmentation, jieba's default `cut` (title + body) | {default_rate:.0f} | "
        f"{index_rate / default_rate:.2f} |",
        f"| floor: jieba `cut(HMM=False)`, the call the analyzer makes | {dictionary_rate:.0f} | "
        f"{index_rate / dictionary_rate:.2f} |",
        f"| whoosh index with the workbench analyzer, incl. commit | {index_rate:.0f} | 1.00 |",
        "",
        f"| {args.queries} queries | mean ms | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for label, times in results:
        lines.append(f"| {label} | {statistics.mean(times):.2f} | {statistics.median(times):.2f} | {p95(times):.2f} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_docs:
        write_docs(table)
    figures = [
        summary.figure(f"search indexing, documents/s ({len(articles)} articles) vs jieba's default cut", index_rate,
                       default_rate, "documents/s", target="≥ 60% of jieba's rate (ratio ≤ 1.67)",
                       ok=index_rate >= 0.6 * default_rate),
        summary.figure("search indexing, documents/s vs jieba cut(HMM=False)", index_rate, dictionary_rate,
                       "documents/s"),
    ]
    # The queries have no floor measured in this run (the knowledge search benchmark has one).
    figures += [summary.figure(f"search query p95 ms: {label}", p95(times), None, "ms", target="p95 < 25 ms",
                               ok=p95(times) < 25) for label, times in results]
    summary.emit("search_index", figures)


def write_docs(table: str) -> None:
    """Replace the text between the search markers; add the section (with its heading) the
    first time. Other sections, such as core_pages.py's, are left as they are."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{MARKER_START}\n{table}\n{MARKER_END}"
    if MARKER_START in text:
        head, rest = text.split(MARKER_START, 1)
        text = head + block + rest.split(MARKER_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n"
    DOCS.write_text(text)


if __name__ == "__main__":
    main()
