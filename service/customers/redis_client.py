"""A Redis client made on first use (never at import), with short timeouts and a circuit
breaker: once a call times out or cannot connect, calls fail at once (a `CircuitOpen`, which is
a `redis.ConnectionError`) for `REDIS_BREAKER_COOLDOWN` seconds; then one call is let through
as a probe, and its outcome closes the breaker or opens it again. A stalled Redis (SIGSTOP, a
network partition) so costs each process one short timeout, not one per request, and the
endpoints that need no Redis keep their threads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import local_hits as local_hits_module
from .local_hits import HitImpressions, LocalHits
from .refresh import CachePolicy
from .store import CachedList, CorruptEntry, MemoryStore, RedisStore

log = logging.getLogger("dosewise")


class Host(Protocol):
    """Where the client and the store are kept: the factory's `Components` (service/factory.py)
    or the Flask app that shares them: a configuration and an `extensions` dict."""

    @property
    def config(self) -> Mapping[str, Any]: ...

    @property
    def extensions(self) -> dict[str, Any]: ...


class CircuitOpen(redis.ConnectionError):
    """Redis failed moments ago; this call was not sent (see the module docstring)."""


class Breaker:
    def __init__(self, cooldown: float) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0  # 0: closed
        self._probe: int | None = None  # thread id of the call probing a half-open breaker
        self._lock = threading.Lock()
        self.faults = 0  # calls that reached Redis and failed (timed out, refused): each one waited

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def before_call(self) -> None:
        if self._open_until == 0.0:
            return
        me = threading.get_ident()
        with self._lock:
            if self._open_until == 0.0 or self._probe == me:
                return
            now = time.monotonic()
            # half-open: one call finds out whether Redis is back (another one may try when
            # that probe has not reported within a cooldown)
            if now >= self._open_until and (
                self._probe is None or now >= self._open_until + self.cooldown
            ):
                self._probe = me
                self._open_until = now  # the probe has a cooldown to report
                return
        raise CircuitOpen("Redis did not answer moments ago; not waiting for it again yet")

    def succeeded(self) -> None:
        if self._open_until != 0.0:
            with self._lock:
                self._open_until, self._probe = 0.0, None

    def failed(self) -> None:
        with self._lock:
            self.faults += 1
            self._open_until, self._probe = time.monotonic() + self.cooldown, None


FAULTS = (redis.ConnectionError, redis.TimeoutError, OSError)


class _Guarded:
    """Mixed into redis-py's connection class: every command passes the breaker (a class
    attribute of the subclass `guarded_class` makes, so no constructor changes)."""

    _breaker: Breaker

    def send_packed_command(self, *args: Any, **kwargs: Any) -> Any:
        self._breaker.before_call()
        try:
            return super().send_packed_command(*args, **kwargs)  # type: ignore[misc]
        except CircuitOpen:
            raise
        except FAULTS:
            self._breaker.failed()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except CircuitOpen:
            raise
        except redis.ResponseError:
            self._breaker.succeeded()  # Redis answered (an error reply is an answer)
            raise
        except (*FAULTS, redis.RedisError):
            self._breaker.failed()
            raise
        self._breaker.succeeded()
        return response


def guarded_class(base: type, breaker: Breaker) -> type:
    return type(f"Guarded{base.__name__}", (_Guarded, base), {"_breaker": breaker})


def guarded_client(url: str, timeout: float, breaker: Breaker, cluster: bool = False) -> Any:
    """A client with short timeouts, no retries (the breaker decides when to try again) and
    the breaker on every connection; a RedisCluster when `cluster`."""
    if cluster:
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            connection_class=guarded_class(redis.Connection, breaker),
        )
    client = redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
    pool = client.connection_pool
    pool.connection_class = guarded_class(pool.connection_class, breaker)
    return client


def get_redis(host: Host) -> Any:
    url = host.config.get("REDIS_URL")
    if not url:
        return None
    client = host.extensions.get("dosewise_redis")
    if client is None:
        breaker = Breaker(float(host.config.get("REDIS_BREAKER_COOLDOWN", 2.0)))
        host.extensions["dosewise_redis_breaker"] = breaker
        client = guarded_client(
            url, float(host.config.get("REDIS_TIMEOUT", 0.5)), breaker, _cluster(host)
        )
        host.extensions["dosewise_redis"] = client
    return client


def _cluster(host: Host) -> bool:
    return str(host.config.get("REDIS_CLUSTER", False)).lower() in ("1", "true", "yes")


def get_store(host: Host) -> RedisStore | MemoryStore:
    """Customer store: Redis when REDIS_URL is set, else one in this process."""
    store = host.extensions.get("dosewise_store")
    if store is None:
        client = get_redis(host)
        store = RedisStore(client, _cluster(host)) if client is not None else MemoryStore()
        host.extensions["dosewise_store"] = store
    return store


def cache_policy(host: Host) -> CachePolicy:
    """The cache settings as configured now: made again only when either setting changed (a
    cache hit asks on every request; making it took about 5 µs)."""
    limit, max_age = host.config["PRECOMPUTE_LIMIT"], host.config["CACHE_MAX_AGE"]
    kept = host.extensions.get("dosewise_cache_policy")
    if kept is None or kept[0] != limit or kept[1] != max_age:
        policy = CachePolicy(limit=int(limit), max_age=float(max_age))
        kept = host.extensions["dosewise_cache_policy"] = (limit, max_age, policy)
    return kept[2]


def redis_status(host: Host) -> dict[str, Any]:
    client = get_redis(host)
    if client is None:
        return {"ok": True, "configured": False}
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "configured": True, "error": type(exc).__name__}
    return {"ok": True, "configured": True}


def impression_logger(host: Host) -> Callable[[dict[str, Any]], None]:
    """Stores one served list for training; a failure is logged, never raised: the list is
    answered whether or not it could be recorded."""
    store = get_store(host)

    def record(entry: dict[str, Any]) -> None:
        try:
            store.add_impressions([entry])
        except (redis.RedisError, OSError) as exc:
            log.warning(
                "could not log an impression: %s", exc, exc_info=not isinstance(exc, CircuitOpen)
            )

    return record


class HitLog:
    """Logs the impressions of lists served from the cache (issue 12): the record the list
    carries (features computed with it) plus request id, customer id and time; only a share
    of hits when IMPRESSION_SAMPLE is below 1. A failure is logged, never raised. The fast path
    logs in its read's round trip (`RedisStore.read_and_log`); `__call__` logs on its own."""

    def __init__(self, host: Host) -> None:
        self.store = get_store(host)
        self.share = float(host.config.get("IMPRESSION_SAMPLE", 1.0))
        self._draw = random.Random().random

    def sampled(self) -> bool:
        return self.share >= 1.0 or self._draw() < self.share

    @staticmethod
    def head(request_id: str, customer_id: str) -> bytes:
        """The request's fields of an impression record, as JSON (see CachedList.impression)."""
        fields = {
            "request_id": request_id,
            "customer_id": customer_id,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:  # the same bytes as json's below for every string (tests/test_s11_fast_path.py)
            return orjson.dumps(fields)
        except TypeError:  # a lone surrogate: json's error, as before
            return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    def __call__(
        self,
        cached: CachedList,
        customer_id: str,
        limit: int,
        request_id: str,
        drawn=None,
        part: str | None = None,
    ) -> None:
        """Log the list shown: the plain list's, or with `part` (`locale@placement`) that
        placement's (issue 11)."""
        if not (self.sampled() if drawn is None else drawn):
            return
        try:
            stamp = dt.datetime.now(dt.UTC).isoformat()
            record = cached.impression(request_id, customer_id, stamp, limit, part)
            if record is not None:
                self.store.log_impression(customer_id, record)
        except CorruptEntry:
            log.warning("a cached list's impression part did not decode; not logged")
        except (redis.RedisError, OSError) as exc:
            self.failed(exc)

    def failed(self, exc: Exception) -> None:
        log.warning(
            "could not log an impression: %s", exc, exc_info=not isinstance(exc, CircuitOpen)
        )


def hit_logger(host: Host) -> HitLog:
    """The host's HitLog (the fast path and the Flask view share it)."""
    hits = host.extensions.get("dosewise_hit_log")
    if hits is None:
        hits = host.extensions["dosewise_hit_log"] = HitLog(host)
    return hits


def number_setting(
    host: Host, name: str, default: float, low: float, whole: bool = False, high: float = math.inf
) -> float:
    """A number setting at least `low` and below `high` (finite; whole when `whole`); another
    value is logged and `default` used."""
    value = host.config.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number < high or (whole and number != int(number)):
        log.warning(
            "%s %r is not a number from %s to below %s; using %s", name, value, low, high, default
        )
        return default
    return number


def local_hits(host: Host) -> tuple[LocalHits, HitImpressions] | None:
    """This web process's copies of the lists it served and the batch of their impressions
    (service/customers/local_hits.py), or None when they are off: `LOCAL_HITS` 0, no Redis
    (the in-process store is memory already) or a Redis Cluster."""
    kept = host.extensions.get("dosewise_local_hits", False)
    if kept is False:
        store = get_store(host)
        size = int(number_setting(host, "LOCAL_HITS", 4096, 0, whole=True))
        kept = None
        if size and isinstance(store, RedisStore) and not store.cluster:
            seconds = number_setting(host, "LOCAL_HITS_SECONDS", 30.0, 0.001, high=300.0)
            flush = number_setting(host, "IMPRESSION_FLUSH_SECONDS", 0.1, 0)
            kept = (LocalHits(store.client, size, seconds), HitImpressions(store, flush))
        host.extensions["dosewise_local_hits"] = kept
    return kept


def after_write(host: Host) -> None:
    """After a web process wrote a customer's profile or list (PUT, DELETE, a purchase; also
    when the write failed midway), before it answers: when any web process holds a lease on
    its local copies (service/customers/local_hits.py: the lease key exists, or Redis cannot
    say), the wait that makes every such lease from before the write run out by the time the
    answer arrives. Whatever this process's own `LOCAL_HITS`: every holder is waited for."""
    store = get_store(host)
    if not isinstance(store, RedisStore) or store.cluster:
        return  # (no process keeps copies of a store in memory or on a cluster)
    try:
        held = bool(store.client.exists(local_hits_module.LEASE_KEY))
    except (redis.RedisError, OSError):
        held = True
    if held:
        time.sleep(local_hits_module.WRITE_WAIT_SECONDS)
