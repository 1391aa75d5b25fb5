"""The search service's hook implementations: settings and index listeners at start-up, the
results page, autocomplete and JSON API, `workbench search rebuild`, and re-indexing a unit's
records when the unit moves in the org tree."""
from __future__ import annotations

import os

from workbench.hookspecs import hookimpl
from workbench.search import tasks as _tasks  # noqa: F401  (declares the search jobs)

DEFAULT_BACKEND = "workbench.search.whoosh_backend:WhooshBackend"


@hookimpl
def workbench_init_app(app):
    from workbench.search import indexing

    # Settings (README.md lists them); a value given to create_app wins over the environment.
    app.config.setdefault("WORKBENCH_SEARCH_DIR", os.environ.get("WORKBENCH_SEARCH_DIR") or None)
    app.config.setdefault("WORKBENCH_SEARCH_BACKEND", os.environ.get("WORKBENCH_SEARCH_BACKEND", DEFAULT_BACKEND))
    app.config.setdefault("WORKBENCH_SEARCH_LOCK_TIMEOUT", float(os.environ.get("WORKBENCH_SEARCH_LOCK_TIMEOUT", 120)))
    app.config.setdefault("WORKBENCH_SEARCH_MAX_HITS", int(os.environ.get("WORKBENCH_SEARCH_MAX_HITS", 1000)))
    app.config.setdefault("WORKBENCH_SEARCH_REBUILD_MB", int(os.environ.get("WORKBENCH_SEARCH_REBUILD_MB", 512)))
    app.config.setdefault("WORKBENCH_SEARCH_MAX_QUERY_LENGTH", 100)
    # Postings the embedded backend keeps in memory per process for ranked searches.
    app.config.setdefault("WORKBENCH_SEARCH_CACHE_POSTINGS",
                          int(os.environ.get("WORKBENCH_SEARCH_CACHE_POSTINGS", 2_000_000)))
    indexing.install(app)


@hookimpl
def workbench_blueprints():
    from workbench.search.api import bp as api_bp
    from workbench.search.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_cli_commands():
    from workbench.search.cli import search_group

    return [search_group]


@hookimpl
def workbench_handle_event(event):
    if event.name == "org.unit_moved":
        from workbench.jobs import enqueue

        # The records below the unit now carry another path, which the index pre-filters on.
        enqueue("search.refresh_units", unit_id=event.payload["unit_id"])
