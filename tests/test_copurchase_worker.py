"""The co-purchase job (issue 11 point 3) with a real Redis and a real Celery worker process:
purchase events go in through the API, the worker builds the table, the cart ranks with it,
and the table never brings back a product the profile excludes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest
import redis as redis_lib

from bench.server import db_url, start_celery_worker
from service.api.app import create_app
from service.customers.copurchase import META, TABLE

from .conftest import CATALOG, RULES, TODAY, wait_for
from .oracle import PRODUCTS, per_day

STORE_DB, BROKER_DB = 9, 8
BASKET = "XF-D3-20-TAB"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    tmp = tmp_path_factory.mktemp("copurchase")
    catalog = tmp / "catalog" / "products.yaml"
    catalog.parent.mkdir()
    shutil.copy(CATALOG, catalog)
    shutil.copytree(RULES, tmp / "rules")
    store_url, broker_url = db_url(base, STORE_DB), db_url(base, BROKER_DB)
    for url in (store_url, broker_url):
        redis_lib.Redis.from_url(url).flushdb()
    env = {
        **os.environ,
        "REDIS_URL": store_url,
        "DOSEWISE_CELERY_BROKER_URL": broker_url,
        "DOSEWISE_CATALOG_PATH": str(catalog),
        "DOSEWISE_RULES_DIR": str(tmp / "rules"),
    }
    worker = start_celery_worker(env, 1, tmp / "worker.log", f"copurchase-{os.getpid()}@%h")
    app = create_app(
        {
            "TESTING": True,
            "CATALOG_PATH": str(catalog),
            "RULES_DIR": str(tmp / "rules"),
            "REDIS_URL": store_url,
            "CELERY_BROKER_URL": broker_url,
            "RELOAD_INTERVAL": 0,
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    yield {"app": app, "client": app.test_client(), "redis": redis_lib.Redis.from_url(store_url)}
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    for url in (store_url, broker_url):
        redis_lib.Redis.from_url(url).flushdb()


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
