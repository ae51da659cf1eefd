"""Impressions of lists served from the cache (issue 12, point 1), on a real Redis.

Before, only computed lists were logged: the precomputed list, which known customers see on
every page view, never reached training. A cached entry now carries the impression record of
its list (features computed with it) and a hit logs it with the request's id, the customer's
id and the time: through the fast path, through Flask (a smaller limit), or a share of hits
(IMPRESSION_SAMPLE). Erasure finds the logged entries.
"""

from __future__ import annotations

import gzip
import json

import pytest
import redis as redis_lib

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import CachedList, stream_record

from .conftest import redis_app

PROFILE = {"age": 66, "goals": ["bones"], "country": "NL"}


@pytest.fixture()
def served(redis_url):
    def make(**config):
        app = redis_app(redis_url, **config)
        store = get_store(app)
        store.client.flushdb()
        return app, store

    yield make


def _stored(app, store, customer_id: str, profile: dict = PROFILE) -> None:
    store.put_profile(customer_id, profile)
    refresh_chunk(app.extensions["dosewise"], store, [customer_id], cache_policy(app))


def _logged(store) -> list[dict]:
    return [stream_record(f) for _, f in store.client.xrange("dw:impressions")]


def test_a_cache_hit_logs_the_list_shown_with_its_features(served):
    app, store = served()
    _stored(app, store, "hit-1")
    assert _logged(store) == []  # a refresh shows nothing to anyone
    # buffered: the fast path logs once the answer is sent, in the response's close()
    answer = app.test_client().get(
        "/v1/customers/hit-1/recommendations",
        headers={"X-Request-ID": "page-9"},
        buffered=True,
    )
    body = answer.get_json()
    assert body["source"] == "cache" and body["items"]
    [record] = _logged(store)
    assert record["request_id"] == "page-9" and record["customer_id"] == "hit-1"
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in body["items"]]
    assert [i["position"] for i in record["items"]] == list(range(1, len(body["items"]) + 1))
    assert all(len(i["features"]) > 10 for i in record["items"])
    assert record["model_version"] == body["versions"]["model"]
    assert record["features_version"] and record["timestamp"].endswith("+00:00")
    # logged in the read's round trip: the stored impression part goes into the stream as it is
    [(_, fields)] = store.client.xrange("dw:impressions")
    assert set(fields) == {b"data", b"imp"}
    # the same record a computed list logs: same features for the same list
    computed = app.test_client().post(
        "/v1/recommendations", json={"profile": PROFILE, "customer_id": "hit-1"}
    )
    assert computed.status_code == 200
    live = _logged(store)[-1]
    assert live["items"] == record["items"]
    assert {k for k in live} == {k for k in record}
    # the export (training's input) reads both entries whole
    exported = [r for batch in store.export_stream("dw:impressions") for r in batch]
    assert exported == [record, live]
    store.client.xadd("dw:impressions", {"data": json.dumps(record)})
    store.client.zadd("dw:impressions:hit-1", {store.client.xrange("dw:impressions")[-1][0]: 1})
    # erasure finds the hit's entry through the customer's index
    assert store.delete("hit-1")
    assert all(r["customer_id"] != "hit-1" for r in _logged(store))


# a list whose notices name no items (session 21: a cut of one with `not_together`, which
# names them, is computed anew)
CUT = {"age": 45, "sex": "female", "country": "NL", "goals": ["energy"]}


def test_a_smaller_limit_through_flask_logs_the_items_it_shows(served):
    app, store = served()
    _stored(app, store, "hit-2", CUT)
    answer = app.test_client().get("/v1/customers/hit-2/recommendations?limit=2")
    body = answer.get_json()
    assert body["source"] == "cache" and len(body["items"]) == 2
    [record] = _logged(store)
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in body["items"]]


def test_a_sample_of_hits_is_logged_when_configured(served):
    app, store = served(IMPRESSION_SAMPLE=0.25)
    _stored(app, store, "hit-3")
    client = app.test_client()
    for _ in range(400):
        assert client.get("/v1/customers/hit-3/recommendations", buffered=True).status_code == 200
    logged = len(_logged(store))
    assert 50 <= logged <= 150, logged  # 100 expected; 6 standard deviations either side
    app, store = served(IMPRESSION_SAMPLE=0)
    _stored(app, store, "hit-4")
    app.test_client().get("/v1/customers/hit-4/recommendations", buffered=True)
    assert _logged(store) == []


def test_gzip_is_sent_as_stored_and_decodes_to_the_same_bytes(served):
    app, store = served()
    _stored(app, store, "gz-1")
    client = app.test_client()
    plain = client.get("/v1/customers/gz-1/recommendations")
    packed = client.get(
        "/v1/customers/gz-1/recommendations", headers={"Accept-Encoding": "br, gzip;q=0.8"}
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    refused = client.get(
        "/v1/customers/gz-1/recommendations", headers={"Accept-Encoding": "gzip;q=0"}
    )
    assert "Content-Encoding" not in refused.headers
    assert refused.get_data() == plain.get_data()


def test_an_entry_written_before_impressions_still_serves(served):
    """Lists cached by the previous version (zlib parts, no impression part) are answered
    from the cache, and logged nothing rather than something made up."""
    import zlib

    app, store = served()
    _stored(app, store, "old-1")
    raw = store.client.get("dw:recs:old-1")
    cached = CachedList.decode(raw)
    body = cached.response("nl")
    part = zlib.compress(body, 1)
    payload = json.dumps({"locales": {"nl": len(part)}}).encode() + b"\n" + part
    meta, _, _ = raw.partition(b"\n")
    store.client.set("dw:recs:old-1", meta + b"\n" + payload)
    answer = app.test_client().get("/v1/customers/old-1/recommendations", buffered=True)
    assert answer.get_data() == body
    packed = app.test_client().get(
        "/v1/customers/old-1/recommendations", headers={"Accept-Encoding": "gzip"}
    )
    assert "Content-Encoding" not in packed.headers and packed.get_data() == body
    assert _logged(store) == []


def test_redis_refusing_the_impression_does_not_fail_the_answer(served, redis_url):
    app, store = served()
    _stored(app, store, "hit-5")
    # an older store's index of another type: converted, then written
    store.client.rpush("dw:impressions:hit-5", "1-1")
    answer = app.test_client().get("/v1/customers/hit-5/recommendations", buffered=True)
    assert answer.status_code == 200
    assert store.client.type("dw:impressions:hit-5") == b"zset"
    assert len(_logged(store)) == 1
    # the stream itself is of the wrong type: the answer still goes out
    store.client.delete("dw:impressions")
    store.client.set("dw:impressions", b"not a stream")
    answer = app.test_client().get("/v1/customers/hit-5/recommendations", buffered=True)
    assert answer.status_code == 200 and answer.get_json()["source"] == "cache"
    redis_lib.Redis.from_url(redis_url).delete("dw:impressions")


def test_a_placement_cache_hit_logs_its_impression_naming_the_placement(served):
    """Issue 11: `?placement=home` answered from the cache logged nothing (the stored
    impression was the plain list's). It logs the placement's list now, in the read's round
    trip, with the placement named: the record a computed placement request logs."""
    app, store = served()
    _stored(app, store, "place-1")
    answer = app.test_client().get(
        "/v1/customers/place-1/recommendations?placement=home",
        headers={"X-Request-ID": "home-7"},
        buffered=True,
    )
    body = answer.get_json()
    assert body["source"] == "cache" and body["placement"] == "home" and body["items"]
    [record] = _logged(store)
    assert record["request_id"] == "home-7" and record["customer_id"] == "place-1"
    assert record["placement"] == "home"
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in body["items"]]
    assert [i["position"] for i in record["items"]] == list(range(1, len(body["items"]) + 1))
    [(_, fields)] = store.client.xrange("dw:impressions")
    assert set(fields) == {b"data", b"imp"}  # one round trip: the stored part as it is
    # the same record the computed placement logs for this customer
    computed = app.test_client().post(
        "/v1/recommendations",
        json={"profile": PROFILE, "customer_id": "place-1", "placement": "home"},
    )
    assert computed.status_code == 200
    live = _logged(store)[-1]
    assert live["placement"] == "home" and live["items"] == record["items"]
    assert {k for k in live} == {k for k in record}
    # the plain list's hit still logs the plain list, without a placement
    app.test_client().get("/v1/customers/place-1/recommendations", buffered=True)
    plain = _logged(store)[-1]
    assert "placement" not in plain and plain["items"]


@pytest.mark.parametrize(
    "query",
    ["", "?locale=en", "?limit=2", "?placement=email", "?placement=cart&basket=XF-D3K2-TAB"],
)
def test_a_head_of_a_customer_list_logs_no_impression(served, query):
    """Review s34b F5: a HEAD shows no list, yet it logged an impression as a GET does (a
    monitor's HEAD every minute: 1,440 "shown, not clicked" a day into the training data)."""
    app, store = served(LOCAL_HITS=0)
    _stored(app, store, "head-1")
    client = app.test_client()
    for _ in range(3):
        head = client.head(f"/v1/customers/head-1/recommendations{query}", buffered=True)
        assert head.status_code == 200 and head.get_data() == b""
    assert _logged(store) == []
    client.get(f"/v1/customers/head-1/recommendations{query}", buffered=True)
    assert len(_logged(store)) == 1  # a GET still logs what it shows
