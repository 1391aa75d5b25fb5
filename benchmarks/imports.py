"""Importing N customer rows (and N `warning.metrics` rows) from .xlsx and .csv through the
real import service, next to its floor measured in the same run.

Ours is the path the import pages take, timed from the upload to the run marked done:
`imports.services.upload` (the file checked by content, the header read), `start` with the
suggested columns (the job enqueued and, on commit, published), then the job `imports.run`
run by the job runner exactly as a worker runs it (`workbench.jobs.services.run_job`: the
claim, the uploader's scope, the whole file read and every cell checked before a row is
written, rows planned against the database and written in SAVEPOINT batches, a checkpoint
commit every few seconds). A private redis-server is the broker and no worker consumes it, so
the `search.update` jobs the commits publish wait there for the search worker, as in
production: the search indexing of the new customers is not in these figures (see the
search benchmark for its rate).

The floor is what any import of the same file must at least pay: reading it (openpyxl
read-only, or the csv module) plus one bare executemany INSERT of the same rows into the same
table (the owner's and unit's ids — or the customers' — looked up in one SELECT), in the same
process and database; it is rolled back, so ours then creates the same rows.

    python -m benchmarks.imports [--rows 20000] [--db sqlite|postgresql] [--kinds customers metrics]

PostgreSQL: a dedicated database `bench_imports` on 127.0.0.1, dropped and re-created. Wall-clock
seconds. Prints a table, rewrites the "imports" section of docs/benchmarks.md (unless
--no-docs) and ends with the summary line `python -m benchmarks` collects.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks import summary

from benchmarks import scratch_postgres

CLOCK = time.perf_counter
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- imports:start -->", "<!-- imports:end -->"
DEFAULT_PG_DATABASE = "bench_imports"
AMS = 400
COUNTIES = 20
PERIOD = "2026-09"
INDUSTRIES = ["医疗卫生", "教育", "政务", "金融", "制造业", "交通物流", "公用事业", "住宿餐饮", "信息技术", "农业"]
SECTION_HEAD = """## Imports

Reproduce: `python -m benchmarks.imports --rows 20000` (SQLite) and
`python -m benchmarks.imports --rows 20000 --db postgresql` (a dedicated database
`bench_imports` on 127.0.0.1, dropped and re-created). The script generates an .xlsx and a
.csv of N customers (400 account managers in 20 counties; half the rows name the unit, half
leave it to the account manager's) and of N monthly indicator rows for them
(`warning.metrics`), imports each through the real import service as a province
administrator, and rewrites the table below.

Ours is the path the import pages take, timed from the upload to the run marked done: the
upload (the file checked by content, the header read), start with the suggested columns, and
the job `imports.run` run by the job runner as a worker runs it — the whole file read and
every cell checked before anything is written, each row planned against the database
(keys, owner, unit, scope) and written in SAVEPOINT batches, a checkpoint commit every few
seconds. A private Redis is the broker with no worker, so the search indexing the commits
hand over waits for the search worker, as in production, and is not in these figures.

The floor is what any import of the same file must at least pay, measured in the same run:
reading it (openpyxl read-only, or the csv module) plus one bare executemany INSERT of the
same rows into the same table (ids looked up in one SELECT), rolled back before ours runs.
Wall-clock seconds; the statement count is the whole job's, checkpoints included.
"""


def county_code(index: int) -> str:
    """The county of account manager `am{index}` as benchmarks.warning_scan.seed_people lays them out."""
    county = index % COUNTIES
    return f"C{county // 2}X{county % 2}"


# --- the files ----------------------------------------------------------------------------------

def customer_rows(count: int, prefix: str, seed: int) -> tuple[list[str], list[list]]:
    from workbench.imports.core_kinds import CUSTOMER_COLUMNS

    rng = random.Random(seed)
    headers = [column.chinese for column in CUSTOMER_COLUMNS]
    rows = []
    for number in range(count):
        manager = number % AMS
        rows.append([f"{prefix}{number:07d}", f"江城市{prefix}导入客户{number}有限公司", rng.choice(INDUSTRIES),
                     rng.choice("ABCD"), f"am{manager}", county_code(manager) if number % 2 else "",
                     f"江城市滨江路{rng.randint(1, 999)}号"])
    return headers, rows


def metric_rows(count: int, prefix: str, seed: int) -> tuple[list[str], list[list]]:
    from plugins.warning.imports import COLUMNS

    rng = random.Random(seed)
    headers = [column.chinese for column in COLUMNS]
    rows = []
    for number in range(count):
        rows.append([f"{prefix}{number:07d}", PERIOD, "月", f"{rng.randrange(20_000, 400_000)}.00",
                     str(rng.randrange(500, 20_000)), f"{rng.randrange(3_000, 60_000)}.00", "0", "0",
                     str(rng.randrange(20, 400)), (date(2027, 1, 1) + timedelta(days=rng.randrange(900))).isoformat()])
    return headers, rows


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- the floor ----------------------------------------------------------------------------------

def read_floor(filename: str, data: bytes) -> list[tuple]:
    """The file's data rows, read the cheapest way its format allows."""
    if filename.endswith(".xlsx"):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
        workbook.close()
        return rows
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8")))][1:]


CUSTOMER_COLUMNS = ("code", "name", "industry", "level", "address", "notes", "archived", "owner_id", "org_unit_id",
                    "created_at", "updated_at", "version")
METRIC_COLUMNS = ("customer_id", "granularity", "period", "revenue", "traffic", "balance", "arrears", "arrears_days",
                  "members", "contract_end", "updated_at")


def insert_floor(kind: str, rows: list[tuple]) -> None:
    """One executemany INSERT of the rows, ids looked up in one SELECT (not committed)."""
    from sqlalchemy import text

    from workbench.extensions import db

    now = datetime.utcnow()
    if kind == "customers":
        people = {name: (user_id, unit_id) for name, user_id, unit_id in db.session.execute(
            text('SELECT username, id, org_unit_id FROM "user"'))}
        units = dict(db.session.execute(text("SELECT code, id FROM org_unit")).all())
        table, columns = "customer", CUSTOMER_COLUMNS
        params = []
        for code, name, industry, level, owner, unit, address in rows:
            owner_id, owner_unit = people[owner]
            params.append({"code": code, "name": name, "industry": industry, "level": level, "address": address,
                           "notes": "", "archived": False, "owner_id": owner_id,
                           "org_unit_id": units[unit] if unit else owner_unit, "created_at": now, "updated_at": now,
                           "version": 1})
    else:
        customers = dict(db.session.execute(text("SELECT code, id FROM customer")).all())
        table, columns = "warning_metric", METRIC_COLUMNS
        params = []
        for code, period, _granularity, revenue, traffic, balance, arrears, days, members, end in rows:
            params.append({"customer_id": customers[code], "granularity": "month",
                           "period": date.fromisoformat(f"{period}-01"), "revenue": revenue, "traffic": traffic,
                           "balance": balance, "arrears": arrears, "arrears_days": int(days), "members": int(members),
                           "contract_end": date.fromisoformat(str(end)[:10]), "updated_at": now})
    db.session.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) "
                            f"VALUES ({', '.join(':' + column for column in columns)})"), params)


def measure_floor(app, kind: str, filename: str, data: bytes) -> dict:
    from workbench.extensions import db

    with app.app_context():
        started = CLOCK()
        rows = read_floor(filename, data)
        read = CLOCK() - started
        started = CLOCK()
        insert_floor(kind, rows)
        db.session.flush()
        insert = CLOCK() - started
        db.session.rollback()
        db.session.remove()
    return {"read": read, "insert": insert, "seconds": read + insert, "rows": len(rows)}


# --- ours ---------------------------------------------------------------------------------------

def measure_ours(app, actor_id: int, kind: str, filename: str, data: bytes) -> dict:
    """Upload, start, and run the job as a worker does; statements counted over the job."""
    from sqlalchemy import event

    from workbench.auth.models import User
    from workbench.extensions import db
    from workbench.imports import services
    from workbench.imports.models import ImportRun
    from workbench.jobs.services import run_job

    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        started = CLOCK()
        actor = db.session.get(User, actor_id)
        run = services.upload(actor, kind, filename, data)
        services.start(actor, run, {int(index): key for index, key in run.mapping.items()})
        run_id, job_key = run.id, run.job_key
        db.session.commit()
        db.session.remove()
        uploaded = CLOCK() - started
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            outcome = run_job(job_key, worker_name="benchmark")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        seconds = CLOCK() - started
        run = db.session.get(ImportRun, run_id)
        result = services.summary(run)
        message = run.message
        db.session.remove()
    if outcome != "done" or result["state"] != "done" or result["failed"]:
        raise RuntimeError(f"{kind} {filename}: job {outcome}, run {result}, {message}")
    return {"seconds": seconds, "upload": uploaded, "statements": len(statements), **result}


# --- the run ------------------------------------------------------------------------------------

def build_app(dialect: str, folder: Path, redis_url: str, pg_database: str = DEFAULT_PG_DATABASE):
    from workbench import create_app

    uri = scratch_postgres.fresh_database(pg_database) if dialect == "postgresql" else f"sqlite:///{folder / 'bench.db'}"
    return create_app({"DATA_DIR": str(folder / "data"), "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                       "WORKBENCH_PLUGINS": ["warning"], "WORKBENCH_REDIS_URL": redis_url,
                       "WORKBENCH_IMPORT_MAX_BYTES": 200 * 1024 * 1024, "WORKBENCH_IMPORT_MAX_ROWS": 10_000_000})


def seed(app) -> int:
    """The organisation of benchmarks.warning_scan and a province administrator; returns their id."""
    from sqlalchemy import select

    from benchmarks.warning_scan import seed_people
    from workbench.auth import services as accounts
    from workbench.extensions import db
    from workbench.org.models import OrgUnit
    from workbench.org.scope import system_scope

    with app.app_context(), system_scope():
        db.create_all()
        seed_people(AMS)
        province = db.session.execute(select(OrgUnit).where(OrgUnit.code == "P")).scalar_one()
        roles = accounts.ensure_builtin_roles()
        actor = accounts.create_user(username="importer", password=None, unit=province,
                                     roles=[roles["province_admin"]])
        db.session.commit()
        actor_id = actor.id
        db.session.remove()
    return actor_id


def run(rows: int = 20000, db: str = "sqlite", kinds=("customers", "metrics"), seed_value: int = 7,
        pg_database: str = DEFAULT_PG_DATABASE) -> dict:
    """Measure every (kind, format); returns {"results": [...], "redis": version, ...}."""
    import logging

    import redis as redis_client

    from tests.support.processes import RedisServer

    logging.disable(logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        folder = Path(folder)
        redis_url = stack.enter_context(RedisServer(folder / "redis")).url
        app = build_app(db, folder, redis_url, pg_database)
        actor_id = seed(app)
        for fmt, prefix in ((".xlsx", "XA"), (".csv", "CV")):
            for kind in kinds:
                key = "customers" if kind == "customers" else "warning.metrics"
                make = customer_rows if kind == "customers" else metric_rows
                headers, data_rows = make(rows, prefix, seed_value)
                data = (xlsx_bytes if fmt == ".xlsx" else csv_bytes)(headers, data_rows)
                filename = f"{kind}-{rows}{fmt}"
                floor = measure_floor(app, "customers" if kind == "customers" else "metrics", filename, data)
                ours = measure_ours(app, actor_id, key, filename, data)
                if ours["created"] != rows or floor["rows"] != rows:
                    raise RuntimeError(f"{filename}: expected {rows} rows, floor read {floor['rows']}, "
                                       f"ours created {ours['created']}")
                results.append({"kind": key, "format": fmt, "bytes": len(data), "floor": floor, "ours": ours})
                print(f"  {key} {fmt}: ours {ours['seconds']:.2f} s ({ours['statements']} statements), "
                      f"floor {floor['seconds']:.2f} s", flush=True)
        redis_version = redis_client.Redis.from_url(redis_url).info()["redis_version"]
        with app.app_context():
            from workbench.extensions import db as database

            database.session.remove()
            database.engine.dispose()
    return {"results": results, "rows": rows, "db": db, "redis": redis_version}


def table(outcome: dict) -> str:
    rows = outcome["rows"]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} when it ended, "
        f"Python {platform.python_version()}, {outcome['db']}; {rows:,} rows per file, imported as a province "
        f"administrator; wall-clock seconds.",
        "",
        "| file | rows/s | s | SQL statements | floor: read | floor: INSERT | floor rows/s | floor s | ours ÷ floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in outcome["results"]:
        ours, floor = result["ours"], result["floor"]
        lines.append(
            f"| {result['kind']} {result['format']} ({result['bytes'] / 1e6:.1f} MB) | {rows / ours['seconds']:,.0f} | "
            f"{ours['seconds']:.2f} | {ours['statements']:,} | {floor['read']:.2f} | {floor['insert']:.2f} | "
            f"{rows / floor['seconds']:,.0f} | {floor['seconds']:.2f} | {ours['seconds'] / floor['seconds']:.1f} |")
    return "\n".join(lines)


def figures(outcome: dict) -> list[dict]:
    rows = outcome["rows"]
    return [summary.figure(f"import {rows:,} {result['kind']} rows, {result['format']} ({outcome['db']})",
                           rows / result["ours"]["seconds"], rows / result["floor"]["seconds"], "rows/s")
            for result in outcome["results"]]


def write_docs(text: str) -> None:
    """Replace the text between the imports markers; add the section the first time (before
    the knowledge section, else at the end). Other sections are left as they are."""
    content = DOCS.read_text(encoding="utf-8")
    block = f"{MARKER_START}\n{text}\n{MARKER_END}"
    if MARKER_START in content:
        head, rest = content.split(MARKER_START, 1)
        content = head + block + rest.split(MARKER_END, 1)[1]
    elif "\n## Knowledge search" in content:
        head, rest = content.split("\n## Knowledge search", 1)
        content = head.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n\n## Knowledge search" + rest
    else:
        content = content.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n"
    DOCS.write_text(content, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--kinds", nargs="+", choices=("customers", "metrics"), default=["customers", "metrics"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--pg-database", default=DEFAULT_PG_DATABASE,
                        help="the PostgreSQL database to drop and re-create (another run may be using the default)")
    args = parser.parse_args()
    outcome = run(args.rows, args.db, tuple(args.kinds), args.seed,
                  scratch_postgres.checked_name(args.pg_database))
    text = table(outcome)
    print(text)
    if not args.no_docs:
        write_docs(text)
    summary.emit("imports", figures(outcome))


if __name__ == "__main__":
    main()
