"""Celery task: rebuild the co-purchase table (service/customers/copurchase.py) from the
purchase events in Redis. Beat runs it every COPURCHASE_INTERVAL seconds (default hourly);
one build at a time (a Redis lock), retried with backoff when Redis fails."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from service.customers.copurchase import rebuild

from .celery_app import current_components
from .tasks import RETRY


@shared_task(name="workers.copurchase.rebuild_copurchase", **RETRY)
def rebuild_copurchase() -> dict[str, Any]:
    components = current_components()
    config = components.config
    return rebuild(
        components.store,
        components.recommender.snapshot.catalog.index,
        min_count=int(config.get("COPURCHASE_MIN_COUNT", 2)),
        top_n=int(config.get("COPURCHASE_TOP_N", 20)),
    )
