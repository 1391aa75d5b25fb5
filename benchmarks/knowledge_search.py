"""Knowledge search over many Chinese articles: p50 and p95 as a reader sees them, next to the
floor — a bare Whoosh search on the same index (no database check, no highlights, no
sorting) — measured in the same run.

The articles are generated, reproducibly (seeded), from a built-in vocabulary of telecom
knowledge (products, processes, systems): no downloads. They are written to a fresh SQLite
database as published articles (in both spaces, in a category tree, with tags), indexed with
the knowledge search source (`workbench search rebuild` does the same), and searched as an
account manager through `plugins.knowledge.services.search_articles`: the index's ranked
hits, the database check of the best 1,000 under the reader's scope, the page of 20 read
again and highlighted. Target: p95 under 25 ms.

    python -m benchmarks.knowledge_search [--articles 50000] [--queries 300] [--seed 11]

Prints a table and rewrites the "knowledge" section of docs/benchmarks.md (between its
markers); ends with the summary line `python -m benchmarks` collects (benchmarks/summary.py).
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

# Process CPU time (SQLite runs in this process, so the database check counts): other work on
# the shared machine does not count against either side.
CLOCK = time.process_time
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- knowledge:start -->", "<!-- knowledge:end -->"
SECTION_HEAD = """## Knowledge search

Reproduce: `python -m benchmarks.knowledge_search --articles 50000 --queries 300`. The
script generates published articles from a seeded telecom vocabulary into a fresh SQLite
database, indexes them with the knowledge search source and rewrites the table below.

The floor is the index's own ranked search in the same run (the query as the backend builds
it, best 1,000 hits, no database check, no highlights); the row below it is the same search
evaluated by Whoosh's matchers, as it was before 0.4. The knowledge search is what the page
runs for an account manager: ranked hits, the database check of the best 1,000 under the
reader's scope, and the page of 20 read again and highlighted; with a space filter (in the
index); sorted by newest (by the database, over the checked hits). CPU time of the one process
(SQLite runs in it); target p95 < 25 ms.

What it showed (2026-11-23, shared 2-core machine, load average ≈ 7): **the target is met** —
knowledge search p50 ≈ 16 ms, p95 ≈ 22 ms; with the space filter p95 ≈ 23 ms. Sorting by
newest is p95 ≈ 33 ms: the database orders the 1,000 checked hits by date to return a page,
reading each article's row. Whoosh's own evaluation of the same queries takes p95 ≈ 240 ms —
it scores every match (3,500 at the median, 15,000 at p95) one document at a time in Python;
the backend now evaluates ranked queries over cached posting arrays with numpy (docs/search.md,
"Speed"), 24× faster at the median and 37× at p95, with the same results (a test compares them).
"""

# The article generator lives with the knowledge plugin, which seeds `workbench bench seed` with it.
from plugins.knowledge.bench_seed import KINDS, PROCESSES, PRODUCTS, SYSTEMS, make_articles  # noqa: E402


def queries(count: int, seed: int) -> list[str]:
    """What readers type: a product or a system with a process, or a phrase that is not a
    whole word of any title (报修流程, 专线故障)."""
    rng = random.Random(seed + 1)
    made = []
    for _ in range(count):
        shape = rng.random()
        if shape < 0.4:
            made.append(f"{rng.choice(PRODUCTS)} {rng.choice(PROCESSES)[:2]}")
        elif shape < 0.7:
            made.append(rng.choice(PROCESSES)[:2] + rng.choice(KINDS)[:2])
        else:
            made.append(f"{rng.choice(SYSTEMS)} {rng.choice(KINDS)}")
    return made


def p(values: list[float], fraction: float) -> float:
    return sorted(values)[max(0, int(len(values) * fraction + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--keep", metavar="FOLDER", help="keep the database and index in FOLDER and reuse them when "
                                                           "they are there (for repeated runs while tuning)")
    args = parser.parse_args()

    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        table, figures = run(Path(args.keep), args)
    else:
        with tempfile.TemporaryDirectory() as folder:
            table, figures = run(Path(folder), args)
    print(table)
    if not args.no_docs:
        write_docs(table)
    summary.emit("knowledge_search", figures)


def run(folder: Path, args) -> tuple[str, list[dict]]:
    """The table, and the figures of the summary line (p95 of each search next to the floor's)."""
    import logging

    from sqlalchemy import select

    from workbench import create_app
    from workbench.auth.models import User
    from workbench.extensions import db
    from workbench.org.scope import acting_as, system_scope
    from workbench.search import indexing
    from workbench.search.backend import ScopeFilter, SearchQuery
    from workbench.search.whoosh_backend import WhooshBackend

    from plugins.knowledge import services

    logging.disable(logging.WARNING)
    app = create_app({"TESTING": True, "DATA_DIR": str(folder / "data"), "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
                      "WORKBENCH_PLUGINS": ["knowledge"]})
    articles = make_articles(args.articles, args.seed)
    reused = (folder / "indexed").exists()
    with app.app_context():
        db.create_all()
        if reused:
            reader = db.session.execute(select(User).where(User.username == "am1")).scalar_one()
            report, index_seconds = None, 0.0
        else:
            with system_scope():
                reader = seed(articles)
            started = time.process_time()
            report = indexing.rebuild(["knowledge.article"])
            index_seconds = time.process_time() - started
            (folder / "indexed").touch()
        backend = indexing.backend()
        texts = queries(args.queries, args.seed)
        reader = db.session.get(type(reader), reader.id)
        scope = reader.scope

        whoosh_way = WhooshBackend(backend.path, ranked_arrays=False)

        def floor(text, engine=backend):
            engine.search(SearchQuery(text=text, scope=ScopeFilter.from_scope(scope),
                                      types=("knowledge.article",), limit=1000))

        def knowledge(text, **filters):
            def call():
                with app.test_request_context():
                    services.search_articles(reader, services.ArticleFilter(q=text, **filters), page=1, per_page=20)
                    db.session.remove()
            return call

        def timed(make) -> list[float]:
            for text in texts[:10]:
                make(text)()
            times = []
            for text in texts:
                call = make(text)
                start = CLOCK()
                call()
                times.append((CLOCK() - start) * 1000)
            return times

        with acting_as(scope):
            hits = [len(backend.search(SearchQuery(text=t, scope=ScopeFilter.from_scope(scope),
                                                   types=("knowledge.article",), limit=100000))) for t in texts]
            results = [
                ("floor: the index's ranked search, best 1,000 (no database check, no highlights)",
                 timed(lambda text: (lambda: floor(text)))),
                ("the same evaluated by Whoosh's matchers (before 0.4)",
                 timed(lambda text: (lambda: floor(text, whoosh_way)))),
                ("knowledge search, account manager, page of 20 with highlights",
                 timed(lambda text: knowledge(text))),
                ("… filtered by space (in the index)", timed(lambda text: knowledge(text, space="business"))),
                ("… sorted by newest (database, over the checked hits)", timed(lambda text: knowledge(text, sort="newest"))),
            ]
        db.session.remove()
        db.engine.dispose()

    floor_median = statistics.median(results[0][1])
    lines = [
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, sqlite; "
        f"{len(articles)} published articles (~{statistics.mean(len(a['text']) for a in articles):.0f} characters), "
        + (f"indexed in {index_seconds:.0f} s CPU ({report.counts.get('knowledge.article', 0) / max(index_seconds, 0.001):.0f}/s); "
           if report else "index reused (--keep); ")
        + f"{len(texts)} queries matching {statistics.median(hits):.0f} articles at the median "
        f"({p(hits, 0.95):.0f} at p95); CPU time, one process.",
        "",
        "| search | p50 ms | p95 ms | mean ms | p50 ÷ floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, times in results:
        lines.append(f"| {label} | {statistics.median(times):.2f} | {p(times, 0.95):.2f} | "
                     f"{statistics.mean(times):.2f} | {statistics.median(times) / floor_median:.2f} |")
    floor_p95 = p(results[0][1], 0.95)
    targets = {2: "p95 < 25 ms", 3: "p95 < 25 ms"}  # the search and its space filter (docs: target)
    figures = [summary.figure(f"knowledge search p95 ms ({len(articles)} articles): {label}", p(times, 0.95),
                              floor_p95, "ms", target=targets.get(number),
                              ok=p(times, 0.95) < 25 if number in targets else None)
               for number, (label, times) in enumerate(results) if number >= 2]
    return "\n".join(lines), figures


def seed(articles: list[dict]):
    """The reader (an account manager of a county), the author, categories, tags and the
    published articles, written set-wise; returns the reader."""
    from sqlalchemy import insert

    from workbench.auth import services as accounts
    from workbench.extensions import db
    from workbench.org import services as org

    from plugins.knowledge.models import KnowledgeArticle, KnowledgeCategory, KnowledgeTag, article_tag

    roles = accounts.ensure_builtin_roles()
    province = org.create_unit(code="P", name="省公司", level="province")
    county = org.create_unit(code="X", name="滨江县分公司", level="county", parent=province)
    author = accounts.create_user(username="knowledge", password="bench password 1", unit=province,
                                  roles=[roles["knowledge_admin"]])
    reader = accounts.create_user(username="am1", password="bench password 1", unit=county,
                                  roles=[roles["account_manager"]])
    categories = {space: [KnowledgeCategory(space=space, name=f"{space}-{n}", order=n) for n in range(8)]
                  for space in ("business", "system")}
    for items in categories.values():
        db.session.add_all(items)
    db.session.add_all([KnowledgeTag(name=f"标签{n}") for n in range(1, 41)])
    db.session.commit()
    rows, links = [], []
    for number, article in enumerate(articles, start=1):
        category = categories[article["space"]][number % 8]
        rows.append({"id": number, "kind": "article", "space": article["space"], "category_id": category.id,
                     "status": "published", "title": article["title"], "body_html": "", "body_text":
                     article["text"], "published_title": article["title"],
                     "published_html": "<p>" + article["text"].replace("\n", "</p><p>") + "</p>",
                     "published_text": article["text"], "published_revision": 1,
                     "published_at": article["published_at"], "first_published_at": article["published_at"],
                     "review_comment": "", "view_count": 0, "useful_count": article["useful"],
                     "comment_count": 0, "org_unit_id": province.id, "owner_id": author.id, "version": 1,
                     "created_at": article["published_at"], "updated_at": article["published_at"]})
        links.extend({"article_id": number, "tag_id": tag} for tag in article["tags"])
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(KnowledgeArticle), rows[start:start + 5000])
    db.session.execute(insert(article_tag), links)
    db.session.commit()
    return reader


def write_docs(table: str) -> None:
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
