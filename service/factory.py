"""The one place that builds the service's parts from configuration read once.

`read_config` reads the settings (defaults, then DOSEWISE_* environment, then overrides);
`build` makes the recommender (with the model holder and `LEARNING`, service/learning) and
keeps the Redis client, the customer store and the cache policy to be made on first use. The
HTTP app (service/api/app.py), the Celery workers (workers/make_celery.py) and the command line
(service/cli/) all start here, so they rank, store and cache alike.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from .core.recommender import Recommender
from .core.snapshot import DataPaths
from .customers.redis_client import cache_policy, get_redis, get_store
from .customers.refresh import CachePolicy
from .customers.store import MemoryStore, RedisStore
from .experiments.serving import attach as attach_experiments
from .learning.holder import ModelHolder
from .learning.serving import LEARNING
from .settings import defaults

ENV_PREFIX = "DOSEWISE_"


def read_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the DOSEWISE_* environment (values parsed as JSON when they are JSON,
    `A__B` for a key B inside A), then `overrides` (upper-case keys only)."""
    config = defaults()
    for key in sorted(os.environ):
        if not key.startswith(ENV_PREFIX):
            continue
        value: Any = os.environ[key]
        try:
            value = json.loads(value)
        except ValueError:
            pass
        *outer, name = key[len(ENV_PREFIX) :].split("__")
        into: MutableMapping[str, Any] = config
        for part in outer:
            into = into.setdefault(part, {})
        into[name] = value
    config.update({k: v for k, v in (overrides or {}).items() if k.isupper()})
    return config


class Components:
    """The parts one process shares: its configuration and an `extensions` dict that holds the
    recommender, the Redis client, the store (and, once wired, the Celery app). The Flask app
    passes its own config and extensions, so `get_store(app)` and `components.store` are one."""

    def __init__(self, config: Mapping[str, Any], extensions: dict[str, Any] | None = None) -> None:
        self.config = config
        self.extensions: dict[str, Any] = {} if extensions is None else extensions

    @property
    def recommender(self) -> Recommender:
        return self.extensions["dosewise"]

    @property
    def redis(self) -> Any:
        """The guarded Redis client, or None without REDIS_URL (made on first use)."""
        return get_redis(self)

    @property
    def store(self) -> RedisStore | MemoryStore:
        return get_store(self)

    @property
    def policy(self) -> CachePolicy:
        return cache_policy(self)


def build(
    config: Mapping[str, Any] | None = None, extensions: dict[str, Any] | None = None
) -> Components:
    """The recommender from `config` (default: `read_config()`), with the model holder of
    MODEL_DIR and the learning that ranks with its model; client and store follow on first
    use."""
    components = Components(read_config() if config is None else config, extensions)
    conf = components.config
    components.extensions["dosewise"] = Recommender(
        DataPaths(Path(conf["CATALOG_PATH"]), Path(conf["RULES_DIR"])),
        jurisdiction=conf["JURISDICTION"],
        cache_size=int(conf["CACHE_SIZE"]),
        reload_interval=float(conf["RELOAD_INTERVAL"]),
        reload_settle=float(conf["RELOAD_SETTLE"]),
        models=ModelHolder(
            Path(conf["MODEL_DIR"]) if conf.get("MODEL_DIR") else None,
            check_interval=float(conf["RELOAD_INTERVAL"]),
        ),
        learning=LEARNING,
    )
    # A/B tests (rules/experiments.yaml): the POST, the customer GET and the batch refresh in
    # the workers rank each customer in their arm
    attach_experiments(conf, components.extensions)
    return components
