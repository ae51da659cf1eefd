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

import datetime as dt
import gc
import logging
import queue
import socket
import threading
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
SKU = "NV-CA-400-CHEW"


def _refresh(app, *ids: str, force: bool = False) -> None:
    store, policy = get_store(app), cache_policy(app)
    refresh_chunk(app.extensions["dosewise"], store, list(ids), policy, force=force)


def _get(client, customer_id: str, **headers):
    response = client.get(URL.format(customer_id), headers=headers, buffered=True)
    assert response.status_code == 200, response.get_json()
    return response


def _memory(client, hits, customer_id: str, **headers):
    """`_get` once the copies can be used (a busy machine may let the lease lapse a moment)."""
    wait_for(hits.usable, timeout=2)
    return _get(client, customer_id, **headers)


def _logged(store) -> list[dict]:
    records = [stream_record(fields) for _, fields in store.client.xrange("dw:impressions")]
    return [{k: v for k, v in r.items() if k not in ("timestamp", "request_id")} for r in records]


def _skus(response) -> list[str]:
    return [item["sku"] for item in response.get_json()["items"]]


def _started(app) -> None:
    """Until the app's tracking connection is made and answers (its thread makes it on first
    use: a process's first hits read Redis)."""
    if local_hits(app) is not None:
        wait_for(local_hits(app)[0].usable, timeout=5)


@pytest.fixture()
def apps(redis_url):
    """Two apps on one Redis, as two web processes: `web` serves, `other` takes the writes."""

    made = []

    def make(**config):
        web = redis_app(redis_url, **{"LOCAL_HITS": 4096, **config})
        other = redis_app(redis_url)  # (LOCAL_HITS 0)
        get_store(other).put_profile("c-1", PLAIN)
        _refresh(other, "c-1")
        _started(web)
        made.append(web)
        return web, other

    yield make
    for app in made:  # their threads stop probing: the lease key goes 1 s later
        if local_hits(app) is not None:
            local_hits(app)[0].close()


def test_a_repeated_hit_is_answered_from_memory_with_the_same_bytes_and_impression(apps):
    web, _ = apps()
    hits, _ = local_hits(web)
    client = web.test_client()
    first = _get(client, "c-1", **{"X-Request-ID": "r-1"})
    assert (hits.hits, len(hits)) == (0, 1)
    again = _memory(client, hits, "c-1", **{"X-Request-ID": "r-1"})
    assert hits.hits == 1
    assert again.get_json()["source"] == "cache"
    assert again.get_data() == first.get_data()
    zipped = [_memory(client, hits, "c-1", **{"Accept-Encoding": "gzip"}) for _ in range(2)]
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
    answers = [client.get(url, buffered=True)]
    wait_for(local_hits(web)[0].usable, timeout=2)
    answers.append(client.get(url, buffered=True))
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
        assert _get(client, "c-1").get_json()["source"] == "cache"
        assert _memory(client, local_hits(web)[0], "c-1").get_json()["source"] == "cache"
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
    first = wait_for(lambda: hits.get("c-1"), timeout=2).cached.computed_at
    _refresh(other, "c-1")  # a refresh that finds the list fresh writes nothing: still kept
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    _refresh(other, "c-1", force=True)  # a refresh worker writes the list again
    assert hits.get("c-1") is None
    _get(client, "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=2).cached.computed_at > first
    assert other.test_client().delete("/v1/customers/c-1").status_code in (200, 204)
    assert hits.get("c-1") is None
    assert client.get(URL.format("c-1")).status_code == 404
    get_store(other).put_profile("c-1", PLAIN)
    _refresh(other, "c-1")
    _get(client, "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
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
    _started(web)  # the process's thread makes it again (after a second)
    _get(client, "c-1")
    assert len(_tracking_ids(raw, hits)) == 1 and len(hits) == 1
    assert _memory(client, hits, "c-1").get_json()["source"] == "cache" and hits.hits == 1


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
    assert wait_for(lambda: hits.get("c-1"), timeout=0.25) is not None
    time.sleep(0.35)
    assert hits.get("c-1") is None and hits.get("c-3") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOCAL_HITS", "many"), ("LOCAL_HITS", -1), ("LOCAL_HITS", 2.5), ("LOCAL_HITS_SECONDS", 0)]
    + [("IMPRESSION_FLUSH_SECONDS", "nan"), ("IMPRESSION_FLUSH_SECONDS", "inf")],
)
def test_a_bad_setting_is_logged_and_the_default_used(redis_url, caplog, name, value):
    with caplog.at_level(logging.WARNING, "dosewise"):
        hits, impressions = local_hits(redis_app(redis_url, **{"LOCAL_HITS": 4096, name: value}))
    assert name in caplog.text
    flush = 0.1 if name == "IMPRESSION_FLUSH_SECONDS" else 0  # (redis_app's 0 otherwise)
    assert (hits.capacity, hits.seconds, impressions.seconds) == (4096, 30.0, flush)


def test_local_hits_0_reads_redis_on_every_hit(apps):
    web, _ = apps(LOCAL_HITS=0)
    assert local_hits(web) is None
    client = web.test_client()
    assert [_get(client, "c-1").get_json()["source"] for _ in range(2)] == ["cache"] * 2
    assert len(_logged(get_store(web))) == 2


def _memory_hits(client, hits, count: int) -> int:
    """GETs until `count` more were answered from memory; how many were read from Redis (and
    so logged in their round trip) meanwhile."""
    read, goal = 0, hits.hits + count
    while hits.hits < goal:
        before = hits.hits
        _memory(client, hits, "c-1")
        read += hits.hits == before
    return read


def test_batched_impressions_are_written_at_64_at_exit_and_when_old(apps):
    web, _ = apps(IMPRESSION_FLUSH_SECONDS=3600)
    hits, impressions = local_hits(web)
    client = web.test_client()
    store = get_store(web)
    _get(client, "c-1")  # read from Redis: logged in its round trip
    read = 1 + _memory_hits(client, hits, 63)
    assert len(_logged(store)) == read and len(impressions._waiting) == 63
    read += _memory_hits(client, hits, 1)  # the 64th waiting: written at once
    assert len(_logged(store)) == read + 64 and impressions._waiting == []
    read += _memory_hits(client, hits, 1)
    assert len(_logged(store)) == read + 64
    local_hits_module._flush_at_exit()
    logged = _logged(store)
    assert len(logged) == read + 65 and all(record == logged[0] for record in logged)


def test_a_batch_is_written_at_a_hit_once_its_oldest_is_old_and_by_the_thread(apps):
    web, _ = apps(IMPRESSION_FLUSH_SECONDS=0.2)
    hits, _ = local_hits(web)
    client = web.test_client()
    store = get_store(web)
    _get(client, "c-1")
    read = 1 + _memory_hits(client, hits, 1)
    assert len(_logged(store)) == read  # waiting
    time.sleep(0.25)
    read += _memory_hits(client, hits, 1)  # the oldest is 0.2 s old: both written
    assert len(_logged(store)) == read + 2
    read += _memory_hits(client, hits, 1)  # and the last of a quiet spell, by the thread
    wait_for(lambda: len(_logged(store)) == read + 3, timeout=3)


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


def test_copies_are_used_only_under_a_lease_redis_renews(apps, redis_url):
    """A copy is used only while the PONG of a PING sent less than LEASE_SECONDS ago was read:
    with every client paused (as a Redis that no longer reaches the process) the copies stop
    at once, and the connection is dropped when the PONG is PONG_SECONDS late."""
    web, _ = apps()
    hits, _ = local_hits(web)
    _get(web.test_client(), "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    raw = redis.Redis.from_url(redis_url)
    raw.execute_command("CLIENT", "PAUSE", 1500, "ALL")
    try:
        time.sleep(local_hits_module.LEASE_SECONDS + 0.05)
        assert hits.get("c-1") is None and len(hits) == 1  # kept, not used
        time.sleep(local_hits_module.ANSWER_SECONDS)
        assert hits.get("c-1") is None and len(hits) == 0  # dropped with the connection
    finally:
        raw.execute_command("CLIENT", "UNPAUSE")
    _started(web)  # (kept again once the connection is back)
    _get(web.test_client(), "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=5) is not None


class DelayingProxy:
    """A TCP proxy to Redis that can hold back what Redis sends (a slow or lossy network)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.delay = 0.0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, delayed: bool) -> None:
        """Copies source to sink; with `delayed`, each chunk `delay` after it arrived."""
        chunks: queue.Queue = queue.Queue()
        if delayed:
            threading.Thread(target=self._send, args=(chunks, sink), daemon=True).start()
        try:
            while chunk := source.recv(65536):
                if delayed:
                    chunks.put((time.monotonic() + self.delay, chunk))
                else:
                    sink.sendall(chunk)
        except OSError:
            pass
        finally:
            chunks.put(None)
            if not delayed:
                for end in (source, sink):
                    end.close()

    @staticmethod
    def _send(chunks: queue.Queue, sink: socket.socket) -> None:
        try:
            while (item := chunks.get()) is not None:
                time.sleep(max(0.0, item[0] - time.monotonic()))
                sink.sendall(item[1])
        except OSError:
            pass
        finally:
            sink.close()


@pytest.fixture()
def closing():
    """Apps whose local copies end with the test (their threads stop probing)."""
    apps: list = []
    yield apps
    for app in apps:
        local_hits(app)[0].close()


def test_a_message_held_back_by_the_network_does_not_let_a_copy_be_used(apps, redis_url, closing):
    """The lease, on a real delay: this process reaches Redis through a proxy that holds back
    what Redis sends 0.4 s (longer than a writer waits, shorter than PONG_SECONDS), so the
    PUT's message arrives after the PUT was answered; the GET that follows is still not the
    old list (the PONGs are late too, so no lease holds). Regression guard: with copies trusted
    while the last PING answered was sent under 1 s ago (the first version, 3ad4135) the copy
    was usable here."""
    host, port = redis_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    proxy = DelayingProxy((host, int(port)))
    proxied = redis_url.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}")
    web = redis_app(proxied, REDIS_TIMEOUT=2, CELERY_BROKER_URL=redis_url, LOCAL_HITS=4096)
    closing.append(web)
    _started(web)
    other = redis_app(redis_url, LOCAL_HITS=0)
    get_store(other).put_profile("c-1", PLAIN)
    _refresh(other, "c-1")
    hits, _ = local_hits(web)
    client = web.test_client()
    time.sleep(0.3)  # (the messages of the writes above, through the proxy's threads)
    _get(client, "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=5) is not None
    proxy.delay = 0.4
    time.sleep(0.25)  # (the PONGs of the PINGs sent before it arrive, and age)
    assert len(hits) == 1 and not hits.usable()  # kept, but the PONGs are late: no lease
    writer = redis_app(redis_url)  # a web process: it waits for the copies, then answers
    started = time.monotonic()
    assert writer.test_client().put("/v1/customers/c-1", json=ON_VKA).status_code == 200
    assert time.monotonic() - started >= local_hits_module.WRITE_WAIT_SECONDS
    assert _get(client, "c-1").get_json()["source"] == "computed"
    proxy.delay = 0.0


def test_a_message_redis_py_could_not_take_drops_every_copy(apps, redis_url):
    """Tracking is for the whole server: a key under our prefix that is no UTF-8 (written in
    any database, in the same turn as a real one) must not hide the real one's message."""
    web, other = apps()
    hits, _ = local_hits(web)
    _get(web.test_client(), "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    pipe = redis.Redis.from_url(redis_url).pipeline(transaction=True)
    pipe.set(b"dw:recs:\xff\xfe", b"x")
    pipe.set("dw:profile:c-1", get_store(other).client.get("dw:profile:c-1"))
    pipe.execute()
    assert wait_for(lambda: hits.get("c-1") is None and len(hits) == 0, timeout=2)


def test_impressions_of_a_customer_erased_before_the_batch_is_written_are_not_logged(apps):
    web, other = apps(IMPRESSION_FLUSH_SECONDS=3600)
    _, impressions = local_hits(web)
    client = web.test_client()
    _get(client, "c-1")
    assert wait_for(lambda: local_hits(web)[0].get("c-1"), timeout=2) is not None
    _get(client, "c-1")  # from memory: its impression waits
    assert other.test_client().delete("/v1/customers/c-1").status_code == 200
    impressions.flush()
    store = get_store(web)
    assert store.client.xlen("dw:impressions") == 0
    assert not store.client.exists("dw:impressions:c-1")


def test_a_writer_waits_out_the_lease_before_it_answers(apps):
    web, _ = apps()
    client = web.test_client()
    waited = local_hits_module.WRITE_WAIT_SECONDS
    assert waited > local_hits_module.LEASE_SECONDS
    now = dt.datetime.now(dt.UTC).isoformat()
    for send in (
        lambda: client.put("/v1/customers/c-1", json=ON_VKA),
        lambda: client.post(
            "/v1/events",
            json={
                "events": [{"customer_id": "c-1", "sku": SKU, "type": "purchase", "timestamp": now}]
            },
        ),
        lambda: client.delete("/v1/customers/c-1"),
    ):
        started = time.monotonic()
        assert send().status_code in (200, 202)
        assert time.monotonic() - started >= waited
    off = apps(LOCAL_HITS=0)[0].test_client()  # its own copies off: it waits for the others'
    started = time.monotonic()
    assert off.put("/v1/customers/c-1", json=ON_VKA).status_code == 200
    assert time.monotonic() - started >= waited


def test_without_a_process_holding_a_lease_a_writer_answers_at_once(apps, redis_url):
    gc.collect()  # (the apps of earlier tests, and with them their probing threads)
    raw = redis.Redis.from_url(redis_url)
    wait_for(lambda: not raw.exists(local_hits_module.LEASE_KEY), timeout=5)
    writer = apps(LOCAL_HITS=0)[0].test_client()
    started = time.monotonic()
    assert writer.put("/v1/customers/c-1", json=ON_VKA).status_code == 200
    assert time.monotonic() - started < local_hits_module.WRITE_WAIT_SECONDS


def test_a_write_that_fails_midway_still_waits_before_its_503(apps, redis_url):
    """A PUT whose answer timed out may have been carried out: its 503 waits too."""
    web, _ = apps()
    raw = redis.Redis.from_url(redis_url)
    raw.execute_command("CLIENT", "PAUSE", 1500, "WRITE")
    try:
        started = time.monotonic()
        answer = web.test_client().put("/v1/customers/c-1", json=ON_VKA)
        assert answer.status_code == 503
        assert time.monotonic() - started >= local_hits_module.WRITE_WAIT_SECONDS
    finally:
        raw.execute_command("CLIENT", "UNPAUSE")


def test_a_redis_that_refuses_writes_ends_the_copies(apps, redis_url):
    """The probe is a write: a Redis that cannot take writes (here it lacks the replicas it
    asks for; a primary demoted to replica behind a proxy that kept the connection answers
    READONLY the same way) answers it with an error, and the copies end."""
    web, _ = apps()
    hits, _ = local_hits(web)
    _get(web.test_client(), "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None
    raw = redis.Redis.from_url(redis_url)
    raw.config_set("min-replicas-to-write", 1)
    try:
        assert wait_for(lambda: not hits.usable() and len(hits) == 0, timeout=2)
    finally:
        raw.config_set("min-replicas-to-write", 0)
    assert wait_for(hits.usable, timeout=5)


def test_a_message_later_than_the_lease_but_not_the_writers_wait_is_heard(apps, redis_url, closing):
    """The writer's wait, on a real delay: through a proxy that holds back what Redis sends
    0.1 s the lease holds (probes are answered within it) while the PUT's message is 0.1 s
    late; the writer's 0.25 s wait lets it arrive before the GET. Regression guard: without
    the wait (WRITE_WAIT_SECONDS 0) this GET answered the old list from memory."""
    host, port = redis_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    proxy = DelayingProxy((host, int(port)))
    proxied = redis_url.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}")
    web = redis_app(proxied, REDIS_TIMEOUT=2, CELERY_BROKER_URL=redis_url, LOCAL_HITS=4096)
    closing.append(web)
    other = redis_app(redis_url, LOCAL_HITS=0)
    get_store(other).put_profile("c-1", PLAIN)
    _refresh(other, "c-1")
    _started(web)
    hits, _ = local_hits(web)
    client = web.test_client()
    time.sleep(0.3)
    _get(client, "c-1")
    assert wait_for(lambda: hits.get("c-1"), timeout=5) is not None
    proxy.delay = 0.1
    for turn in range(6):
        time.sleep(0.3)  # (the probes answered 0.1 s late: the lease holds)
        assert wait_for(lambda: hits.get("c-1"), timeout=2) is not None, turn
        profile = ON_VKA if turn % 2 == 0 else PLAIN
        assert other.test_client().put("/v1/customers/c-1", json=profile).status_code == 200
        assert _get(client, "c-1").get_json()["source"] == "computed", turn
        proxy.delay = 0.0
        _refresh(other, "c-1", force=True)
        time.sleep(0.2)
        _get(client, "c-1")
        assert wait_for(lambda: hits.get("c-1"), timeout=5) is not None
        proxy.delay = 0.1
    proxy.delay = 0.0


def _probes(raw) -> int:
    return int(raw.info("commandstats").get("cmdstat_set", {}).get("calls", 0))


def test_probes_are_at_most_one_per_probe_seconds_under_hits_and_rare_when_quiet(apps, redis_url):
    """Regression: a probe was sent again as soon as the last one was answered (the deque of
    unanswered ones empty), thousands a second, which made every request of the process
    dearer (bench/README.md, session 25)."""
    web, _ = apps()
    hits, _ = local_hits(web)
    client = web.test_client()
    raw = redis.Redis.from_url(redis_url)
    before, started = _probes(raw), time.monotonic()
    while time.monotonic() - started < 1.0:  # hits all the time
        _get(client, "c-1")
    busy = _probes(raw) - before
    assert busy <= 1.0 / local_hits_module.PROBE_SECONDS + 5, busy
    before = _probes(raw)
    time.sleep(2.0)  # quiet: the process's thread alone
    assert _probes(raw) - before <= 3
