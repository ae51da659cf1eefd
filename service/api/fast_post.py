"""`POST /v1/recommendations` answered in front of Flask when the request is in order.

The on-request list is the other hot request. Through Flask a POST spent about 1.2 ms of CPU
around the recommendation itself (measured on 2 loaded cores, bench/README.md): webargs' parse
(twice the cost of the schema's `load` alone), flask-smorest's wrappers, the request and
response objects, the hooks. This thin WSGI layer does what the Flask view and its hooks do,
with the same parts: the API key's scope, the request id, the body read within the size limit
and parsed with the app's strict JSON reader (a key given twice is refused), the lone-surrogate
check, the contract's schema instance, the A/B arm and its exposure and safety check, the
answer cache keyed by the raw body, the impression, the latency metric, orjson's bytes as
`jsonify` writes them and the access log (after the answer is sent).

It answers only the request that is in order. Everything else goes to Flask unchanged (the body
given back as it was read), which answers it in full with the contract's error: no or another
scope's key, a body that is not `application/json`, compressed (`Content-Encoding`), chunked,
empty or over the limit, JSON that does not parse, a lone surrogate, a validation error, or any
error while answering (an unknown placement or SKU is a 422 from the core, raised before
anything is logged).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from flask import Flask
from marshmallow import ValidationError
from werkzeug.http import parse_options_header

from service.experiments.safety import check_answer
from service.experiments.serving import for_app as experiment_server

from ..contract.base import content_coding, lone_surrogates, not_plain_utf8, utf8_charset
from ..customers.redis_client import impression_logger
from .access import allows, scopes_from_header
from .fast_path import _AfterSending
from .logs import access_line, current_request_id, request_id_from
from .placements import placement_answer

PATH = "/v1/recommendations"
StartResponse = Callable[..., Any]
log = logging.getLogger("dosewise.api")


class RecommendationFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]], schema: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.schema = schema  # the instance the Flask view validates with
        self._bound: tuple[Any, ...] | None = None

    def _bind(self) -> tuple[Any, ...]:
        """What every request uses, looked up once (on first use: tests change the config
        after the app is made)."""
        if self._bound is None:
            app = self.app
            metrics = app.extensions["dosewise_metrics"]
            self._bound = (
                metrics.request_seconds.labels(PATH, "POST", "200"),
                bool(app.config.get("ACCESS_LOG", True)),
                int(app.config.get("MAX_CONTENT_LENGTH") or 1024 * 1024),
                impression_logger(app),
            )
        return self._bound

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == PATH:
            answer = self._answer(environ, start_response)
            if answer is not None:
                return answer
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ: dict, start_response: StartResponse) -> Iterable[bytes] | None:
        started = time.perf_counter()
        app = self.app
        keys = app.extensions.get("dosewise_keys")
        if keys and not allows(
            scopes_from_header(keys, environ.get("HTTP_AUTHORIZATION", "")), "recommend"
        ):
            return None  # Flask answers 401 or 403
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return None
        if "HTTP_CONTENT_ENCODING" in environ and content_coding(environ["HTTP_CONTENT_ENCODING"]):
            return None  # 415: a compressed body (session 18 review F4)
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        if mimetype.lower() != "application/json" or not utf8_charset(options.get("charset")):
            return None  # 415 (and `+json` types, which Flask takes too)
        latency, access_log, limit, impressions = self._bind()
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or not 0 < int(length) <= limit:
            return None  # empty, unknown length or 413
        data = environ["wsgi.input"].read(int(length))
        recommender = app.extensions["dosewise"]
        recommender.reload_if_changed()
        answer = self._kept(environ, data, recommender)
        if answer is None:
            body = self._load(data)
            if body is None:
                environ["wsgi.input"] = io.BytesIO(data)  # Flask reads it again and says why
                return None
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        if answer is None:
            token = current_request_id.set(request_id)  # log lines name the request, as Flask
            try:
                answer = self._recommend(environ, body, data, request_id, impressions)
            except Exception:  # noqa: BLE001 - Flask answers it again, with the contract's error
                environ["wsgi.input"] = io.BytesIO(data)
                return None
            finally:
                current_request_id.reset(token)
        payload = app.json.dumps_bytes(answer) + b"\n"  # type: ignore[attr-defined]
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("X-Request-ID", request_id),
            ],
        )
        seconds = time.perf_counter() - started
        latency.observe(seconds)

        def after() -> None:
            if access_log:
                access_line(PATH, "POST", 200, seconds, request_id)

        return _AfterSending(payload, after)

    def _kept(self, environ: dict, data: bytes, recommender: Any) -> dict[str, Any] | None:
        """The answer cache's answer for exactly these bytes, looked up before they are parsed
        and validated again: the cache holds an answer under the raw body only once the strict
        JSON reader and the schema took those bytes (Recommender.recommend's `body_key`), so
        the same bytes are known to pass both. Only where the view would consult the cache:
        no `customer_id` (its impression is logged, so it is computed), no `placement` (its
        own cache and key), and no A/B arm for the session. The key is the one `recommend`
        builds: if that ever changes, this finds nothing and the request is validated and
        answered as before."""
        cache = recommender.cache
        if cache.size <= 0 or not data.startswith(b"{"):
            return None
        try:
            peek = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(peek, dict) or peek.get("customer_id") is not None:
            return None
        if peek.get("placement") is not None:
            return None
        day = recommender.clock()
        snapshot = recommender.snapshot
        session = environ.get("HTTP_X_SESSION_ID")
        if experiment_server(self.app).arm("recommendations", None, session, day, snapshot):
            return None
        key = f"{snapshot.fingerprint}:{day.isoformat()}:".encode() + data
        return cache.peek(key)  # a miss is counted once, by `recommend`

    def _load(self, data: bytes) -> Any:
        """The validated request, or None for anything Flask must refuse (same readers)."""
        if not_plain_utf8(data):  # a BOM, UTF-16 or UTF-32: Flask's hook says what to do
            return None
        try:
            parsed = self.app.json.loads(data)
        except (ValueError, RecursionError):
            return None
        if (b"\\u" in data or b"\\U" in data or not data.isascii()) and lone_surrogates(parsed):
            return None
        try:
            return self.schema.load(parsed)
        except (ValidationError, RecursionError):
            return None

    def _recommend(
        self, environ: dict, body: Any, data: bytes, request_id: str, impressions: Any
    ) -> dict[str, Any]:
        """What the Flask view does (service/api/recommendations.py)."""
        app = self.app
        session = environ.get("HTTP_X_SESSION_ID")
        if body.placement is not None:
            return placement_answer(app, body, request_id, session)
        customer_id = body.customer_id
        recommender = app.extensions["dosewise"]
        experiments = experiment_server(app)
        arm = experiments.arm(
            "recommendations", customer_id, session, recommender.clock(), recommender.snapshot
        )
        answer = recommender.recommend(
            body,
            impressions=impressions if customer_id is not None else None,
            request_id=request_id,
            arm=arm.snapshot_for if arm else None,
            body_key=data,
        )
        if arm is not None:
            skus = [item["sku"] for item in answer["items"]]
            experiments.log_exposure(arm, customer_id, request_id, skus, "recommendations")
            check_answer(experiments, recommender, body, answer)
        return answer
