"""The Flask app factory: defaults, then DOSEWISE_* environment, then test overrides."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import orjson
from flask import Flask, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.sansio.response import Response

from ..contract.base import content_coding, lone_surrogates, not_plain_utf8, utf8_charset
from ..core.recommender import Recommender
from ..experiments.serving import for_app as experiment_server
from ..factory import build, read_config
from ..logs import configure_logging
from .access import init_access
from .customer_request import check_customer_id, decoded_path, slashed_customer_id
from .errors import ContractApi, error_response, register_error_handlers
from .fast_path import CachedListFastPath
from .fast_post import RecommendationFastPath
from .logs import record_request, request_id_from
from .metrics import Metrics

log = logging.getLogger("dosewise.api")

BODY_METHODS = {"POST", "PUT", "PATCH"}
# POST endpoints whose body is optional: an empty body is fine, a non-JSON one is still 415
OPTIONAL_BODY = {"operations.reload", "operations.start_refresh", "refills.start_refill_run"}


class _Map(Map):
    """Werkzeug's map without `merge_slashes`: `/v1//products` was a 308 HTML redirect whose
    Location came from the client's Host header, and `/v1/customers//recommendations` a 405
    (review s31b H6). Such a path is no route: 404 `not_found` (see `_start` for a leading
    `//`, which Werkzeug's matcher strips whatever this says)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("merge_slashes", False)
        super().__init__(*args, **kwargs)


EMPTY_SEGMENT = "a path with an empty segment ('//') names no resource: remove the extra '/'"


class _Flask(Flask):
    url_map_class = _Map  # every rule, the static one Flask adds at once too

    def make_default_options_response(self):  # type: ignore[no-untyped-def]
        """OPTIONS: 204 with the Allow header, no body (Flask's default is an empty text/html
        200; review 19 F10)."""
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def create_app(test_config: dict | None = None) -> Flask:
    app = _Flask("dosewise")
    app.config.update(read_config(test_config))
    app.config.update(
        API_TITLE="dosewise",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.json = StrictJSONProvider(app)
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    # the parts the workers and the CLI build alike, kept in this app's config and extensions
    components = build(app.config, app.extensions)
    app.extensions["dosewise_components"] = components
    recommender = components.recommender
    metrics = Metrics()
    app.extensions["dosewise_metrics"] = metrics
    experiment_server(app)  # A/B tests: safety checks of arm lists counted in the metrics

    if app.config.get("JSON_LOGS", True):
        configure_logging(str(app.config.get("LOG_LEVEL", "INFO")))
    init_access(app)
    api = ContractApi(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    app.extensions["dosewise_api"] = api
    register_error_handlers(app)
    _register_hooks(app, recommender, metrics)

    from workers.celery_app import celery_init_app

    from . import (
        customers,
        events,
        operations,
        placements,
        preview,
        products,
        recommendations,
        refills,
    )

    celery_init_app(components)  # also: changed data starts a batch refresh
    # Flask alone, without the fast paths in front (tests compare both answers byte for byte)
    app.extensions["dosewise_flask_wsgi"] = app.wsgi_app
    app.wsgi_app = CachedListFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    # the on-request list, in order, in front of Flask with the view's own schema instance
    app.wsgi_app = RecommendationFastPath(  # type: ignore[method-assign]
        app, app.wsgi_app, recommendations.REQUEST_SCHEMA
    )
    api.register_blueprint(recommendations.blp)
    api.register_blueprint(products.blp)
    api.register_blueprint(customers.blp)
    api.register_blueprint(events.blp)
    api.register_blueprint(operations.blp)
    api.register_blueprint(preview.blp)
    api.register_blueprint(placements.blp)  # issue 11
    api.register_blueprint(refills.blp)
    return app


class StrictJSONProvider(DefaultJSONProvider):
    """Request bodies with a key given twice are refused (400): `{"age": 30, "age": 3}` does not
    say which profile the caller meant, and the last one must not win silently. So are `NaN`,
    `Infinity` and `-Infinity`, which Python's reader takes but are not JSON (RFC 8259), and an
    integer past Python's digit limit is told so without naming the server's settings (review
    22 F12). The POST fast path parses with this too, so both answer alike."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("object_pairs_hook", _without_duplicates)
        kwargs.setdefault("parse_constant", _not_a_json_number)
        kwargs.setdefault("parse_int", _json_int)
        return super().loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """`jsonify`: with orjson (a computed list's answer about 12x faster than json), the
        same bytes as the compact json.dumps with this provider's settings. Anything orjson
        would write otherwise goes through json: sorted or ASCII-escaped output, indented
        debug output, and values orjson refuses (numpy scalars, non-string keys; dates and
        dataclasses are given to Flask's `default` as json does). A NaN, which json writes as
        the invalid token NaN, would be null: no answer of the contract holds one."""
        debug_indent = (self.compact is None and self._app.debug) or self.compact is False
        if self.sort_keys or self.ensure_ascii or debug_indent:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            data = orjson.dumps(obj, default=self.default, option=_PASSTHROUGH)
        except TypeError:
            return super().response(*args, **kwargs)
        response_class: Any = self._app.response_class
        return response_class(data + b"\n", mimetype=self.mimetype)

    def dumps_bytes(self, obj: Any) -> bytes:
        """The body `jsonify(obj)` sends, without the trailing newline and the Response
        object (the POST fast path's answer)."""
        debug_indent = (self.compact is None and self._app.debug) or self.compact is False
        if not (self.sort_keys or self.ensure_ascii or debug_indent):
            try:
                return orjson.dumps(obj, default=self.default, option=_PASSTHROUGH)
            except TypeError:
                pass
        return super().response(obj).get_data().removesuffix(b"\n")


# types orjson would write its own way go to Flask's `default`, as with json (RFC 822 dates)
_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_a_json_number(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or infinity): send a number")


def _json_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # the only integer text the reader gives that int() refuses: too long
        digits, most = len(text.lstrip("-")), sys.get_int_max_str_digits()
        raise ValueError(f"a number with too many digits ({digits}, at most {most})") from None


def _without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise ValueError(f"duplicate key {name!r} in a JSON object")
        out[name] = value
    return out


def _register_hooks(app: Flask, recommender: Recommender, metrics: Metrics) -> None:
    access_log = bool(app.config.get("ACCESS_LOG", True))

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        recommender.reload_if_changed()
        if "//" in request.environ.get("PATH_INFO", ""):
            # review s31b H6: 404 wherever the empty segment is; Werkzeug matched `//v1/...`
            # as `/v1/...` (its matcher strips leading slashes), and neither fast path answers
            # such a path (each matches `/v1/` exactly), so every `//` answers alike
            request.url_rule = None  # counted as "unmatched", as any path that is no route
            raise NotFound(EMPTY_SEGMENT)
        if decoded_path(request.environ.get("PATH_INFO", "")) is None:
            # werkzeug would replace the bytes with U+FFFD, so `a%FE` and `a%FF` would be one id
            return error_response(
                400, "malformed_path", "the request path is not valid UTF-8 (percent-encoded)"
            )
        if request.routing_exception is not None and (
            slashed := slashed_customer_id(request.environ)
        ):
            # 422 "no '/'" for `a%2Fb`, not the router's 404 (review s33b F5); an erasure
            # says where such an id's data is (README: no path reaches it)
            check_customer_id(slashed, slashed=request.method == "DELETE")
        if request.method in BODY_METHODS and request.routing_exception is None:
            return _check_json_body()
        return None

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started")
        if started is not None:
            record_request(
                metrics,
                access_log,
                endpoint,
                request.method,
                response.status_code,
                time.perf_counter() - started,
            )
        return response


def _check_json_body():
    """415 for a body that is not JSON or is compressed, 400 for JSON that does not parse, 413
    when too large.

    A chunked body (no Content-Length) is read here, within the size limit: malformed chunk
    framing is the client's error (400), never a 500, and an endpoint whose body is optional
    still refuses a chunked body that is not JSON."""
    chunked = "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    optional = request.endpoint in OPTIONAL_BODY
    if optional and not request.content_length and not chunked:
        return None
    coding = content_coding(request.headers.get("Content-Encoding", ""))
    if coding is not None and (request.content_length or chunked):
        response = error_response(
            415,
            "unsupported_media_type",
            "compressed request bodies are not accepted; send the JSON uncompressed "
            f"(Content-Encoding: {coding})",
        )
        response.headers["Accept-Encoding"] = "identity"  # RFC 7694: the codings taken
        return response
    if not request.is_json:
        return error_response(415, "unsupported_media_type", "send the body as application/json")
    charset = request.mimetype_params.get("charset")
    if not utf8_charset(charset):  # review s27 F5: was read as UTF-8 whatever it declared
        message = f"send the body as application/json in UTF-8, not charset={charset}"
        return error_response(415, "unsupported_media_type", message)
    if chunked:
        refused = _read_chunked_body()
        if refused is not None:
            return refused
        if optional and not request.get_data(cache=True):
            return None
    data = request.get_data(cache=True)  # a body over the limit raises 413, handled
    # review s5 S11: a byte order mark, UTF-16 or UTF-32 (two byte compares per body)
    if not_plain_utf8(data):
        encoding = json.detect_encoding(data[:4])
        if encoding == "utf-8-sig":  # RFC 8259 8.1: a parser may ignore a UTF-8 BOM
            data = request._cached_data = data[3:]  # what the schemas read too
        elif encoding != "utf-8":
            message = f"the body is not valid JSON: JSON text must be UTF-8, not {encoding}"
            return error_response(400, "malformed_json", message)
    try:
        body = current_app.json.loads(data)
    except RecursionError:
        return error_response(400, "malformed_json", "the body is nested too deeply")
    except ValueError as exc:  # not JSON, not UTF-8, or a key given twice
        return error_response(400, "malformed_json", f"the body is not valid JSON: {exc}")
    # R1: a lone surrogate comes from a `\ud800` escape, or from bytes that the JSON reader
    # decodes with `surrogatepass` (UTF-8 ED A0 80, UTF-16): an ASCII body without an escape
    # has none, and skips the walk
    if b"\\u" in data or b"\\U" in data or not data.isascii():
        wrong = lone_surrogates(body)
        if wrong:
            return error_response(
                422, "validation_failed", "the request fails validation; see fields", wrong
            )
    request._cached_json = (body, body)  # what get_json() returns from now on
    return None


def _read_chunked_body():
    """Read a chunked body into the request (as Flask's own cache), or the error to answer."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"] or 1024 * 1024)
    stream = request.environ["wsgi.input"]
    parts, size = [], 0
    try:
        while size <= limit:
            part = stream.read(min(65536, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    except Exception:  # noqa: BLE001 - the server's chunk parser: bad framing, early EOF
        log.info("a chunked body could not be read", exc_info=True)
        return error_response(
            400, "malformed_body", "the chunked body is malformed (chunk sizes or terminators)"
        )
    if size > limit:
        return error_response(413, "body_too_large", f"the body is larger than {limit} bytes", {})
    request._cached_data = b"".join(parts)  # what get_data() returns from now on
    return None


API_DESCRIPTION = """Safe, explained supplement recommendations.

Every response keeps the contract's safety guarantees: upper limits across current supplements,
basket and each item; vitamin K antagonists; diet; allergies; age and life stage;
contraindications; and authorised health-claim wording only."""
