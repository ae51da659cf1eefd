"""Purchase events into refills: each purchase event counts (F9: two purchases of one product on
one day are two purchases; the same event sent again is still one), and the purchase day is the
date in the customer's market, not the UTC date (F10: 00:30 in Amsterdam is that day)."""

from __future__ import annotations

import datetime as dt

import pytest

from service.api.app import create_app
from service.core.refills import Purchase, refill_config

from .conftest import RULES

D = dt.date


@pytest.fixture()
def client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: D(2026, 6, 20)
    return app.test_client()


def _purchase(customer_id: str, stamp: str, sku: str = "XF-D3-20-TAB", **extra) -> dict:
    return {
        "customer_id": customer_id,
        "sku": sku,
        "type": "purchase",
        "timestamp": stamp,
        **extra,
    }


def _refill(client, customer_id: str, sku: str = "XF-D3-20-TAB") -> dict:
    response = client.get(f"/v1/customers/{customer_id}/refills?locale=en")
    assert response.status_code == 200, response.get_json()
    return {r["sku"]: r for r in response.get_json()["refills"]}[sku]


# ---------------------------------------------------------------- F9: every purchase counts
def test_two_purchases_of_one_product_on_one_day_are_two_packs(client):
    """Regression (F9): `sku|day|quantity` made both purchases the same member, counted once."""
    client.put("/v1/customers/e-1", json={"age": 45})
    events = [
        _purchase("e-1", "2026-03-01T09:00:00+00:00"),
        _purchase("e-1", "2026-03-01T17:30:00+00:00"),
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    refill = _refill(client, "e-1")
    assert (refill["packs"], refill["purchases"]) == (2, 2)
    # 2 packs of 120, one a day, from 1 March: 240 days
    assert refill["runs_out_on"] == "2026-10-27"


def test_the_same_event_sent_again_still_counts_once(client):
    client.put("/v1/customers/e-2", json={"age": 45})
    event = _purchase("e-2", "2026-03-01T09:00:00+00:00", quantity=2)
    for _ in range(3):  # a shop retrying a batch it got no answer for
        assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    # the same instant written another way is the same event
    again = _purchase("e-2", "2026-03-01T10:00:00+01:00", quantity=2)
    assert client.post("/v1/events", json={"events": [again]}).status_code == 202
    refill = _refill(client, "e-2")
    assert (refill["packs"], refill["purchases"]) == (2, 1)


def test_a_purchase_stored_before_events_kept_their_time_still_reads():
    """Histories written before this change (`sku|YYYY-MM-DD|quantity`) keep their meaning."""
    assert Purchase.decode(b"XF-D3-20-TAB|2026-03-01|3") == Purchase(
        D(2026, 3, 1), "XF-D3-20-TAB", 3
    )


# ---------------------------------------------------------------- F10: the market's date
@pytest.mark.parametrize(
    ("country", "stamp", "day"),
    [
        # 00:30 in Amsterdam (winter, UTC+1) is 23:30 UTC the day before
        ("NL", "2026-02-28T23:30:00+00:00", "2026-03-01"),
        # 00:30 in Berlin in summer (UTC+2) is 22:30 UTC the day before
        ("DE", "2026-05-31T22:30:00+00:00", "2026-06-01"),
        # the offset the shop sent does not matter, the instant and the market do
        ("NL", "2026-03-01T00:30:00+01:00", "2026-03-01"),
        ("NL", "2026-02-28T18:30:00-05:00", "2026-03-01"),
        # just before midnight in Amsterdam stays that day
        ("NL", "2026-03-01T22:59:00+00:00", "2026-03-01"),
    ],
)
def test_the_purchase_day_is_the_date_in_the_customers_market(client, country, stamp, day):
    """Regression (F10): the purchase day was the UTC date (00:30 in Amsterdam: the day before)."""
    client.put("/v1/customers/e-3", json={"age": 45, "country": country})
    assert client.post("/v1/events", json={"events": [_purchase("e-3", stamp)]}).status_code == 202
    refill = _refill(client, "e-3")
    assert refill["last_purchase"] == day
    runs_out = D.fromisoformat(day) + dt.timedelta(days=120)
    assert refill["runs_out_on"] == runs_out.isoformat()


def test_the_market_time_zones_are_data_with_a_source(recommender):
    config = refill_config(RULES, recommender.snapshot.reference)
    assert config.time_zones["markets"] == {"NL": "Europe/Amsterdam", "DE": "Europe/Berlin"}
    assert config.time_zones["source"]
    assert str(config.zone("NL")) == "Europe/Amsterdam"
    assert str(config.zone("de")) == "Europe/Berlin"
    assert str(config.zone("XX")) == config.time_zones["default"]


def test_an_unknown_time_zone_refuses_the_file(tmp_path, recommender):
    from service.core.errors import DataFileError
    from service.core.refills import load_refill_config

    text = (RULES / "refills.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "refills.yaml"
    bad.write_text(text.replace("Europe/Berlin", "Europe/Atlantis"), encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        load_refill_config(bad, recommender.snapshot.reference)
    assert "Europe/Atlantis" in str(raised.value)


def test_a_time_without_an_offset_is_the_markets_own_time(client):
    client.put("/v1/customers/e-4", json={"age": 45, "country": "NL"})
    event = _purchase("e-4", "2026-03-01T00:30:00")
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    assert _refill(client, "e-4")["last_purchase"] == "2026-03-01"


# ---------------------------------------------------------------- the job's reads and writes
def test_a_chunk_reads_and_writes_in_one_round_trip_each_and_spares_the_erased(redis_url):
    """The job reads a chunk's profiles with one MGET and writes its refills with one DEL and
    one script call: a customer erased meanwhile gets nothing written back."""
    import redis as redis_lib

    from service.customers.store import RedisStore

    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    store = RedisStore(client)
    store.put_profile("w-1", {"age": 40})
    store.put_profile("w-2", {"age": 50})
    client.set("dw:profile:w-3", b"not json")
    store.add_purchases([("w-1", "X|2026-01-01|1"), ("w-2", "Y|2026-01-02|2")], keep=10)
    profiles, corrupt, histories = store.read_profiles_and_purchases(["w-1", "w-3", "w-2", "w-4"])
    assert [p and p["profile"]["age"] for p in profiles] == [40, None, 50, None]
    assert corrupt == ["w-3"]
    assert histories == [[b"X|2026-01-01|1"], [], [b"Y|2026-01-02|2"], []]
    client.set("dw:refills:w-2", b"old")
    store.write_refills([("w-1", b"one"), ("w-2", None), ("w-4", b"erased")])
    assert client.get("dw:refills:w-1") == b"one"
    assert 0 < client.ttl("dw:refills:w-1") <= 3 * 86_400
    assert not client.exists("dw:refills:w-2") and not client.exists("dw:refills:w-4")
    client.flushdb()
