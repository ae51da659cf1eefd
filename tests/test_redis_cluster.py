"""The customer store on a real Redis Cluster of three masters (`redis-server --cluster-enabled
yes` on free ports, `redis-cli --cluster create`), with a real Celery worker: customers,
batch refresh, erasure, corrupt entries; and the capacity figures of the README, measured.

With `DOSEWISE_REDIS_CLUSTER=true` every key of one customer carries the id as hash tag
(`dw:profile:{id}`, `dw:recs:{id}`, ...), so the commands that touch several of them (the GET's
MGET, the guarded list write, the erase) stay within one slot.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess

import pytest
import redis as redis_lib
from redis.cluster import RedisCluster

from bench.server import db_url, start_celery_worker
from service.api.app import create_app
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import CachedList, RedisStore, key

from .conftest import wait_for

BROKER_DB = 10
MASTERS = 3


def _cluster_ports(count: int) -> list[int]:
    """Ports whose cluster bus port (+10000) is free too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    binary = os.environ.get("DOSEWISE_TEST_REDIS_BINARY") or shutil.which("redis-server")
    cli = shutil.which("redis-cli") or str(binary).replace("redis-server", "redis-cli")
    if not binary or not os.path.exists(cli):
        pytest.fail("redis-server and redis-cli are needed (tests/with_redis.py installs them)")
    tmp = tmp_path_factory.mktemp("cluster")
    ports = _cluster_ports(MASTERS)
    servers = []
    for port in ports:
        folder = tmp / str(port)
        folder.mkdir()
        servers.append(
            subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled"]
                + ["yes", "--cluster-config-file", str(folder / "nodes.conf"), "--save", ""]
                + ["--appendonly", "no", "--dir", str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        for port in ports:
            wait_for(lambda p=port: _pings(p), 15)
        subprocess.run(
            [cli, "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports]]
            + ["--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for port in ports:
            wait_for(lambda p=port: _state(p) == "ok", 30)
        yield {"url": f"redis://127.0.0.1:{ports[0]}/0", "ports": ports, "tmp": tmp}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def _pings(port: int) -> bool:
    try:
        return bool(redis_lib.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis_lib.RedisError:
        return False


def _state(port: int) -> str:
    info = redis_lib.Redis(port=port).cluster("info")
    state = info.get("cluster_state") or info.get(b"cluster_state") or b""
    return state.decode() if isinstance(state, bytes) else str(state)


@pytest.fixture()
def stack(cluster):
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    broker = db_url(base, BROKER_DB)  # Celery's broker is a plain Redis: kombu has no cluster
    redis_lib.Redis.from_url(broker).flushdb()
    client = RedisCluster.from_url(cluster["url"])
    client.flushall()
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": cluster["url"],
            "REDIS_CLUSTER": True,
            "CELERY_BROKER_URL": broker,
            "REFRESH_CHUNK_SIZE": 100,
            "ACCESS_LOG": False,
        }
    )
    yield {"app": app, "client": app.test_client(), "redis": client, "broker": broker, **cluster}
    client.flushall()
    client.close()


def _all_keys(client: RedisCluster) -> list[bytes]:
    return list(client.scan_iter(match="*", target_nodes=RedisCluster.ALL_NODES))


def test_one_customers_keys_share_a_slot(stack):
    store = get_store(stack["app"])
    assert isinstance(store, RedisStore) and store.cluster
    client = stack["redis"]
    for customer_id in ("a", "patient{42}", "x}y", "ü-1", "{"):
        slots = {
            client.keyslot(key(family, customer_id, tagged=True))
            for family in ("profile", "recs", "pending", "events", "impressions")
        }
        assert len(slots) == 1, (customer_id, slots)


def test_customers_get_put_delete_and_corrupt_entries_on_a_cluster(stack):
    client, r, app = stack["client"], stack["redis"], stack["app"]
    store = get_store(app)
    ids = [f"cl-{i}" for i in range(30)]
    for i, customer_id in enumerate(ids):
        profile = {"age": 20 + i, "medications": ["vitamin_k_antagonist"] if i % 3 == 0 else []}
        assert client.put(f"/v1/customers/{customer_id}", json=profile).status_code == 200
    slots = {r.keyslot(key("profile", i, tagged=True)) for i in ids}
    nodes = {r.get_node_from_key(key("profile", i, tagged=True)).port for i in ids}
    assert len(slots) > 10 and len(nodes) == MASTERS, "the customers spread over every master"
    counts = refresh_chunk(app.extensions["dosewise"], store, ids, cache_policy(app))
    assert counts["computed"] >= 2 and counts["missing"] == 0
    for i, customer_id in enumerate(ids):
        body = client.get(f"/v1/customers/{customer_id}/recommendations").get_json()
        assert body["source"] == "cache", customer_id
        if i % 3 == 0:
            assert not any(
                it["nutrients_per_day"].get(k, 0) > 0
                for it in body["items"]
                for k in ("vitamin_k1_ug", "vitamin_k2_ug")
            )
    r.set(key("recs", "cl-1", tagged=True), b"garbage")
    assert client.get("/v1/customers/cl-1/recommendations").get_json()["source"] == "computed"
    events = [
        {"customer_id": "cl-2", "sku": "XF-D3K2-TAB", "type": "view"}
        | {"timestamp": "2026-11-28T10:00:00Z"}
    ] * 5
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    client.post("/v1/recommendations", json={"profile": {"age": 30}, "customer_id": "cl-2"})
    assert client.delete("/v1/customers/cl-2").get_json()["deleted"] is True
    assert [k for k in _all_keys(r) if b"cl-2}" in k] == []
    for stream in ("dw:events", "dw:impressions"):
        assert not any(b"cl-2" in f[b"data"] for _, f in r.xrange(stream)), stream
    assert client.get("/v1/customers/cl-2/recommendations").status_code == 404


def test_a_late_refresh_writes_no_list_after_a_delete_on_a_cluster(stack):
    client, r, app = stack["client"], stack["redis"], stack["app"]
    assert client.put("/v1/customers/late-c", json={"age": 70}).status_code == 200

    class DeleteBeforeWrite(RedisStore):
        def write_lists(self, entries, newest=None):
            assert client.delete("/v1/customers/late-c").status_code == 200
            return super().write_lists(entries, newest)

    late = DeleteBeforeWrite(r, cluster=True)
    refresh_chunk(app.extensions["dosewise"], late, ["late-c"], cache_policy(app), force=True)
    assert not r.exists(key("recs", "late-c", tagged=True))


def test_a_batch_refresh_on_a_cluster_with_a_real_worker(stack):
    client, r, app = stack["client"], stack["redis"], stack["app"]
    store = get_store(app)
    for i in range(500):
        store.put_profile(f"batch-{i}", {"age": 18 + i % 70, "serum_25ohd_nmol_l": float(i)})
    env = {
        **os.environ,
        "REDIS_URL": stack["url"],
        "DOSEWISE_REDIS_CLUSTER": "true",
        "DOSEWISE_CELERY_BROKER_URL": stack["broker"],
        "DOSEWISE_RELOAD_INTERVAL": "0",
        "DOSEWISE_REFRESH_CHUNK_SIZE": "100",
    }
    worker = start_celery_worker(env, 1, stack["tmp"] / "worker.log", f"cl-{os.getpid()}@%h")
    try:
        run = client.post("/v1/admin/refresh", json={}).get_json()
        wait_for(
            lambda: client.get("/v1/admin/refresh").get_json().get("status") == "finished",
            timeout=180,
        )
        state = client.get(f"/v1/admin/refresh?run_id={run['run_id']}").get_json()
        assert state["done"] == 500 and state["failed"] == 0
        fingerprint = app.extensions["dosewise"].snapshot.fingerprint
        raws = [r.get(key("recs", f"batch-{i}", tagged=True)) for i in range(500)]
        assert {CachedList.decode(raw).fingerprint for raw in raws} == {fingerprint}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def test_capacity_per_customer_and_per_cached_list(stack, capsys):
    """The README's capacity note: MEMORY USAGE of a stored profile and a cached list."""
    client, r, app = stack["client"], stack["redis"], stack["app"]
    store = get_store(app)
    profile = {
        "age": 67,
        "sex": "female",
        "medications": ["vitamin_k_antagonist"],
        "conditions": ["osteoporosis"],
        "current_supplements": [{"label": "D3 drops", "nutrients": {"vitamin_d_ug": 25}}],
    }
    for i in range(50):
        client.put(f"/v1/customers/cap-{i}", json={**profile, "age": 40 + i})
    refresh_chunk(
        app.extensions["dosewise"], store, [f"cap-{i}" for i in range(50)], cache_policy(app)
    )
    usage = {
        family: sum(r.memory_usage(key(family, f"cap-{i}", tagged=True)) for i in range(50)) / 50
        for family in ("profile", "recs")
    }
    with capsys.disabled():
        print(
            f"\ncapacity: bytes per stored profile {usage['profile']:.0f}, "
            f"per cached list {usage['recs']:.0f}"
        )
    assert 200 < usage["profile"] < 4000 and 500 < usage["recs"] < 8000, usage
    assert json.loads(r.get(key("profile", "cap-0", tagged=True)))["profile"]["age"] == 40
