"""Province-scale web benchmark: gunicorn (2 sync workers) loaded by wrk, next to its floor.

    python -m benchmarks.province --db postgresql --scales 0.1 [0.3 1] \
        [--duration 2] [--connections 16 64] [--reuse]

For each scale: a dedicated database (PostgreSQL `bench_scale_0_1` etc. on 127.0.0.1, created
if missing; SQLite a file under the scale's data folder), seeded by `workbench bench seed
--scale S --reset` in a subprocess unless `--reuse` finds a bench_seed.json of that scale and
database, and a data folder per scale under instance/bench-province/. Then:

1. In-process (benchmarks/province_inprocess.py, a subprocess): the pages of the typical
   account manager and of the lead (workbench.bench.pages.pages_for), the SQL statements each
   page issues, and the inbox page's own SELECT, which the floor runs.
2. The workbench (`workbench:create_app()`) and the floor (benchmarks/floor_app.py: bare Flask
   + SQLAlchemy engine running that SELECT and returning the rows as JSON) are each served by
   gunicorn with 2 sync workers on a free loopback port. The floor must return the ids the
   inbox page shows, checked over HTTP.
3. wrk (benchmarks/wrk_report.lua) loads each page for --duration seconds at each connection
   count, signed in (CSRF on, as in production) as each user; the floor is loaded right
   before each user's pages, so it sees the same machine load.
4. Memory: 10,000 requests across every page of both users, VmRSS of each worker; 10,000
   more, VmRSS again.

Every figure is printed next to its floor from the same run; the ratios are what to compare
across machines. The tables go to the province section of docs/benchmarks.md and the raw
results to instance/bench-province/province.json. Targets (scale 1, PostgreSQL): inbox rps
>= 0.40 x floor, homepage shell >= 0.30 x floor, every widget p95 < 50 ms at 16 connections,
p95 at scale 1 <= 1.5 x scale 0.1, equal statement counts at every scale, worker RSS < 200 MB
and not growing between 10,000 and 20,000 requests.
"""
from __future__ import annotations

import argparse
import contextlib
import html
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks import summary

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
LUA = Path(__file__).resolve().parent / "wrk_report.lua"
DATA_ROOT = ROOT / "instance" / "bench-province"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Nothing in this file reads a secret from the environment: the servers get a throwaway key.
SESSION_KEY = "province-benchmark-not-a-secret"

INBOX_RATIO_TARGET = 0.40
SHELL_RATIO_TARGET = 0.30
WIDGET_P95_TARGET_MS = 50.0
GROWTH_TARGET = 1.5
MEMORY_TARGET_MB = 200.0
# Resident memory wobbles by a few MB as the allocator keeps freed pages; more than this
# between 10,000 and 20,000 requests counts as growing.
MEMORY_GROWTH_TOLERANCE = 0.05
WRK_THREADS = 2


# --- databases and seeding ---------------------------------------------------------------

def scale_label(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


def database_url(backend: str, scale: float, data_dir: Path) -> str:
    if backend == "postgresql":
        return f"{POSTGRES_SERVER}/bench_scale_{scale_label(scale)}"
    return f"sqlite:///{data_dir / 'workbench.db'}"


def ensure_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def postgres_version() -> str:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def seed_matches(seed_file: Path, scale: float, backend: str) -> bool:
    """A bench_seed.json of this scale and database kind (the folder is per backend and scale)."""
    if not seed_file.exists():
        return False
    seed = json.loads(seed_file.read_text(encoding="utf-8"))
    return float(seed.get("scale", -1)) == scale and str(seed.get("database", "")).startswith(backend)


def ensure_seeded(backend: str, scale: float, url: str, data_dir: Path, reuse: bool) -> tuple[dict, float | None]:
    """The scale's bench_seed.json, seeding first unless --reuse finds a matching one.
    Returns (seed, seconds the seeding took here, or None when reused)."""
    seed_file = data_dir / "bench_seed.json"
    if reuse and seed_matches(seed_file, scale, backend):
        print(f"scale {scale:g}: reusing {seed_file}", flush=True)
        return json.loads(seed_file.read_text(encoding="utf-8")), None
    if backend == "postgresql":
        ensure_postgres_database(url.rsplit("/", 1)[-1])
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"scale {scale:g}: seeding {url} (workbench bench seed --scale {scale:g} --reset)", flush=True)
    started = time.perf_counter()
    subprocess.run(["workbench", "bench", "seed", "--scale", f"{scale:g}", "--reset"],
                   env=workbench_env(url, data_dir), check=True)
    seconds = time.perf_counter() - started
    print(f"scale {scale:g}: seeded in {seconds:.0f} s", flush=True)
    return json.loads(seed_file.read_text(encoding="utf-8")), seconds


def workbench_env(url: str, data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(WORKBENCH_DATABASE_URL=url, WORKBENCH_DATA_DIR=str(data_dir),
               WORKBENCH_SECRET_KEY=SESSION_KEY)
    # No broker: the benchmark measures the web tier; a stray Redis URL would add a worker's work.
    env.pop("WORKBENCH_REDIS_URL", None)
    # The widget cache on the local Redis, as in production (its own key prefix per database),
    # unless the caller turns it off with WORKBENCH_WIDGET_CACHE=off to measure without it.
    env.setdefault("WORKBENCH_WIDGET_CACHE_URL", "redis://127.0.0.1:6379/0")
    env["WORKBENCH_JOBS_KEY_PREFIX"] = f"bench-province:{url.rsplit('/', 1)[-1]}:"
    return env


# --- servers -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """A gunicorn master with 2 sync workers in its own process group, killed on exit."""

    def __init__(self, app_spec: str, env: dict, label: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.label = label
        self.log = tempfile.NamedTemporaryFile(prefix=f"province-{label}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning",
             app_spec],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_until_answering(self, path: str, timeout: float = 120) -> None:
        self.ready_path = path
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.base + path, timeout=5)
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means a worker is serving
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn ({self.label}) did not answer; log: {self.log.name}\n"
                           + Path(self.log.name).read_text(errors="replace")[-3000:])

    def drain(self, path: str) -> None:
        """Wait until the requests wrk left behind are answered.

        When wrk stops, the requests it had sent are still queued in the listen backlog; a sync
        worker accepts and answers each one (to a closed socket). Left alone they would eat the
        first seconds of the next run, so two probes are sent, one after the other, and each
        waits its turn behind them."""
        for _ in range(2):
            try:
                urllib.request.urlopen(self.base + path, timeout=300).read()
            except urllib.error.HTTPError:
                pass

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sorted(int(child) for child in children)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@contextlib.contextmanager
def served(app_spec: str, env: dict, label: str, ready_path: str):
    server = Gunicorn(app_spec, env, label)
    try:
        server.wait_until_answering(ready_path)
        yield server
    finally:
        server.stop()


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- signing in and checking the floor -----------------------------------------------------

def sign_in(base: str, username: str, password: str) -> str:
    """Sign in as production does (GET /login, its csrf_token, POST); the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if not token:
        raise RuntimeError("no csrf_token field on /login")
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": html.unescape(token.group(1))}).encode()
    opener.open(base + "/login", data=body, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(base + "/inbox/", headers={"Cookie": cookie})
    response = urllib.request.build_opener(NoRedirect).open(request, timeout=30)
    if response.status != 200:
        raise RuntimeError(f"signing in as {username} failed (GET /inbox/ answered {response.status})")
    return cookie


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(base: str, path: str, cookie: str | None = None) -> bytes:
    headers = {"Cookie": cookie} if cookie else {}
    return urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=60).read()


def inbox_ids_shown(base: str, cookie: str) -> list[int]:
    page = get(base, "/inbox/", cookie).decode()
    ids: list[int] = []
    for found in re.findall(r'href="/inbox/(\d+)"', page):
        if int(found) not in ids:
            ids.append(int(found))
    return ids


# --- wrk ------------------------------------------------------------------------------------

def run_wrk(server: Gunicorn, request_lines: list[str], connections: int, duration: float,
            cookie: str | None = None) -> dict:
    """One wrk run over `request_lines` (rotated); the JSON line wrk_report.lua prints."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(request_lines) + "\n")
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "30s",
               "-s", str(LUA)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command += [server.base, "--", handle.name]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
        server.drain(server.ready_path)
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"wrk printed no result:\n{output}")


# --- one scale -------------------------------------------------------------------------------

def measure_scale(backend: str, scale: float, args) -> dict:
    data_dir = DATA_ROOT / f"{backend}-{scale:g}"
    url = database_url(backend, scale, data_dir)
    seed, seed_seconds = ensure_seeded(backend, scale, url, data_dir, args.reuse)
    env = workbench_env(url, data_dir)

    inprocess_file = data_dir / "province_inprocess.json"
    print(f"scale {scale:g}: counting SQL statements in-process", flush=True)
    subprocess.run([sys.executable, "-m", "benchmarks.province_inprocess", "--data-dir", str(data_dir),
                    "--seed-json", str(data_dir / "bench_seed.json"), "--out", str(inprocess_file)],
                   cwd=ROOT, env=env, check=True)
    inprocess = json.loads(inprocess_file.read_text(encoding="utf-8"))
    floor_sql_file = data_dir / "floor_sql.json"
    floor_sql_file.write_text(json.dumps({name: user["floor"] for name, user in inprocess["users"].items()},
                                         ensure_ascii=False), encoding="utf-8")
    floor_env = dict(env, PROVINCE_FLOOR_DATABASE_URL=url, PROVINCE_FLOOR_SQL_FILE=str(floor_sql_file))

    result = {"scale": scale, "database": url, "seed_counts": seed.get("counts", {}),
              "seed_seconds_reported": seed.get("seconds"), "seed_seconds_here": seed_seconds,
              "users": {}, "memory": None, "floor_check": {}}
    started = time.perf_counter()
    with served("workbench:create_app()", env, f"workbench-{scale:g}", "/login") as app_server, \
            served("benchmarks.floor_app:create_floor_app()", floor_env, f"floor-{scale:g}", "/") as floor_server:
        cookies = {}
        for username, user in inprocess["users"].items():
            cookies[username] = sign_in(app_server.base, username, seed["password"])
            shown = inbox_ids_shown(app_server.base, cookies[username])
            floor_ids = [row["id"] for row in json.loads(get(floor_server.base, f"/inbox/{username}"))]
            result["floor_check"][username] = {"inbox_ids": shown, "floor_ids": floor_ids,
                                               "same": shown == floor_ids}
            if shown != floor_ids:
                print(f"WARNING: the floor returns other to-dos than the inbox page shows for {username}:"
                      f" page {shown[:10]}…, floor {floor_ids[:10]}…", flush=True)

        for username, user in inprocess["users"].items():
            cookie = cookies[username]
            pages = [page for page in user["pages"] if page["status"] == 200
                     and (args.pages is None or re.search(args.pages, page["name"]))]
            for page in user["pages"]:
                if page["status"] != 200:
                    print(f"  skipped {page['name']}: HTTP {page['status']} in-process", flush=True)
            # Warm both workers on every page before timing (templates compiled, the search
            # dictionary and index loaded — the first search costs a worker over a second):
            # two at a time, so each worker gets its share.
            for page in pages:
                drive_requests(app_server, [(path, cookie) for path in page["paths"][:3]], 6, connections=2)
            drive_requests(floor_server, [(f"/inbox/{username}", "")], 6, connections=2)
            measured = {"role": user["role"], "floor": {}, "pages": []}
            for page in pages:
                measured["pages"].append({key: page.get(key) for key in
                                          ("name", "path", "kind", "statements", "statements_min")}
                                         | {"load": {}})
            for connections in args.connections:
                floor = measured["floor"][str(connections)] = run_wrk(
                    floor_server, [f"/inbox/{username}"], connections, args.duration)
                print(f"  {scale:g} {user['role']:>10} c{connections:<3} {'floor: inbox SQL → JSON':<40} "
                      f"{floor['rps']:8.1f} rps  p95 {floor['p95_ms']:7.1f} ms  errors {floor['errors']}",
                      flush=True)
                for page, entry in zip(pages, measured["pages"]):
                    entry["load"][str(connections)] = run_wrk(
                        app_server, page["paths"], connections, args.duration, cookie=cookie)
                    load = entry["load"][str(connections)]
                    print(f"  {scale:g} {user['role']:>10} c{connections:<3} {page['name']:<40} "
                          f"{load['rps']:8.1f} rps  p95 {load['p95_ms']:7.1f} ms  errors {load['errors']}",
                          flush=True)
            result["users"][username] = measured

        result["memory"] = measure_memory(app_server, inprocess, cookies, args.memory_requests)
    result["load_seconds"] = time.perf_counter() - started
    return result


def drive_requests(server: Gunicorn, requests: list[tuple[str, str]], count: int, connections: int = 16) -> dict:
    """Exactly `count` requests, `connections` at a time, rotating through (path, cookie).

    wrk cannot stop after a fixed number of requests: a wrk thread that stops keeps its
    connections open until the whole run's duration is over, and a sync worker that accepted
    one waits on it until gunicorn's timeout kills the worker — which would reset the very
    memory being measured. Plain threads with one connection per request (a sync worker
    closes each anyway) cost the client far less than the pages cost the server."""
    from concurrent.futures import ThreadPoolExecutor

    opener = urllib.request.build_opener(NoRedirect)

    def one(index: int) -> bool:
        path, cookie = requests[index % len(requests)]
        try:
            with opener.open(urllib.request.Request(server.base + path, headers={"Cookie": cookie}),
                             timeout=120) as response:
                response.read()
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            return False

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        answers = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    return {"requests": count, "seconds": seconds, "rps": count / seconds, "errors": answers.count(False)}


def measure_memory(server: Gunicorn, inprocess: dict, cookies: dict, requests: int) -> dict:
    """VmRSS of each worker after `requests` (10,000) requests across every page of both users,
    then after as many more (16 at a time). Redirects are not followed: a 3xx counts as an error."""
    lines = [(path, cookies[username])
             for username, user in inprocess["users"].items()
             for page in user["pages"] if page["status"] == 200
             for path in page["paths"]]
    readings = []
    for round_number in (1, 2):
        load = drive_requests(server, lines, requests)
        readings.append({"requests": load["requests"], "errors": load["errors"], "rps": load["rps"],
                         "rss_mb": {str(pid): resident_mb(pid) for pid in server.worker_pids()}})
        print(f"  memory after {requests * round_number:,} requests ({load['errors']} errors): "
              + ", ".join(f"{mb:.1f} MB" for mb in readings[-1]["rss_mb"].values()), flush=True)
    return {"requests_per_round": requests, "rounds": readings}


# --- report ---------------------------------------------------------------------------------

def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def mark(ok: bool, informative: bool) -> str:
    if informative:
        return "(informative: met)" if ok else "(informative: missed)"
    return "pass" if ok else "**FAIL**"


def statement_cell(page: dict) -> str:
    """The page's statement count; "min–max" when it differs between customers."""
    low = page.get("statements_min")
    if low is None or low == page["statements"]:
        return str(page["statements"])
    return f"{low}–{page['statements']}"


def scale_table(backend: str, scale_result: dict, connections: list[int]) -> list[str]:
    """The per-page table of one scale: rps, p50, p95 at each connection count, statements,
    the ratio to the floor, targets."""
    targets_apply = backend == "postgresql" and scale_result["scale"] == 1
    informative = not targets_apply
    header = ["user", "page", "SQL"]
    for c in connections:
        header += [f"rps c{c}", f"p50 ms c{c}", f"p95 ms c{c}"]
    header += ["rps ÷ floor", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(header) - 3) + "---|"]
    for username, user in scale_result["users"].items():
        role = f"{user['role']} ({username})"
        floor_cells = []
        for c in connections:
            load = user["floor"][str(c)]
            floor_cells += [f"{load['rps']:.0f}", f"{load['p50_ms']:.1f}", f"{load['p95_ms']:.1f}"]
        lines.append(f"| {role} | floor: inbox SQL → JSON | 1 | " + " | ".join(floor_cells) + " | 1.00 | |")
        for page in user["pages"]:
            cells = []
            for c in connections:
                load = page["load"][str(c)]
                cells += [f"{load['rps']:.0f}", f"{load['p50_ms']:.1f}", f"{load['p95_ms']:.1f}"]
            errors = sum(page["load"][str(c)]["errors"] for c in connections)
            ratio, target = "", ""
            if page["name"] in ("inbox", "homepage shell"):
                wanted = INBOX_RATIO_TARGET if page["name"] == "inbox" else SHELL_RATIO_TARGET
                ratios = [page["load"][str(c)]["rps"] / user["floor"][str(c)]["rps"] for c in connections]
                page["floor_ratio"] = dict(zip(map(str, connections), ratios))
                ratio = " / ".join(f"{r:.2f}" for r in ratios)
                target = f"≥ {wanted:.2f}: {mark(min(ratios) >= wanted, informative)}"
            elif page["kind"] == "widget" and "16" in page["load"]:
                target = f"p95 c16 < {WIDGET_P95_TARGET_MS:.0f} ms: " + mark(
                    page["load"]["16"]["p95_ms"] < WIDGET_P95_TARGET_MS, informative)
            if errors:
                target += f" ({errors} errors)"
            lines.append(f"| {role} | {page['name']} | {statement_cell(page)} | " + " | ".join(cells)
                         + f" | {ratio} | {target} |")
    return lines


def growth_table(backend: str, results: list[dict]) -> list[str]:
    """p95 at 16 connections per scale, largest ÷ smallest scale, statement counts per scale."""
    smallest, largest = results[0], results[-1]
    judged = backend == "postgresql" and smallest["scale"] == 0.1 and largest["scale"] == 1
    scales = [r["scale"] for r in results]
    header = ["user", "page"] + [f"p95 ms c16 @{s:g}" for s in scales] + \
             [f"@{largest['scale']:g} ÷ @{smallest['scale']:g}", "target"] + \
             [f"SQL @{s:g}" for s in scales] + ["SQL same?"]
    lines = ["| " + " | ".join(header) + " |",
             "|---|---|" + "---:|" * (len(scales) + 1) + "---|" + "---:|" * len(scales) + "---|"]
    # Matched by role, not username: each scale's seed picks its own typical AM and lead.
    for user in smallest["users"].values():
        for index, page in enumerate(user["pages"]):
            per_scale = []
            for r in results:
                same_role = next((u for u in r["users"].values() if u["role"] == user["role"]), {})
                other = next((p for p in same_role.get("pages", []) if p["name"] == page["name"]), None)
                per_scale.append(other)
            if any(p is None or "16" not in p["load"] for p in per_scale):
                continue
            p95s = [p["load"]["16"]["p95_ms"] for p in per_scale]
            counts = [statement_cell(p) for p in per_scale]
            growth = p95s[-1] / p95s[0] if p95s[0] else float("inf")
            same = len(set(counts)) == 1
            lines.append(f"| {user['role']} | {page['name']} | " + " | ".join(f"{v:.1f}" for v in p95s)
                         + f" | {growth:.2f} | ≤ {GROWTH_TARGET}: {mark(growth <= GROWTH_TARGET, not judged)} | "
                         + " | ".join(str(c) for c in counts) + f" | {'yes' if same else '**NO**'} |")
    return lines


def memory_table(backend: str, scale_result: dict) -> list[str]:
    informative = not (backend == "postgresql" and scale_result["scale"] == 1)
    first, second = scale_result["memory"]["rounds"]
    per_round = scale_result["memory"]["requests_per_round"]
    lines = [f"| worker | RSS MB after {per_round:,} | RSS MB after {2 * per_round:,} | growth | target |",
             "|---|---:|---:|---:|---|"]
    for pid, mb_first in first["rss_mb"].items():
        mb_second = second["rss_mb"].get(pid)
        if mb_second is None:
            lines.append(f"| pid {pid} | {mb_first:.1f} | (worker restarted) | | **FAIL** |")
            continue
        growth = (mb_second - mb_first) / mb_first
        ok = mb_second < MEMORY_TARGET_MB and growth <= MEMORY_GROWTH_TOLERANCE
        lines.append(f"| pid {pid} | {mb_first:.1f} | {mb_second:.1f} | {growth * 100:+.1f} % | "
                     f"< {MEMORY_TARGET_MB:.0f} MB, growth ≤ {MEMORY_GROWTH_TOLERANCE * 100:.0f} %: "
                     f"{mark(ok, informative)} |")
    return lines


def report(backend: str, results: list[dict], machine: dict, connections: list[int]) -> str:
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, load average {machine['load_start']:.1f} "
        f"at the start and {machine['load_end']:.1f} at the end; Python {machine['python']}, "
        f"{machine['database']}, gunicorn {machine['gunicorn']} (2 sync workers), {machine['wrk']} "
        f"({WRK_THREADS} threads, {machine['duration']:g} s per page and connection count). "
        f"Run {machine['date']}, {machine['minutes']:.1f} minutes in all.",
        "",
        "Targets hold at scale 1 on PostgreSQL; at other scales (and on SQLite) they are shown as "
        "informative. \"rps ÷ floor\" is given at each connection count; \"SQL\" is the statements "
        "the page issues, counted in-process (\"a–b\": it differs between customers). A wrk run of "
        f"{machine['duration']:g} s records no latency longer than {machine['duration']:g} s: at 64 "
        "connections p95 near that bound means the queue was longer.",
    ]
    for r in results:
        counts = ", ".join(f"{name} {value:,}" if isinstance(value, int) else f"{name} {value}"
                           for name, value in r["seed_counts"].items())
        seeded = (f"seeded here in {r['seed_seconds_here']:.0f} s" if r["seed_seconds_here"] is not None
                  else f"seed reused (took {r['seed_seconds_reported']} s)")
        floor_same = all(check["same"] for check in r["floor_check"].values())
        lines += ["", f"**Scale {r['scale']:g}** ({backend}; {counts}; {seeded}; pages loaded in "
                  f"{r['load_seconds'] / 60:.1f} min; the floor returns the ids the inbox page shows: "
                  f"{'yes' if floor_same else '**no**'})", ""]
        lines += scale_table(backend, r, connections)
        per_round = r["memory"]["requests_per_round"]
        lines += ["", f"Memory at scale {r['scale']:g}: each gunicorn worker's VmRSS after the page runs "
                  f"and {per_round:,} requests across every page of both users, then after "
                  f"{per_round:,} more (16 connections).", ""]
        lines += memory_table(backend, r)
    if len(results) >= 2:
        lines += ["", f"Growth from scale {results[0]['scale']:g} to {results[-1]['scale']:g} "
                  "(p95 at 16 connections; statements counted in-process at every scale):", ""]
        lines += growth_table(backend, results)
    return "\n".join(lines)


def write_docs(section: str) -> None:
    start, end = "<!-- province:start -->", "<!-- province:end -->"
    text = DOCS.read_text(encoding="utf-8")  # read right before writing: others edit other sections
    block = f"{start}\n{section}\n{end}"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Province scale (gunicorn + wrk)\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1])
    parser.add_argument("--duration", type=float, default=2.0,
                        help="seconds of load per page and connection count (default 2)")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--reuse", action="store_true",
                        help="skip seeding a scale whose bench_seed.json matches")
    parser.add_argument("--memory-requests", type=int, default=10_000,
                        help="requests per memory round (default 10,000; RSS is read after 1 and 2 rounds)")
    parser.add_argument("--from-json", type=Path,
                        help="measure nothing: print and write the tables of a saved province.json")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--pages", help="only the pages whose name matches this regular expression "
                                        "(for profiling one page; implies --no-docs)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        sys.exit(2)
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        section = report(saved["db"], saved["results"], saved["machine"], saved["connections"])
        print(section)
        if not args.no_docs:
            write_docs(section)
        return
    args.scales = sorted(args.scales)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    results = [measure_scale(args.db, scale, args) for scale in args.scales]
    import gunicorn

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    machine = {
        "cpu": cpu_model(), "cores": os.cpu_count(), "load_start": load_start, "load_end": os.getloadavg()[0],
        "python": platform.python_version(),
        "database": f"PostgreSQL {postgres_version()}" if args.db == "postgresql" else "SQLite",
        "gunicorn": gunicorn.__version__, "wrk": wrk_version or "wrk", "duration": args.duration,
        "date": time.strftime("%Y-%m-%d"), "minutes": (time.perf_counter() - started) / 60,
    }
    section = report(args.db, results, machine, args.connections)
    print()
    print(section)
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    (DATA_ROOT / "province.json").write_text(
        json.dumps({"machine": machine, "db": args.db, "connections": args.connections, "results": results},
                   ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.no_docs and args.pages is None:
        write_docs(section)
    print(f"\nraw results: {DATA_ROOT / 'province.json'}")
    summary.emit("province", summary_figures(results))


def summary_figures(results: list[dict]) -> list[dict]:
    """The rows `python -m benchmarks` collects: per scale and user, the inbox's and the
    homepage shell's throughput against the floor's at 16 connections, the slowest widget's
    p95, and the workers' memory after the second round."""
    figures = []
    for result in results:
        scale = f"scale {result['scale']:g}"
        at_target_scale = result["scale"] == 1 and result["database"].startswith("postgresql")
        for user in result["users"].values():
            floor_rps = user["floor"]["16"]["rps"]
            pages = {page["name"]: page for page in user["pages"] if page.get("load")}
            for name, target in (("inbox", INBOX_RATIO_TARGET), ("homepage shell", SHELL_RATIO_TARGET)):
                if name in pages:
                    rps = pages[name]["load"]["16"]["rps"]
                    figures.append(summary.figure(
                        f"{name}, {user['role']}, {scale}, rps at 16 connections", rps, floor_rps, "requests/s",
                        target=f"≥ {target:.0%} of the floor's rps at scale 1 (ratio ≤ {1 / target:.2f})",
                        ok=(rps / floor_rps >= target) if at_target_scale else None))
            widgets = [page for name, page in pages.items() if page["kind"] == "widget"]
            if widgets:
                slowest = max(widgets, key=lambda page: page["load"]["16"]["p95_ms"])
                p95 = slowest["load"]["16"]["p95_ms"]
                figures.append(summary.figure(
                    f"slowest widget p95 at 16 connections ({slowest['name']}), {user['role']}, {scale}",
                    p95, user["floor"]["16"]["p95_ms"], "ms", target=f"< {WIDGET_P95_TARGET_MS:g} ms at scale 1",
                    ok=(p95 < WIDGET_P95_TARGET_MS) if at_target_scale else None))
        memory = result.get("memory")
        if memory:
            rss = max(memory["rounds"][-1]["rss_mb"].values())
            figures.append(summary.figure(
                f"worker memory after {memory['requests_per_round'] * len(memory['rounds']):,} requests, {scale}",
                rss, None, "MB", target=f"< {MEMORY_TARGET_MB:g} MB, not growing",
                ok=rss < MEMORY_TARGET_MB if at_target_scale else None))
    return figures


if __name__ == "__main__":
    main()
