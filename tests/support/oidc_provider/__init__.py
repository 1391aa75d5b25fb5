"""Start a real OpenID Connect provider (Node.js ``oidc-provider``) for tests.

The provider (``server.mjs`` beside this file) runs on 127.0.0.1 over plain
http and plays the corporate portal where the user is already signed in: an
authorization request is answered at once, without a login page, for the
account named by ``login_hint`` (else ``default_account``); consent is granted
automatically; an unknown account ends in an ``error=access_denied`` redirect.
Custom account claims (``org_unit_code``, ``roles``, ...) are released in the
ID token and at userinfo whatever the scope; standard ones follow the
``profile`` / ``email`` scopes.

Typical fixture::

    from tests.support.oidc_provider import node_available, start_oidc_provider

    @pytest.fixture
    def oidc_provider(tmp_path):
        reason = node_available()
        if reason:
            # CI (CI=true) must fail, not silently skip the SSO tests.
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        provider = start_oidc_provider(
            tmp_path,
            clients=[{"client_id": "app", "client_secret": "s3cret",
                      "redirect_uris": ["http://127.0.0.1:5000/auth/callback"]}],
            accounts={"alice": {"sub": "alice", "name": "Alice", "email": "alice@example.org",
                                "preferred_username": "alice", "org_unit_code": "OU-1",
                                "roles": ["admin"]}},
            default_account="alice",
        )
        yield provider
        provider.stop()

The first start runs ``npm ci`` here if ``node_modules`` is missing or stale
(needs the npm registry or npm's cache), under a file lock shared by parallel
pytest workers.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_NODE_MAJOR = 20
READY_TIMEOUT = 30.0
NPM_CI_TIMEOUT = 600

__all__ = ["OidcProvider", "node_available", "start_oidc_provider"]


def node_available() -> str | None:
    """Return why the provider cannot run here (no node/npm, node too old), or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found on PATH: the OIDC provider harness needs Node.js >= {MIN_NODE_MAJOR}"
    try:
        version = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"node --version failed: {exc}"
    match = re.match(r"v(\d+)\.", version)
    if not match or int(match.group(1)) < MIN_NODE_MAJOR:
        return f"Node.js {version or '?'} found, the OIDC provider harness needs >= {MIN_NODE_MAJOR}"
    return None


def _installed() -> bool:
    """True when node_modules holds the oidc-provider version pinned in package.json."""
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"]["oidc-provider"]
    installed = HERE / "node_modules" / "oidc-provider" / "package.json"
    return installed.is_file() and json.loads(installed.read_text())["version"] == wanted


def _ensure_node_modules() -> None:
    """Run `npm ci` once, serialised across processes by an fcntl lock."""
    if _installed():
        return
    with open(HERE / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _installed():  # another worker finished it while we waited
                return
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=HERE, capture_output=True, text=True, timeout=NPM_CI_TIMEOUT,
            )
            if result.returncode != 0 or not _installed():
                raise RuntimeError(
                    f"npm ci in {HERE} failed (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}"
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class OidcProvider:
    """A running provider: ``issuer``, ``metadata_url``, ``stop()``.

    Also ``process`` (the Popen), ``config_path`` and ``log_path`` (stderr).
    Usable as a context manager.
    """

    def __init__(self, process: subprocess.Popen, issuer: str, config_path: Path, log_path: Path):
        self.process = process
        self.issuer = issuer
        self.metadata_url = issuer + "/.well-known/openid-configuration"
        self.config_path = config_path
        self.log_path = log_path

    def stop(self) -> None:
        """Terminate the provider and wait for it (kill after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"OidcProvider(issuer={self.issuer!r}, pid={self.process.pid})"


def start_oidc_provider(
    tmp_path, clients: list[dict], accounts: dict[str, dict], default_account: str | None = None
) -> OidcProvider:
    """Start the provider on a free 127.0.0.1 port and wait until it serves.

    ``clients``: dicts with ``client_id``, ``client_secret``, ``redirect_uris``
    (any other client metadata is passed through). ``accounts``: account id ->
    claims; the ID token ``sub`` is the account's ``sub`` claim, else its id.
    Raises RuntimeError, with the provider's stderr, if it is not ready in 30 s.
    """
    _ensure_node_modules()
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_path = tmp_path / "oidc-provider-config.json"
    config = {"clients": clients, "accounts": accounts, "default_account": default_account}
    config_path.write_text(json.dumps(config, indent=2))
    out_path, log_path = tmp_path / "oidc-provider.out", tmp_path / "oidc-provider.log"

    # --port 0: the server binds a free port itself (no race between picking a
    # port and binding it) and reports it in its READY line.
    with open(out_path, "w") as out, open(log_path, "w") as err:
        process = subprocess.Popen(
            ["node", str(HERE / "server.mjs"), "--config", str(config_path), "--port", "0",
             "--exit-on-stdin-close"],
            cwd=HERE, stdin=subprocess.PIPE, stdout=out, stderr=err,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        match = re.search(r"^READY (\S+)$", out_path.read_text(), re.MULTILINE)
        if match:
            return OidcProvider(process, match.group(1), config_path, log_path)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    exited = process.poll() is not None
    OidcProvider(process, "", config_path, log_path).stop()
    why = f"exited with code {process.returncode}" if exited else f"not ready within {READY_TIMEOUT:.0f} s"
    raise RuntimeError(
        f"OIDC provider {why}; stderr:\n{log_path.read_text()}\nstdout:\n{out_path.read_text()}"
    )
