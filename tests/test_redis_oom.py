"""Redis at maxmemory (issue 15, point 7), with a real redis-server and a real Celery worker.

Regressions: the worker ended for good ("Unrecoverable error: OutOfMemoryError", with 20,936
tasks left queued), and DELETE answered 503 because the erase ran in MULTI, which Redis refuses
when it is out of memory (DEL, XDEL and SREM alone are allowed there).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import redis as redis_lib

from bench.server import start_celery_worker
from service.api.app import create_app
from service.settings import REPO_ROOT
from tests.with_redis import free_port

from .conftest import wait_for

MAXMEMORY = "24mb"


def fill(client: redis_lib.Redis) -> int:
    """Write filler keys until Redis refuses, then lower maxmemory below what is used, so it
    stays out of memory whatever buffers come and go."""
    count = 0
    while True:
        try:
            client.set(f"filler:{count}", b"x" * 20_000)
        except redis_lib.exceptions.OutOfMemoryError:
            break
        count += 1
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", used - 2 * 1024 * 1024)
    return count


@pytest.fixture()
def small_redis(tmp_path):
    binary = os.environ.get("DOSEWISE_TEST_REDIS_BINARY") or shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server not found (tests/with_redis.py installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        + ["no", "--dir", str(tmp_path), "--maxmemory", MAXMEMORY]
        + ["--maxmemory-policy", "noeviction"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis_lib.Redis.from_url(url)
    wait_for(lambda: _pings(client), 15)
    yield {"url": url, "client": client, "tmp": tmp_path}
    process.terminate()
    process.wait(timeout=10)


def _pings(client: redis_lib.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_lib.RedisError:
        return False


def test_delete_erases_a_customer_while_redis_is_out_of_memory(small_redis):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": small_redis["url"]}
        | {"CELERY_BROKER_URL": "memory://", "ACCESS_LOG": False}
    )
    client, r = app.test_client(), small_redis["client"]
    assert client.put("/v1/customers/oom-1", json={"age": 50}).status_code == 200
    events = [
        {"customer_id": "oom-1", "sku": "XF-D3K2-TAB", "type": "view"}
        | {"timestamp": "2026-11-28T10:00:00Z"}
    ] * 20
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    assert fill(r) > 0
    with pytest.raises(redis_lib.exceptions.OutOfMemoryError):
        r.set("one-more", b"x" * 20_000)
    answer = client.delete("/v1/customers/oom-1")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["deleted"] is True
    assert [k for k in r.scan_iter(match="*oom-1*")] == []
    assert not any(b"oom-1" in f[b"data"] for _, f in r.xrange("dw:events"))
    assert r.sismember("dw:erasing", "oom-1"), "the exported files still need cleaning"


def test_the_worker_pauses_while_redis_is_full_and_works_again_after(small_redis):
    url, r, tmp = small_redis["url"], small_redis["client"], small_redis["tmp"]
    env = {
        **os.environ,
        "REDIS_URL": url,
        "DOSEWISE_CELERY_BROKER_URL": url,
        "DOSEWISE_RELOAD_INTERVAL": "0",
    }
    first = start_celery_worker(env, 1, tmp / "first.log", f"oom-a-{os.getpid()}@%h")
    os.killpg(first.pid, signal.SIGKILL)  # a worker lost while Redis fills up
    first.wait(timeout=10)
    fill(r)
    log = tmp / "worker.log"
    with log.open("ab") as handle:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.make_celery", "worker"]
            + ["--pool=prefork", "--concurrency=1", "--without-heartbeat", "--without-mingle"]
            + ["--without-gossip", "--loglevel=INFO", "-n", f"oom-b-{os.getpid()}@%h"],
            env=env,
            cwd=REPO_ROOT,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )
    try:
        # the old worker ended within a second of its first write: "Unrecoverable error"
        pause = "out of memory (maxmemory): the worker pauses"
        wait_for(lambda: pause in log.read_bytes().decode(errors="replace"), 90)
        time.sleep(2)
        text = log.read_bytes().decode(errors="replace")
        assert worker.poll() is None, text[-3000:]
        assert "Unrecoverable" not in text, text[-3000:]
        # Redis has room again: the same worker takes work without a restart
        for key in r.scan_iter(match="filler:*", count=1000):
            r.delete(key)
        app = create_app(
            {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": url, "CELERY_BROKER_URL": url}
        )
        client = app.test_client()
        assert client.put("/v1/customers/after-oom", json={"age": 60}).status_code == 200
        wait_for(lambda: r.exists("dw:recs:after-oom"), 60)
        assert worker.poll() is None
        body = client.get("/v1/customers/after-oom/recommendations").get_json()
        assert body["source"] == "cache", json.dumps(body)[:300]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
