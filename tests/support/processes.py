"""Real services on loopback for tests: a private redis-server, and the workbench's own
processes (Celery worker and beat, gunicorn) started as subprocesses with their settings in
the environment — the way they run in production.

    from tests.support import processes

    with processes.RedisServer(tmp_path) as redis:           # a free port, no persistence
        env = processes.subprocess_env(WORKBENCH_REDIS_URL=redis.url, ...)
        with processes.celery_worker("w1", env, tmp_path) as worker:
            ...                                              # worker.log() is its output
        redis.restart()                                      # same port, empty data

Helpers: RedisServer (start/stop/restart/ping/url), Process (start/stop/kill/log/
wait_for_log), celery_worker / celery_beat / flask_command / gunicorn (a Process for each,
with `tests.support.job_app` as the default app), stop_all, subprocess_env, free_port,
wait_until, wait_for_http, missing / require_executable. The `redis_server` fixture gives
each test its own RedisServer (import it into a conftest).
A missing executable skips the test with the reason — except under CI=true, where it fails.
Every process runs in its own process group, so kill() takes its children (a prefork
pool, gunicorn's workers) down with it, like a machine that dies.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def missing(reason: str):
    """Skip the test for a missing service; under CI=true, fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def require_executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable, timeout: float = 15.0, interval: float = 0.1, message: str = ""):
    """Call `condition` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {message or condition}")
        time.sleep(interval)


class RedisServer:
    """A redis-server of its own on 127.0.0.1: a free port, no snapshots, no append-only file
    (a restart loses every key, as a Redis without persistence would)."""

    def __init__(self, directory: Path, port: int | None = None):
        self.executable = require_executable("redis-server")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        log = open(self.directory / f"redis-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_until(self.ping, timeout=10, message=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as abrupt as a crash: nothing is saved anyway
            self.process.wait(timeout=10)
        self.process = None
        wait_until(lambda: not self.ping(), timeout=5, message="redis-server to stop")

    def restart(self) -> "RedisServer":
        self.stop()
        return self.start()

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        if self.process is not None:
            self.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A private, running RedisServer for one test (stopped afterwards)."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


def subprocess_env(**settings) -> dict[str, str]:
    """This environment plus `settings` (None removes a variable), with the repository on
    PYTHONPATH so `tests.support...` modules import in the child."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


class Process:
    """A long-running subprocess whose output goes to `<log_dir>/<name>.log`."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path,
                 cwd: Path = REPO_ROOT):
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path = Path(log_dir) / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        def appeared():
            if not self.running:
                raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            return text in self.log()

        try:
            wait_until(appeared, timeout=timeout, interval=0.1, message=f"{text!r} in {self.name}'s output")
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- {self.name} output ---\n{self.log()[-3000:]}") from None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it does not end in `timeout` seconds."""
        if not self.running:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self) -> None:
        """SIGKILL the process and everything it started: no chance to clean up."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reap_group()

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def _reap_group(self) -> None:
        # Children (a prefork pool, gunicorn workers) may outlive the leader for a moment.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "Process":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def stop_all(started: list[Process], timeout: float = 15.0) -> None:
    """Stop several processes at once: SIGTERM to all, then wait (SIGKILL whatever is left)."""
    running = [process for process in started if process.running]
    for process in running:
        process._signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
        process._reap_group()


JOB_APP = "tests.support.job_app"


def celery_worker(name: str, env: dict[str, str], log_dir: Path, *, app: str = JOB_APP,
                  pool: str = "solo", concurrency: int = 1) -> Process:
    """`celery -A app worker` named `name@<host>`; wait for it with wait_for_log("ready")."""
    return Process(f"worker-{name}", [
        sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel=INFO", f"--pool={pool}",
        f"--concurrency={concurrency}", f"--hostname={name}@%h", "--without-gossip",
        "--without-mingle", "--without-heartbeat",
    ], env, log_dir)


def celery_beat(env: dict[str, str], log_dir: Path, *, app: str = JOB_APP) -> Process:
    """`celery -A app beat` keeping its schedule file in log_dir; logs each run it sends."""
    return Process("beat", [
        sys.executable, "-m", "celery", "-A", app, "beat", "--loglevel=INFO",
        f"--schedule={Path(log_dir) / 'celerybeat-schedule'}",
    ], env, log_dir)


def flask_command(name: str, args: list[str], env: dict[str, str], log_dir: Path, *,
                  app: str = f"{JOB_APP}:flask_app") -> Process:
    """A `workbench ...` command (worker, beat, jobs drain) run for the test app through
    `flask --app`, which offers the same commands."""
    return Process(name, [sys.executable, "-m", "flask", "--app", app, *args], env, log_dir)


def gunicorn(port: int, env: dict[str, str], log_dir: Path, *, app: str = f"{JOB_APP}:flask_app",
             workers: int = 1, threads: int = 2) -> Process:
    """gunicorn serving `app` on 127.0.0.1:port; wait for it with wait_for_http."""
    return Process(f"web-{port}", [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--threads", str(threads), "--access-logfile", "-", app,
    ], env, log_dir)


def wait_for_http(url: str, timeout: float = 30.0, process: Process | None = None) -> None:
    """Until `url` answers at all (any status)."""
    def answers():
        if process is not None and not process.running:
            raise AssertionError(f"{process.name} exited:\n{process.log()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    wait_until(answers, timeout=timeout, interval=0.2, message=url)
