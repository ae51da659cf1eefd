"""Session 21, on a real Redis: the hostile tester's findings about stored customers."""

from __future__ import annotations

import pytest

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

from .conftest import redis_app

# a list shorter than its limit: the 70+ advice's two vitamin D products (session 20)
SHORT = {"age": 75, "sex": "female", "country": "NL", "medications": ["thiazide_diuretic"]}


@pytest.fixture()
def served(redis_url):
    app = redis_app(redis_url)
    store = get_store(app)
    store.client.flushdb()
    return app, store


@pytest.mark.parametrize("placement", [None, "home"])
def test_a_cached_list_cut_to_a_smaller_limit_says_what_a_request_with_it_says(served, placement):
    """Review 21 L1: a cached list with fewer items than its limit says `short_list`; a GET
    with a smaller limit got its first items from the cache with "the list is shorter than you
    asked for", which a POST with that limit does not say (the docs' example customer, limit
    3). The contract promises the POST's body."""
    app, store = served
    client = app.test_client()
    store.put_profile("s21-short", SHORT)
    refresh_chunk(app.extensions["dosewise"], store, ["s21-short"], cache_policy(app))
    query = "locale=nl" + (f"&placement={placement}" if placement else "")
    full = client.get(f"/v1/customers/s21-short/recommendations?{query}").get_json()
    assert full["source"] == "cache"
    count = len(full["items"])
    assert count >= 2
    assert "short_list" in {n["code"] for n in full["notices"]}
    cut = client.get(f"/v1/customers/s21-short/recommendations?{query}&limit={count - 1}")
    body = cut.get_json()
    assert body["source"] == "cache" and len(body["items"]) == count - 1
    posted = {"profile": SHORT, "limit": count - 1, "locale": "nl"}
    if placement:
        posted["placement"] = placement
    answer = client.post("/v1/recommendations", json=posted).get_json()
    assert [n["code"] for n in body["notices"]] == [n["code"] for n in answer["notices"]]
    assert [i["sku"] for i in body["items"]] == [i["sku"] for i in answer["items"]]
