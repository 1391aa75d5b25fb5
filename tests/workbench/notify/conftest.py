"""Fixtures for the notification tests: a real SMTP server and a real HTTP SMS gateway, each a
process of its own on loopback, and a way to change the notification settings of the app.

Quiet hours are switched off for every test here unless the test sets them, so a run at
night does not turn "sent" into "waiting for the morning".
"""
from __future__ import annotations

import email
import email.policy
import json
import sys
from pathlib import Path

import pytest

from tests.support.processes import Process, free_port, missing, subprocess_env, wait_until
from workbench.notify import settings as notify_settings


def configure(app, **values):
    """Change notification settings of a running app (as if it had started with them)."""
    app.config.update(values)
    notify_settings.install(app)
    return app.extensions[notify_settings.EXTENSION_KEY]


@pytest.fixture(autouse=True)
def _no_quiet_hours(request):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        marker = request.node.get_closest_marker("app_config")
        if marker is None or "WORKBENCH_SMS_QUIET_HOURS" not in marker.kwargs:
            configure(app, WORKBENCH_SMS_QUIET_HOURS="")


@pytest.fixture
def notify_config(app):
    """notify_config(WORKBENCH_SMS_MAX_SEGMENTS=1, ...) → the new settings."""
    return lambda **values: configure(app, **values)


class SmtpSink:
    def __init__(self, process: Process, port: int, directory: Path):
        self.process, self.port, self.directory = process, port, directory

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(self.directory.glob("*.eml"), key=lambda p: p.stat().st_mtime)]

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        return wait_until(lambda: (found := self.messages()) and len(found) >= count and found,
                          timeout=timeout, message=f"{count} e-mail(s) at the SMTP server")


@pytest.fixture
def smtp_server(tmp_path):
    """A running SMTP server (aiosmtpd) that keeps each message as a file."""
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing("aiosmtpd is not installed (pip install -e .[test])")
    port = free_port()
    directory = tmp_path / "mail"
    process = Process(f"smtp-{port}", [sys.executable, "-m", "tests.workbench.notify.smtp_sink", str(port),
                                       str(directory)], subprocess_env(), tmp_path)
    with process:
        process.wait_for_log("listening", timeout=20)
        yield SmtpSink(process, port, directory)


class SmsGatewayServer:
    def __init__(self, process: Process, port: int, record: Path):
        self.process, self.port, self.record = process, port, record

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def received(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def sms_gateway(tmp_path):
    """A running HTTP SMS gateway that records every request body."""
    port = free_port()
    record = tmp_path / "gateway" / "received.jsonl"
    process = Process(f"gateway-{port}", [sys.executable, "-m", "tests.workbench.notify.sms_gateway_server",
                                          str(port), str(record)], subprocess_env(), tmp_path)
    with process:
        process.wait_for_log("listening", timeout=20)
        yield SmsGatewayServer(process, port, record)
