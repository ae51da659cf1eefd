"""A web process answers a customer's repeated cache hits from its own copy
(service/customers/local_hits.py), on a real Redis:

- the copy's answer is the bytes Redis's would be, and its impression the same stream entry;
- never a list from before a change: a PUT (here made by another process's app, with its own
  connections), a refresh, a DELETE, a flush, a write that overtakes the read;
- a lost tracking connection drops every copy, and none is used until it is back;
- `LOCAL_HITS` customers at most, each `LOCAL_HITS_SECONDS`; 0 turns it off; a bad value is
  logged and the default used;
- impressions waiting in a batch are written at the interval, at 64, and at exit, also into an
  index of an older type.
"""

from __future__ import annotations

import logging
import time

import pytest
import redis

from service.customers import local_hits as local_hits_module
from service.customers.redis_client import cache_policy, get_store, local_hits
from service.customers.refresh import refresh_chunk
from service.customers.store import stream_record

from .conftest import redis_app, wait_for

PLAIN = {"age": 58, "goals": ["bones"]}
ON_VKA = {"age": 58, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]}
URL = "/v1/customers/{}/recommendations"


def _refresh(app, *ids: str, force: bool = False) -> None:
    store, policy = get_store(app), cache_policy(app)
    refresh_chunk(app.extensions["dosewise"], store, list(ids), policy, force=force)


def _get(client, customer_id: str, **headers):
    response = client.get(URL.format(customer_id), headers=headers, buffered=True)
    assert response.status_code == 200, response.get_json()
    return response


def _logged(store) -> list[dict]:
    records = [stream_record(fields) for _, fields in store.client.xrange("dw:impressions")]
    return [{k: v for k, v in r.items() if k not in ("timestamp", "request_id")} for r in records]


def _skus(response) -> list[str]:
    return [item["sku"] for item in response.get_json()["items"]]


@pytest.fixture()
def apps(redis_url):
    """Two apps on one Redis, as two web processes: `web` serves, `other` takes the writes."""

    def make(**config):
        web = redis_app(redis_url, **config)
        other = redis_app(redis_url, LOCAL_HITS=0)
        get_store(other).put_profile("c-1", PLAIN)
        _refresh(other, "c-1")
        return web, other

    return make


def test_a_repeated_hit_is_answered_from_memory_with_the_same_bytes_and_impression(apps):
    web, _ = apps()
    hits, _ = local_hits(web)
    client = web.test_client()
    first = _get(client, "c-1", **{"X-Request-ID": "r-1"})
    assert (hits.hits, len(hits)) == (0, 1)
    again = _get(client, "c-1", **{"X-Request-ID": "r-1"})
    assert hits.hits == 1
    assert again.get_json()["source"] == "cache"
    assert again.get_data() == first.get_data()
    zipped = [_get(client, "c-1", **{"Accept-Encoding": "gzip"}) for _ in range(2)]
    assert zipped[0].headers["Content-Encoding"] == "gzip"
    assert zipped[1].get_data() == zipped[0].get_data() and hits.hits == 3
    logged = _logged(get_store(web))
    assert len(logged) == 4 and all(record == logged[0] for record in logged)
    assert logged[0]["customer_id"] == "c-1" and logged[0]["items"]
    metrics = web.test_client().get("/metrics").get_data(as_text=True)
    assert 'dosewise_cached_list_reads_total{source="memory"} 3.0' in metrics
    assert 'dosewise_cached_list_reads_total{source="redis"} 1.0' in metrics


def test_a_placements_copy_logs_the_placements_impression(apps):
    web, _ = apps()
    client = web.test_client()
    url = "/v1/customers/c-1/recommendations?placement=home"
    answers = [client.get(url, buffered=True) for _ in range(2)]
    assert local_hits(web)[0].hits == 1
    assert answers[1].get_data() == answers[0].get_data()
    logged = _logged(get_store(web))
    assert len(logged) == 2 and logged[1] == logged[0] and logged[0]["placement"] == "home"


def test_a_put_in_another_process_is_never_answered_with_the_list_before_it(apps):
    """The safety of the copies: after a PUT answered by another process, this process's next
    GET is not the list computed for the profile before it (a new medication that keeps K2
    out), however soon it comes. Regression guard: without the invalidation messages this
    process answered the old list from memory."""
    web, other = apps()
    client, writer = web.test_client(), other.test_client()
    for turn in range(30):
        profile, before = (ON_VKA, PLAIN) if turn % 2 == 0 else (PLAIN, ON_VKA)
        for _ in range(2):  # the second from memory
            assert _get(client, "c-1").get_json()["source"] == "cache"
        assert writer.put("/v1/customers/c-1", json=profile).status_code == 200
        answer = _get(client, "c-1").get_json()
        assert answer["source"] == "computed", (turn, profile)  # not the old cached list
        assert answer["items"] == _get(writer, "c-1").get_json()["items"]
        _refresh(other, "c-1")
    assert local_hits(web)[0].hits >= 30


def test_a_refresh_a_delete_and_a_flush_drop_the_copy(apps, redis_url):
    web, other = apps()
    hits, _ = local_hits(web)
    client = web.test_client()
    _get(client, "c-1")
    assert hits.get("c-1") is not None
    first = hits.get("c-1").cached.computed_at
    _refresh(other, "c-1")  # a refresh that finds the list fresh writes nothing: still kept
    assert hits.get("c-1") is not None
    _refresh(other, "c-1", force=True)  # a refresh worker writes the list again
    assert hits.get("c-1") is None
    _get(client, "c-1")
    assert hits.get("c-1").cached.computed_at > first
    assert other.test_client().delete("/v1/customers/c-1").status_code in (200, 204)
    assert hits.get("c-1") is None
    assert client.get(URL.format("c-1")).status_code == 404
    get_store(other).put_profile("c-1", PLAIN)
    _refresh(other, "c-1")
    _get(client, "c-1")
    assert hits.get("c-1") is not None
    redis.Redis.from_url(redis_url).flushdb()
    assert hits.get("c-1") is None and len(hits) == 0


def test_a_read_that_a_write_overtakes_is_not_kept(apps):
    web, other = apps()
    hits, _ = local_hits(web)
    store = get_store(web)
    token = hits.reading("c-1")
    entry, raw = store.read("c-1")
    get_store(other).put_profile("c-1", ON_VKA)  # while the values were on their way
    from service.customers.entries import CachedList

    hits.keep("c-1", token, (entry, CachedList.decode(raw)))
    assert hits.get("c-1") is None and len(hits) == 0
    token = hits.reading("c-1")  # and a read with nothing in between is kept
    entry, raw = store.read("c-1")
    hits.keep("c-1", token, (entry, CachedList.decode(raw)))
    assert hits.get("c-1").entry == entry


def _tracking_ids(client, hits) -> list[int]:
    """The Redis client ids of `hits`'s tracking connection (found by its address)."""
    connection = hits._connection
    if connection is None:
        return []
    host, port = connection._sock.getsockname()[:2]
    listed = client.client_list()
    return [int(c["id"]) for c in listed if c["addr"] == f"{host}:{port}" and "t" in c["flags"]]


def test_a_lost_tracking_connection_drops_every_copy_until_it_is_back(apps, redis_url, caplog):
    web, other = apps()
    hits, _ = local_hits(web)
    client = web.test_client()
    _get(client, "c-1")
    raw = redis.Redis.from_url(redis_url)
    (tracking,) = _tracking_ids(raw, hits)
    raw.client_kill_filter(_id=tracking)
    # a PUT whose message cannot reach the process any more
    assert other.test_client().put("/v1/customers/c-1", json=ON_VKA).status_code == 200
    with caplog.at_level(logging.WARNING, "dosewise.customers"):
        answer = _get(client, "c-1").get_json()
    assert answer["source"] == "computed" and hits.get("c-1") is None and len(hits) == 0
    assert "local cache hits dropped" in caplog.text
    _refresh(other, "c-1")
    _get(client, "c-1")
    assert len(hits) == 0  # nothing kept while the connection is down
    hits._retry_at = 0.0  # (the retry's second has passed)
    _get(client, "c-1")
    assert len(_tracking_ids(raw, hits)) == 1 and len(hits) == 1
    assert _get(client, "c-1").get_json()["source"] == "cache" and hits.hits == 1


def test_at_most_local_hits_customers_each_local_hits_seconds(apps):
    web, other = apps(LOCAL_HITS=2, LOCAL_HITS_SECONDS=0.3)
    for customer_id in ("c-2", "c-3"):
        get_store(other).put_profile(customer_id, PLAIN)
    _refresh(other, "c-2", "c-3")
    hits, _ = local_hits(web)
    client = web.test_client()
    for customer_id in ("c-1", "c-2", "c-1", "c-3"):
        _get(client, customer_id)
    assert len(hits) == 2 and hits.get("c-2") is None  # the least recently served
    assert hits.get("c-1") is not None
    time.sleep(0.35)
    assert hits.get("c-1") is None and hits.get("c-3") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOCAL_HITS", "many"), ("LOCAL_HITS", -1), ("LOCAL_HITS", 2.5), ("LOCAL_HITS_SECONDS", 0)]
    + [("IMPRESSION_FLUSH_SECONDS", "nan"), ("IMPRESSION_FLUSH_SECONDS", "inf")],
)
def test_a_bad_setting_is_logged_and_the_default_used(redis_url, caplog, name, value):
    with caplog.at_level(logging.WARNING, "dosewise"):
        hits, impressions = local_hits(redis_app(redis_url, **{name: value}))
    assert name in caplog.text
    flush = 0.1 if name == "IMPRESSION_FLUSH_SECONDS" else 0  # (redis_app's 0 otherwise)
    assert (hits.capacity, hits.seconds, impressions.seconds) == (4096, 30.0, flush)


def test_local_hits_0_reads_redis_on_every_hit(apps):
    web, _ = apps(LOCAL_HITS=0)
    assert local_hits(web) is None
    client = web.test_client()
    assert [_get(client, "c-1").get_json()["source"] for _ in range(2)] == ["cache"] * 2
    assert len(_logged(get_store(web))) == 2


def test_batched_impressions_are_written_at_the_interval_at_64_and_at_exit(apps):
    web, _ = apps(IMPRESSION_FLUSH_SECONDS=0.2)
    _, impressions = local_hits(web)
    client = web.test_client()
    store = get_store(web)
    _get(client, "c-1")  # read from Redis: logged in its round trip
    _get(client, "c-1")
    assert len(_logged(store)) == 1
    wait_for(lambda: len(_logged(store)) == 2, timeout=5)
    impressions.seconds = 3600  # (the thread sleeps 0.2 s once more, then an hour)
    time.sleep(0.3)
    for _ in range(63):
        _get(client, "c-1")
    assert len(_logged(store)) == 2
    _get(client, "c-1")  # the 64th waiting
    assert len(_logged(store)) == 66
    _get(client, "c-1")
    assert len(_logged(store)) == 66
    local_hits_module._flush_at_exit()
    logged = _logged(store)
    assert len(logged) == 67 and all(record == logged[0] for record in logged)


def test_an_index_of_an_older_type_is_converted_and_the_impression_logged(apps):
    web, _ = apps()
    store = get_store(web)
    client = web.test_client()
    _get(client, "c-1")
    store.client.delete("dw:impressions:c-1")
    store.client.rpush("dw:impressions:c-1", "1-0")  # a list, as versions before session 10
    _get(client, "c-1")
    assert store.client.type("dw:impressions:c-1") == b"zset"
    assert store.client.zcard("dw:impressions:c-1") == 2
    assert len(_logged(store)) == 2


def test_copies_are_used_only_while_redis_answers_the_tracking_connections_ping(
    apps, redis_url, monkeypatch
):
    """A connection Redis no longer reaches (a partition, here all clients paused) reports no
    write: when its PING goes unanswered the copies are dropped; after a quiet spell a copy
    is used again only once a new PING was answered."""
    monkeypatch.setattr(local_hits_module, "PING_SECONDS", 0.1)
    monkeypatch.setattr(local_hits_module, "PONG_SECONDS", 0.2)
    web, _ = apps()
    hits, _ = local_hits(web)
    _get(web.test_client(), "c-1")
    assert hits.get("c-1") is not None
    time.sleep(0.35)  # quiet: the next look sends a PING and waits for its PONG
    assert hits.get("c-1") is None and len(hits) == 1
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    raw = redis.Redis.from_url(redis_url)
    raw.execute_command("CLIENT", "PAUSE", 1500, "ALL")
    try:
        time.sleep(0.15)
        assert hits.get("c-1") is not None  # the PING sent now is not answered...
        time.sleep(0.25)
        assert hits.get("c-1") is None and len(hits) == 0  # ...so every copy is dropped
    finally:
        raw.execute_command("CLIENT", "UNPAUSE")


def test_after_a_burst_of_messages_copies_wait_for_a_pong_sent_after_it(apps, redis_url):
    """More messages than a socket may hold at once (a refresh's pipelined writes): the rest
    may still wait in Redis when the socket reads empty, so copies are used again only once a
    PING sent after the burst is answered (Redis answers in order)."""
    web, _ = apps()
    hits, _ = local_hits(web)
    _get(web.test_client(), "c-1")
    assert hits.get("c-1") is not None
    sent = hits._sent
    pipe = redis.Redis.from_url(redis_url).pipeline(transaction=False)
    for number in range(300):
        pipe.set(f"dw:recs:burst-{number:04d}", b"x")
    pipe.execute()
    wait_for(lambda: hits._trusted_from > sent, timeout=5)
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    assert hits._answered >= hits._trusted_from > sent
