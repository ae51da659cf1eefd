"""Entry point: `celery -A workers.make_celery worker` and `celery -A workers.make_celery beat`.

The worker builds what the API builds (service/factory.py), without the HTTP app."""

from service.factory import build
from service.logs import configure_logging

from .celery_app import celery_init_app

components = build()
if components.config.get("JSON_LOGS", True):
    configure_logging(str(components.config.get("LOG_LEVEL", "INFO")))
celery_app = celery_init_app(components)
