"""`listen(function, name=..., slow=False, batch=False)` registers `function(event)` as a
workbench_handle_event implementation of a plugin called `name` for one test (`slow`: marked
@slow_handler; `batch`: marked @batch_handler)."""
from __future__ import annotations

import pytest

from workbench.events import batch_handler, slow_handler
from workbench.hookspecs import hookimpl


@pytest.fixture
def listen(app):
    pm = app.extensions["workbench.plugins"].pm
    registered = []

    def register(function, name: str = "listener", slow: bool = False, batch: bool = False):
        class Listener:
            @hookimpl
            def workbench_handle_event(self, event):
                return function(event)

        if slow:
            slow_handler(Listener.workbench_handle_event)
        if batch:
            batch_handler(Listener.workbench_handle_event)
        listener = Listener()
        pm.register(listener, name=name)
        registered.append(listener)
        return listener

    yield register
    for listener in registered:
        pm.unregister(listener)
