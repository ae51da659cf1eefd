"""Session 25's review findings outside the local copies, each with the test that failed before
its fix.

- A refresh that read a customer's purchase history before a purchase and wrote after it put
  back the list the purchase had dropped: computed without the new supply, it could suggest a
  second vitamin D next to the one just bought, until the purchase's own refresh ran (behind a
  whole batch refresh, minutes). The write now checks that the newest purchase is the one the
  refresh read.
"""

from __future__ import annotations

import datetime as dt

import redis as redis_lib

from service.api.app import create_app
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import RedisStore

FEMALE_75 = {"age": 75, "sex": "female"}
D3_75 = "XF-D3-75-TAB"  # 75 µg a day: with a second D product over the upper limit


def _vitamin_d(body: dict) -> list[str]:
    return [i["sku"] for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]


def _purchase(client, customer_id: str, sku: str) -> None:
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    event = {"customer_id": customer_id, "sku": sku, "type": "purchase", "timestamp": stamp}
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202


def test_a_refresh_writes_no_list_that_misses_a_purchase_made_while_it_ran(redis_url):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    client = app.test_client()
    r = redis_lib.Redis.from_url(redis_url)
    assert client.put("/v1/customers/f-1", json=FEMALE_75).status_code == 200
    before = client.get("/v1/customers/f-1/recommendations?locale=en").get_json()
    assert _vitamin_d(before), "the case needs a list with vitamin D before the purchase"

    class PurchaseBeforeWrite(RedisStore):
        """The refresh reads profile and purchases, then the purchase lands, then it writes."""

        def write_lists(self, entries, newest=None):
            _purchase(client, "f-1", D3_75)
            return super().write_lists(entries, newest)

    late = PurchaseBeforeWrite(r)
    refresh_chunk(app.extensions["dosewise"], late, ["f-1"], cache_policy(app), force=True)
    assert not r.exists("dw:recs:f-1"), "a list computed without the purchase was written"
    after = client.get("/v1/customers/f-1/recommendations?locale=en").get_json()
    assert after["source"] == "computed" and _vitamin_d(after) == [], after["items"]
    # the purchase's own refresh writes the list with the supply counted
    refresh_chunk(app.extensions["dosewise"], get_store(app), ["f-1"], cache_policy(app))
    cached = client.get("/v1/customers/f-1/recommendations").get_json()  # (its shop language)
    assert cached["source"] == "cache" and _vitamin_d(cached) == []


def test_a_refresh_with_no_purchase_meanwhile_still_writes(redis_url):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    client = app.test_client()
    assert client.put("/v1/customers/f-2", json=FEMALE_75).status_code == 200
    _purchase(client, "f-2", D3_75)
    counts = refresh_chunk(app.extensions["dosewise"], get_store(app), ["f-2"], cache_policy(app))
    assert counts["done"] == 1
    assert redis_lib.Redis.from_url(redis_url).exists("dw:recs:f-2")
    assert client.get("/v1/customers/f-2/recommendations").get_json()["source"] == "cache"
