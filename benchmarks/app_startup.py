"""What building an app and a test's database costs, each figure next to its floor, measured
in the same run.

    python -m benchmarks.app_startup [--apps 20] [--resets 10] [--postgres-url URL]

* create_app: median wall and CPU time of building the app (after a first, warm-up call that
  pays the imports). Floor: adding the same URL rules to a bare Flask app — Werkzeug compiles
  every rule and create_app cannot go below that. Next to it, the first read of the OpenAPI
  document, which the lazy Api (workbench/api/lazy_spec.py) moved out of start-up: one
  request for /api/v1/openapi.json per process pays it.
* test database set-up (tests/support/databases.py): SQLite create_all against the copy of
  the schema template the `app` fixture now makes; PostgreSQL create_all against
  create_missing_tables, and after a test's writes (build_world) the TRUNCATE of every table
  against reset_tables. Floor for PostgreSQL: one `SELECT 1` round trip.

Timings drift with the machine and its load; compare the figures of one run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ARGON2_FAST = {"argon2__memory_cost": 1024, "argon2__rounds": 1, "argon2__parallelism": 1}


def measure(fn, times: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `times` calls of fn(i)."""
    walls, cpus = [], []
    for i in range(times):
        wall, cpu = time.perf_counter(), time.process_time()
        fn(i)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def row(label: str, figure: tuple[float, float], floor_label: str, floor: tuple[float, float]) -> None:
    print(f"{label:<54} {figure[0]:8.1f} ms wall {figure[1]:7.1f} ms cpu   "
          f"| floor {floor_label}: {floor[0]:7.1f} ms wall {floor[1]:7.1f} ms cpu")


def config(workdir: Path, name: str, uri: str | None = None) -> dict:
    return {"TESTING": True, "SECRET_KEY": "benchmark", "DATA_DIR": str(workdir / name),
            "RATELIMIT_STORAGE_URI": "memory://", "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": ARGON2_FAST,
            "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{workdir / name}.db"}


def bench_create_app(workdir: Path, apps: int) -> None:
    from flask import Flask

    from workbench import create_app
    from workbench.extensions import api

    built = create_app(config(workdir, "warm-up"))
    rules = [rule.empty() for rule in built.url_map.iter_rules()]

    def bare_app_with_the_same_rules(_i):
        bare = Flask("floor")
        for rule in rules:
            bare.url_map.add(rule.empty())

    figure = measure(lambda i: create_app(config(workdir, f"app{i}")), apps)
    floor = measure(bare_app_with_the_same_rules, apps)
    row(f"create_app ({len(rules)} URL rules)", figure, "same URL rules, bare Flask", floor)

    def first_read(i):
        create_app(config(workdir, f"doc{i}"))
        wall, cpu = time.perf_counter(), time.process_time()
        api.spec.to_dict()
        first_read.samples.append((time.perf_counter() - wall, time.process_time() - cpu))

    first_read.samples = []
    for i in range(max(3, apps // 4)):
        first_read(i)
    deferred = (statistics.median(s[0] for s in first_read.samples) * 1000,
                statistics.median(s[1] for s in first_read.samples) * 1000)
    print(f"{'  first read of the OpenAPI document':<54} {deferred[0]:8.1f} ms wall {deferred[1]:7.1f} ms cpu   "
          f"| once per process, on the first /api/v1/openapi.json")


def bench_sqlite(workdir: Path, times: int) -> None:
    from workbench import create_app
    from workbench.extensions import db
    from tests.support import databases

    apps = [create_app(config(workdir, f"sqlite{i}")) for i in range(times)]

    def create_all(i):
        with apps[i].app_context():
            db.create_all()
            db.engine.dispose()

    template = databases.sqlite_template(db.metadata, workdir)

    def copy_template(i):
        databases.copy_sqlite_template(databases.sqlite_template(db.metadata, workdir), workdir / f"copy{i}.db")

    def plain_copy(i):
        shutil.copyfile(template, workdir / f"plain{i}.db")

    floor = measure(plain_copy, times)
    row("SQLite schema: create_all", measure(create_all, times), "copying a file", floor)
    row("SQLite schema: template copy (fixture)", measure(copy_template, times), "copying a file", floor)


def bench_postgres(workdir: Path, times: int, url: str) -> None:
    from workbench import create_app
    from workbench.extensions import db
    from tests.support import databases
    from tests.support.factories import build_world

    os.environ["WORKBENCH_TEST_POSTGRES_URL"] = url
    database = databases.worker_database_url("benchmark")
    try:
        app = create_app(config(workdir, "pg", database))
        with app.app_context():
            db.create_all()
            def select_one(_i):
                db.session.execute(db.text("SELECT 1"))
                db.session.commit()

            round_trip = measure(select_one, times)
            row("PostgreSQL schema: create_all", measure(lambda i: db.create_all(), times), "SELECT 1", round_trip)
            row("PostgreSQL schema: create_missing_tables", measure(
                lambda i: databases.create_missing_tables(db.engine, db.metadata), times), "SELECT 1", round_trip)
            for label, reset in (("TRUNCATE every table", databases.truncate_all),
                                 ("reset_tables (fixture)", databases.reset_tables)):
                samples = []
                for _ in range(times):
                    build_world()
                    db.session.commit()
                    db.session.remove()
                    samples.append(measure(lambda i: reset(db.engine, db.metadata), 1))
                figure = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
                row(f"PostgreSQL reset after a test: {label}", figure, "SELECT 1", round_trip)
            db.engine.dispose()
    finally:
        databases.drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--resets", type=int, default=10)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "WORKBENCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="workbench-startup-"))
    try:
        bench_create_app(workdir, args.apps)
        bench_sqlite(workdir, args.resets)
        if not args.no_postgres:
            bench_postgres(workdir, args.resets, args.postgres_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
