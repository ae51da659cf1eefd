"""What a stored customer takes: the stored profile plus the supplies still lasting from the
customer's purchases (review s4 R4).

A product the customer bought is taken until its run-out date (service/core/refills: the same
dates the refills and buy again use). Every list served for a stored customer, cached or
computed on request, is computed from the *effective profile*: the stored profile with each
such product that its `current_supplements` do not name added as a current supplement (at
the label's servings a day). A product the profile names stands as the profile says.

Cached lists stay right without a read more on a cache hit:
- a purchase event drops the customer's cached list and queues its refresh (`purchased`);
- a refresh writes the list of a customer with supplies still lasting with the stored
  profile's digest (a PUT still makes it stale) and, in Redis, an expiry at the start of the
  earliest run-out day it assumed (in the market's time zone and in UTC, whichever is first):
  then it is gone, and the next GET computes the list again and queues a refresh. The memory
  store (one process, no Redis) has no expiry: there such lists are not cached.
- lists of customers with the same stored profile and the same supplies are computed once per
  refresh (shared under the stored profile's digest, so a DELETE erases them as the others).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from ..core.errors import DataFileError
from ..core.recommender import Recommender
from ..core.refills import decode_purchases, own_servings, refill_config, supplies_of
from ..core.snapshot import Snapshot
from .entries import check_bought, key, unknown_bought

log = logging.getLogger("dosewise.customers")


# ---------------------------------------------------------------- the effective profile
def _zones(recommender: Recommender) -> Callable[[dict[str, Any]], dt.tzinfo | None]:
    """A profile's market time zone of rules/refills.yaml; UTC when the file was never loaded
    good (the supplies still count: a day early or late, never not at all)."""
    try:
        config = refill_config(recommender.paths.rules, recommender.snapshot.reference)
    except DataFileError:
        return lambda profile: None
    return lambda profile: config.zone(profile.get("country"))


def lasting_lines(
    snapshot: Snapshot,
    profile: dict[str, Any],
    raws: list[bytes],
    today: dt.date,
    zone: dt.tzinfo | None,
) -> tuple[list[dict[str, Any]], dt.date | None]:
    """The supplies still lasting `today` (run-out date after it) whose product the profile's
    current supplements do not name, as current-supplement lines, and the earliest of their
    run-out dates (None without any)."""
    if not raws:
        return [], None
    own = own_servings(profile.get("current_supplements"))
    named = {line.get("sku") for line in profile.get("current_supplements") or () if line}
    lasting = [
        s
        for s in supplies_of(snapshot, own, decode_purchases(raws, zone))
        if s.runs_out_on > today and s.sku not in named
    ]
    lines = [{"sku": s.sku, "servings_per_day": s.servings_per_day} for s in lasting]
    return lines, min((s.runs_out_on for s in lasting), default=None)


def effective_profile(profile: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    if not lines:
        return profile
    return {**profile, "current_supplements": [*(profile.get("current_supplements") or ()), *lines]}


def lines_key(lines: list[dict[str, Any]]) -> str:
    """A short digest of supply lines (part of the shared list's name in a refresh)."""
    text = json.dumps(lines, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def effective_entry(
    recommender: Recommender, store: Any, customer_id: str, entry: dict[str, Any]
) -> dict[str, Any]:
    """A stored profile entry whose profile counts the supplies still lasting today (one read
    of the purchase history): for a list computed on request."""
    profile = entry["profile"]
    raws = store.read_purchases(customer_id)
    if not raws:
        return entry
    zone = _zones(recommender)(profile)
    today = recommender.clock()
    check_bought(recommender.snapshot.catalog, customer_id, decode_purchases(raws, zone), today)
    lines, _ = lasting_lines(recommender.snapshot, profile, raws, recommender.clock(), zone)
    return {**entry, "profile": effective_profile(profile, lines)} if lines else entry


def expires_at(until: dt.date, zone: dt.tzinfo | None) -> int:
    """The start of `until` in the market's zone or in UTC, whichever comes first (Unix s)."""
    starts = [dt.datetime.combine(until, dt.time.min, tzinfo=dt.UTC).timestamp()]
    if zone is not None:
        starts.append(dt.datetime.combine(until, dt.time.min, tzinfo=zone).timestamp())
    return int(min(starts))


# ---------------------------------------------------------------- purchases in
def purchased(store: Any, customer_ids: list[str], schedule: Callable[[str], None]) -> None:
    """After purchase events: the customers' cached lists are dropped (they did not count the
    new supply; a GET computes the list meanwhile) and their refreshes queued."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return
    client = getattr(store, "client", None)
    if client is not None:  # Redis: one key a DEL (a cluster pipeline), one round trip
        pipe = client.pipeline(transaction=False)
        for customer_id in ids:
            pipe.delete(key("recs", customer_id, store.cluster))
            pipe.delete(key("pending", customer_id, store.cluster))
        pipe.execute()
    else:  # the memory store (MemoryStore._lists under its lock)
        with store._guard:
            for customer_id in ids:
                store._lists.pop(customer_id, None)
    for customer_id in ids:
        if store.mark_pending(customer_id):
            schedule(customer_id)


# ---------------------------------------------------------------- the refresh
# Many lists read, or many keys given an expiry, in one command (a pipeline of a command per
# customer cost the refresh about as much client CPU again as its other reads and writes).
READ_LISTS = """
local out = {}
for i, name in ipairs(KEYS) do out[i] = redis.call('LRANGE', name, 0, -1) end
return out
"""
EXPIRE_AT = """
for i, name in ipairs(KEYS) do redis.call('EXPIREAT', name, ARGV[i]) end
return #KEYS
"""


def _purchases_many(store: Any, ids: list[str]) -> list[list[bytes]]:
    """Purchase histories of many customers in one round trip (on a cluster, where a script
    sees one slot, a pipelined LRANGE each)."""
    client = getattr(store, "client", None)
    if client is None:
        return store.read_purchases_many(ids)
    names = [key("purchases", customer_id, store.cluster) for customer_id in ids]
    if not store.cluster:
        return [list(found) for found in client.register_script(READ_LISTS)(keys=names)]
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.lrange(name, 0, -1)
    return [list(found) for found in pipe.execute()]


def _expire_at(store: Any, expiries: list[tuple[str, int]]) -> None:
    names = [key("recs", customer_id, store.cluster) for customer_id, _ in expiries]
    if not store.cluster:
        store.client.register_script(EXPIRE_AT)(keys=names, args=[at for _, at in expiries])
        return
    pipe = store.client.pipeline(transaction=False)
    for name, (_, at) in zip(names, expiries, strict=True):
        pipe.expireat(name, at)
    pipe.execute()


def refresh_lasting(
    recommender: Recommender,
    store: Any,
    ids: list[str],
    profiles: list[dict | None],
    lists: list[bytes | None],
    policy: Any,
    day: dt.date,
    now: float,
    newest: dict[str, bytes | None],
    *,
    force: bool = False,
    dedupe: bool = True,
    verdicts: dict[str, bool] | None = None,
) -> tuple[list[str], list[dict | None], list[bytes | None], dict[str, int]]:
    """The refresh of the customers among `ids` with supplies still lasting on `day`: their
    lists computed from the effective profile (shared by customers with the same stored
    profile and supplies), written with the stored profile's digest and, in Redis, an expiry
    at the earliest run-out; their pending marks cleared. Returns the other customers (ids,
    profile entries, cached lists) for the refresh as before, and the counts of these. Fills
    `newest` with each stored customer's newest purchase read (None: none), the condition of
    every list written for them (`write_lists`). A customer with purchases whose profile is
    not one a PUT would store (entries.check_profile, its verdicts kept in `verdicts`) is
    counted corrupt and left for that PUT."""
    from .entries import check_profile
    from .refresh import compute_payload, is_fresh  # refresh.py calls this function
    from .store import CachedList, CorruptEntry

    counts = {"done": 0, "computed": 0, "skipped": 0, "missing": 0, "corrupt": 0}
    stored = [i for i, entry in zip(ids, profiles, strict=True) if entry is not None]
    if not stored:
        return ids, profiles, lists, counts
    histories = dict(zip(stored, _purchases_many(store, stored), strict=True))
    # every list is written only while the newest purchase is the one read here (review 25)
    newest.update((c, history[-1] if history else None) for c, history in histories.items())
    snapshot, zone_of = recommender.snapshot, _zones(recommender)
    rest: tuple[list, list, list] = ([], [], [])
    todo: dict[tuple[str, str], list[tuple[str, int]]] = {}
    profile_of: dict[tuple[str, str], dict[str, Any]] = {}
    for customer_id, entry, raw in zip(ids, profiles, lists, strict=True):
        lines: list[dict[str, Any]] = []
        if entry is not None and histories.get(customer_id):
            try:
                check_profile(entry, verdicts)
            except CorruptEntry:
                counts["done"] += 1
                counts["corrupt"] += 1
                continue
            zone = zone_of(entry["profile"])
            bought = decode_purchases(histories[customer_id], zone)
            if unknown_bought(snapshot.catalog, bought, day):  # left for the catalog to keep it
                counts["done"] += 1
                counts["corrupt"] += 1
                continue
            lines, until = lasting_lines(
                snapshot, entry["profile"], histories[customer_id], day, zone
            )
        if not lines:
            for part, value in zip(rest, (customer_id, entry, raw), strict=True):
                part.append(value)
            continue
        assert entry is not None and until is not None
        counts["done"] += 1
        if not force and raw is not None:
            try:
                cached = CachedList.decode(raw)
            except CorruptEntry:
                counts["corrupt"] += 1
            else:
                if is_fresh(cached, snapshot.fingerprint, entry["digest"], now, policy):
                    counts["skipped"] += 1  # a purchase drops the list; the expiry holds
                    continue
        group = (entry["digest"], lines_key(lines))
        todo.setdefault(group, []).append((customer_id, expires_at(until, zone)))
        profile_of[group] = effective_profile(entry["profile"], lines)
    passed = set(rest[0])
    looked = [i for i, e in zip(ids, profiles, strict=True) if e is not None and i not in passed]
    client = getattr(store, "client", None)
    if not todo or client is None:  # without an expiry (the memory store): not cached
        store.clear_pending(looked)
        return (*rest, counts)
    field = f"{snapshot.fingerprint}:{day.isoformat()}:{policy.limit}"
    names = [(digest, f"{field}:{part}") for digest, part in todo]
    # `force` reads none of today's shared results: it recomputes (review s32b F6: a forced
    # run within the hour recomputed nothing); what it computes is shared again
    shared = store.get_shared(names) if dedupe and not force else [None] * len(names)
    computed: dict[tuple[str, str], bytes] = {}
    skus = [p.sku for p in snapshot.catalog.products]
    writes: list[tuple[str, str, bytes]] = []
    expiries: list[tuple[str, int]] = []
    for (group, customers), name, known in zip(todo.items(), names, shared, strict=True):
        if known is None:
            known = computed[name] = compute_payload(
                snapshot, profile_of[group], day, policy.limit, skus, recommender.learning
            )
        meta = {
            "fingerprint": snapshot.fingerprint,
            "profile_digest": group[0],
            "computed_at": now,
            "limit": policy.limit,
        }
        value = CachedList.encode(meta, known)
        writes.extend((customer_id, group[0], value) for customer_id, _ in customers)
        expiries.extend(customers)
    counts["computed"] = len(computed)
    if computed and dedupe:
        store.put_shared(computed)
    store.write_lists(writes, newest)
    _expire_at(store, expiries)
    store.clear_pending(looked)
    return (*rest, counts)


def add_counts(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {name: first.get(name, 0) + second.get(name, 0) for name in {*first, *second}}
