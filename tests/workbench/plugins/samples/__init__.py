"""Small plugins the plugin-system tests load through WORKBENCH_PLUGIN_MODULES.

`probe` implements every hook, well-behaved except where a test needs a failure (a widget and
a customer section that raise, an event handler that raises on one event name). `quiet` is a
second, almost empty plugin. To load only the probe into the `app` fixture, put
`pytestmark = PROBE` in a test module or decorate one test with `@with_probe`.
`manifest_of(name)` makes the manifest hook of a throw-away plugin.
"""
from __future__ import annotations

import pytest

from workbench.contracts import Manifest
from workbench.hookspecs import hookimpl

PROBE_MODULES = {"probe": "tests.workbench.plugins.samples.probe"}
QUIET_MODULES = {"quiet": "tests.workbench.plugins.samples.quiet"}

PROBE = [pytest.mark.plugins("probe"), pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=PROBE_MODULES)]


def manifest_of(name: str, **fields):
    """A workbench_manifest implementation returning Manifest(name, ...)."""
    values = {"title": name.title(), "version": "1.0.0", **fields}

    @hookimpl
    def workbench_manifest():
        return Manifest(name=name, **values)

    return workbench_manifest


def with_probe(test):
    """Decorator: the `app` of this test loads the probe and no other plugin."""
    for mark in PROBE:
        test = mark(test)
    return test
