"""What bench/load.py sends: request bodies, customer paths, seeded customers."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.profiles import request_bodies
from service.settings import REPO_ROOT


@dataclass
class Requests:
    """Everything a connection may send, chosen per kind."""

    recommend: list[bytes]
    intake: list[bytes]
    products: list[str]
    customers: list[str]  # GET paths of precomputed customers (load phase)
    skus: list[str]
    owned: dict[int, list[tuple[str, bytes, str]]] = field(default_factory=dict)
    # fault phase: per connection, its own customers as (id, PUT body, GET path)


def catalog_facts() -> tuple[list[str], list[str]]:
    from service.core.yamlfile import load_yaml

    document = load_yaml(REPO_ROOT / "catalog" / "products.yaml")
    products = document["products"]
    return [p["sku"] for p in products], sorted({p["category"] for p in products})


def build_requests(customer_paths: list[str], bodies: int = 6000, seed: int = 11) -> Requests:
    skus, categories = catalog_facts()
    recommend = [json.dumps(b).encode() for b in request_bodies(bodies, skus, seed=seed)]
    intake = []
    for body in request_bodies(max(bodies // 2, 1), skus, seed=seed + 1):
        basket = body.get("basket") or [{"sku": skus[len(intake) % len(skus)]}]
        intake.append(
            json.dumps(
                {"profile": body["profile"], "basket": basket, "locale": body["locale"]}
            ).encode()
        )
    rng = random.Random(seed)
    products = []
    for _ in range(200):
        query = {"limit": rng.choice([10, 20, 50, 100]), "offset": rng.choice([0, 0, 10, 50])}
        if rng.random() < 0.5:
            query["category"] = rng.choice(categories)
        if rng.random() < 0.3:
            query["vegan"] = rng.choice(["true", "false"])
        if rng.random() < 0.5:
            query["locale"] = rng.choice(["nl", "de", "en"])
        products.append("/v1/products?" + "&".join(f"{k}={v}" for k, v in query.items()))
    return Requests(recommend, intake, products, customer_paths, skus)


def customer_path(customer_id: str, profile: dict, limit: int = 5) -> str:
    from service.customers.refresh import locales_for

    locale = locales_for(profile)[0]
    return f"/v1/customers/{customer_id}/recommendations?limit={limit}&locale={locale}"


def seed_customers(redis_url: str, ids: list[str], profiles: list[dict]) -> dict[str, Any]:
    """Store the profiles as PUT does and precompute their lists, in this process, against the
    same Redis and data the server uses."""
    from service.api.app import create_app
    from service.contract.schemas import ProfileSchema
    from service.customers.redis_client import cache_policy, get_store
    from service.customers.refresh import refresh_chunk

    app = create_app({"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "RELOAD_INTERVAL": 0})
    store = get_store(app)
    schema = ProfileSchema()
    started = time.perf_counter()
    for customer_id, profile in zip(ids, profiles, strict=True):
        store.put_profile(customer_id, schema.load(profile))
    counts: Counter = Counter()
    for i in range(0, len(ids), 1000):
        counts.update(
            refresh_chunk(
                app.extensions["dosewise"], store, ids[i : i + 1000], cache_policy(app), force=True
            )
        )
    store.client.close()
    return {
        "customers": len(ids),
        "distinct_profiles": counts["computed"],
        "seconds": round(time.perf_counter() - started, 2),
    }
