"""Entry module for the plain Celery commands:

    celery -A workbench.celery_worker worker --loglevel=INFO
    celery -A workbench.celery_worker beat --schedule instance/celerybeat-schedule

equivalent to `workbench worker` and `workbench beat`. Reads the same WORKBENCH_* settings.
"""
from workbench import create_app
from workbench.celery_app import dispose_engine_in_children

flask_app = create_app()
dispose_engine_in_children(flask_app)
celery = flask_app.extensions["celery"]
