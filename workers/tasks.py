"""Celery tasks: refresh one customer, refresh all customers in chunks, refresh on change.

Tasks are idempotent (a fresh list is skipped), acknowledged late (a killed worker's task is
delivered again) and retried with exponential backoff when Redis fails.
"""

from __future__ import annotations

from typing import Any

import redis
from celery import shared_task
from celery.utils.log import get_task_logger

from service.customers.redis_client import get_store
from service.customers.refresh import (
    abandon_if_dead,
    begin_run,
    end_fanout,
    finish_chunk,
    refresh_chunk,
)

from .celery_app import current_components

logger = get_task_logger(__name__)

RETRY = {
    "autoretry_for": (redis.RedisError, ConnectionError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


def _parts() -> tuple[Any, Any, Any]:
    components = current_components()
    return components.recommender, components.store, components.policy


@shared_task(name="workers.tasks.refresh_customer", **RETRY)
def refresh_customer(customer_id: str, dedupe: bool = True) -> dict[str, int]:
    recommender, store, policy = _parts()
    return refresh_chunk(recommender, store, [customer_id], policy, dedupe=dedupe)


@shared_task(name="workers.tasks.refresh_chunk", **RETRY)
def refresh_chunk_task(ids: list[str], run_id: str, chunk: int, force: bool = False) -> dict:
    recommender, store, policy = _parts()
    try:
        recommender.catch_up((store.run_state(run_id) or {}).get("fingerprint"))
        counts = refresh_chunk(recommender, store, ids, policy, force=force)
    except RETRY["autoretry_for"]:
        raise  # retried with backoff
    except Exception:
        # a bug, not a passing fault: count the chunk as failed so the run still ends and
        # says so, instead of hanging until its lock expires
        logger.exception("refresh chunk %s of run %s failed", chunk, run_id)
        counts = {"done": len(ids), "failed": len(ids)}
    finish_chunk(store, run_id, chunk, counts, int(current_components().config["REFRESH_LOCK_TTL"]))
    return counts


@shared_task(name="workers.tasks.refresh_all", bind=True, **RETRY)
def refresh_all(
    self, reason: str = "manual", force: bool = False, run_id: str | None = None
) -> dict:
    """Fan out over every stored customer in chunks. Without `run_id` it takes the lock first
    (a second run while one holds it returns the running one's id); with one, the caller
    already did (see `start_refresh`)."""
    recommender, store, _ = _parts()
    config = current_components().config
    if run_id is None:
        recommender.reload_if_changed()  # the run records the fingerprint it refreshes towards
        run_id, started = begin_run(store, recommender, reason, int(config["REFRESH_LOCK_TTL"]))
        if not started:
            return {"run_id": run_id, "started": False}
    chunk_task = self.app.tasks["workers.tasks.refresh_chunk"]
    chunks = 0
    for chunk, ids in enumerate(store.iter_id_chunks(int(config["REFRESH_CHUNK_SIZE"]))):
        chunk_task.delay(ids, run_id, chunk, force)
        chunks += 1
    end_fanout(store, run_id, chunks)
    return {"run_id": run_id, "started": True, "chunks": chunks}


@shared_task(name="workers.tasks.refresh_if_changed", **RETRY)
def refresh_if_changed() -> dict:
    """Start a refresh when catalog, rules or model changed since the last run, or resume a
    run whose chunks were lost (beat, every REFRESH_CHECK_INTERVAL seconds)."""
    recommender, store, _ = _parts()
    recommender.reload_if_changed()
    latest = store.run_state()
    dead = abandon_if_dead(store, latest)
    if dead is None and latest is not None and latest.get("status") == "abandoned":
        dead = latest  # marked by someone else (the CLI, a new run's start), not resumed yet
    if dead is not None:  # its workers died: resume it (fresh lists are skipped)
        return start_refresh(current_components(), f"resumes {dead['run_id']}")
    if latest is not None and latest.get("fingerprint") == recommender.snapshot.fingerprint:
        return {"started": False}
    return start_refresh(current_components(), "data changed")


def start_refresh(app: Any, reason: str, force: bool = False) -> dict:
    """Take the lock and record the run here, then queue the fan-out on this app's Celery
    (a worker, or at once when there is no broker). Used by the API, the CLI and reloads."""
    recommender, store = app.extensions["dosewise"], get_store(app)
    recommender.reload_if_changed()
    run_id, started = begin_run(store, recommender, reason, int(app.config["REFRESH_LOCK_TTL"]))
    if started:
        app.extensions["celery"].tasks["workers.tasks.refresh_all"].apply_async(
            kwargs={"reason": reason, "force": force, "run_id": run_id}
        )
    return {"run_id": run_id, "started": started}


def queue_customer_refresh(app: Any, customer_id: str) -> None:
    app.extensions["celery"].tasks["workers.tasks.refresh_customer"].apply_async(args=[customer_id])


@shared_task(name="workers.tasks.export_events", **RETRY)
def export_events() -> dict:
    """Move events and impressions from Redis to the training dataset on disk."""
    from pathlib import Path

    from service.learning.exports import export_streams

    _, store, _ = _parts()
    return export_streams(store, Path(current_components().config["LEARNING_DIR"]))


@shared_task(name="workers.tasks.erase_exported", **RETRY)
def erase_exported() -> dict:
    """Rewrite the exported event and impression files without customers erased since."""
    from pathlib import Path

    from service.learning.exports import apply_erasures

    _, store, _ = _parts()
    return apply_erasures(store, Path(current_components().config["LEARNING_DIR"]))


def queue_erase_exported(app: Any) -> None:
    """After a DELETE: clean the exported files soon (one task cleans every erasure since the
    last, so a burst of DELETEs costs one rewrite; every export cleans them too)."""
    app.extensions["celery"].tasks["workers.tasks.erase_exported"].apply_async(countdown=5)


# acknowledged at once: training can outlast the broker's visibility timeout, and a redelivered
# copy would train a second time alongside; a lost training run is simply started again
@shared_task(name="workers.tasks.train_model", acks_late=False)
def train_model(min_gain: float = 0.0) -> dict:
    """Export, train on the exported logs and promote if better (`dosewise model train`)."""
    from pathlib import Path

    from service.learning.exports import EVENTS_FILE, IMPRESSIONS_FILE
    from service.learning.jobs import train_and_promote

    recommender, _, _ = _parts()
    export_events.run()
    data = Path(current_components().config["LEARNING_DIR"])
    run = train_and_promote(
        data / IMPRESSIONS_FILE,
        data / EVENTS_FILE,
        Path(current_components().config["MODEL_DIR"]),
        catalog_version=recommender.snapshot.catalog.version,
    )
    recommender.reload_model()
    return {
        "version": run.promotion.version,
        "promoted": run.promotion.promoted,
        "reason": run.promotion.reason,
    }
