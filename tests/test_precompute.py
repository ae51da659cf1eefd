"""Precompute with a real Redis and a real Celery worker process: cache, staleness, erasure,
a worker killed mid-refresh, Redis stopped and restarted under requests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest
import redis as redis_lib

from service.api.app import create_app
from service.customers.store import CachedList

from .conftest import wait_for
from .stacks import worker_stack

STORE_DB, BROKER_DB = 14, 13


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Data copy, store and broker databases, one app and one worker sharing them."""
    settings = {"RELOAD_INTERVAL": 0, "REFRESH_CHUNK_SIZE": 250, "REFRESH_LOCK_TTL": 2}
    tmp = tmp_path_factory.mktemp("precompute")
    with worker_stack(tmp, STORE_DB, BROKER_DB, settings, {"RELOAD_INTERVAL": 0.1}) as stack:
        yield stack


def source_of(client, customer_id: str, **query) -> str:
    response = client.get(f"/v1/customers/{customer_id}/recommendations", query_string=query)
    assert response.status_code == 200, response.data
    return response.get_json()["source"]


# five items and no notice that names items (`one_of:`, `not_together:`), so a smaller limit is
# sliced from the cache (session 35: a 72-year-old's two vitamin D products now carry `one_of`,
# and a list cut below them is computed anew, test_s21_redis)
HIT = {"age": 40, "sex": "female", "goals": ["energy"]}


def test_put_schedules_a_refresh_that_the_worker_writes_then_get_hits_the_cache(stack):
    client = stack["client"]
    assert client.put("/v1/customers/hit-1", json=HIT).status_code == 200
    wait_for(lambda: stack["redis"].exists("dw:recs:hit-1"))
    cached = client.get("/v1/customers/hit-1/recommendations?limit=3").get_json()
    assert cached["source"] == "cache"
    direct = client.post("/v1/recommendations", json={"profile": HIT, "limit": 3}).get_json()
    assert [i["sku"] for i in cached["items"]] == [i["sku"] for i in direct["items"]]
    assert cached["versions"] == direct["versions"]
    # the cached limit (5) is sent as stored, a smaller one sliced from it; a larger limit or
    # another locale is computed
    ready = client.get("/v1/customers/hit-1/recommendations?limit=5")
    assert ready.get_json()["source"] == "cache" and len(ready.get_json()["items"]) == 5
    assert ready.get_json()["items"][:3] == cached["items"]
    assert source_of(client, "hit-1", limit=10) == "computed"
    assert source_of(client, "hit-1", locale="de") == "computed"


def test_missing_list_is_computed_and_a_refresh_is_queued(stack):
    client, app = stack["client"], stack["app"]
    from service.customers.redis_client import get_store

    get_store(app).put_profile("miss-1", {"age": 35, "diet": "vegan"})  # no refresh scheduled
    assert source_of(client, "miss-1") == "computed"
    wait_for(lambda: source_of(client, "miss-1") == "cache")


def test_a_changed_profile_makes_the_list_stale(stack):
    client, app = stack["client"], stack["app"]
    from service.customers.redis_client import get_store

    client.put("/v1/customers/change-1", json={"age": 30})
    wait_for(lambda: source_of(client, "change-1") == "cache")
    get_store(app).put_profile("change-1", {"age": 30, "diet": "vegan"})  # changed, not queued
    response = client.get("/v1/customers/change-1/recommendations").get_json()
    assert response["source"] == "computed"
    catalog = app.extensions["dosewise"].snapshot.catalog
    assert all(catalog.products[catalog.index[i["sku"]]].vegan for i in response["items"])
    wait_for(lambda: source_of(client, "change-1") == "cache")


def test_delete_erases_profile_list_pending_and_events(stack):
    client, r = stack["client"], stack["redis"]
    client.put("/v1/customers/gone-1", json={"age": 72, "medications": ["levothyroxine"]})
    events = [
        {
            "customer_id": "gone-1",
            "sku": "XF-D3K2-TAB",
            "type": t,
            "timestamp": "2026-11-28T10:00:00Z",
        }
        for t in ("view", "click", "purchase")
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    wait_for(lambda: r.exists("dw:recs:gone-1"))
    # a list computed for this customer logs an impression (features) for training
    client.post("/v1/recommendations", json={"profile": {"age": 72}, "customer_id": "gone-1"})
    assert any(b"gone-1" in f[b"data"] for _, f in r.xrange("dw:impressions"))
    assert client.delete("/v1/customers/gone-1").get_json()["deleted"] is True
    leftovers = [k for k in r.scan_iter(match="*gone-1*")]
    assert leftovers == []
    assert not r.sismember("dw:customers", "gone-1")
    for stream in ("dw:events", "dw:impressions"):
        assert all(b"gone-1" not in fields[b"data"] for _, fields in r.xrange(stream)), stream
    assert client.get("/v1/customers/gone-1/recommendations").status_code == 404


def _store_customers(r: redis_lib.Redis, count: int) -> list[str]:
    from service.customers.store import RedisStore

    store = RedisStore(r)
    ids = []
    for i in range(count):
        profile = {
            "age": 18 + i % 70,
            "sex": ["female", "male"][i % 2],
            "diet": ["omnivore", "vegetarian", "vegan"][i % 3],
            "goals": [["bones"], ["energy"], []][i % 3],
            "country": ["NL", "DE"][i % 2],
            "serum_25ohd_nmol_l": float(20 + i % 97),
        }
        store.put_profile(f"bulk-{i}", profile)
        ids.append(f"bulk-{i}")
    return ids


def _entry_is_whole(raw: bytes, versions_by_fingerprint: dict[str, dict]) -> str:
    cached = CachedList.decode(raw)
    body = next(iter(cached.bodies.values()))
    assert body["versions"] == versions_by_fingerprint[cached.fingerprint]
    return cached.fingerprint


def test_worker_killed_mid_refresh_leaves_old_or_new_lists_and_a_rerun_completes(stack):
    client, r, worker, app = stack["client"], stack["redis"], stack["worker"], stack["app"]
    recommender = app.extensions["dosewise"]
    ids = _store_customers(r, 6000)
    assert client.post("/v1/admin/refresh", json={}).status_code == 202
    wait_for(
        lambda: (client.get("/v1/admin/refresh").get_json() or {}).get("status") == "finished",
        timeout=120,
    )
    old = dict(recommender.snapshot.versions)
    old_fp = recommender.snapshot.fingerprint
    # a rules change: new fingerprint; the app reloads and starts a refresh on the worker
    rule_file = stack["rules"] / "merchandising" / "zz_test_boost.yaml"
    rule_file.write_text(
        "source: test\nrules:\n  - id: test-boost-magnesium\n    description: test\n"
        "    categories: [magnesium]\n    action: boost\n    weight: 0.05\n"
        "    reason: {nl: 'Magnesium.', de: 'Magnesium.', en: 'Magnesium.'}\n"
    )
    try:
        assert recommender.reload().ok
        new_fp = recommender.snapshot.fingerprint
        assert new_fp != old_fp
        versions = {old_fp: old, new_fp: dict(recommender.snapshot.versions)}

        def partly_done():
            state = client.get("/v1/admin/refresh").get_json()
            return (
                state.get("fingerprint") == new_fp
                and state["computed"] > 0
                and 0 < state["done"] < state["total"]
            )

        wait_for(partly_done, timeout=120, interval=0.01)
        worker.kill()
        raws = r.mget([f"dw:recs:{i}" for i in ids])
        seen = {_entry_is_whole(raw, versions) for raw in raws}
        assert seen == {old_fp, new_fp}, "expected a half-done refresh: some old, some new"
        # the dead run's lock expires (REFRESH_LOCK_TTL=2 s); a rerun on a new worker completes
        worker.start()
        wait_for(
            lambda: client.post("/v1/admin/refresh", json={}).get_json().get("started"),
            timeout=30,
            interval=0.5,
        )
        wait_for(
            lambda: client.get("/v1/admin/refresh").get_json().get("status") == "finished",
            timeout=180,
            interval=0.2,
        )
        raws = r.mget([f"dw:recs:{i}" for i in ids])
        assert {_entry_is_whole(raw, versions) for raw in raws} == {new_fp}
        assert source_of(client, ids[0]) == "cache"
    finally:
        rule_file.unlink()
        recommender.reload()


def test_two_refreshes_at_once_do_not_double_the_work(stack):
    app = stack["app"]
    from service.customers.redis_client import get_store
    from service.customers.refresh import begin_run

    store = get_store(app)
    recommender = app.extensions["dosewise"]
    wait_for(
        lambda: (store.run_state() or {}).get("status", "finished") == "finished",
        timeout=120,
        interval=0.1,
    )
    first, started = begin_run(store, recommender, "test", 30)
    assert started
    second, started_again = begin_run(store, recommender, "test", 30)
    assert not started_again and second == first
    store.release_lock(first)


def test_celery_app_reads_its_broker_from_configuration(stack):
    from workers.celery_app import celery_config

    config = celery_config(
        {"REDIS_URL": "redis://x:1/0", "CELERY_BROKER_URL": "amqp://guest:guest@localhost:5672//"}
    )
    assert config["broker_url"].startswith("amqp://")
    assert config["task_always_eager"] is False
    assert celery_config({"REDIS_URL": None})["task_always_eager"] is True


# ---------------------------------------------------------------- Redis down and back
@pytest.fixture()
def own_redis(tmp_path):
    """A redis-server of this test's own, which it may stop and start again on one port."""
    binary = os.environ.get("DOSEWISE_TEST_REDIS_BINARY") or shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server not found (tests/with_redis.py installs it)")
    from tests.with_redis import free_port

    port = free_port()
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    state = {"process": None}

    def start():
        state["process"] = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: _answers(url), timeout=15)

    def stop():
        state["process"].terminate()
        state["process"].wait(timeout=10)

    start()
    yield {"url": f"redis://127.0.0.1:{port}/0", "start": start, "stop": stop}
    if state["process"].poll() is None:
        stop()


def _answers(url: str) -> bool:
    try:
        return redis_lib.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis_lib.RedisError:
        return False


def test_redis_stopped_and_restarted_during_requests(own_redis):
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": own_redis["url"],
            "CELERY_BROKER_URL": own_redis["url"],
            "REDIS_TIMEOUT": 0.3,
        }
    )
    client = app.test_client()
    assert client.put("/v1/customers/down-1", json={"age": 66}).status_code == 200
    assert client.get("/v1/customers/down-1/recommendations").status_code == 200
    own_redis["stop"]()
    statuses = []
    for _ in range(5):
        started = time.monotonic()
        get = client.get("/v1/customers/down-1/recommendations")
        assert time.monotonic() - started < 5, "the GET path must answer within a bounded time"
        # no process answers from its own copy of a profile (it may be old or erased)
        assert get.status_code == 503 and get.get_json()["error"]["code"] == "unavailable"
        statuses += [
            get.status_code,
            client.put("/v1/customers/down-2", json={"age": 40}).status_code,
            client.delete("/v1/customers/down-1").status_code,
            client.get("/v1/customers/never-seen/recommendations").status_code,
            client.get("/readyz").status_code,
            client.post("/v1/recommendations", json={"profile": {"age": 40}}).status_code,
        ]
    assert 500 not in statuses and set(statuses) <= {200, 503}
    error = client.put("/v1/customers/down-2", json={"age": 40}).get_json()["error"]
    assert error["code"] == "unavailable"
    own_redis["start"]()
    wait_for(lambda: client.get("/readyz").status_code == 200, timeout=15)
    assert client.put("/v1/customers/down-3", json={"age": 40}).status_code == 200
    assert client.get("/v1/customers/down-3/recommendations").status_code == 200
    assert json.loads(client.get("/readyz").data)["checks"]["redis"]["ok"] is True


def test_cache_hits_keep_the_key_check_request_id_and_metrics(stack, tmp_path):
    """The cache hit is answered in front of Flask (service/api/fast_path.py): it must still
    refuse a missing key, echo the request id and count in the metrics."""
    from service.api.app import create_app as make

    keyed = make(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": stack["app"].config["REDIS_URL"],
            "CELERY_BROKER_URL": stack["app"].config["CELERY_BROKER_URL"],
            "CATALOG_PATH": stack["app"].config["CATALOG_PATH"],
            "RULES_DIR": stack["app"].config["RULES_DIR"],
            "API_KEYS": {"shop-key-0123456789": ["recommend", "customers"]},
        }
    )
    client = keyed.test_client()
    auth = {"Authorization": "Bearer shop-key-0123456789"}
    assert client.put("/v1/customers/fast-1", json={"age": 70}, headers=auth).status_code == 200
    wait_for(lambda: stack["redis"].exists("dw:recs:fast-1"))
    assert client.get("/v1/customers/fast-1/recommendations").status_code == 401
    hit = client.get(
        "/v1/customers/fast-1/recommendations", headers={**auth, "X-Request-ID": "page-view-7"}
    )
    assert hit.status_code == 200 and hit.get_json()["source"] == "cache"
    assert hit.headers["X-Request-ID"] == "page-view-7"
    assert hit.headers["Content-Type"] == "application/json"
    bad = client.get("/v1/customers/fast-1/recommendations?limit=abc", headers=auth)
    assert bad.status_code == 422
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'dosewise_customer_lists_total{source="cache"} 1.0' in metrics


def test_a_refresh_that_finds_a_list_fresh_still_clears_its_pending_marker(stack):
    """Regression: a GET that raced a refresh left a pending marker that a later, skipping
    refresh never cleared, so a changed profile could not queue its refresh for 2 minutes."""
    app = stack["app"]
    from service.customers.redis_client import cache_policy, get_store
    from service.customers.refresh import refresh_chunk

    store = get_store(app)
    store.put_profile("pending-1", {"age": 44})
    refresh_chunk(app.extensions["dosewise"], store, ["pending-1"], cache_policy(app))
    assert store.mark_pending("pending-1")  # as a GET that raced the refresh would
    counts = refresh_chunk(app.extensions["dosewise"], store, ["pending-1"], cache_policy(app))
    assert counts["skipped"] == 1
    assert store.mark_pending("pending-1"), "the skipping refresh left the marker behind"


def test_with_redis_down_no_worker_answers_from_an_old_or_erased_profile(own_redis):
    """Regression (issue 15, point 2): each gunicorn worker kept its own copy of the profiles
    it had seen PUT and answered from it while Redis was down, so a worker that missed the
    newer PUT (a vitamin K antagonist added) or the DELETE answered with the old profile."""
    config = {
        "TESTING": True,
        "RELOAD_INTERVAL": 0,
        "REDIS_URL": own_redis["url"],
        "CELERY_BROKER_URL": own_redis["url"],
        "REDIS_TIMEOUT": 0.3,
    }
    worker_a = create_app(config).test_client()
    worker_b = create_app(config).test_client()
    assert worker_a.put("/v1/customers/vka-1", json={"age": 64}).status_code == 200
    changed = {"age": 64, "medications": ["vitamin_k_antagonist"]}
    assert worker_b.put("/v1/customers/vka-1", json=changed).status_code == 200
    assert worker_a.put("/v1/customers/erased-1", json={"age": 50}).status_code == 200
    assert worker_b.delete("/v1/customers/erased-1").get_json()["deleted"] is True
    own_redis["stop"]()
    for worker in (worker_a, worker_b):
        for customer_id in ("vka-1", "erased-1"):
            answer = worker.get(f"/v1/customers/{customer_id}/recommendations")
            assert answer.status_code == 503, (customer_id, answer.get_json())
            assert answer.get_json()["error"]["code"] == "unavailable"
