"""Review s4 R4 with a real Redis and a real Celery worker: the precomputed lists (plain and
`home`) of a stored customer count the supplies still lasting from the customer's purchases;
a purchase drops the cached list, the refresh writes it again with the supply counted and an
expiry at the run-out, and customers with the same profile and supplies share one computation."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

from .conftest import wait_for
from .stacks import worker_stack

STORE_DB, BROKER_DB = 6, 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    settings = {"RELOAD_INTERVAL": 0, "REFRESH_CHUNK_SIZE": 250, "REFRESH_LOCK_TTL": 2}
    tmp = tmp_path_factory.mktemp("supplies")
    with worker_stack(tmp, STORE_DB, BROKER_DB, settings, name="supplies") as stack:
        yield stack


def _purchase(client, customer_id: str, sku: str, day: dt.date) -> None:
    event = {"customer_id": customer_id, "sku": sku, "type": "purchase"}
    event["timestamp"] = f"{day.isoformat()}T10:00:00+00:00"
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202


def _get(client, customer_id: str, placement: str | None = None) -> dict:
    query = {"locale": "nl"} if placement is None else {"locale": "nl", "placement": placement}
    response = client.get(f"/v1/customers/{customer_id}/recommendations", query_string=query)
    assert response.status_code == 200, response.data
    return response.get_json()


def _vitamin_d(body: dict) -> list[str]:
    return [i["sku"] for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]


@pytest.mark.parametrize("placement", [None, "home"])
def test_a_purchase_makes_the_cached_list_count_the_supply(stack, placement):
    client, r = stack["client"], stack["redis"]
    customer = f"r4-{placement}"
    client.put(f"/v1/customers/{customer}", json={"age": 75, "sex": "female"})
    wait_for(lambda: _get(client, customer, placement)["source"] == "cache")
    assert _vitamin_d(_get(client, customer, placement))  # a D product, before the purchase
    today = dt.date.today()
    _purchase(client, customer, "XF-D3-75-TAB", today - dt.timedelta(days=12))  # 120 days
    body = _get(client, customer, placement)  # the cached list is gone: computed, or new
    assert _vitamin_d(body) == [] and body["intake"]["vitamin_d_ug"]["current"] == 75
    cached = wait_for(lambda: (b := _get(client, customer, placement))["source"] == "cache" and b)
    assert _vitamin_d(cached) == [], cached["items"]
    assert cached["intake"]["vitamin_d_ug"]["current"] == 75
    # the list expires when the supply runs out (108 days from today, at its start)
    runs_out = dt.datetime.combine(today + dt.timedelta(days=108), dt.time.min, tzinfo=dt.UTC)
    ttl = r.ttl(f"dw:recs:{customer}")
    assert 0 < ttl <= runs_out.timestamp() - time.time() + 1


def test_same_profile_and_supplies_are_computed_once_and_a_run_out_supply_is_not_counted(stack):
    client, app = stack["client"], stack["app"]
    recommender, store = app.extensions["dosewise"], get_store(app)
    today = dt.date.today()
    for customer in ("twin-1", "twin-2", "other"):
        store.put_profile(customer, {"age": 75, "sex": "female"})  # stored without a refresh queued
    for customer in ("twin-1", "twin-2"):
        _purchase(client, customer, "XF-D3-75-TAB", today - dt.timedelta(days=1))
    _purchase(client, "other", "XF-D3-75-TAB", today - dt.timedelta(days=200))  # ran out
    # as on tomorrow: the lists the worker (queued by the purchases) or an earlier test shared
    # today under the same names would otherwise be found, not computed
    tomorrow = today + dt.timedelta(days=1)
    ids = ["twin-1", "twin-2", "other"]
    counts = refresh_chunk(recommender, store, ids, cache_policy(app), force=True, today=tomorrow)
    assert counts["done"] == 3 and counts["computed"] == 2  # the twins once, "other" once
    for twin in ("twin-1", "twin-2"):
        body = _get(client, twin)
        assert body["source"] == "cache" and _vitamin_d(body) == []
    other = _get(client, "other")
    assert other["source"] == "cache" and _vitamin_d(other)
