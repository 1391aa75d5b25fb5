"""Fixtures for the search tests: searching as someone without HTTP, the app's backend, and
a Whoosh index in a temporary folder for the backend-level tests."""
from __future__ import annotations

import pytest

from workbench.org.scope import acting_as


@pytest.fixture
def search_as(app):
    """search_as(user, q, type=None) → the SearchOutcome that user gets (service, no HTTP)."""
    from workbench.search import services

    def run(user, q, type_key=None):
        with acting_as(user.scope):
            return services.search(user, q, type_key)

    return run


@pytest.fixture
def titles_for(search_as):
    """titles_for(user, q) → titles of every visible result, via the presenting path."""
    from workbench.search import services

    def run(user, q, type_key=None):
        outcome = search_as(user, q, type_key)
        with acting_as(user.scope):
            return [item.title for item in services.present(outcome.query, outcome.hits_of(type_key))]

    return run


@pytest.fixture
def search_backend(app):
    from workbench.search import indexing

    return indexing.backend()


@pytest.fixture
def whoosh_dir(tmp_path):
    return tmp_path / "index"
