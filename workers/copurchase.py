"""Celery task: rebuild the co-purchase table (service/customers/copurchase.py) from the
purchase events in Redis. Beat runs it every COPURCHASE_INTERVAL seconds (default hourly);
one build at a time (a Redis lock), retried with backoff when Redis fails."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from flask import current_app

from service.api.redis_client import get_store
from service.customers.copurchase import rebuild

from .tasks import RETRY


@shared_task(name="workers.copurchase.rebuild_copurchase", **RETRY)
def rebuild_copurchase() -> dict[str, Any]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    catalog = app.extensions["dosewise"].snapshot.catalog
    return rebuild(
        get_store(app),
        catalog.index,
        min_count=int(app.config.get("COPURCHASE_MIN_COUNT", 2)),
        top_n=int(app.config.get("COPURCHASE_TOP_N", 20)),
    )
