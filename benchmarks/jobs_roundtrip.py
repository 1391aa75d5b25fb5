"""Round trip of a no-op job through our stack, next to a bare Celery no-op on the same Redis,
measured in the same run.

Ours: enqueue() + commit (a job row, the after-commit publish), a worker that claims the row,
runs the job in an app context and marks it done, and the caller waiting for that outcome.
The floor: a bare Celery app with the same worker settings (acks_late, prefetch 1, JSON, solo
pool) whose task does nothing and keeps no row. Both are measured as sequential round trips
(send, wait for the result) and as a batch (send N, wait for all). The ratio is the figure
to compare across machines; absolute times drift.

    python -m benchmarks.jobs_roundtrip [--jobs 200] [--batch 500] [--database-url URL] [--redis-url URL]

Without --redis-url a private redis-server is started on a free port. Prints a table,
rewrites the "jobs" section of docs/benchmarks.md (as benchmarks.core_pages does its own) and
ends with the summary line `python -m benchmarks` collects (benchmarks/summary.py).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import summary

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
REPO_ROOT = Path(__file__).resolve().parents[1]
BARE_QUEUE = "bare"


# --- the two apps (imported by the worker processes too) ---------------------------------------

def declare_noop() -> None:
    from workbench.jobs import job
    from workbench.jobs.registry import definitions

    if not any(d.name == "bench.noop" for d in definitions()):
        @job("bench.noop", max_attempts=1)
        def noop(ctx):
            return None


def our_app(database_url: str, data_dir: str, redis_url: str):
    from workbench import create_app

    declare_noop()  # before create_app, so Celery binds it
    return create_app({"DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url,
                       "SECRET_KEY": "benchmark", "WORKBENCH_REDIS_URL": redis_url})


def bare_celery(redis_url: str):
    from celery import Celery

    celery = Celery("bare", broker=redis_url, backend=redis_url, set_as_current=False)
    celery.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_serializer="json",
                       result_serializer="json", accept_content=["json"], task_default_queue=BARE_QUEUE,
                       worker_hijack_root_logger=False)

    @celery.task(name="bare.noop")
    def noop():
        return None

    return celery


def serve(which: str, database_url: str, data_dir: str, redis_url: str) -> None:
    """Run the worker of `which` ("ours" or "bare") in this process until killed."""
    if which == "ours":
        from workbench.celery_app import dispose_engine_in_children

        app = our_app(database_url, data_dir, redis_url)
        dispose_engine_in_children(app)
        celery = app.extensions["celery"]
    else:
        celery = bare_celery(redis_url)
    celery.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip",
                        "--without-mingle", "--without-heartbeat", f"--hostname={which}@%h"])


# --- measuring -------------------------------------------------------------------------------

def round_trips_ours(app, count: int) -> list[float]:
    from workbench.extensions import db
    from workbench.jobs import enqueue

    celery = app.extensions["celery"]
    times = []
    with app.app_context():
        for number in range(count):
            start = time.perf_counter()
            row = enqueue("bench.noop", key=f"rt:{number}:{start}")
            key = row.key
            db.session.commit()
            outcome = celery.AsyncResult(key).get(timeout=30)
            times.append((time.perf_counter() - start) * 1000)
            assert outcome == "done", outcome
    return times


def round_trips_bare(celery, count: int) -> list[float]:
    noop = celery.tasks["bare.noop"]
    times = []
    for _ in range(count):
        start = time.perf_counter()
        noop.apply_async().get(timeout=30)
        times.append((time.perf_counter() - start) * 1000)
    return times


def batch_ours(app, count: int) -> float:
    """Seconds from enqueueing `count` jobs (one commit) until every row says done."""
    from sqlalchemy import func, select

    from workbench.extensions import db
    from workbench.jobs import enqueue
    from workbench.jobs.models import Job

    with app.app_context():
        start = time.perf_counter()
        tag = f"batch:{start}"
        for number in range(count):
            enqueue("bench.noop", key=f"{tag}:{number}")
        db.session.commit()
        while True:
            done = db.session.execute(select(func.count()).select_from(Job).where(
                Job.key.startswith(tag), Job.state == "done")).scalar_one()
            db.session.rollback()
            if done == count:
                return time.perf_counter() - start
            time.sleep(0.01)


def batch_bare(celery, count: int) -> float:
    from celery.result import ResultSet

    noop = celery.tasks["bare.noop"]
    start = time.perf_counter()
    results = ResultSet([noop.apply_async() for _ in range(count)])
    results.join(timeout=120)
    return time.perf_counter() - start


def start_worker(which: str, args, data_dir: str, redis_url: str, log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"worker-{which}.log", "wb")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "benchmarks.jobs_roundtrip", "--serve", which,
                             "--database-url", args.database_url, "--data-dir", data_dir,
                             "--redis-url", redis_url], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(measure, attempts: int = 300) -> None:
    """Warm-up round trips until the worker answers (it may still be starting)."""
    last_error = None
    for _ in range(attempts):
        try:
            measure()
            return
        except Exception as error:  # the worker is not consuming yet
            last_error = error
            time.sleep(0.2)
    raise RuntimeError(f"worker did not answer: {last_error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200, help="sequential round trips of each")
    parser.add_argument("--batch", type=int, default=500, help="jobs sent at once, then waited for")
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--serve", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.database_url, args.data_dir, args.redis_url)
        return

    from contextlib import ExitStack

    with tempfile.TemporaryDirectory() as data_dir, ExitStack() as stack:
        args.database_url = args.database_url or f"sqlite:///{Path(data_dir) / 'bench.db'}"
        redis_url = args.redis_url
        if not redis_url:
            from tests.support.processes import RedisServer

            redis_url = stack.enter_context(RedisServer(Path(data_dir) / "redis")).url
        app = our_app(args.database_url, data_dir, redis_url)
        from workbench.extensions import db

        with app.app_context():
            db.drop_all()
            db.create_all()
        celery = bare_celery(redis_url)
        workers = [start_worker(which, args, data_dir, redis_url, Path(data_dir)) for which in ("ours", "bare")]
        stack.callback(lambda: [worker.kill() for worker in workers])
        wait_ready(lambda: round_trips_ours(app, 1))
        wait_ready(lambda: round_trips_bare(celery, 1))
        for _ in range(3):  # warm both paths up the same way
            round_trips_ours(app, 10)
            round_trips_bare(celery, 10)
        ours, bare = round_trips_ours(app, args.jobs), round_trips_bare(celery, args.jobs)
        ours_batch, bare_batch = batch_ours(app, args.batch), batch_bare(celery, args.batch)
        import redis

        redis_version = redis.Redis.from_url(redis_url).info()["redis_version"]

    backend = args.database_url.split(":")[0].split("+")[0]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"load average {os.getloadavg()[0]:.1f} when it ended, "
        f"Python {platform.python_version()}, Redis {redis_version}, {backend}; one solo-pool worker each, "
        f"{args.jobs} sequential round trips and a batch of {args.batch}, same Redis, same run.",
        "",
        "| measure | our stack | bare Celery | ours ÷ bare |",
        "|---|---:|---:|---:|",
        _row("round trip, mean ms", statistics.mean(ours), statistics.mean(bare)),
        _row("round trip, p95 ms", p95(ours), p95(bare)),
        _row(f"batch of {args.batch}, jobs/s", args.batch / ours_batch, args.batch / bare_batch),
    ]
    table = "\n".join(lines)
    print(table)
    write_docs(table)
    summary.emit("jobs_roundtrip", [
        summary.figure(f"job round trip, mean ms ({backend})", statistics.mean(ours), statistics.mean(bare), "ms"),
        summary.figure(f"job round trip, p95 ms ({backend})", p95(ours), p95(bare), "ms"),
        summary.figure(f"jobs, batch of {args.batch}, jobs/s ({backend})", args.batch / ours_batch,
                       args.batch / bare_batch, "jobs/s"),
    ])


def _row(label: str, ours: float, bare: float) -> str:
    return f"| {label} | {ours:.2f} | {bare:.2f} | {ours / bare:.2f} |"


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def write_docs(table: str) -> None:
    """Replace the text between the jobs markers of docs/benchmarks.md (or append it)."""
    marker_start, marker_end = "<!-- jobs:start -->", "<!-- jobs:end -->"
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
