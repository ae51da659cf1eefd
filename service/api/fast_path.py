"""The cache hit of `GET /v1/customers/{id}/recommendations`, answered in front of Flask.

This is the request the webshop makes on every page view. When the customer's precomputed list
is fresh and the request asks for the cached limit, the answer is the stored bytes: one Redis
round trip and no JSON parsing. This thin WSGI layer serves exactly that case, with the same
API-key check, request id, metrics and access log as the Flask app, and hands every other
request (a miss, a stale list, another limit or locale, a bad query, a missing key, Redis
trouble) to Flask unchanged, which then answers it in full.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
from flask import Flask

from ..core.vocabulary import LOCALES
from ..customers.refresh import is_fresh
from ..customers.store import CachedList
from .access import _scopes_for
from .redis_client import cache_policy, get_store

log = logging.getLogger("dosewise.api")

PATH = re.compile(r"^/v1/customers/([^/]{1,384})/recommendations$")
ROUTE = "/v1/customers/<string:customer_id>/recommendations"
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
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
                body = self._cached(environ, unquote(match[1]))
                if body is not None:
                    return self._answer(environ, start_response, body, started)
        return self.wsgi_app(environ, start_response)

    def _cached(self, environ: dict, customer_id: str) -> bytes | None:
        app = self.app
        query = parse_qs(environ.get("QUERY_STRING", ""))
        limit_text = query.get("limit", ["5"])[-1]
        locale = query.get("locale", ["nl"])[-1]
        if not limit_text.isdigit() or locale not in LOCALES or len(customer_id) > 128:
            return None
        if not self._authorised(environ):
            return None
        recommender = app.extensions["dosewise"]
        recommender.reload_if_changed()
        try:
            entry, raw = get_store(app).read(customer_id)
        except (redis.RedisError, OSError):
            return None
        if entry is None or raw is None:
            return None
        cached = CachedList.decode(raw)
        policy = cache_policy(app)
        if int(limit_text) != cached.limit or not is_fresh(
            cached, recommender.snapshot.fingerprint, entry["digest"], time.time(), policy
        ):
            return None
        return cached.response(locale)

    def _authorised(self, environ: dict) -> bool:
        keys = self.app.extensions.get("dosewise_keys")
        if not keys:
            return True
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        scopes = _scopes_for(keys, token) if token else None
        return scopes is not None and ("recommend" in scopes or "admin" in scopes)

    def _answer(
        self, environ: dict, start_response: StartResponse, body: bytes, started: float
    ) -> Iterable[bytes]:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("X-Request-ID", request_id),
            ],
        )
        metrics = self.app.extensions["dosewise_metrics"]
        seconds = time.perf_counter() - started
        metrics.request_seconds.labels(ROUTE, "GET", "200").observe(seconds)
        metrics.customer_lists.labels("cache").inc()
        if self.app.config.get("ACCESS_LOG", True):
            log.info(
                "request",
                extra={
                    "endpoint": ROUTE,
                    "method": "GET",
                    "status": 200,
                    "duration_ms": round(seconds * 1000, 3),
                    "request_id": request_id,
                },
            )
        return [body]
