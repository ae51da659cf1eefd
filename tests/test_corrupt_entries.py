"""A stored value that does not decode is a miss, never a 500 (issue 15, point 4).

Regression: a corrupted `dw:recs:{id}` answered gunicorn's HTML 500 (no request id, no metric)
on every GET, a PUT did not heal it, and in a batch refresh it failed the whole chunk, leaving
the other 999 customers of that chunk stale.
"""

from __future__ import annotations

import json
import logging
import zlib

import pytest
import redis as redis_lib
from werkzeug.test import Client

from service.api.app import create_app
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import CachedList

CORRUPTIONS = {
    "garbage": b"\xff\xfe not a cached list",
    "empty": b"",
    "meta-only": b'{"fingerprint": "x"}',
    "bad-meta-types": b'{"fingerprint":1,"profile_digest":2,"computed_at":"a","limit":"b"}\nzz',
    "truncated-payload": None,  # filled in from a real entry
    "bad-zlib": None,
}


@pytest.fixture()
def stored(redis_url):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    store = get_store(app)
    recommender = app.extensions["dosewise"]

    def precompute(customer_id: str, profile: dict) -> bytes:
        store.put_profile(customer_id, profile)
        refresh_chunk(recommender, store, [customer_id], cache_policy(app))
        raw = redis_lib.Redis.from_url(redis_url).get(f"dw:recs:{customer_id}")
        assert raw is not None
        return raw

    yield {
        "app": app,
        "full": app.test_client(),
        "flask": Client(app.extensions["dosewise_flask_wsgi"]),  # Flask alone, no fast path
        "precompute": precompute,
        "redis": redis_lib.Redis.from_url(redis_url),
        "store": store,
    }


def _corrupt_variants(good: bytes) -> dict[str, bytes]:
    head, _, payload = good.partition(b"\n")
    payload_head, _, parts = payload.partition(b"\n")
    variants = {k: v for k, v in CORRUPTIONS.items() if v is not None}
    variants["truncated-payload"] = good[: len(good) - 7]
    variants["bad-zlib"] = head + b"\n" + payload_head + b"\n" + b"\x00" * len(parts)
    return variants


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_corrupt_cached_list_is_a_computed_answer_a_metric_and_a_log_line(stored):
    good = stored["precompute"]("corrupt-1", {"age": 61, "medications": ["vitamin_k_antagonist"]})
    handler = Lines()
    logging.getLogger("dosewise").addHandler(handler)
    try:
        for name, bad in _corrupt_variants(good).items():
            for via in ("full", "flask"):
                stored["redis"].set("dw:recs:corrupt-1", bad)
                answer = stored[via].get(
                    "/v1/customers/corrupt-1/recommendations",
                    headers={"X-Request-ID": f"rid-{name}-{via}"},
                )
                assert answer.status_code == 200, (name, via, answer.data[:200])
                body = answer.get_json()
                assert body["source"] == "computed", (name, via)
                assert not any(
                    i["nutrients_per_day"].get(k, 0) > 0
                    for i in body["items"]
                    for k in ("vitamin_k1_ug", "vitamin_k2_ug")
                )
                logged = [r for r in handler.records if getattr(r, "request_id", None)]
                assert any(r.request_id == f"rid-{name}-{via}" for r in logged), (name, via)
    finally:
        logging.getLogger("dosewise").removeHandler(handler)
    metrics = stored["full"].get("/metrics").get_data(as_text=True)
    expected = 2 * len(_corrupt_variants(good))
    assert f'dosewise_corrupt_entries_total{{family="recs"}} {float(expected)}' in metrics


def test_the_next_refresh_heals_a_corrupt_list(stored):
    stored["precompute"]("corrupt-2", {"age": 45})
    stored["redis"].set("dw:recs:corrupt-2", b"\x00garbage")
    app, store = stored["app"], stored["store"]
    counts = refresh_chunk(app.extensions["dosewise"], store, ["corrupt-2"], cache_policy(app))
    assert counts["corrupt"] == 1 and counts["computed"] + counts["skipped"] <= 1
    healed = CachedList.decode(stored["redis"].get("dw:recs:corrupt-2"))
    assert healed.response("nl") is not None
    answer = stored["full"].get("/v1/customers/corrupt-2/recommendations").get_json()
    assert answer["source"] == "cache"


def test_a_corrupt_entry_does_not_fail_the_rest_of_a_refresh_chunk(stored):
    app, store, r = stored["app"], stored["store"], stored["redis"]
    ids = [f"chunk-{i}" for i in range(20)]
    for i, customer_id in enumerate(ids):
        store.put_profile(customer_id, {"age": 20 + i})
    r.set("dw:recs:chunk-3", b"garbage")
    r.set("dw:recs:chunk-4", zlib.compress(b"{}"))
    r.set("dw:profile:chunk-5", b"{not json")
    counts = refresh_chunk(app.extensions["dosewise"], store, ids, cache_policy(app))
    assert counts["done"] == 20 and counts["corrupt"] == 3
    for customer_id in ids:
        if customer_id == "chunk-5":
            continue
        cached = CachedList.decode(r.get(f"dw:recs:{customer_id}"))
        assert cached.response("nl") is not None, customer_id


def test_a_corrupt_profile_is_a_503_that_a_put_heals(stored):
    stored["precompute"]("corrupt-3", {"age": 33})
    stored["redis"].set("dw:profile:corrupt-3", b'{"profile": 7}')
    for via in ("full", "flask"):
        answer = stored[via].get("/v1/customers/corrupt-3/recommendations")
        assert answer.status_code == 503, (via, answer.data[:200])
        assert answer.get_json()["error"]["code"] == "unavailable"
    assert stored["full"].put("/v1/customers/corrupt-3", json={"age": 33}).status_code == 200
    answer = stored["full"].get("/v1/customers/corrupt-3/recommendations")
    assert answer.status_code == 200
    assert json.loads(stored["redis"].get("dw:profile:corrupt-3"))["profile"]["age"] == 33
    metrics = stored["full"].get("/metrics").get_data(as_text=True)
    assert 'dosewise_corrupt_entries_total{family="profile"} 2.0' in metrics
