"""In-process timing of the core pages next to their floor, measured in the same run.

The floor for the inbox is a bare endpoint in the same app that runs the same inbox SQL for
the same user and returns the rows as JSON — what any implementation must at least pay. The
figure that matters is the ratio, which holds across machines; absolute times drift.

    python -m benchmarks.core_pages [--todos 2000] [--requests 300] [--database-url URL]

Prints a table, rewrites the "core pages" section of docs/benchmarks.md and ends with the
summary line `python -m benchmarks` collects (benchmarks/summary.py). The province-scale
benchmark with gunicorn and wrk is benchmarks/province.py.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask import jsonify
from flask_login import current_user

from benchmarks import summary

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def build_app(database_url: str | None, data_dir: str):
    from workbench import create_app
    from workbench.extensions import db
    from workbench.inbox import services

    config = {"DATA_DIR": data_dir, "WTF_CSRF_ENABLED": False}
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = database_url
    app = create_app(config)

    @app.route("/_floor/inbox")
    def floor_inbox():
        rows = db.session.execute(services.inbox_query(current_user).limit(25)).scalars().all()
        return jsonify([{"id": r.id, "title": r.title, "kind": r.kind,
                         "due_at": r.due_at.isoformat() if r.due_at else None} for r in rows])

    return app


def seed(app, todos: int) -> None:
    from workbench.demo import seed_demo
    from workbench.extensions import db
    from workbench.inbox.models import TodoItem
    from workbench.auth.models import User
    from workbench.org.scope import system_scope
    from workbench.records import utcnow
    from sqlalchemy import select

    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        with system_scope():
            am1 = db.session.execute(select(User).where(User.username == "am1")).scalar_one()
            now = utcnow()
            db.session.add_all([
                TodoItem(kind="task", title=f"benchmark item {n}", owner_id=am1.id,
                         org_unit_id=am1.org_unit_id, due_at=now + timedelta(hours=n % 500 - 100),
                         status="open" if n % 4 else "done")
                for n in range(todos)
            ])
            db.session.commit()


def measure(client, url: str, requests: int) -> list[float]:
    for _ in range(10):
        client.get(url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--todos", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        app = build_app(args.database_url, data_dir)
        seed(app, args.todos)
        client = app.test_client()
        client.post("/login", data={"username": "am1", "password": "workbench"})
        pages = [("floor: inbox SQL → JSON", "/_floor/inbox"), ("inbox page", "/inbox/"),
                 ("homepage shell", "/"), ("widget: my to-dos", "/homepage/widgets/inbox.my_todos"),
                 ("widget: my customers", "/homepage/widgets/customers.mine"),
                 ("customer list", "/customers/")]
        results = [(label, measure(client, url, args.requests)) for label, url in pages]
    floor_mean = statistics.mean(results[0][1])
    backend = (args.database_url or "sqlite").split(":")[0].split("+")[0]  # the database, not its driver
    lines = [
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
        f"{backend}; {args.todos} to-dos for am1, {args.requests} requests each, one process, Flask test client.",
        "",
        "| page | mean ms | p95 ms | mean ÷ floor |",
        "|---|---:|---:|---:|",
    ]
    for label, times in results:
        lines.append(f"| {label} | {statistics.mean(times):.2f} | {p95(times):.2f} | "
                     f"{statistics.mean(times) / floor_mean:.2f} |")
    table = "\n".join(lines)
    print(table)
    write_docs(table)
    summary.emit("core_pages", [
        summary.figure(f"core page: {label}, mean ms ({backend}, {args.todos} to-dos)", statistics.mean(times),
                       floor_mean, "ms")
        for label, times in results[1:]])


def write_docs(table: str) -> None:
    marker_start, marker_end = "<!-- core-pages:start -->", "<!-- core-pages:end -->"
    text = DOCS.read_text() if DOCS.exists() else ""
    block = f"{marker_start}\n{table}\n{marker_end}"
    if marker_start in text:
        head, rest = text.split(marker_start, 1)
        text = head + block + rest.split(marker_end, 1)[1]
    else:
        text += "\n" + block + "\n"
    DOCS.write_text(text)


if __name__ == "__main__":
    main()
