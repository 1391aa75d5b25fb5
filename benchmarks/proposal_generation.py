"""Generating a proposal of 10 products: time per document next to its floor, same run.

What is timed, per document, on the demo library (ten products, every kind of piece):

- **generate + .docx**: what a user waits for — build the ten sections from the published
  material (customer's industry cases first, price rows) and render the .docx (cover, TOC
  field, chapters converted from HTML, combined price table, footer);
- **.docx only**: rendering an already generated proposal (what each download costs);
- **floor**: python-docx writing the same text — the same headings, the same paragraphs as
  plain text and the same price rows in one table — with none of the proposal logic. No
  implementation on python-docx can be faster than that.

    python -m benchmarks.proposal_generation [--documents 30] [--database-url URL]

Prints the table, rewrites the "proposal generation" section of docs/benchmarks.md and ends
with the summary line `python -m benchmarks` collects (benchmarks/summary.py).
Target: under 1 s per document.
"""
from __future__ import annotations

import argparse
import io
import platform
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import summary

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- proposal:start -->", "<!-- proposal:end -->"


def build(database_url: str | None, data_dir: str):
    from workbench import create_app
    from workbench.demo import seed_demo
    from workbench.extensions import db

    config = {"DATA_DIR": data_dir, "WTF_CSRF_ENABLED": False, "WORKBENCH_PLUGINS": ["solutions"],
              "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{data_dir}/bench.db"}
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
    return app


def floor_docx(sections, groups) -> bytes:
    """python-docx writing the same text with no proposal logic."""
    from docx import Document

    from plugins.solutions.services import plain_text

    document = Document()
    document.add_paragraph("cover", style="Title")
    for number, section in enumerate(sections, start=1):
        document.add_heading(f"{number}  {section.heading}", level=1)
        for block in plain_text(section.body_html).split("。"):
            if block.strip():
                document.add_paragraph(block)
    rows = [row for group in groups for row in group.rows]
    table = document.add_table(rows=len(rows) + 1, cols=7)
    for cells, row in zip(table.rows[1:], rows):
        for cell, value in zip(cells.cells, (row["item"], row.get("spec", ""), row.get("unit", ""),
                                             row["unit_price"], row.get("quantity", ""), row["amount"],
                                             row.get("remark", ""))):
            cell.text = str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(app, documents: int) -> dict[str, list[float]]:
    from sqlalchemy import select

    from workbench.auth.models import User
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    from plugins.solutions import services
    from plugins.solutions.models import Product
    from workbench.customers.models import Customer

    timings = {"generate": [], "docx": [], "floor": []}
    with app.test_request_context(), system_scope():
        am1 = db.session.execute(select(User).where(User.username == "am1")).scalar_one()
        products = db.session.execute(select(Product).order_by(Product.id)).scalars().all()
        assert len(products) == 10, "the demo library has ten products"
        customer = db.session.execute(select(Customer).where(Customer.owner_id == am1.id)
                                      .order_by(Customer.id)).scalars().first()
        # Large proposals are built by a job; here the build itself is timed, in-process.
        services.LARGE_PROPOSAL = 100
        for _ in range(documents + 2):  # two warm-up rounds
            started = time.perf_counter()
            request = services.check_request(am1, product_ids=[p.id for p in products], customer_id=customer.id)
            proposal = services.generate_proposal(am1, request)
            data = services.proposal_docx(proposal)
            generated = time.perf_counter()
            services.proposal_docx(proposal)
            rendered = time.perf_counter()
            groups, _total = services.combined_prices(proposal)
            floor = floor_docx(services.visible_sections(proposal), groups)
            floored = time.perf_counter()
            assert data and floor
            timings["generate"].append((generated - started) * 1000)
            timings["docx"].append((rendered - generated) * 1000)
            timings["floor"].append((floored - rendered) * 1000)
            db.session.rollback()
    return {key: values[2:] for key, values in timings.items()}


def table(timings: dict[str, list[float]], documents: int, backend: str) -> str:
    floor = statistics.mean(timings["floor"])
    lines = [
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
        f"{backend}; {documents} documents of the 10 demo products (customer 滨江县人民医院), one process.",
        "",
        "| per document | mean ms | p50 ms | p95 ms | ÷ floor |",
        "|---|---:|---:|---:|---:|",
    ]
    labels = {"generate": "generate 10 sections + render the .docx (what the user waits for)",
              "docx": "render the .docx of a generated proposal (each download)",
              "floor": "floor: python-docx writing the same text and price rows"}
    for key in ("generate", "docx", "floor"):
        values = timings[key]
        lines.append(f"| {labels[key]} | {statistics.mean(values):.1f} | {statistics.median(values):.1f} | "
                     f"{percentile(values, 0.95):.1f} | {statistics.mean(values) / floor:.2f} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the text between the proposal markers (the section is in docs/benchmarks.md)."""
    content = DOCS.read_text()
    if MARKER_START not in content:
        raise SystemExit(f"{DOCS} has no {MARKER_START} section; add it first")
    head, rest = content.split(MARKER_START, 1)
    DOCS.write_text(head + f"{MARKER_START}\n{text}\n{MARKER_END}" + rest.split(MARKER_END, 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-proposal-") as data_dir:
        app = build(args.database_url, data_dir)
        with app.app_context():
            timings = run(app, args.documents)
            backend = app.extensions["sqlalchemy"].engine.url.get_backend_name()
    text = table(timings, args.documents, backend)
    print(text)
    if not args.no_docs:
        write_docs(text)
    floor_p95 = percentile(timings["floor"], 0.95)
    generate_p95, docx_p95 = percentile(timings["generate"], 0.95), percentile(timings["docx"], 0.95)
    summary.emit("proposal_generation", [
        summary.figure(f"proposal of 10 products: generate + .docx, p95 ms ({backend})", generate_p95, floor_p95,
                       "ms", target="< 1000 ms per document", ok=generate_p95 < 1000),
        summary.figure(f"proposal: .docx of a generated proposal, p95 ms ({backend})", docx_p95, floor_p95, "ms"),
    ])


if __name__ == "__main__":
    main()
