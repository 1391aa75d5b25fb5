"""Fixtures of the ict plugin's tests."""
from __future__ import annotations

import pytest

from plugins.ict import services


@pytest.fixture
def emitted(monkeypatch):
    """Names and payloads of the events the ict services emitted (still really emitted)."""
    seen: list[tuple[str, dict]] = []
    real_emit = services.emit

    def recording_emit(name, actor=None, **payload):
        seen.append((name, payload))
        return real_emit(name, actor=actor, **payload)

    monkeypatch.setattr(services, "emit", recording_emit)
    return seen
