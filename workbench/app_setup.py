"""The steps of create_app, one function each, in the order they must run."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request, session
from flask_login import current_user
from sqlalchemy import event

from workbench.extensions import api, babel, csrf, db, limiter

log = logging.getLogger(__name__)

LOCALES = {"zh_Hans_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_Hans_CN"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers work while one writer writes; the busy timeout makes writers wait
    instead of failing with "database is locked"; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_database(app: Flask) -> None:
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    from workbench import connection_health

    connection_health.install()
    # Import the core models so their tables are mapped before plugins add theirs.
    from workbench.audit import models as _audit  # noqa: F401
    from workbench.auth import models as _auth  # noqa: F401
    from workbench.customers import models as _customers  # noqa: F401
    from workbench.exports import models as _exports  # noqa: F401
    from workbench.files import models as _files  # noqa: F401
    from workbench.homepage import models as _homepage  # noqa: F401
    from workbench.imports import models as _imports  # noqa: F401
    from workbench.inbox import models as _inbox  # noqa: F401
    from workbench.jobs import models as _jobs  # noqa: F401
    from workbench.notify import models as _notify  # noqa: F401
    from workbench.org import models as _org  # noqa: F401
    from workbench.org.scope import install_scope_rule

    install_scope_rule()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def select_locale() -> str:
    """The user's saved language, else the one chosen this session, else Simplified Chinese."""
    from flask import has_request_context

    from flask import current_app

    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or DEFAULT_LOCALE
    if not has_request_context():
        return default
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return default


def init_extensions(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    # "zh_CN" and "zh" name the same catalogue as Babel's "zh_Hans_CN".
    configured = app.config.get("BABEL_DEFAULT_LOCALE") or DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE if configured.startswith("zh") else configured
    if app.config["BABEL_DEFAULT_LOCALE"] not in LOCALES:
        raise ValueError(f"WORKBENCH_DEFAULT_LOCALE must be one of zh_CN, en (got {configured!r})")
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)


def init_plugins(app: Flask) -> None:
    from workbench import plugins

    registry = plugins.build_registry(
        app.config.get("WORKBENCH_PLUGINS"), app.config.get("WORKBENCH_PLUGIN_MODULES")
    )
    app.extensions["workbench.plugins"] = registry
    plugins.check_table_prefixes(registry, db.metadata)
    with app.app_context():
        plugins.collect_contributions(registry)
    plugins.import_job_modules(registry)
    plugins.run_init_app(registry, app)
    plugins.add_cli_commands(registry, app)


def init_jobs(app: Flask) -> None:
    """Celery bound to this app, and the after-commit hand-over of enqueued jobs."""
    from workbench.celery_app import make_celery
    from workbench.jobs.services import install_listeners

    make_celery(app)
    install_listeners()


def init_security(app: Flask) -> None:
    from flask_security import Security, SQLAlchemyUserDatastore

    from workbench.auth import login_throttle
    from workbench.auth.forms import WorkbenchLoginForm
    from workbench.auth.models import Role, User

    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security = Security(app, datastore, login_form=WorkbenchLoginForm)
    app.extensions["workbench.security"] = security
    login_throttle.protect_login(app)


def init_blueprints(app: Flask) -> None:
    from flask_smorest import Blueprint as ApiBlueprint

    from workbench import plugins

    registry = app.extensions["workbench.plugins"]
    api.init_app(app)
    from workbench.api import errors as api_errors

    api_errors.install(app)
    def register(blueprint) -> None:
        if isinstance(blueprint, ApiBlueprint):
            api.register_blueprint(blueprint, url_prefix=blueprint.url_prefix)
            csrf.exempt(blueprint)  # the API checks CSRF itself for cookie sessions
        else:
            app.register_blueprint(blueprint)

    # A failing blueprint hook or a clashing blueprint name stops start-up naming the plugin.
    plugins.register_blueprints(registry, register)
    from workbench.api.views import register_core_api
    from workbench.auth.views import bp as auth_bp

    app.register_blueprint(auth_bp)
    register_core_api(app)


def init_request_hooks(app: Flask) -> None:
    from workbench.audit.actor import reset_actor, set_actor
    from workbench.org.scope import reset_scope, set_scope

    @app.before_request
    def _set_data_scope():
        user = current_user
        if user and getattr(user, "is_authenticated", False):
            g.scope_token = set_scope(user.scope)
            g.actor_token = set_actor(user.id)  # who the audit history names
        else:
            g.scope_token = set_scope(None)
            g.actor_token = set_actor(None)

    @app.teardown_request
    def _reset_data_scope(_exc=None):
        token = g.pop("scope_token", None)
        if token is not None:
            reset_scope(token)
        actor_token = g.pop("actor_token", None)
        if actor_token is not None:
            reset_actor(actor_token)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def init_error_handlers(app: Flask) -> None:
    from workbench.errors import ServiceError

    def _page(status: int, message: str):
        if wants_json():
            return jsonify({"code": status, "status": _status_name(status), "message": message}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(404)
    def _not_found(_error):
        from flask_babel import gettext as _

        return _page(404, _("The page or record was not found, or it is not visible to you."))

    @app.errorhandler(403)
    def _forbidden(_error):
        from flask_babel import gettext as _

        return _page(403, _("You do not have permission to do this."))

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        return _page(error.status_code, str(error.message))

    @app.errorhandler(413)
    def _too_large(_error):
        from flask_babel import gettext as _

        limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return _page(413, _("The file is too large: at most %(mb)d MB can be uploaded.", mb=limit_mb))

    @app.errorhandler(429)
    def _too_many(_error):
        from flask_babel import gettext as _

        return _page(429, _("Too many attempts. Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def _server_error(_error):
        from flask_babel import gettext as _

        return _page(500, _("Something went wrong on our side. The problem has been logged."))


def _status_name(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def init_templates(app: Flask) -> None:
    from workbench import templating

    templating.install(app)
