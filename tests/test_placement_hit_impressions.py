"""A placement's cached list answered through Flask with a smaller `limit` logs the items it
shows (issue 11), on a real Redis, as the full-length hit (the fast path, in the read's round
trip) and the plain list's smaller limit (tests/test_cached_impressions.py) already did: the
placement's stored impression part, cut to the items shown, naming the placement."""

from __future__ import annotations

import pytest

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import stream_record

from .conftest import redis_app

# a home list whose notices name no items (session 22: the placements say `not_together`
# too, and a cut of a list with it is computed anew, as the plain list's since session 21)
PROFILE = {"age": 45, "sex": "female", "goals": ["energy"], "country": "NL"}


@pytest.fixture()
def app_and_store(redis_url):
    app = redis_app(redis_url)
    store = get_store(app)
    store.client.flushdb()
    store.put_profile("place-2", PROFILE)
    refresh_chunk(app.extensions["dosewise"], store, ["place-2"], cache_policy(app))
    return app, store


def _logged(store) -> list[dict]:
    return [stream_record(f) for _, f in store.client.xrange("dw:impressions")]


def test_a_shorter_placement_hit_logs_the_items_it_shows(app_and_store):
    app, store = app_and_store
    client = app.test_client()
    full = client.get("/v1/customers/place-2/recommendations?placement=home", buffered=True)
    assert full.get_json()["source"] == "cache"
    [whole] = _logged(store)
    assert whole["placement"] == "home" and len(whole["items"]) > 2
    answer = client.get(
        "/v1/customers/place-2/recommendations?placement=home&limit=2",
        headers={"X-Request-ID": "short-3"},
        buffered=True,
    )
    body = answer.get_json()
    assert body["source"] == "cache" and body["placement"] == "home"
    assert len(body["items"]) == 2
    records = _logged(store)
    assert len(records) == 2, "the shorter hit logged no impression"
    record = records[-1]
    assert record["request_id"] == "short-3" and record["customer_id"] == "place-2"
    assert record["placement"] == "home"
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in body["items"]]
    assert [i["position"] for i in record["items"]] == [1, 2]
    # the same items, with the same features, as the full-length hit's first two
    assert record["items"] == whole["items"][:2]
    assert {k for k in record} == {k for k in whole}
    # the plain list's shorter hit still logs the plain list, without a placement
    client.get("/v1/customers/place-2/recommendations?limit=2", buffered=True)
    plain = _logged(store)[-1]
    assert "placement" not in plain and len(plain["items"]) == 2
