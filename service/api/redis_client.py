"""A Redis client made on first use (never at import), with short timeouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask import Flask

from ..customers.refresh import CachePolicy
from ..customers.store import MemoryStore, RedisStore


def get_redis(app: Flask) -> redis.Redis | None:
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("dosewise_redis")
    if client is None:
        timeout = float(app.config.get("REDIS_TIMEOUT", 0.5))
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
        )
        app.extensions["dosewise_redis"] = client
    return client


def get_store(app: Flask) -> RedisStore | MemoryStore:
    """Customer store: Redis when REDIS_URL is set, else one in this process."""
    store = app.extensions.get("dosewise_store")
    if store is None:
        client = get_redis(app)
        store = RedisStore(client) if client is not None else MemoryStore()
        app.extensions["dosewise_store"] = store
    return store


def cache_policy(app: Flask) -> CachePolicy:
    return CachePolicy(
        limit=int(app.config["PRECOMPUTE_LIMIT"]), max_age=float(app.config["CACHE_MAX_AGE"])
    )


def redis_status(app: Flask) -> dict[str, Any]:
    client = get_redis(app)
    if client is None:
        return {"ok": True, "configured": False}
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "configured": True, "error": type(exc).__name__}
    return {"ok": True, "configured": True}


def impression_logger(app: Flask) -> Callable[[dict[str, Any]], None]:
    """Stores one served list for training; a failure is logged, never raised: the list is
    answered whether or not it could be recorded."""
    store = get_store(app)

    def record(entry: dict[str, Any]) -> None:
        try:
            store.add_impressions([entry])
        except (redis.RedisError, OSError):
            app.logger.warning("could not log an impression", exc_info=True)

    return record
