"""Erasure is complete and race-free (issue 15, point 6).

Regressions: a refresh that read the profile before a DELETE wrote the list back after it (an
orphan list with a 14-day TTL); events older than the last 1000 of a customer stayed in the
stream; exported event and impression files kept the customer; the shared list computed for the
profile digest stayed for an hour. Review s34b F2: an event written while a DELETE ran was
dropped from the index unread and stayed in the stream for good (33 of 150 real races).
"""

from __future__ import annotations

import json
import threading

import pytest
import redis as redis_lib

from service.api.app import create_app
from service.customers.entries import ERASED
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import EVENTS_STREAM, RedisStore, profile_digest
from service.learning.exports import EVENTS_FILE, IMPRESSIONS_FILE, apply_erasures, export_streams


@pytest.fixture()
def stack(redis_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": redis_url,
            "ACCESS_LOG": False,
            "LEARNING_DIR": str(tmp_path / "learning"),
        }
    )
    yield {
        "app": app,
        "client": app.test_client(),
        "store": get_store(app),
        "redis": redis_lib.Redis.from_url(redis_url),
        "dir": tmp_path / "learning",
    }


def _events(customer_id: str, count: int) -> list[dict]:
    return [
        {
            "customer_id": customer_id,
            "sku": "XF-D3K2-TAB",
            "type": "view",
            "timestamp": f"2026-11-{1 + i % 28:02d}T10:00:00Z",
        }
        for i in range(count)
    ]


def test_a_refresh_that_read_before_a_delete_writes_nothing_after_it(stack):
    app, client, r = stack["app"], stack["client"], stack["redis"]
    recommender = app.extensions["dosewise"]
    assert client.put("/v1/customers/late-1", json={"age": 70}).status_code == 200

    class DeleteBeforeWrite(RedisStore):
        """The refresh reads the profile, then the DELETE lands, then the refresh writes."""

        def write_lists(self, entries, newest=None):
            assert client.delete("/v1/customers/late-1").get_json()["deleted"] is True
            return super().write_lists(entries, newest)

    late = DeleteBeforeWrite(r)
    counts = refresh_chunk(recommender, late, ["late-1"], cache_policy(app), force=True)
    assert counts["computed"] + counts["skipped"] == 1  # it did read the profile
    assert not r.exists("dw:recs:late-1"), "an orphan list was written after the DELETE"
    assert [k for k in r.scan_iter(match="*late-1*")] == []
    assert client.get("/v1/customers/late-1/recommendations").status_code == 404


def test_a_refresh_does_not_write_a_list_for_a_profile_changed_meanwhile(stack):
    app, client, r = stack["app"], stack["client"], stack["redis"]

    class PutBeforeWrite(RedisStore):
        def write_lists(self, entries, newest=None):
            changed = {"age": 70, "medications": ["vitamin_k_antagonist"]}
            assert client.put("/v1/customers/late-2", json=changed).status_code == 200
            return super().write_lists(entries, newest)

    assert client.put("/v1/customers/late-2", json={"age": 70}).status_code == 200
    refresh_chunk(
        app.extensions["dosewise"], PutBeforeWrite(r), ["late-2"], cache_policy(app), force=True
    )
    assert not r.exists("dw:recs:late-2")


def test_delete_finds_events_and_impressions_whatever_their_age(stack):
    client, r = stack["client"], stack["redis"]
    assert client.put("/v1/customers/old-1", json={"age": 40}).status_code == 200
    others = _events("someone-else", 5)
    for start in range(0, 1500, 500):
        body = {"events": _events("old-1", 500)[:500] + (others if start == 0 else [])}
        assert client.post("/v1/events", json=body).status_code == 202
    for _ in range(3):
        client.post("/v1/recommendations", json={"profile": {"age": 40}, "customer_id": "old-1"})
    assert sum(b"old-1" in f[b"data"] for _, f in r.xrange("dw:events")) == 1500
    assert client.delete("/v1/customers/old-1").status_code == 200
    for stream in ("dw:events", "dw:impressions"):
        assert not any(b"old-1" in f[b"data"] for _, f in r.xrange(stream)), stream
    assert sum(b"someone-else" in f[b"data"] for _, f in r.xrange("dw:events")) == 5


def test_an_index_written_by_the_older_list_layout_is_still_erased(stack):
    client, r = stack["client"], stack["redis"]
    stream_id = r.xadd("dw:events", {"data": json.dumps(_events("legacy-1", 1)[0])})
    r.rpush("dw:events:legacy-1", stream_id)
    r.set("dw:profile:legacy-1", json.dumps({"profile": {"age": 30}, "digest": "x"}))
    assert client.post("/v1/events", json={"events": _events("legacy-1", 2)}).status_code == 202
    assert r.type("dw:events:legacy-1") == b"zset" and r.zcard("dw:events:legacy-1") == 3
    assert client.delete("/v1/customers/legacy-1").status_code == 200
    assert not any(b"legacy-1" in f[b"data"] for _, f in r.xrange("dw:events"))


def test_exported_files_are_rewritten_without_the_erased_customer(stack):
    client, store, out = stack["client"], stack["store"], stack["dir"]
    for customer_id in ("files-1", "files-2"):
        assert client.put(f"/v1/customers/{customer_id}", json={"age": 72}).status_code == 200
        client.post("/v1/events", json={"events": _events(customer_id, 3)})
        profile = {"age": 50, "goals": ["bones"]}  # a need, so the list is not empty
        client.post("/v1/recommendations", json={"profile": profile, "customer_id": customer_id})
    export_streams(store, out)
    for name in (EVENTS_FILE, IMPRESSIONS_FILE):
        assert "files-1" in (out / name).read_text()
    assert client.delete("/v1/customers/files-1").status_code == 200
    apply_erasures(store, out)  # the task the DELETE queued (workers.tasks.erase_exported)
    for name in (EVENTS_FILE, IMPRESSIONS_FILE):
        text = (out / name).read_text()
        assert "files-1" not in text and "files-2" in text, name
    # an export that read the customer's records before the DELETE appends none of them after
    client.post("/v1/events", json={"events": _events("files-2", 1)})
    stack["redis"].xadd("dw:events", {"data": json.dumps(_events("files-1", 1)[0])})
    export_streams(store, out)
    assert "files-1" not in (out / EVENTS_FILE).read_text()


def test_the_shared_list_of_the_profile_digest_is_erased(stack):
    app, client, r = stack["app"], stack["client"], stack["redis"]
    profile = {"age": 81, "conditions": ["kidney_disease"]}
    assert client.put("/v1/customers/shared-1", json=profile).status_code == 200
    store = stack["store"]
    refresh_chunk(app.extensions["dosewise"], store, ["shared-1"], cache_policy(app))
    digest = json.loads(r.get("dw:profile:shared-1"))["digest"]
    shared = [k for k in r.scan_iter(match="dw:shared:*")]
    assert shared and all(digest.encode() in k for k in shared)
    assert client.delete("/v1/customers/shared-1").status_code == 200
    assert [k for k in r.scan_iter(match="dw:shared:*")] == []
    assert profile_digest  # the digest is of the stored profile, as the refresh keys it


def _left(r, customer_id: str) -> int:
    needle = f'"customer_id":"{customer_id}"'.encode()
    return sum(needle in fields[b"data"] for _, fields in r.xrange(EVENTS_STREAM))


def test_an_event_indexed_while_the_delete_runs_is_erased_by_it(stack, monkeypatch):
    """The deterministic race: the event lands right after DELETE took the index's first ids."""
    client, r = stack["client"], stack["redis"]
    assert client.put("/v1/customers/race-1", json={"age": 72}).status_code == 200
    assert client.post("/v1/events", json={"events": _events("race-1", 1)}).status_code == 202
    first = RedisStore._erase_index
    landed = []

    def erase_then_a_write_lands(self, stream, index):
        done = first(self, stream, index)
        if stream == EVENTS_STREAM and not landed:  # another web process's POST /v1/events
            landed.append(client.post("/v1/events", json={"events": _events("race-1", 1)}))
        return done

    monkeypatch.setattr(RedisStore, "_erase_index", erase_then_a_write_lands)
    assert client.delete("/v1/customers/race-1").get_json()["deleted"] is True
    assert landed and landed[0].status_code == 202
    assert _left(r, "race-1") == 0


def test_events_racing_deletes_leave_nothing_after_a_second_delete(stack):
    """Real threads, no hook: each customer's event POST and DELETE start together, then one
    more DELETE (as a shop's erasure job retries); nothing of any customer is left."""
    app, r = stack["app"], stack["redis"]
    customers = [f"race-{n}" for n in range(60)]
    for customer in customers:
        app.test_client().put(f"/v1/customers/{customer}", json={"age": 40})

    def post(customer):
        app.test_client().post("/v1/events", json={"events": _events(customer, 1)})

    def delete(customer):
        app.test_client().delete(f"/v1/customers/{customer}")

    for customer in customers:
        threads = [threading.Thread(target=f, args=(customer,)) for f in (post, delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        delete(customer)
    assert {c: _left(r, c) for c in customers if _left(r, c)} == {}


def test_a_delete_that_fails_midway_is_completed_by_its_retry(stack, monkeypatch):
    """Review s34c 2: popping the index (ZPOPMIN) before XDEL lost the ids when the DELETE
    failed in between: the retry answered `deleted: false` and the events stayed. The ids now
    leave the index only after their entries left the stream."""
    client, r = stack["client"], stack["redis"]
    assert client.put("/v1/customers/retry-1", json={"age": 50}).status_code == 200
    assert client.post("/v1/events", json={"events": _events("retry-1", 5)}).status_code == 202
    xdel = redis_lib.Redis.xdel

    def fails(self, *args, **kwargs):
        raise redis_lib.ConnectionError("the connection dropped")

    monkeypatch.setattr(redis_lib.Redis, "xdel", fails)  # the index read, the stream not yet
    assert client.delete("/v1/customers/retry-1").status_code == 503
    monkeypatch.setattr(redis_lib.Redis, "xdel", xdel)
    retried = client.delete("/v1/customers/retry-1")
    assert retried.status_code == 200, retried.get_json()
    assert _left(r, "retry-1") == 0 and not r.exists("dw:events:retry-1")


def _consistent(r, customer_id: str) -> bool:
    """Stored and in the customer index (the refresh and the refill job read it), or neither."""
    stored = r.exists(f"dw:profile:{customer_id}") == 1
    return stored == bool(r.sismember("dw:customers", customer_id))


def test_a_put_landing_inside_a_delete_ends_stored_and_indexed(stack, monkeypatch):
    """Review s35b F1: a PUT that landed after DELETE had removed the profile and before it
    moved the id out of dw:customers left the profile stored but unindexed: GET answered
    200, while the batch refresh and the daily refill job skipped the customer (a reorder
    due, no e-mail). Deterministic: the PUT lands in the DELETE's second pass."""
    client, r = stack["client"], stack["redis"]
    assert client.put("/v1/customers/put-race", json={"age": 70}).status_code == 200
    first, calls, landed = RedisStore._erase_index, [], []

    def erase_then_a_put_lands(self, stream, index):
        calls.append(stream)
        if len(calls) == 3:  # the second pass: after the profile's DEL, before the SMOVE
            landed.append(client.put("/v1/customers/put-race", json={"age": 71}))
        return first(self, stream, index)

    monkeypatch.setattr(RedisStore, "_erase_index", erase_then_a_put_lands)
    assert client.delete("/v1/customers/put-race").status_code == 200
    assert landed and landed[0].status_code == 200
    assert client.get("/v1/customers/put-race/recommendations").status_code == 200
    assert r.sismember("dw:customers", "put-race")


def test_puts_racing_deletes_leave_every_customer_whole(stack):
    """Real threads: each customer's PUT and DELETE start together; each ends stored and
    indexed, or erased, never stored outside the index."""
    app, r = stack["app"], stack["redis"]
    customers = [f"put-race-{n}" for n in range(60)]
    for customer in customers:
        app.test_client().put(f"/v1/customers/{customer}", json={"age": 70})

    def put(customer):
        app.test_client().put(f"/v1/customers/{customer}", json={"age": 71})

    def delete(customer):
        app.test_client().delete(f"/v1/customers/{customer}")

    for customer in customers:
        threads = [threading.Thread(target=f, args=(customer,)) for f in (delete, put)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [c for c in customers if not _consistent(r, c)] == []


def test_an_erasure_settled_between_the_reads_of_an_export_is_still_dropped(stack, monkeypatch):
    """Review s36b F2: `recent_erasures` read the erased set, then the pending one; the two
    erase tasks of a DELETE run at once on two workers, and one that settled the id between
    the reads (added to the erased set, taken from the pending one) left it in neither: the
    refill export kept the erased customer. The other task settles it here, at that moment."""
    client, store = stack["client"], stack["store"]
    assert client.put("/v1/customers/race-settle", json={"age": 72}).status_code == 200
    assert client.delete("/v1/customers/race-settle").get_json()["deleted"] is True
    assert "race-settle" in store.pending_erasures()  # the premise: the DELETE queued it
    real = type(store.client)
    original = real.zrangebyscore
    settled = []

    def zrangebyscore_then_settle(self, *args, **kwargs):
        found = original(self, *args, **kwargs)
        if not settled and args and args[0] == ERASED:
            settled.append(True)
            store.settle_erasures({"race-settle"})  # the other erase task, between the reads
        return found

    monkeypatch.setattr(real, "zrangebyscore", zrangebyscore_then_settle)
    assert "race-settle" in store.recent_erasures()
