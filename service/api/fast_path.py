"""The cache hit of `GET /v1/customers/{id}/recommendations`, answered in front of Flask.

This is the request the webshop makes on every page view. When the customer's precomputed list
is fresh and the request asks for the cached limit, the answer is the stored bytes: one Redis
round trip and no JSON parsing (with `Accept-Encoding: gzip` not even decompressed: the stored
gzip member goes out with `Content-Encoding: gzip`). This thin WSGI layer serves exactly that
case with the same mechanisms as the Flask app (key check, request id, cache decision, metrics,
access log, the impression of the list for training) and hands every other request (a miss, a
stale list, another limit or locale, a bad query, a missing key, Redis trouble) to Flask
unchanged, which then answers it in full.

What the answer does not need waits until it is sent: the access-log line and the impression
are written in the response's `close()`, which the server calls after the last byte (PEP
3333), so the client does not wait for that Redis round trip.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import redis
from flask import Flask

from ..contract.base import customer_id_problem
from ..core.placements.serve import part_name
from ..customers.arms import serving_snapshot
from ..customers.redis_client import cache_policy, get_store, hit_logger, local_hits
from ..customers.refresh import is_fresh, locales_for
from ..customers.store import CachedList, CorruptEntry, Hit, RedisStore
from ..experiments.customers import PLACEMENT as CUSTOMER_PLACEMENT
from ..experiments.customers import log_cached_exposure
from ..experiments.serving import ExperimentServer
from ..experiments.spec import ALL_PLACEMENTS
from .access import allows, scopes_from_header
from .cached_read import read_and_log
from .customer_request import CustomerQuery, decoded_path, parse_query
from .logs import access_line, request_id_from

PATH = re.compile(r"^/v1/customers/([^/]{1,384})/recommendations$")
ROUTE = "/v1/customers/<string:customer_id>/recommendations"
StartResponse = Callable[..., Any]
log = logging.getLogger("dosewise.api")


@lru_cache(maxsize=256)
def accepts_gzip(header: str) -> bool:
    """True when an Accept-Encoding header accepts gzip (`gzip` or `*`, and not at q=0)."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        q = params.strip()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


class _AfterSending(list):
    """The response body; the server calls `close()` once it has been sent (PEP 3333)."""

    __slots__ = ("_then",)

    def __init__(self, body: bytes, then: Callable[[], None]) -> None:
        super().__init__((body,))
        self._then = then

    def close(self) -> None:
        try:
            self._then()
        except Exception:  # noqa: BLE001 - the answer is out; bookkeeping must not fail it
            log.exception("after a cached answer")


def _read(
    local: Any, store: Any, customer_id: str, hit: Hit | None, log_hit: Any, request_id: str
) -> tuple[dict, CachedList, bool] | None:
    """The customer's profile entry and cached list from Redis (with `hit`, and the impression
    when it is a hit, READ_AND_LOG), and whether the impression was logged; None when either is
    missing. With `local` (this process's copies) the values are kept unless a write of the
    customer's keys came in meanwhile."""
    token = local[0].reading(customer_id) if local is not None else None
    read: tuple[dict, CachedList] | None = None
    try:
        if hit is not None:
            entry, raw, logged = read_and_log(
                store, customer_id, hit, log_hit.head(request_id, customer_id)
            )
        else:
            (entry, raw), logged = store.read(customer_id), False
        if entry is None or raw is None:
            return None
        read = (entry, CachedList.decode(raw))
        return (*read, logged)
    finally:
        if local is not None:
            local[0].keep(customer_id, token, read)


class CachedListFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._bound: tuple[Any, Any, Any, bool] | None = None
        self._reads: tuple[Any, Any] = (None, None)  # set by _bind
        self._no_arms: tuple[Any, bool] | None = None  # (experiments in service, none on lists)

    def _bind(self) -> tuple[Any, Any, Any, bool]:
        """Metric children and the impression logger, looked up once (on first use: tests
        change the config after the app is made)."""
        if self._bound is None:
            metrics = self.app.extensions["dosewise_metrics"]
            # where a hit's list was read: [False] this process's memory, [True] Redis
            self._reads = (metrics.list_reads.labels("memory"), metrics.list_reads.labels("redis"))
            self._bound = (
                metrics.customer_lists.labels("cache"),
                metrics.request_seconds.labels(ROUTE, "GET", "200"),
                hit_logger(self.app),
                bool(self.app.config.get("ACCESS_LOG", True)),
            )
        return self._bound

    def _serving_snapshot(self, recommender: Any, customer_id: str) -> Any:
        """`serving_snapshot(recommender, customer_id)`, without asking for the customer's arm
        when the experiments file in service has no experiment on the customer lists at all
        (on any day): then there is no arm and the snapshot is the one in service. Whether it
        has one is kept per loaded file (a reload makes a new `ExperimentSet`); the file is
        checked for changes first, as `ExperimentServer.arm` does. Asking for the arm took
        about 17 µs per hit (the day, an import, the lookup) when no experiment runs."""
        server = getattr(recommender, "experiments", None)
        if type(server) is ExperimentServer:
            snapshot = recommender.snapshot
            server.refresh(snapshot.rules.rules)
            loaded = server.experiments
            kept = self._no_arms
            if kept is None or kept[0] is not loaded:
                none = not any(
                    e.placement in (CUSTOMER_PLACEMENT, ALL_PLACEMENTS) for e in loaded.experiments
                )
                kept = self._no_arms = (loaded, none)
            if kept[1]:
                return snapshot
        return serving_snapshot(recommender, customer_id)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            match = PATH.match(environ.get("PATH_INFO", ""))
            if match:
                started = time.perf_counter()
                # PATH_INFO is decoded already: never unquote it again (one id, one key)
                customer_id = decoded_path(match[1])
                if customer_id:
                    answer = self._cached(environ, start_response, customer_id, started)
                    if answer is not None:
                        return answer
        return self.wsgi_app(environ, start_response)

    def _cached(
        self, environ: dict, start_response: StartResponse, customer_id: str, started: float
    ) -> Iterable[bytes] | None:
        app = self.app
        query = parse_query(environ.get("QUERY_STRING", ""))
        if not isinstance(query, CustomerQuery) or customer_id_problem(customer_id):
            return None  # Flask answers it, with the same parser's error
        if query.basket or query.product_sku:
            return None  # computed with them (review s4 R12), never a shared cached list
        keys = app.extensions.get("dosewise_keys")
        if keys and not allows(
            scopes_from_header(keys, environ.get("HTTP_AUTHORIZATION", "")), "recommend"
        ):
            return None
        recommender = app.extensions["dosewise"]
        recommender.reload_if_changed()
        counted, latency, log_hit, access_log = self._bind()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        policy = cache_policy(app)
        now = time.time()
        store = get_store(app)
        # a placement's list (issue 11) logs its own stored impression, naming the placement
        drawn = log_hit.sampled()
        logged = False
        # the customer's A/B arm's snapshot during an experiment (else the one in service): a
        # cached list is a hit only for the arm it was computed for (refresh.fresh_list)
        snapshot = self._serving_snapshot(recommender, customer_id)
        fingerprint = snapshot.fingerprint
        locale = query.locale
        local = local_hits(app)  # this process's copies, kept valid by Redis (or None)
        kept = local[0].get(customer_id) if local is not None else None
        try:
            if kept is not None:
                entry, cached = kept.entry, kept.cached
            else:
                hit = None
                if drawn and isinstance(store, RedisStore):
                    # the read and, when it is a hit, its impression: one round trip (no locale
                    # asked: the list's own, which is the customer's shop language, below)
                    hit = Hit(
                        fingerprint, now, policy.max_age, query.limit, locale or "", query.placement
                    )
                found = _read(local, store, customer_id, hit, log_hit, request_id)
                if found is None:
                    return None
                entry, cached, logged = found
            if locale is None:  # the customer's shop language, its list's (review 22 F3)
                locale = locales_for(entry["profile"])[0]
            # refresh.fresh_list with the fingerprint above (looked up once per request)
            if query.limit != cached.limit or not is_fresh(
                cached, fingerprint, entry["digest"], now, policy
            ):
                return None
            part = part_name(locale, query.placement)  # issue 11: a placement's list
            body, gzipped = None, False
            if accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
                body = cached.response_gzip(part)
                gzipped = body is not None
            if body is None:
                body = cached.response(part)
            if body is None:
                return None
        except (redis.RedisError, OSError, CorruptEntry):
            return None  # Flask answers it: 503, or a computed list and a count of the corrupt one
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Request-ID", request_id),
            ("Vary", "Accept-Encoding"),
        ]
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        start_response("200 OK", headers)
        seconds = time.perf_counter() - started
        counted.inc()
        latency.observe(seconds)
        if local is not None:
            self._reads[kept is None].inc()
        limit = query.limit

        def after() -> None:
            if access_log:
                access_line(ROUTE, "GET", 200, seconds, request_id)
            if drawn and kept is not None and local is not None:  # answered from memory
                stored = cached.stored_impression(part)
                if stored is not None:  # (as READ_AND_LOG: a list without one logs nothing)
                    local[1].add(customer_id, log_hit.head(request_id, customer_id), stored)
            elif drawn and not logged:  # a store without the one-round-trip read, or a cluster
                log_hit(cached, customer_id, limit, request_id, drawn=True, part=part)
            if snapshot.experiment is not None:  # an arm's list: its exposure (A/B)
                log_cached_exposure(app, customer_id, cached, locale, request_id)

        return _AfterSending(body, after)
