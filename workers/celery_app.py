"""Celery wired to the factory's components (service/factory.py): every task runs with the
components of the process that made its Celery app (`current_components()`), the API's or the
worker's. The broker is configuration: Redis by default, RabbitMQ by changing only its URL."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from celery import Celery, Task

if TYPE_CHECKING:
    from service.factory import Components

_running_for: ContextVar[Components] = ContextVar("dosewise_components")


def current_components() -> Components:
    """The components of the Celery app running the task in progress."""
    return _running_for.get()


def celery_config(config: Mapping[str, Any]) -> dict[str, Any]:
    redis_url = config.get("REDIS_URL")
    if str(config.get("REDIS_CLUSTER", False)).lower() in ("1", "true", "yes"):
        # Celery's Redis transport and result backend do not speak Redis Cluster
        if redis_url and not config.get("CELERY_BROKER_URL"):
            raise ValueError(
                "with DOSEWISE_REDIS_CLUSTER, set DOSEWISE_CELERY_BROKER_URL to a plain Redis "
                "or RabbitMQ: Celery's Redis broker does not work on a cluster"
            )
        redis_url = None  # no result backend on the cluster either
    broker = config.get("CELERY_BROKER_URL") or redis_url
    on_redis = bool(broker) and str(broker).startswith(("redis://", "rediss://"))
    return {
        "broker_url": broker or "memory://",
        # a Redis broker at maxmemory pauses the worker instead of ending it (workers/broker.py)
        "broker_transport": "workers.broker:Transport" if on_redis else None,
        "result_backend": config.get("CELERY_RESULT_BACKEND") or redis_url or None,
        # without a broker (make run on a laptop) tasks run at once, in the calling process
        "task_always_eager": broker is None,
        "task_eager_propagates": False,
        "task_acks_late": True,  # a task killed mid-run is delivered again
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            # Redis broker: a task not acknowledged within this time (its worker was killed) is
            # delivered again. A chunk of 1000 distinct profiles takes ~4 s (up to ~15 s on a
            # busy machine); 300 s is a generous multiple. Lost chunks are also caught sooner:
            # a run that stops finishing chunks is resumed by beat (refresh.abandon_if_dead).
            "visibility_timeout": int(config.get("BROKER_VISIBILITY_TIMEOUT", 300)),
            "socket_timeout": 2,
            "socket_connect_timeout": 1,
        },
        # a request that queues a refresh while the broker is down must not hang
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        "broker_connection_timeout": 1,
        "beat_schedule": {
            "refresh-when-data-changed": {
                "task": "workers.tasks.refresh_if_changed",
                "schedule": float(config.get("REFRESH_CHECK_INTERVAL", 60.0)),
            },
            "rebuild-copurchase": {  # the cart placement's co-purchase table (issue 11)
                "task": "workers.copurchase.rebuild_copurchase",
                "schedule": float(config.get("COPURCHASE_INTERVAL", 3600.0)),
            },
            "refresh-stale-lists": {
                "task": "workers.tasks.refresh_all",
                "schedule": float(config.get("REFRESH_SCHEDULE", 6 * 3600.0)),
                "kwargs": {"reason": "schedule"},
            },
            # starts the daily refill job once a day from REFILL_HOUR (UTC); resumes a dead run
            "refills-daily": {
                "task": "workers.refill_tasks.refill_if_due",
                "schedule": float(config.get("REFILL_CHECK_INTERVAL", 600.0)),
            },
        },
    }


def celery_init_app(components: Components) -> Celery:
    """A Celery app whose tasks run with `components`; it is kept in their extensions and a
    change of catalog, rules or model seen by their recommender starts a batch refresh."""

    class ComponentsTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            token = _running_for.set(components)
            try:
                return self.run(*args, **kwargs)
            finally:
                _running_for.reset(token)

    celery_app = Celery("dosewise", task_cls=ComponentsTask)
    celery_app.config_from_object(celery_config(components.config))
    celery_app.set_default()
    components.extensions["celery"] = celery_app
    # registers the tasks (copurchase: issue 11, the cart's co-purchase table)
    from . import copurchase, refill_tasks, tasks  # noqa: F401

    def refresh_on_change(_snapshot: object) -> None:
        tasks.start_refresh(components, "data changed")

    components.recommender.on_change = refresh_on_change
    return celery_app
