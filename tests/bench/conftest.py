"""Helpers of the benchmark-data tests: seeding the test database at a tiny scale and
emptying it again between two seeds."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.support import databases

FIXED_NOW = datetime(2026, 11, 20)


def quiet(_line: str) -> None:
    """The seeder's progress lines are not wanted in test output."""


@pytest.fixture
def seed(app):
    """seed(scale, **options) → the summary; the tables exist already (the app fixture)."""
    from workbench.bench.seed import seed_database

    def run(scale: float, **options):
        options.setdefault("now", FIXED_NOW)
        options.setdefault("index", False)
        return seed_database(app, scale=scale, create_schema=False, echo=quiet, **options)

    return run


@pytest.fixture
def wipe(app):
    """Empty every table, so the same test can seed again."""
    from workbench.extensions import db

    def run() -> None:
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            databases.truncate_all(db.engine, db.metadata)
        else:
            db.drop_all()
            db.create_all()

    return run
