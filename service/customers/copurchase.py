"""The co-purchase table in Redis: built from the purchase events of the `dw:events` stream by
the `workers.copurchase` job, read by the cart placement for the SKUs of a basket.

Keys (`{copurchase}` is a hash tag: one slot on a cluster): `dw:{copurchase}` (hash: SKU ->
JSON {other SKU: score 0..1}), replaced whole by RENAME so a reader sees the old table or the
new one; `dw:{copurchase}:meta` (hash: built_at, customers,
purchases, products); `dw:{copurchase}:lock` (one build at a time, with a TTL). Without Redis
(MemoryStore) the table lives in the store object. The table is aggregated over customers
(pairs of fewer than `min_count` customers are left out): it holds no customer ids, so an
erasure does not need to touch it; the next build no longer counts the erased events.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..core.placements.copurchase import Table, cooccurrence
from .store import EVENTS_STREAM, PREFIX

TABLE = f"{PREFIX}{{copurchase}}"  # one hash slot with META on a cluster
META = f"{PREFIX}{{copurchase}}:meta"
LOCK = f"{PREFIX}{{copurchase}}:lock"
BATCH = 10_000


def _purchases_redis(client: Any) -> Iterator[tuple[str, str]]:
    """(customer id, SKU) of every purchase event still in the stream, oldest first; reads
    only (the learning export, not this, takes events out of the stream)."""
    start = "-"
    while True:
        entries = client.xrange(EVENTS_STREAM, min=start, count=BATCH)
        if not entries:
            return
        for _, fields in entries:
            try:
                event = json.loads(fields[b"data"])
            except (KeyError, ValueError):
                continue
            if isinstance(event, dict) and event.get("type") == "purchase":
                yield str(event.get("customer_id", "")), str(event.get("sku", ""))
        last = entries[-1][0]
        last = last.decode() if isinstance(last, bytes) else last
        start = "(" + last
        if len(entries) < BATCH:
            return


def _purchases_memory(store: Any) -> Iterator[tuple[str, str]]:
    with store._guard:
        events = [e for bucket in store._events.values() for e in bucket]
    for event in events:
        if event.get("type") == "purchase":
            yield str(event["customer_id"]), str(event["sku"])


def rebuild(
    store: Any,
    known: Any = None,
    *,
    min_count: int = 2,
    top_n: int = 20,
    lock_ttl: int = 600,
) -> dict[str, Any]:
    """Build the table from the events and replace the stored one. Returns counts, or
    {"started": False} when another build holds the lock."""
    started = time.time()
    client = getattr(store, "client", None)
    if client is None:
        pairs = list(_purchases_memory(store))
        table = cooccurrence(pairs, min_count=min_count, top_n=top_n, known=known)
        store.copurchase = table
        return _stats(pairs, table, started)
    token = uuid.uuid4().hex
    if not client.set(LOCK, token, nx=True, ex=lock_ttl):
        return {"started": False}
    try:
        pairs = list(_purchases_redis(client))
        table = cooccurrence(pairs, min_count=min_count, top_n=top_n, known=known)
        stats = _stats(pairs, table, started)
        staging = f"{TABLE}:building:{token}"  # the same hash tag: one slot
        pipe = client.pipeline(transaction=True)
        if table:
            pipe.hset(
                staging,
                mapping={sku: json.dumps(row, separators=(",", ":")) for sku, row in table.items()},
            )
            pipe.rename(staging, TABLE)
        else:
            pipe.delete(TABLE)
        pipe.hset(META, mapping={k: str(v) for k, v in stats.items()})
        pipe.execute()
        return stats
    finally:
        if client.get(LOCK) in (token, token.encode()):
            client.delete(LOCK)


def _stats(pairs: list[tuple[str, str]], table: Table, started: float) -> dict[str, Any]:
    return {
        "started": True,
        "built_at": round(time.time(), 3),
        "seconds": round(time.time() - started, 3),
        "purchases": len(pairs),
        "customers": len({c for c, _ in pairs}),
        "products": len(table),
    }


def read(store: Any, skus: list[str]) -> Table:
    """The rows of `skus` (one HMGET); a row that does not decode is left out."""
    skus = sorted(set(skus))
    if not skus:
        return {}
    client = getattr(store, "client", None)
    if client is None:
        table = getattr(store, "copurchase", {}) or {}
        return {s: table[s] for s in skus if s in table}
    out: Table = {}
    for sku, raw in zip(skus, client.hmget(TABLE, skus), strict=True):
        if raw is None:
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict):
            out[sku] = {str(k): float(v) for k, v in row.items() if isinstance(v, int | float)}
    return out


def meta(store: Any) -> dict[str, str]:
    client = getattr(store, "client", None)
    if client is None:
        return {}
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in client.hgetall(META).items()
    }
