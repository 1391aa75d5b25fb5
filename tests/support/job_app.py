"""The app the jobs tests start in subprocesses: the workbench plus the test jobs plugin
(tests.support.job_fixtures). Every other setting comes from WORKBENCH_* environment
variables, as in production.

    gunicorn tests.support.job_app:flask_app
    celery -A tests.support.job_app worker        (finds `celery`)
    flask --app tests.support.job_app:flask_app worker | beat | jobs drain
"""
from workbench import create_app
from workbench.celery_app import dispose_engine_in_children

from tests.support import job_fixtures

# CSRF is off so the tests can post with a plain HTTP client; nothing else differs.
flask_app = create_app({"WORKBENCH_PLUGIN_MODULES": job_fixtures.MODULES, "WTF_CSRF_ENABLED": False})
dispose_engine_in_children(flask_app)
celery = flask_app.extensions["celery"]
