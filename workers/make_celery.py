"""Entry point: `celery -A workers.make_celery worker` and `celery -A workers.make_celery beat`.

The worker builds what the API builds (service/factory.py), without the HTTP app."""

import gc

from service.factory import build
from service.logs import configure_logging

from .celery_app import celery_init_app

components = build()
if components.config.get("JSON_LOGS", True):
    configure_logging(str(components.config.get("LOG_LEVEL", "INFO")))
celery_app = celery_init_app(components)
# as gunicorn's pre_fork does (deploy/gunicorn.conf.py): what was loaded (catalog, rules,
# model: about 100,000 objects) is moved out of the collector's reach before the pool forks,
# so that a pool process's full collections (a few per 1,000 distinct profiles a refresh
# computes) neither scan it nor write to its pages (bench/README.md, session 27)
gc.collect()
gc.freeze()
