"""The co-purchase table in Redis: kept up to date from the purchase events of the `dw:events`
stream by the `workers.copurchase` job, read by the cart placement for the SKUs of a basket.

The job is incremental (`update`): it reads only the events after its stored cursor, adds them
to the counts the table is built from, and rewrites only the rows whose scores changed, all in
one MULTI (a reader sees the old rows or the new ones; a job killed before it writes leaves the
cursor where it was, and the next run counts the same events once). `rebuild` starts the counts
again from the events still in the stream (the CLI's `dosewise placements copurchase`).
Because the counts outlive the stream, events the learning export has taken out (or MAXLEN
trimmed) still count.

Keys (`{copurchase}` is a hash tag: one slot on a cluster): `dw:{copurchase}` (hash: SKU ->
JSON {other SKU: score 0..1}), `dw:{copurchase}:meta` (hash: built_at, purchases, customers,
rows, cursor, settings), `dw:{copurchase}:lock` (one update at a time, with a TTL), and the
counts: `...:cursor` (the last stream id counted), `...:buyers` (hash: SKU -> customers),
`...:pairs:{sku}` (hash: other SKU -> customers who bought both), `...:bought` (hash: customer
id -> JSON list of SKUs: each pair counts once per customer). The table holds no customer ids;
`...:bought` does: each run takes the customers erased in the last ERASURE_MEMORY seconds
(`recent_erasures`) out of the counts and drops their entry, so an erasure reaches the table
at the next run (an id used again within that window loses its new purchases too: the safe
side). Without Redis (MemoryStore) the table is rebuilt whole in the store object.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..core.placements.copurchase import Counts, Table, cooccurrence, row
from .store import EVENTS_STREAM, PREFIX

TABLE = f"{PREFIX}{{copurchase}}"  # one hash slot with META on a cluster
META = f"{PREFIX}{{copurchase}}:meta"
LOCK = f"{PREFIX}{{copurchase}}:lock"
CURSOR = f"{PREFIX}{{copurchase}}:cursor"
BUYERS = f"{PREFIX}{{copurchase}}:buyers"
BOUGHT = f"{PREFIX}{{copurchase}}:bought"
BATCH = 10_000


def pairs_key(sku: str) -> str:
    return f"{PREFIX}{{copurchase}}:pairs:{sku}"


def _purchases_redis(
    client: Any, after: str | None = None, last: list[str] | None = None
) -> Iterator[tuple[str, str]]:
    """(customer id, SKU) of every purchase event in the stream after the id `after` (all
    without), oldest first; `last` receives the id of the last entry read. Reads only (the
    learning export, not this, takes events out of the stream)."""
    start = "-" if after is None else "(" + after
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
        newest = entries[-1][0]
        newest = newest.decode() if isinstance(newest, bytes) else newest
        if last is not None:
            last[:] = [newest]
        start = "(" + newest
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
    return update(store, known, min_count=min_count, top_n=top_n, lock_ttl=lock_ttl, full=True)


def update(
    store: Any,
    known: Any = None,
    *,
    min_count: int = 2,
    top_n: int = 20,
    lock_ttl: int = 600,
    full: bool = False,
) -> dict[str, Any]:
    """Count the purchase events after the stored cursor (all of them with `full`, or when
    the settings changed), take erased customers out, and rewrite the rows that changed.
    Returns counts, or {"started": False} when another update holds the lock."""
    client = getattr(store, "client", None)
    if client is None:
        return rebuild(store, known, min_count=min_count, top_n=top_n)
    started = time.time()
    token = uuid.uuid4().hex
    if not client.set(LOCK, token, nx=True, ex=lock_ttl):
        return {"started": False}
    try:
        settings = f"{min_count}:{top_n}"
        stored = client.hget(META, "settings")
        full = full or _text(stored) != settings
        cursor = None if full else client.get(CURSOR)
        last: list[str] = []
        new = [
            (c, s)
            for c, s in _purchases_redis(client, _text(cursor) if cursor else None, last)
            if known is None or s in known
        ]
        erased = set() if full else set(getattr(store, "recent_erasures", set)())
        counts = _load_counts(client, {c for c, _ in new} | erased, full)
        erased &= set(counts.bought)  # those still counted
        for customer_id in sorted(erased):
            counts.erase(customer_id)
        for customer_id, sku in new:
            counts.add(customer_id, sku)
        rows, pairs, buyers = _rows(client, counts, min_count, top_n, known, full)
        stats = {
            "started": True,
            "built_at": round(time.time(), 3),
            "seconds": round(time.time() - started, 3),
            "purchases": len(new),
            "customers": len({c for c, _ in new}),
            "erased": len(erased),
            "rows": len(rows),
            "full": full,
            "cursor": last[0] if last else "" if full else _text(cursor),
            "settings": settings,
        }
        _write(client, counts, rows, pairs, buyers, stats, full)
        stats["products"] = int(client.hlen(TABLE))
        client.hset(META, "products", str(stats["products"]))
        return stats
    finally:
        if client.get(LOCK) in (token, token.encode()):
            client.delete(LOCK)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value) if value else ""


def _load_counts(client: Any, customers: set[str], full: bool) -> Counts:
    """The stored counts the update needs: the SKUs of these customers (nothing when `full`:
    the counts start again). Buyers and pairs are read in `_rows` for the SKUs touched."""
    counts = Counts()
    if full or not customers:
        return counts
    ids = sorted(customers)
    for customer_id, raw in zip(ids, client.hmget(BOUGHT, ids), strict=True):
        if raw is None:
            continue
        try:
            skus = json.loads(raw)
        except ValueError:
            continue
        if isinstance(skus, list):
            counts.bought[customer_id] = {str(s) for s in skus}
    return counts


def _rows(
    client: Any, counts: Counts, min_count: int, top_n: int, known: Any, full: bool
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]], dict[str, int]]:
    """The changes in `counts` (deltas on top of what is stored; on nothing when `full`)
    applied: the rows whose scores may have changed (the SKUs whose pairs changed, and every
    neighbour of a SKU whose buyer count changed), the new pairs of the SKUs touched and the
    new buyer counts of the SKUs rescored."""
    touched = sorted(counts.dirty)
    stored = _read_pairs(client, touched) if not full else {}
    pairs: dict[str, dict[str, int]] = {}
    for sku in touched:
        merged = dict(stored.get(sku, {}))
        for other, delta in counts.pairs.get(sku, {}).items():
            merged[other] = merged.get(other, 0) + delta
        pairs[sku] = {o: n for o, n in merged.items() if n > 0}
    affected = set(touched)
    for sku in counts.rescored:
        affected |= set(pairs.get(sku, {})) | set(stored.get(sku, {}))
    missing = sorted(affected - set(pairs))
    pairs.update(_read_pairs(client, missing) if not full else {s: {} for s in missing})
    involved = sorted(affected | {o for s in affected for o in pairs[s]})
    known_buyers = client.hmget(BUYERS, involved) if involved and not full else []
    before = dict(zip(involved, known_buyers, strict=False))
    buyers = {s: int(before.get(s) or 0) + counts.buyers.get(s, 0) for s in involved}
    rows = {
        sku: row(sku, pairs[sku], buyers, min_count=min_count, top_n=top_n, known=known)
        for sku in sorted(affected)
    }
    return rows, {s: pairs[s] for s in touched}, {s: buyers[s] for s in counts.rescored}


def _read_pairs(client: Any, skus: list[str]) -> dict[str, dict[str, int]]:
    if not skus:
        return {}
    pipe = client.pipeline(transaction=False)
    for sku in skus:
        pipe.hgetall(pairs_key(sku))
    return {
        sku: {_text(k): int(v) for k, v in found.items()}
        for sku, found in zip(skus, pipe.execute(), strict=True)
    }


def _write(
    client: Any,
    counts: Counts,
    rows: dict[str, dict[str, float]],
    pairs: dict[str, dict[str, int]],
    buyers: dict[str, int],
    stats: dict[str, Any],
    full: bool,
) -> None:
    """Everything the update changed, in one MULTI: the counts, the cursor, the rows."""
    pipe = client.pipeline(transaction=True)
    if full:
        for key in client.scan_iter(match=pairs_key("*"), count=1000):
            pipe.delete(key)
        pipe.delete(BUYERS, BOUGHT, TABLE, CURSOR)
    for sku, found in pairs.items():
        pipe.delete(pairs_key(sku))
        if found:
            pipe.hset(pairs_key(sku), mapping={o: str(n) for o, n in found.items()})
    for sku, n in buyers.items():
        if n > 0:
            pipe.hset(BUYERS, sku, str(n))
        else:
            pipe.hdel(BUYERS, sku)
    for customer_id in counts.erased - set(counts.bought):
        pipe.hdel(BOUGHT, customer_id)
    for customer_id, skus in counts.bought.items():
        pipe.hset(BOUGHT, customer_id, json.dumps(sorted(skus), separators=(",", ":")))
    for sku, scores in rows.items():
        if scores:
            pipe.hset(TABLE, sku, json.dumps(scores, separators=(",", ":")))
        else:
            pipe.hdel(TABLE, sku)
    if stats["cursor"]:
        pipe.set(CURSOR, stats["cursor"])
    pipe.hset(META, mapping={k: str(v) for k, v in stats.items() if k != "started"})
    pipe.execute()


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


class RowCache:
    """The rows the cart, checkout and product page read lately, kept in this process for
    `seconds` (COPURCHASE_CACHE_SECONDS): the table changes when its job runs (hourly), the
    placements read it on every request (an HMGET: 0.1 ms of CPU and a Redis round trip of a
    request of about 1.5 ms, session 24). A row the job rewrote reaches the placements within
    `seconds`; 0 reads Redis every time. Emptied when it holds more than `limit` SKUs."""

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic, limit: int = 100_000
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.limit = limit
        self._rows: dict[str, tuple[float, dict[str, float] | None]] = {}

    def read(self, store: Any, skus: list[str]) -> Table:
        """`read(store, skus)`, the rows read less than `seconds` ago (or known missing) from
        memory, the others in one HMGET."""
        if self.seconds <= 0 or getattr(store, "client", None) is None:
            return read(store, skus)
        now, rows = self.clock(), self._rows
        entries = {sku: rows.get(sku) for sku in set(skus)}
        stale = [s for s, e in entries.items() if e is None or now - e[0] >= self.seconds]
        fresh = read(store, stale) if stale else {}
        if len(rows) > self.limit:
            rows.clear()
        for sku in stale:
            rows[sku] = (now, fresh.get(sku))
        out: Table = {}
        for sku, entry in entries.items():
            row = fresh.get(sku) if entry is None or now - entry[0] >= self.seconds else entry[1]
            if row is not None:
                out[sku] = row
        return out


def meta(store: Any) -> dict[str, str]:
    client = getattr(store, "client", None)
    if client is None:
        return {}
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in client.hgetall(META).items()
    }
