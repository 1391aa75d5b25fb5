"""Bundled plugins' tests read in English unless a test asks for another language: their
assertions match the English source strings, while the product's default is Simplified
Chinese (the translations are checked by tests/workbench/test_translations.py)."""
from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/plugins/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("tests/plugins"):
            if item.get_closest_marker("locale") is None:
                item.add_marker(pytest.mark.locale("en"))
