"""Shared fixtures: an app per test on each configured database, clients signed in as
someone, factories, a small org world, and an SQL statement counter.

Markers:
  @pytest.mark.plugins("name", ...)  load only these plugins (WORKBENCH_PLUGINS allow-list)
  @pytest.mark.csrf                  keep CSRF protection on (off by default in tests)
  @pytest.mark.app_config(**cfg)     extra config for the app under test
  @pytest.mark.locale("en")          default UI language (the product default is Simplified Chinese)
"""
from __future__ import annotations

import contextlib
import contextvars
import os

import pytest
from sqlalchemy import event

from flask.testing import FlaskClient

from tests.support import databases
from tests.support.factories import PASSWORD, build_world

os.environ.setdefault("WORKBENCH_SECRET_KEY", "test-secret-key")


def pytest_configure(config):
    config.addinivalue_line("markers", "csrf: keep CSRF protection on for this test")
    config.addinivalue_line("markers", "app_config(**config): extra config for the app under test")
    config.addinivalue_line("markers", "locale(code): the default UI language of the app under test "
                                       "(zh_Hans_CN unless set; tests that match English wording use 'en')")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", databases.backends(), scope="session")


@pytest.fixture(scope="session")
def database_url(db_backend, request, tmp_path_factory):
    """sqlite: a marker value (each test gets its own file); postgresql: a worker database."""
    if db_backend == "sqlite":
        yield "sqlite"
        return
    worker = getattr(request.config, "workerinput", {}).get("workerid", "master")
    url = databases.worker_database_url(worker)
    yield url
    databases.drop_database(url)


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context: the test's own app context (and its session
    and `g`) is not shared with the request, just as in production."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def sqlite_template_dir(tmp_path_factory):
    """Where this worker keeps its SQLite schema templates (see databases.sqlite_template)."""
    return tmp_path_factory.mktemp("sqlite-templates")


def _build_schema(app, database_url: str, sqlite_file, template_dir) -> None:
    """An empty schema for the test: what db.create_all builds, made the cheap way."""
    from workbench.extensions import db

    if database_url != "sqlite":
        databases.create_missing_tables(db.engine, db.metadata)
        return
    # The template is chosen after create_app: loading the plugins maps their tables.
    uses_own_file = app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{sqlite_file}"
    if not (uses_own_file and databases.copy_sqlite_template(
            databases.sqlite_template(db.metadata, template_dir), sqlite_file)):
        db.create_all()  # a test that points the app at another database, or opened it already


@pytest.fixture
def app(database_url, tmp_path, request, sqlite_template_dir):
    from workbench import create_app
    from workbench.extensions import db

    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": request.node.get_closest_marker("csrf") is not None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # argon2 stays the scheme; cheaper parameters keep the suite fast.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__memory_cost": 1024, "argon2__rounds": 1, "argon2__parallelism": 1,
        },
    }
    sqlite_file = tmp_path / "test.db"
    if database_url == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{sqlite_file}"
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    else:
        config["SQLALCHEMY_DATABASE_URI"] = database_url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    plugins_marker = request.node.get_closest_marker("plugins")
    if plugins_marker is not None:
        config["WORKBENCH_PLUGINS"] = list(plugins_marker.args)
    locale_marker = request.node.get_closest_marker("locale")
    if locale_marker is not None:
        config["BABEL_DEFAULT_LOCALE"] = locale_marker.args[0]
    config_marker = request.node.get_closest_marker("app_config")
    if config_marker is not None:
        config.update(config_marker.kwargs)
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        _build_schema(application, database_url, sqlite_file, sqlite_template_dir)
        yield application
        db.session.remove()
        if database_url != "sqlite":
            databases.reset_tables(db.engine, db.metadata)
        db.engine.dispose()


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"sign-in of {username} failed ({response.status_code})"
    return client


@pytest.fixture
def client_for(app):
    """client_for(user) → a fresh test client signed in as that user."""

    def make(user, password: str = PASSWORD):
        return sign_in(app.test_client(), user.username, password)

    return make


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` … `counter.count` is the SQL statements executed."""
    from workbench.extensions import db

    class Counter:
        def __init__(self):
            self.statements = []

        @property
        def count(self):
            return len(self.statements)

    @contextlib.contextmanager
    def counting():
        counter = Counter()

        def before(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
