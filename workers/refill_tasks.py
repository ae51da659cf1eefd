"""Celery tasks of the daily refill job (service/customers/refills.py): beat starts it once a day
at REFILL_HOUR (UTC); it fans out over every stored customer in chunks, like the refresh, with
its own lock and progress (`store.for_job("refilljob")`), acknowledged late and retried with
backoff when Redis fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task
from celery.utils.log import get_task_logger

from service.customers.redis_client import get_store
from service.customers.refills import (
    JOB,
    begin_refill_run,
    end_refill_fanout,
    erase_from_exports,
    finish_refill_chunk,
    join_if_finished,
    refill_chunk,
)
from service.customers.refresh import abandon_if_dead

from .celery_app import current_components
from .tasks import RETRY

RETRYABLE: tuple[type[BaseException], ...] = RETRY["autoretry_for"]  # type: ignore[assignment]

logger = get_task_logger(__name__)


def _settings(app: Any) -> tuple[int, Path, int]:
    """Lock TTL, export folder and chunk size from the config of `app` (the Flask app or the
    factory's components: both have `config` and `extensions`)."""
    config = app.config
    return (
        int(config["REFRESH_LOCK_TTL"]),
        Path(config["REFILL_EXPORT_DIR"]),
        int(config["REFILL_CHUNK_SIZE"]),
    )


@shared_task(name="workers.refill_tasks.refill_chunk", **RETRY)
def refill_chunk_task(ids: list[str], run_id: str, chunk: int, day: str) -> dict:
    import datetime as dt

    app = current_components()
    recommender, store = app.extensions["dosewise"], get_store(app)
    lock_ttl, export_dir, _ = _settings(app)
    state = store.for_job(JOB).run_state(run_id) or {}
    if state.get("status") != "running":
        # a chunk of a run marked abandoned (its worker died; a new run does its work)
        return {"done": 0, "skipped": len(ids)}
    try:
        counts = refill_chunk(
            recommender,
            store,
            ids,
            dt.date.fromisoformat(day),
            export_dir,
            run_id,
            chunk,
        )
    except RETRYABLE:
        raise  # retried with backoff
    except Exception:
        # a bug, not a passing fault: the chunk counts as failed so that the run still ends
        logger.exception("refill chunk %s of run %s failed", chunk, run_id)
        counts = {"done": len(ids), "failed": len(ids)}
    finish_refill_chunk(store, run_id, chunk, counts, lock_ttl, export_dir)
    return counts


@shared_task(name="workers.refill_tasks.refill_all", bind=True, **RETRY)
def refill_all(self, reason: str = "schedule", run_id: str | None = None) -> dict:
    """Fan out over every stored customer. Without `run_id` it takes the lock first (beat);
    with one, the caller already did (`start_refills`)."""
    app = current_components()
    recommender, store = app.extensions["dosewise"], get_store(app)
    lock_ttl, export_dir, chunk_size = _settings(app)
    jobs = store.for_job(JOB)
    if run_id is None:
        recommender.reload_if_changed()
        run_id, started = begin_refill_run(
            store, recommender, reason, lock_ttl, recommender.clock()
        )
        if not started:
            return {"run_id": run_id, "started": False}
    day = (jobs.run_state(run_id) or {}).get("day") or recommender.clock().isoformat()
    chunk_task = self.app.tasks["workers.refill_tasks.refill_chunk"]
    chunks = 0
    for chunk, ids in enumerate(store.iter_id_chunks(chunk_size)):
        chunk_task.delay(ids, run_id, chunk, day)
        chunks += 1
    end_refill_fanout(store, run_id, chunks, export_dir)
    return {"run_id": run_id, "started": True, "chunks": chunks}


@shared_task(name="workers.refill_tasks.refill_if_due", **RETRY)
def refill_if_due() -> dict:
    """Beat, hourly: start today's run at or after REFILL_HOUR when none finished today, and
    run again a run whose workers died (marked abandoned: no chunk within the lock's TTL)."""
    import datetime as dt

    app = current_components()
    recommender, store = app.extensions["dosewise"], get_store(app)
    jobs = store.for_job(JOB)
    latest = jobs.run_state()
    dead = abandon_if_dead(jobs, latest)
    if dead is None and latest is not None and latest.get("status") == "abandoned":
        dead = latest
    today = recommender.clock()
    if dead is not None:
        return start_refills(app, f"resumes {dead.get('run_id', '')}")
    if latest is not None and latest.get("day") == today.isoformat():
        if latest.get("status") == "finished" and not latest.get("exported_to"):
            # the worker that finished the run died while joining the export: join it now
            _, export_dir, _ = _settings(app)
            join_if_finished(store, latest["run_id"], latest, export_dir)
            return {"started": False, "exported": latest["run_id"]}
        return {"started": False}
    if dt.datetime.now(dt.UTC).hour < int(app.config["REFILL_HOUR"]):
        return {"started": False}
    return start_refills(app, "schedule")


def start_refills(app: Any, reason: str) -> dict:
    """Take the lock and record the run here, then queue the fan-out on this app's Celery (a
    worker, or at once when there is no broker). Used by beat, the API and the CLI."""
    recommender, store = app.extensions["dosewise"], get_store(app)
    recommender.reload_if_changed()
    lock_ttl, _, _ = _settings(app)
    run_id, started = begin_refill_run(store, recommender, reason, lock_ttl, recommender.clock())
    if started:
        app.extensions["celery"].tasks["workers.refill_tasks.refill_all"].apply_async(
            kwargs={"reason": reason, "run_id": run_id}
        )
    return {"run_id": run_id, "started": started}


@shared_task(name="workers.refill_tasks.erase_refill_exports", **RETRY)
def erase_refill_exports() -> dict:
    """After a DELETE: rewrite the kept refill exports without the customers erased."""
    app = current_components()
    _, export_dir, _ = _settings(app)
    return {"removed": erase_from_exports(get_store(app), export_dir)}


def queue_erase_refill_exports(app: Any) -> None:
    app.extensions["celery"].tasks["workers.refill_tasks.erase_refill_exports"].apply_async(
        countdown=5
    )
