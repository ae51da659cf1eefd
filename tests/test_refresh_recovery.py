"""A batch refresh whose chunks are lost with a killed worker is detected and resumed (issue
15, point 8), with a real Redis broker, real worker processes and the real `dosewise` command.

Regression: with the whole worker SIGKILLed mid-refresh on the Redis broker, the run stayed
"running" for the visibility timeout (3,600 s) and `dosewise refresh --all` waited forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import redis as redis_lib

from bench.server import db_url, start_celery_worker
from service.api.app import create_app
from service.customers.redis_client import get_store
from service.customers.store import CachedList, RedisStore
from service.settings import REPO_ROOT
from workers.celery_app import celery_config

from .conftest import wait_for

STORE_DB, BROKER_DB = 12, 11
CUSTOMERS = 3000


@pytest.fixture()
def setup(tmp_path):
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    store_url, broker_url = db_url(base, STORE_DB), db_url(base, BROKER_DB)
    for url in (store_url, broker_url):
        redis_lib.Redis.from_url(url).flushdb()
    env = {
        **os.environ,
        "REDIS_URL": store_url,
        "DOSEWISE_CELERY_BROKER_URL": broker_url,
        "DOSEWISE_RELOAD_INTERVAL": "0",
        "DOSEWISE_REFRESH_CHUNK_SIZE": "200",
        "DOSEWISE_REFRESH_LOCK_TTL": "3",
    }
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": store_url,
            "CELERY_BROKER_URL": broker_url,
            "REFRESH_CHUNK_SIZE": 200,
            "REFRESH_LOCK_TTL": 3,
            "ACCESS_LOG": False,
        }
    )
    r = redis_lib.Redis.from_url(store_url)
    store = RedisStore(r)
    for i in range(CUSTOMERS):
        store.put_profile(
            f"lost-{i}",
            {
                "age": 18 + i % 70,
                "serum_25ohd_nmol_l": float(i % 1000),  # the PUT schema: 0-1000 (s31b H2)
                "diet": "vegan" if i % 2 else "omnivore",
            },
        )
    workers: list[subprocess.Popen] = []
    yield {"app": app, "env": env, "redis": r, "tmp": tmp_path, "workers": workers}
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    for url in (store_url, broker_url):
        redis_lib.Redis.from_url(url).flushdb()


def test_the_broker_visibility_timeout_is_a_few_chunks_not_an_hour():
    config = celery_config({"REDIS_URL": "redis://x:1/0"})
    assert 60 <= config["broker_transport_options"]["visibility_timeout"] <= 900


def test_a_refresh_lost_with_its_worker_is_detected_and_resumed(setup):
    app, env, r, tmp = setup["app"], setup["env"], setup["redis"], setup["tmp"]
    store = get_store(app)
    worker = start_celery_worker(env, 1, tmp / "worker-1.log", f"lost-1-{os.getpid()}@%h")
    setup["workers"].append(worker)
    client = app.test_client()
    run_id = client.post("/v1/admin/refresh", json={}).get_json()["run_id"]
    wait_for(lambda: 0 < int((store.run_state(run_id) or {}).get("done", 0)) < CUSTOMERS, 60)
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, its chunks with it
    worker.wait(timeout=10)
    assert store.run_state(run_id)["status"] == "running"

    # the command does not wait forever: it sees that nothing progresses and says so
    started = time.monotonic()
    cli = subprocess.run(
        [sys.executable, "-m", "service.cli", "refresh", "--all"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "no chunk finished within its lock's TTL" in cli.stderr, cli.stderr
    assert time.monotonic() - started < 60
    assert store.run_state(run_id)["status"] == "abandoned"

    # a worker is back; beat's next tick resumes the run and it completes every list
    worker = start_celery_worker(env, 1, tmp / "worker-2.log", f"lost-2-{os.getpid()}@%h")
    setup["workers"].append(worker)
    celery = app.extensions["celery"]
    celery.tasks["workers.tasks.refresh_if_changed"].apply_async()
    resumed = wait_for(
        lambda: (
            (store.run_state() or {}).get("reason", "").startswith("resumes") and store.run_state()
        ),
        timeout=60,
    )
    wait_for(lambda: store.run_state(resumed["run_id"])["status"] == "finished", timeout=180)
    fingerprint = app.extensions["dosewise"].snapshot.fingerprint
    raws = r.mget([f"dw:recs:lost-{i}" for i in range(CUSTOMERS)])
    assert all(raw is not None for raw in raws)
    assert {CachedList.decode(raw).fingerprint for raw in raws} == {fingerprint}
