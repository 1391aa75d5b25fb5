"""Fixtures of the jobs tests: the test jobs plugin (tests.support.job_fixtures), its side-effect
table, a private Redis per test, and an app that publishes to it."""
from __future__ import annotations

import pytest

from tests.support import job_fixtures
from tests.support.processes import redis_server  # noqa: F401  (a fixture)

# The test jobs, loaded as the plugin "jobfixtures".
JOB_FIXTURES = pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=job_fixtures.MODULES)


@pytest.fixture
def effects(app):
    """The side-effect table of the test jobs; `effects.rows()` / `effects.counts()` read it."""
    from workbench.extensions import db

    job_fixtures.create_effects_table(db.engine)

    class Effects:
        @staticmethod
        def rows(label=None):
            return job_fixtures.effect_rows(db.engine, label)

        @staticmethod
        def counts():
            return job_fixtures.effect_counts(db.engine)

    yield Effects
    db.session.remove()
    job_fixtures.drop_effects_table(db.engine)


def use_broker(app, redis_url: str, **settings) -> None:
    """Make the app under test publish its jobs to `redis_url` (as WORKBENCH_REDIS_URL would)."""
    from workbench.celery_app import make_celery

    app.config.update(WORKBENCH_REDIS_URL=redis_url, **settings)
    make_celery(app)


@pytest.fixture(scope="session")
def postgresql_database_url(request):
    """A PostgreSQL database of this test worker's own for the multi-process tests, which run
    in the production layout only (override `database_url` with it in a test module)."""
    from tests.support import databases

    worker = getattr(request.config, "workerinput", {}).get("workerid", "master")
    url = databases.worker_database_url(f"{worker}_jobs")
    yield url
    databases.drop_database(url)
