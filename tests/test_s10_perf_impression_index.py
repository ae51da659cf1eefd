"""The customer's impression index when a cache hit logs (service/customers/scripts.py _LOG),
on a real Redis (session 10, issue 16: the index is trimmed once every TRIM_EVERY entries it
gains instead of on every hit).

What must hold whatever the trimming: every entry of the customer that the stream holds is in
the index (erasure finds it through it), the index stays bounded when entries leave the stream
(MAXLEN, an export), and nothing is written when the index is of an older type."""

from __future__ import annotations

import pytest
import redis as redis_lib

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.scripts import LOG_IMPRESSION, TRIM_EVERY

from .conftest import redis_app

PROFILE = {"age": 66, "goals": ["bones"], "country": "NL"}
URL = "/v1/customers/{}/recommendations"


@pytest.fixture()
def served(redis_url):
    app = redis_app(redis_url)
    store = get_store(app)
    store.client.flushdb()
    for customer_id in ("idx-1", "idx-2"):
        store.put_profile(customer_id, PROFILE)
    refresh_chunk(app.extensions["dosewise"], store, ["idx-1", "idx-2"], cache_policy(app))
    return app, store


def _hit(client, customer_id: str) -> None:
    # buffered: what the fast path does after sending (nothing here: logged in the read) has run
    answer = client.get(URL.format(customer_id), buffered=True)
    assert answer.status_code == 200 and answer.get_json()["source"] == "cache"


def _live(store, customer_id: str) -> set[bytes]:
    """Ids of the customer's entries the stream holds now."""
    return {
        entry_id
        for entry_id, fields in store.client.xrange("dw:impressions")
        if f'"customer_id":"{customer_id}"'.encode() in fields[b"data"]
    }


def _index(store, customer_id: str) -> set[bytes]:
    return set(store.client.zrange(f"dw:impressions:{customer_id}", 0, -1))


def test_the_index_holds_every_live_entry_and_sheds_the_others(served):
    app, store = served
    client = app.test_client()
    for _ in range(TRIM_EVERY + 8):
        _hit(client, "idx-1")
        _hit(client, "idx-2")
        for customer_id in ("idx-1", "idx-2"):
            assert _live(store, customer_id) <= _index(store, customer_id)
    assert len(_index(store, "idx-1")) == TRIM_EVERY + 8  # nothing left the stream yet
    # an export takes every entry out of the stream: they leave the index within TRIM_EVERY
    # entries more, and in the meantime it never holds more than it held before plus those
    exported = sum(len(batch) for batch in store.export_stream("dw:impressions"))
    assert exported == 2 * (TRIM_EVERY + 8) and _live(store, "idx-1") == set()
    biggest = 0
    for _ in range(TRIM_EVERY - 1):
        _hit(client, "idx-1")
        index, live = _index(store, "idx-1"), _live(store, "idx-1")
        assert live <= index
        biggest = max(biggest, len(index))
    assert biggest <= (TRIM_EVERY + 8) + TRIM_EVERY - 1
    assert _index(store, "idx-1") == _live(store, "idx-1"), "the index was never trimmed"
    assert len(_index(store, "idx-1")) < TRIM_EVERY
    # the other customer's index is untouched by idx-1's trims and still finds its entries
    assert len(_index(store, "idx-2")) == TRIM_EVERY + 8
    # erasure removes every entry of the customer, those the index still lists included
    _hit(client, "idx-2")
    assert store.delete("idx-2")
    assert _live(store, "idx-2") == set() and not store.client.exists("dw:impressions:idx-2")
    assert _live(store, "idx-1"), "another customer's entries were erased"


def test_an_index_of_an_older_type_gets_nothing_written(served):
    app, store = served
    client = store.client
    client.rpush("dw:impressions:idx-1", "0-1")  # a list, as older versions kept
    before = client.xlen("dw:impressions")
    script = client.register_script(LOG_IMPRESSION)
    with pytest.raises(redis_lib.ResponseError, match="WRONGTYPE"):
        script(keys=["dw:impressions", "dw:impressions:idx-1"], args=[1000, b'{"a":1}'])
    assert client.xlen("dw:impressions") == before, "an entry no index finds was left"
    assert client.lrange("dw:impressions:idx-1", 0, -1) == [b"0-1"]
    # the store converts it and logs: the entry and its index entry
    store.log_impression("idx-1", b'{"customer_id":"idx-1"}')
    assert client.type("dw:impressions:idx-1") == b"zset"
    assert _live(store, "idx-1") <= _index(store, "idx-1") and len(_live(store, "idx-1")) == 1
