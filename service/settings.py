"""Defaults for every setting; the app factory overlays environment (DOSEWISE_*) and test config."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def defaults() -> dict:
    return {
        "CATALOG_PATH": str(REPO_ROOT / "catalog" / "products.yaml"),
        # ranking models (versions/ + a `current` pointer) and learning data; not in git
        "MODEL_DIR": str(REPO_ROOT / ".dosewise" / "models"),
        "LEARNING_DIR": str(REPO_ROOT / ".dosewise" / "learning"),
        "RULES_DIR": str(REPO_ROOT / "rules"),
        "JURISDICTION": None,  # None = the default of rules/reference/upper_limits.yaml (EU)
        "MAX_CONTENT_LENGTH": 1024 * 1024,  # bodies above this answer 413
        "RELOAD_INTERVAL": 2.0,  # seconds between file checks for hot reload; 0 turns it off
        # seconds changed files must hold still before the file watch loads them (half-written
        # files are not loaded); 0 loads at the first check that sees a change
        "RELOAD_SETTLE": 1.0,
        "CACHE_SIZE": 4096,  # answers kept in process
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "API_KEYS": None,  # JSON: {"<key>": ["recommend", "customers", "events", "admin"]}
        # review s5 S4: true refuses to start without API_KEYS (the deploy manifests set it)
        "REQUIRE_API_KEYS": False,
        "LOG_LEVEL": "INFO",
        "ACCESS_LOG": True,  # one JSON line per request: endpoint, status, duration, request id
        "REDIS_CLUSTER": False,  # REDIS_URL names a node of a Redis Cluster (hash-tagged keys)
        "REDIS_TIMEOUT": 0.5,  # seconds for a Redis call before the service falls back
        "REDIS_BREAKER_COOLDOWN": 2.0,  # seconds of failing fast after a Redis fault, then a probe
        "CELERY_BROKER_URL": None,  # default: REDIS_URL; e.g. amqp://guest@localhost// for RabbitMQ
        "CELERY_RESULT_BACKEND": None,  # default: REDIS_URL
        "PRECOMPUTE_LIMIT": 5,  # items per cached list; GETs up to this limit read the cache
        "CACHE_MAX_AGE": 86_400.0,  # seconds before a cached list is stale whatever else holds
        # share of cache hits whose impression is logged for training (1.0: every hit; each
        # logged hit costs one Redis round trip, see docs/operators.md)
        "IMPRESSION_SAMPLE": 1.0,
        # a web process keeps the lists it served in memory, kept valid by Redis (client-side
        # caching, service/customers/local_hits.py): this many customers (0: off), each at most
        # LOCAL_HITS_SECONDS; their impressions are written in batches once the oldest is
        # IMPRESSION_FLUSH_SECONDS old (0: at each hit)
        "LOCAL_HITS": 4096,
        "LOCAL_HITS_SECONDS": 30.0,
        "IMPRESSION_FLUSH_SECONDS": 0.1,
        "REFRESH_CHUNK_SIZE": 1000,  # customers per refresh task
        "BROKER_VISIBILITY_TIMEOUT": 300,  # Redis broker: seconds before an unacked task returns
        "REFRESH_LOCK_TTL": 120,  # seconds a refresh keeps its lock after its last chunk
        "REFRESH_CHECK_INTERVAL": 60.0,  # beat: seconds between checks for changed data
        "REFRESH_SCHEDULE": 21_600.0,  # beat: seconds between full refreshes of stale lists
        # issue 11: the cart's co-purchase table (workers/copurchase.py)
        "COPURCHASE_INTERVAL": 3600.0,  # beat: seconds between rebuilds from purchase events
        "COPURCHASE_MIN_COUNT": 2,  # a pair counts from this many customers who bought both
        "COPURCHASE_TOP_N": 20,  # neighbours kept per product
        "COPURCHASE_CACHE_SECONDS": 60.0,  # a web process keeps the rows it read this long
        # the daily refill job (rules/refills.yaml has its windows and texts)
        "REFILL_EXPORT_DIR": str(REPO_ROOT / ".dosewise" / "refills"),  # JSON lines per day
        "REFILL_HOUR": 5,  # beat: the hour (UTC) the daily refill job starts
        "REFILL_CHECK_INTERVAL": 600.0,  # beat: seconds between checks whether it is due
        "REFILL_CHUNK_SIZE": 1000,  # customers per refill task
        # review s4 R15a: seconds an event's timestamp may lie ahead of now (clock skew)
        "EVENT_CLOCK_SKEW": 300.0,
        # review s5 S13: days an event's timestamp may lie in the past (purchases "in 0001")
        "EVENT_MAX_AGE_DAYS": 3650,
    }
