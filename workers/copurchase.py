"""Celery task: bring the co-purchase table (service/customers/copurchase.py) up to date with
the purchase events in Redis since its last run (incremental: only new events are read, only
the rows they change are written; erased customers are taken out). Beat runs it every
COPURCHASE_INTERVAL seconds (default hourly); one update at a time (a Redis lock), retried
with backoff when Redis fails."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from service.customers.copurchase import update

from .celery_app import current_components
from .tasks import RETRY


@shared_task(name="workers.copurchase.rebuild_copurchase", **RETRY)
def rebuild_copurchase() -> dict[str, Any]:
    components = current_components()
    config = components.config
    return update(
        components.store,
        components.recommender.snapshot.catalog.index,
        min_count=int(config.get("COPURCHASE_MIN_COUNT", 2)),
        top_n=int(config.get("COPURCHASE_TOP_N", 20)),
    )
