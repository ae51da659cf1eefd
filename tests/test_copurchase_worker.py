"""The co-purchase job (issue 11 point 3) with a real Redis and a real Celery worker process:
purchase events go in through the API, the worker builds the table, the cart ranks with it,
and the table never brings back a product the profile excludes."""

from __future__ import annotations

import pytest

from service.customers.copurchase import META, TABLE

from .conftest import TODAY, wait_for
from .oracle import PRODUCTS, per_day
from .stacks import worker_stack

STORE_DB, BROKER_DB = 9, 8
BASKET = "XF-D3-20-TAB"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("copurchase")
    with worker_stack(tmp, STORE_DB, BROKER_DB, {"RELOAD_INTERVAL": 0}, name="copurchase") as stack:
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
