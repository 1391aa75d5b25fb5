"""The workbench core shell. create_app(config) builds the Flask app:
config → extensions → plugins → blueprints. Nothing here imports a business plugin."""
from __future__ import annotations

import logging

from flask import Flask

__version__ = "0.5.0"

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    from workbench import app_setup
    from workbench.config import build_config

    app = Flask(__name__, instance_relative_config=False)
    app.config.update(build_config(config))
    app_setup.init_database(app)
    app_setup.init_extensions(app)
    app_setup.init_plugins(app)
    app_setup.init_jobs(app)
    app_setup.init_security(app)
    app_setup.init_blueprints(app)
    app_setup.init_request_hooks(app)
    app_setup.init_error_handlers(app)
    app_setup.init_templates(app)
    return app
