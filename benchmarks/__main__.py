"""Every benchmark in one command, collected into one summary table.

    python -m benchmarks [--scale 0.1] [--db postgresql|sqlite] [--skip NAME ...] [--only NAME ...]

Runs the province benchmark (gunicorn + wrk at the given scale; skipped, saying so, when wrk
or benchmarks/province.py is missing), then the others with sizes picked for the scale
(SIZES below: at scale 1 the sizes their sections document; below 1, smaller data and
samples, so that a run at scale 0.1 takes under 10 minutes on a shared 2-core machine). Each
runs as a subprocess — every benchmark builds its own app, and one's state cannot leak into
the next — prints its own table, rewrites its own section of docs/benchmarks.md, and ends
with a summary line (benchmarks/summary.py) that this command parses. The figures, each
with its floor from the same run, its ratio and its target, are printed as one table and
written to the "summary" section at the top of docs/benchmarks.md with the machine and the
date. A benchmark that fails (exit status, time limit, no summary line) is listed in the
table with the reason, the others still run, and the command exits 1 at the end.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from benchmarks import summary

from benchmarks import scratch_postgres

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- summary:start -->", "<!-- summary:end -->"
# core_pages, jobs_roundtrip and proposal_generation take a database URL: each gets this
# database, dropped and re-created before it runs. warning_scan and imports re-create their
# own, named apart from those of a run started by hand (bench_collect_*).
PG_DATABASE = "bench_collect"
SECTION_HEAD = """## Summary of all benchmarks

Reproduce: `python -m benchmarks --scale 0.1 --db postgresql` (see the top of this page). The
ratio is ours ÷ floor in cost — time over time, or the floor's rate over ours — so above 1 means
slower than the floor, whatever the unit; "ok" says whether the figure meets its target, where
one is stated. Below scale 1 the sizes are smaller than those the sections below document, so
figures with a target stated for the full size (the warning scan's) carry no verdict.
"""


@dataclass
class Benchmark:
    name: str
    module: str
    arguments: Callable[[float, str, str | None], list[str]]  # (scale, db, database_url) → argv
    uses_database: str = "own"  # "own": takes --db; "url": takes --database-url; "sqlite": neither
    needs: tuple[str, ...] = ()  # executables without which it is skipped
    note: str = ""


def _scaled(full: int, scale: float, least: int) -> int:
    return max(least, round(full * scale))


def _sample(full: int, reduced: int, scale: float) -> int:
    """Sample sizes (requests, queries, documents) stay at their full size from scale 1 up."""
    return full if scale >= 1 else reduced


# Sizes: the full ones are those the sections of docs/benchmarks.md document. At scale 0.1
# each benchmark was timed on the shared 2-core machine (see the intro of docs/benchmarks.md).
SIZES: list[Benchmark] = [
    Benchmark("province", "benchmarks.province",
              lambda scale, db, url: ["--db", db, "--scales", f"{scale:g}"], needs=("wrk", "gunicorn")),
    Benchmark("core_pages", "benchmarks.core_pages",
              lambda scale, db, url: ["--todos", "2000", "--requests", str(_sample(300, 100, scale)),
                                      *(["--database-url", url] if url else [])], uses_database="url"),
    Benchmark("search_index", "benchmarks.search_index",
              lambda scale, db, url: ["--articles", str(_scaled(20000, scale, 2000)),
                                      "--queries", str(_sample(300, 200, scale))], uses_database="none"),
    Benchmark("knowledge_search", "benchmarks.knowledge_search",
              lambda scale, db, url: ["--articles", str(_scaled(50000, scale, 5000)),
                                      "--queries", str(_sample(300, 200, scale))], uses_database="sqlite"),
    Benchmark("warning_scan", "benchmarks.warning_scan",
              lambda scale, db, url: ["--db", db, "--customers", str(_scaled(200_000, scale, 2000)),
                                      "--pg-database", "bench_collect_warning"]),
    Benchmark("imports", "benchmarks.imports",
              lambda scale, db, url: ["--db", db, "--rows", str(_scaled(20000, scale, 500)),
                                      "--pg-database", "bench_collect_imports"]),
    Benchmark("proposal_generation", "benchmarks.proposal_generation",
              lambda scale, db, url: ["--documents", str(_sample(30, 10, scale)),
                                      *(["--database-url", url] if url else [])], uses_database="url"),
    Benchmark("jobs_roundtrip", "benchmarks.jobs_roundtrip",
              lambda scale, db, url: ["--jobs", str(_sample(200, 100, scale)), "--batch", str(_sample(500, 200, scale)),
                                      *(["--database-url", url] if url else [])], uses_database="url"),
]


@dataclass
class Outcome:
    benchmark: Benchmark
    state: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    figures: list[dict] = field(default_factory=list)
    reason: str = ""
    command: str = ""


# --- running ------------------------------------------------------------------------------------

def skip_reason(benchmark: Benchmark) -> str | None:
    module_file = REPO_ROOT / Path(*benchmark.module.split(".")).with_suffix(".py")
    if not module_file.exists():
        return f"{module_file.relative_to(REPO_ROOT)} is not there"
    missing = [name for name in benchmark.needs if shutil.which(name) is None]
    if missing:
        return f"{', '.join(missing)} not installed"
    return None


def run_one(benchmark: Benchmark, scale: float, db: str, time_limit: float) -> Outcome:
    reason = skip_reason(benchmark)
    if reason:
        print(f"\n=== {benchmark.name}: skipped — {reason}", flush=True)
        return Outcome(benchmark, "skipped", reason=reason)
    url = scratch_postgres.fresh_database(PG_DATABASE) if db == "postgresql" and benchmark.uses_database == "url" else None
    argv = [sys.executable, "-m", benchmark.module, *benchmark.arguments(scale, db, url)]
    command = "python -m " + " ".join(argv[2:])
    print(f"\n=== {benchmark.name}: {command}", flush=True)
    started = time.perf_counter()
    # Its own process group, so a time limit takes down what it started (workers, servers).
    process = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, start_new_session=True)
    output: list[str] = []
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:  # it ended meanwhile
            pass

    # A watchdog rather than a check per line: a benchmark that hangs prints nothing.
    watchdog = threading.Timer(time_limit, stop)
    watchdog.start()
    try:
        for line in process.stdout:
            output.append(line)
            print(f"  {line}", end="", flush=True)
        process.wait()
    except BaseException:  # interrupted: take its processes down with us
        stop()
        raise
    finally:
        watchdog.cancel()
    seconds = time.perf_counter() - started
    if timed_out.is_set():
        return Outcome(benchmark, "failed", seconds, reason=f"stopped after its time limit of {time_limit:.0f} s",
                       command=command)
    if process.returncode != 0:
        last = next((line.strip() for line in reversed(output) if line.strip()), "no output")
        return Outcome(benchmark, "failed", seconds, reason=f"exit status {process.returncode}: {last[:200]}",
                       command=command)
    parsed = summary.parse("".join(output))
    if parsed is None or not parsed.get("figures"):
        return Outcome(benchmark, "failed", seconds, reason="finished without a summary line (benchmarks/summary.py)",
                       command=command)
    return Outcome(benchmark, "ok", seconds, figures=parsed["figures"], command=command)


# --- reporting ----------------------------------------------------------------------------------

def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def summary_table(outcomes: list[Outcome]) -> str:
    lines = ["| figure | ours | floor | ratio | target | ok |", "|---|---:|---:|---:|---|---|"]
    for outcome in outcomes:
        if outcome.state != "ok":
            what = "FAILED" if outcome.state == "failed" else "skipped"
            lines.append(f"| **{outcome.benchmark.name}: {what}** — {outcome.reason} | | | | | "
                         f"{'NO' if outcome.state == 'failed' else ''} |")
            continue
        for row in outcome.figures:
            ok = {True: "yes", False: "**NO**", None: ""}[row.get("ok")]
            ratio = "—" if row.get("ratio") is None else f"{row['ratio']:.2f}"
            lines.append(f"| {row['figure']} | {_number(row['value'], row['unit'])} | "
                         f"{_number(row.get('floor'), row['unit'])} | {ratio} | {row.get('target') or ''} | {ok} |")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def postgres_version() -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(scratch_postgres.PG_ADMIN)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return version.split()[0]
    except Exception as error:  # noqa: BLE001 - the report says it was not reachable
        return f"not reachable ({type(error).__name__})"


def redis_version() -> str:
    """The redis-server the benchmarks start privately (jobs, imports)."""
    executable = shutil.which("redis-server")
    if executable is None:
        return "not installed"
    found = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout
    for part in found.split():
        if part.startswith("v="):
            return part[2:]
    return found.strip()


def machine(load_before: float) -> str:
    return (f"{cpu_model()}, {os.cpu_count()} cores (shared), load average {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after; Python {platform.python_version()}, PostgreSQL {postgres_version()}, "
            f"Redis {redis_version()}")


def report(outcomes: list[Outcome], args, seconds: float, load_before: float) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ran = [f"{o.benchmark.name} {o.seconds:.0f} s" for o in outcomes if o.state != "skipped"]
    lines = [
        f"Run {when}: `python -m benchmarks --scale {args.scale:g} --db {args.db}"
        + (f" --skip {' '.join(args.skip)}" if args.skip else "")
        + (f" --only {' '.join(args.only)}" if args.only else "")
        + f"`, {seconds / 60:.1f} minutes in all ({', '.join(ran)}).",
        "",
        f"Machine: {machine(load_before)}. Search and knowledge search use no database and SQLite "
        f"respectively, whatever `--db` says.",
        "",
        summary_table(outcomes),
    ]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the text between the summary markers, read just before writing (other
    benchmarks rewrite their own sections of the same file); add the section the first time,
    before the first section heading."""
    content = DOCS.read_text(encoding="utf-8")
    block = f"{MARKER_START}\n{text}\n{MARKER_END}"
    if MARKER_START in content:
        head, rest = content.split(MARKER_START, 1)
        content = head + block + rest.split(MARKER_END, 1)[1]
    elif "\n## " in content:
        head, rest = content.split("\n## ", 1)
        content = head.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n\n## " + rest
    else:
        content = content.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n"
    DOCS.write_text(content, encoding="utf-8")


def main() -> int:
    names = [benchmark.name for benchmark in SIZES]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="1 = the sizes the sections document")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--skip", nargs="+", choices=names, default=[], metavar="NAME", help=", ".join(names))
    parser.add_argument("--only", nargs="+", choices=names, default=[], metavar="NAME")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds each benchmark may take (default: 1800 × scale, at least 600)")
    parser.add_argument("--no-docs", action="store_true", help="leave the summary section of docs/benchmarks.md alone "
                                                                "(each benchmark still rewrites its own)")
    args = parser.parse_args()
    time_limit = args.time_limit or max(600.0, 1800.0 * args.scale)
    chosen = [b for b in SIZES if b.name not in args.skip and (not args.only or b.name in args.only)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    outcomes = [run_one(benchmark, args.scale, args.db, time_limit) for benchmark in chosen]
    seconds = time.perf_counter() - started
    text = report(outcomes, args, seconds, load_before)
    print("\n" + text)
    if not args.no_docs:
        write_docs(text)
    failed = [o.benchmark.name for o in outcomes if o.state == "failed"]
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
