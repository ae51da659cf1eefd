"""Shared fixtures: the app from the factory, a client, a core Recommender, real Redis."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import redis as redis_lib

from service.api.app import create_app
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths

ROOT = Path(__file__).resolve().parents[1]
# Tests never see the developer's model store (.dosewise/models): without a model the service
# ranks with the transparent score, as on a fresh checkout; tests that want a model build one.
os.environ["DOSEWISE_MODEL_DIR"] = tempfile.mkdtemp(prefix="dosewise-test-models-")
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
# A fixed day inside the shipped winter campaign, so tests do not change with the calendar.
TODAY = dt.date(2026, 11, 28)
TEST_REDIS_DB = 15


@pytest.fixture(scope="session")
def recommender() -> Recommender:
    """The core object on the shipped data, no cache, no file watch."""
    return Recommender(
        DataPaths(CATALOG, RULES), cache_size=0, reload_interval=0, clock=lambda: TODAY
    )


@pytest.fixture(scope="session")
def app():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: TODAY
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def data_copy(tmp_path: Path) -> DataPaths:
    """A private copy of catalog and rules that a test may break."""
    catalog = tmp_path / "catalog" / "products.yaml"
    catalog.parent.mkdir()
    shutil.copy(CATALOG, catalog)
    shutil.copytree(RULES, tmp_path / "rules")
    return DataPaths(catalog, tmp_path / "rules")


@pytest.fixture()
def redis_url() -> str:
    """A real Redis (REDIS_URL, set by tests/with_redis.py), on its own database, flushed."""
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    url = base.rsplit("/", 1)[0] + f"/{TEST_REDIS_DB}" if base.count("/") >= 3 else base
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
