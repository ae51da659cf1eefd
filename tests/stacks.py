"""A real Celery worker process and the data, store and broker databases it shares with one
app: what the tests of precompute, refills and co-purchase start (not fakeredis, not eager)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bench.server import db_url, start_celery_worker
from service.api.app import create_app

from .conftest import CATALOG, RULES


class Worker:
    """A real `celery worker` process on the test broker, killable like a crashed machine."""

    def __init__(self, env: dict[str, str], log: Path, name: str = "test") -> None:
        self.env, self.log, self.name = env, log, name
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = start_celery_worker(self.env, 1, self.log, f"{self.name}-{os.getpid()}@%h")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool): no cleanup, no acks."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def worker_stack(
    tmp: Path,
    store_db: int,
    broker_db: int,
    settings: dict[str, Any],
    worker_settings: dict[str, Any] | None = None,
    name: str = "test",
) -> Iterator[dict[str, Any]]:
    """A copy of the bundled catalog and rules under `tmp`, emptied store and broker databases
    of REDIS_URL, one worker and one app sharing them. `settings` go to both (the worker gets
    them as DOSEWISE_* variables), `worker_settings` to the worker only. Both databases are
    emptied again at the end."""
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    catalog = tmp / "catalog" / "products.yaml"
    catalog.parent.mkdir()
    shutil.copy(CATALOG, catalog)
    shutil.copytree(RULES, tmp / "rules")
    store_url, broker_url = db_url(base, store_db), db_url(base, broker_db)
    for url in (store_url, broker_url):
        redis_lib.Redis.from_url(url).flushdb()
    data = {"CATALOG_PATH": str(catalog), "RULES_DIR": str(tmp / "rules")}
    config = {**data, "REDIS_URL": store_url, "CELERY_BROKER_URL": broker_url, **settings}
    env = {
        **os.environ,
        "REDIS_URL": store_url,
        "DOSEWISE_CELERY_BROKER_URL": broker_url,
        **{f"DOSEWISE_{k}": str(v) for k, v in {**data, **settings}.items()},
        **{f"DOSEWISE_{k}": str(v) for k, v in (worker_settings or {}).items()},
    }
    worker = Worker(env, tmp / "worker.log", name)
    worker.start()
    client = redis_lib.Redis.from_url(store_url)
    try:
        app = create_app({"TESTING": True, **config})
        yield {
            "app": app,
            "client": app.test_client(),
            "redis": client,
            "worker": worker,
            "rules": tmp / "rules",
            "log": tmp / "worker.log",
        }
    finally:
        worker.stop()
        client.flushdb()
        redis_lib.Redis.from_url(broker_url).flushdb()
