"""The co-purchase job (issue 11 point 3) with a real Redis and a real Celery worker process:
purchase events go in through the API, the worker builds the table, the cart ranks with it,
and the table never brings back a product the profile excludes."""

from __future__ import annotations

import json
import random

import pytest

from service.core.placements.copurchase import cooccurrence
from service.customers.copurchase import BOUGHT, META, TABLE, update
from service.customers.redis_client import get_store
from service.customers.store import EVENTS_STREAM

from .conftest import TODAY, redis_app, wait_for
from .oracle import PRODUCTS, per_day
from .stacks import worker_stack

STORE_DB, BROKER_DB = 9, 8
BASKET = "XF-D3-20-TAB"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("copurchase")
    # the table is read anew on each request (a web process keeps rows 60 s by default:
    # tests/test_s24_review.py), so a cart right after the job ranks with its new rows
    settings = {"RELOAD_INTERVAL": 0, "COPURCHASE_CACHE_SECONDS": 0}
    with worker_stack(tmp, STORE_DB, BROKER_DB, settings, name="copurchase") as stack:
        stack["app"].extensions["dosewise"].clock = lambda: TODAY
        yield stack


def _purchases(pairs: list[tuple[str, str]]) -> dict:
    return {
        "events": [
            {"customer_id": c, "sku": s, "type": "purchase", "timestamp": "2026-11-20T10:00:00Z"}
            for c, s in pairs
        ]
    }


def test_the_worker_builds_the_table_and_the_cart_ranks_with_it(stack):
    client, store = stack["client"], stack["redis"]
    cart = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": BASKET}],
        "placement": "cart",
        "limit": 3,
        "locale": "en",
    }
    before = client.post("/v1/recommendations", json=cart).get_json()["items"]
    assert len(before) >= 2
    last = before[1]["sku"]
    # six customers bought the basket's D3 together with the cart's second item
    pairs = [(f"c{i}", sku) for i in range(6) for sku in (BASKET, last)]
    assert client.post("/v1/events", json=_purchases(pairs)).status_code == 202
    celery = stack["app"].extensions["celery"]
    celery.tasks["workers.copurchase.rebuild_copurchase"].delay()
    wait_for(lambda: store.hexists(TABLE, BASKET), timeout=60)
    assert store.hget(META, "customers") is not None
    after = client.post("/v1/recommendations", json=cart).get_json()["items"]
    was = {i["sku"]: i for i in before}[last]
    now = {i["sku"]: i for i in after}[last]
    assert now["copurchase"] > 0 and was["copurchase"] == 0 and now["score"] > was["score"]
    assert {i["sku"] for i in after} == {i["sku"] for i in before}  # reordered, nothing added


def test_the_table_never_brings_back_what_the_profile_excludes(stack):
    client, store = stack["client"], stack["redis"]
    # every product bought with the basket's D3 by many customers
    pairs = [(f"all{i}", sku) for i in range(4) for sku in PRODUCTS]
    assert client.post("/v1/events", json=_purchases(pairs)).status_code == 202
    stamp = store.hget(META, "built_at")
    stack["app"].extensions["celery"].tasks["workers.copurchase.rebuild_copurchase"].delay()
    wait_for(lambda: store.hget(META, "built_at") != stamp, timeout=60)
    profile = {
        "age": 60,
        "diet": "vegan",
        "allergies": ["soy"],
        "medications": ["vitamin_k_antagonist"],
        "conditions": ["kidney_stones"],
        "goals": ["bones", "muscles", "heart"],
    }
    for placement in ("cart", "checkout", "product_page"):
        raw = {"profile": profile, "basket": [{"sku": BASKET}], "placement": placement}
        if placement == "product_page":
            raw["product_sku"] = "GR-D3-20-TAB"
        body = client.post("/v1/recommendations", json={**raw, "limit": 50}).get_json()
        for item in body["items"]:
            product = PRODUCTS[item["sku"]]
            amounts = per_day(product)
            assert product["vegan"], item["sku"]
            assert "soy" not in product["allergens"], item["sku"]
            assert not amounts.get("vitamin_k1_ug") and not amounts.get("vitamin_k2_ug")
            assert not amounts.get("calcium_mg"), item["sku"]
            if placement != "product_page":
                assert not amounts.get("vitamin_d_ug"), item["sku"]  # the basket has D3


# ---------------------------------------------------------------- the incremental update
def _table(client) -> dict:
    return {
        k.decode(): {o: float(v) for o, v in json.loads(raw).items()}
        for k, raw in client.hgetall(TABLE).items()
    }


@pytest.fixture()
def events_app(redis_url):
    app = redis_app(redis_url)
    store = get_store(app)
    store.client.flushdb()
    yield app, store
    store.client.flushdb()


def test_the_update_counts_only_new_events_and_matches_a_full_build(events_app):
    app, store = events_app
    client, known = app.test_client(), app.extensions["dosewise"].snapshot.catalog.index
    skus = sorted(PRODUCTS)[:12]
    rng = random.Random(5)
    every: list[tuple[str, str]] = []
    for batch in range(4):
        pairs = [(f"u{rng.randrange(30)}", rng.choice(skus)) for _ in range(60)]
        every += pairs
        assert client.post("/v1/events", json=_purchases(pairs)).status_code == 202
        stats = update(store, known)
        assert stats["started"] and stats["purchases"] == len(pairs)  # only the new ones
        assert stats["full"] is (batch == 0)  # the first run starts the counts
        assert _table(store.client) == cooccurrence(every, known=known)
    assert update(store, known)["purchases"] == 0  # nothing new: nothing read, nothing changed
    # events the learning export took out of the stream keep counting
    store.client.xtrim(EVENTS_STREAM, maxlen=0)
    assert update(store, known)["purchases"] == 0
    assert _table(store.client) == cooccurrence(every, known=known)
    # --full starts again from the stream (now empty): nothing counts
    assert update(store, known, full=True)["full"] is True
    assert _table(store.client) == {}


def test_an_erased_customer_leaves_the_counts_at_the_next_update(events_app):
    app, store = events_app
    client, known = app.test_client(), app.extensions["dosewise"].snapshot.catalog.index
    a, b, c = sorted(PRODUCTS)[:3]
    pairs = [(f"e{i}", sku) for i in range(3) for sku in (a, b)] + [("e9", a), ("e9", c)]
    pairs += [("e8", a), ("e8", c)]
    assert client.post("/v1/events", json=_purchases(pairs)).status_code == 202
    update(store, known)
    assert set(_table(store.client)[a]) == {b, c}
    assert client.delete("/v1/customers/e9").status_code == 200
    stats = update(store, known)
    assert stats["erased"] == 1
    rest = [p for p in pairs if p[0] != "e9"]
    assert _table(store.client) == cooccurrence(rest, known=known)
    assert c not in _table(store.client).get(a, {})  # one customer left: below min_count
    assert store.client.hget(BOUGHT, "e9") is None  # no trace of the customer's SKUs
    assert update(store, known)["erased"] == 0  # taken out once
