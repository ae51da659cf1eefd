"""POST /v1/recommendations in front of Flask (service/api/fast_post.py): the same answer, the
same errors, the same headers as the Flask view, for requests that are in order and for every
kind of request that is not (those are handed to Flask with their body as it was read)."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import Client

from bench.profiles import request_bodies
from service.api.app import create_app

KEY, OTHER = "k" * 20, "o" * 20


def _app(**config):
    return create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None, "CACHE_SIZE": 0, **config}
    )


def _flask_only(app) -> Client:
    """A client of Flask alone, without the fast paths in front."""
    behind = app.extensions["dosewise_flask_wsgi"]
    return Client(lambda environ, start: behind(environ, start))


def _post(client, data: bytes | str, content_type="application/json", **headers):
    return client.post(
        "/v1/recommendations",
        data=data,
        headers={"Content-Type": content_type, "X-Request-ID": "same-id", **headers},
    )


def _same(fast, slow) -> None:
    assert fast.status_code == slow.status_code
    assert fast.get_data() == slow.get_data()
    for name in ("Content-Type", "X-Request-ID", "WWW-Authenticate"):
        assert fast.headers.get(name) == slow.headers.get(name), name
    assert int(fast.headers["Content-Length"]) == len(fast.get_data())


@pytest.fixture(scope="module")
def app():
    return _app()


def test_answers_in_order_are_the_flask_views_byte_for_byte(app):
    skus = [p.sku for p in app.extensions["dosewise"].snapshot.catalog.products]
    bodies = request_bodies(40, skus, seed=5)
    bodies += [
        {"profile": {"age": 40, "goals": ["bones"]}, "placement": "home"},
        {"profile": {"age": 40}, "placement": "cart", "basket": [{"sku": skus[0]}]},
        {"profile": {"age": 33, "country": "DE"}, "limit": 2, "explain": True},
        {"profile": {"age": 61}, "customer_id": "c-1", "locale": "de"},
    ]
    fast, slow = app.test_client(), _flask_only(app)
    for body in bodies:
        raw = json.dumps(body)
        _same(_post(fast, raw), _post(slow, raw))
    assert _post(fast, json.dumps(bodies[0]), **{"X-Request-ID": ""}).headers["X-Request-ID"]


def test_the_fast_path_answers_without_the_flask_view(app, monkeypatch):
    def view(*args, **kwargs):
        raise AssertionError("the Flask view was called")

    monkeypatch.setitem(app.view_functions, "recommendations.recommendations", view)
    answer = _post(app.test_client(), json.dumps({"profile": {"age": 50, "goals": ["bones"]}}))
    assert answer.status_code == 200 and answer.get_json()["items"]
    assert answer.headers["X-Request-ID"] == "same-id"
    # latency counted under the route, as Flask counts it
    sample = app.extensions["dosewise_metrics"].request_seconds.labels(
        "/v1/recommendations", "POST", "200"
    )
    assert sample._sum.get() > 0  # noqa: SLF001


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"profile": {"age": 30}}', "text/plain"),  # 415
        ("", "application/json"),  # no body
        ('{"profile": {"age": 30}', "application/json"),  # malformed
        ('{"profile": {"age": 30}, "profile": {"age": 3}}', "application/json"),  # key twice
        ('{"profile": {"age": "thirty"}}', "application/json"),  # 422 from the schema
        ('{"profile": {"age": 30}, "limit": 0}', "application/json"),
        ('{"profile": {"age": 30}, "surprise": 1}', "application/json"),  # unknown field
        ('{"profile": {"age": 30}, "placement": "nowhere"}', "application/json"),  # core 422
        ('{"profile": {"age": 30, "current_supplements": [{"sku": "NOPE"}]}}', "application/json"),
        ('{"profile": {"age": 30, "name": "\\ud800"}}', "application/json"),  # lone surrogate
        ("[1, 2]", "application/json"),
        ('{"profile": {"age": 30}}', "application/vnd.dosewise+json"),  # Flask's JSON type
        ('{"profile": {"age": 30}}', "application/json; charset=utf-8"),
        ("[" * 5000 + "]" * 5000, "application/json"),  # nested too deeply
    ],
)
def test_what_is_not_in_order_gets_flasks_answer(app, data, content_type):
    _same(_post(app.test_client(), data, content_type), _post(_flask_only(app), data, content_type))


def test_too_large_and_chunked_bodies_get_flasks_answer():
    app = _app(MAX_CONTENT_LENGTH=200)
    big = json.dumps({"profile": {"age": 30, "goals": ["bones"] * 40}})
    fast = _post(app.test_client(), big)
    assert fast.status_code == 413
    _same(fast, _post(_flask_only(app), big))
    responses = [
        client.post(
            "/v1/recommendations",
            input_stream=io.BytesIO(b'{"profile": {"age": 30}}'),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        )
        for client in (app.test_client(), _flask_only(app))
    ]
    assert responses[0].status_code == responses[1].status_code
    assert responses[0].get_json() == responses[1].get_json()


def test_keys_and_scopes_as_in_flask():
    app = _app(API_KEYS={KEY: ["recommend"], OTHER: ["events"]})
    body = json.dumps({"profile": {"age": 30}})
    for headers in ({}, {"Authorization": f"Bearer {OTHER}"}, {"Authorization": "Bearer nope"}):
        fast = _post(app.test_client(), body, **headers)
        assert fast.status_code in (401, 403)
        _same(fast, _post(_flask_only(app), body, **headers))
    allowed = _post(app.test_client(), body, Authorization=f"Bearer {KEY}")
    assert allowed.status_code == 200
    _same(allowed, _post(_flask_only(app), body, Authorization=f"Bearer {KEY}"))


def test_a_known_customer_gets_its_impression_logged(app):
    from service.customers.redis_client import get_store

    store = get_store(app)
    body = json.dumps({"profile": {"age": 45, "goals": ["bones"]}, "customer_id": "imp-c"})
    for client in (app.test_client(), _flask_only(app)):
        assert _post(client, body).status_code == 200
    logged = [r for r in store._impressions if r.get("customer_id") == "imp-c"]  # noqa: SLF001
    assert len(logged) == 2 and logged[0]["request_id"] == "same-id"
    fast, slow = ({k: v for k, v in r.items() if k != "timestamp"} for r in logged)
    assert fast == slow and fast["items"]


def test_the_answer_cache_is_read_before_the_body_is_validated_again(monkeypatch):
    """A body whose bytes the answer cache holds was taken by the JSON reader and the schema
    when it was answered: the same bytes are answered from the cache without a second parse
    and validation, with the bytes a computed answer and Flask give."""
    app = _app(CACHE_SIZE=64)
    raw = json.dumps({"profile": {"age": 52, "goals": ["bones"]}, "limit": 4})
    first = _post(app.test_client(), raw)
    assert first.status_code == 200
    schema = app.wsgi_app.schema  # type: ignore[attr-defined]

    def refuse(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(schema, "load", refuse)
    again = _post(app.test_client(), raw)
    _same(again, first)
    cache = app.extensions["dosewise"].cache
    assert cache.hits == 1 and cache.misses == 1
    monkeypatch.undo()
    _same(again, _post(_flask_only(app), raw))
    # what the view does not answer from this cache is validated every time
    for other in (
        json.dumps({"profile": {"age": 52, "goals": ["bones"]}, "limit": 4, "customer_id": "c"}),
        json.dumps({"profile": {"age": 52, "goals": ["bones"]}, "placement": "home"}),
    ):
        calls = []
        monkeypatch.setattr(
            schema, "load", lambda data, load=schema.load, seen=calls: seen.append(1) or load(data)
        )
        for _ in range(2):
            assert _post(app.test_client(), other).status_code == 200
        assert len(calls) == 2, other
        monkeypatch.undo()
