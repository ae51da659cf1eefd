"""The cache hit of `GET /v1/customers/{id}/recommendations`, answered in front of Flask.

This is the request the webshop makes on every page view. When the customer's precomputed list
is fresh and the request asks for the cached limit, the answer is the stored bytes: one Redis
round trip and no JSON parsing. This thin WSGI layer serves exactly that case with the same
mechanisms as the Flask app (key check, request id, cache decision, metrics, access log) and
hands every other request (a miss, a stale list, another limit or locale, a bad query, a
missing key, Redis trouble) to Flask unchanged, which then answers it in full.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
from flask import Flask

from ..customers.redis_client import cache_policy, get_store
from ..customers.refresh import fresh_list
from ..customers.store import CorruptEntry
from .access import allows, scopes_from_header
from .customer_request import CustomerQuery, decoded_path, parse_query
from .logs import record_request, request_id_from

PATH = re.compile(r"^/v1/customers/([^/]{1,384})/recommendations$")
ROUTE = "/v1/customers/<string:customer_id>/recommendations"
StartResponse = Callable[..., Any]


class CachedListFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            match = PATH.match(environ.get("PATH_INFO", ""))
            if match:
                started = time.perf_counter()
                # PATH_INFO is decoded already: never unquote it again (one id, one key)
                customer_id = decoded_path(match[1])
                body = self._cached(environ, customer_id) if customer_id else None
                if body is not None:
                    return self._answer(environ, start_response, body, started)
        return self.wsgi_app(environ, start_response)

    def _cached(self, environ: dict, customer_id: str) -> bytes | None:
        app = self.app
        query = parse_query(environ.get("QUERY_STRING", ""))
        if not isinstance(query, CustomerQuery) or len(customer_id) > 128:
            return None  # Flask answers it, with the same parser's error
        keys = app.extensions.get("dosewise_keys")
        if keys and not allows(
            scopes_from_header(keys, environ.get("HTTP_AUTHORIZATION", "")), "recommend"
        ):
            return None
        recommender = app.extensions["dosewise"]
        recommender.reload_if_changed()
        try:
            entry, raw = get_store(app).read(customer_id)
            cached = fresh_list(recommender, entry, raw, cache_policy(app))
            if cached is None or query.limit != cached.limit:
                return None
            return cached.response(query.locale)
        except (redis.RedisError, OSError, CorruptEntry):
            return None  # Flask answers it: 503, or a computed list and a count of the corrupt one

    def _answer(
        self, environ: dict, start_response: StartResponse, body: bytes, started: float
    ) -> Iterable[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("X-Request-ID", request_id),
            ],
        )
        metrics = self.app.extensions["dosewise_metrics"]
        metrics.customer_lists.labels("cache").inc()
        record_request(
            metrics,
            bool(self.app.config.get("ACCESS_LOG", True)),
            ROUTE,
            "GET",
            200,
            time.perf_counter() - started,
            request_id,
        )
        return [body]
