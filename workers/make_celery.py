"""Entry point: `celery -A workers.make_celery worker` and `celery -A workers.make_celery beat`."""

from service.api.app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
