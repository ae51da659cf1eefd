"""Serve a known customer's list from the cache, and refresh cached lists in batches.

A cached list is fresh when it was computed under the current fingerprint of catalog, rules and
model, from the customer's current profile, less than `max_age` seconds ago (gorse-io/gorse
decides staleness the same way). Identical profiles are computed once per refresh.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from ..core.errors import NotFound
from ..core.learned import Learning
from ..core.placements.serve import part_name, plain_and_precomputed, recommend_stored
from ..core.recommender import Recommender
from ..core.requests import RecommendationRequest
from ..core.snapshot import Snapshot
from . import arms
from .entries import check_profile, check_stored, unknown_products
from .store import CachedList, CorruptEntry, MemoryStore, RedisStore
from .supplies import add_counts, effective_entry, refresh_lasting

LOCALE_BY_COUNTRY = {"NL": "nl", "BE": "nl", "DE": "de", "AT": "de", "CH": "de", "LU": "de"}

Store = RedisStore | MemoryStore
log = logging.getLogger("dosewise.customers")


@dataclass(frozen=True)
class CachePolicy:
    limit: int = 5  # items per cached list; GETs up to this limit are served from it
    max_age: float = 86_400.0  # seconds before a list counts as stale whatever else holds


class Scheduler(Protocol):
    def __call__(self, customer_id: str) -> None: ...


class CorruptionReport(Protocol):
    def __call__(self, family: str) -> None: ...


class HitLog(Protocol):
    """Logs the impression of a list served from the cache (`limit` items of it; with `part`,
    `locale@placement`, that placement's list)."""

    def __call__(
        self, cached: CachedList, customer_id: str, limit: int, part: str | None = None
    ) -> None: ...


def locales_for(profile: dict[str, Any]) -> tuple[str, ...]:
    """The locale a customer's list is precomputed in: the shop's language for the country."""
    return (LOCALE_BY_COUNTRY.get(str(profile.get("country", "NL")).upper(), "en"),)


def is_fresh(
    cached: CachedList, fingerprint: str, digest: str, now: float, policy: CachePolicy
) -> bool:
    return (
        cached.fingerprint == fingerprint
        and cached.profile_digest == digest
        and now - cached.computed_at < policy.max_age
    )


def fresh_list(
    recommender: Recommender,
    entry: dict | None,
    raw: bytes | None,
    policy: CachePolicy,
    now: float | None = None,
    customer_id: str | None = None,
) -> CachedList | None:
    """The customer's cached list when it is fresh for the data and profile in service, and
    for the customer's experiment arm if any (CorruptEntry when the stored list does not
    decode)."""
    if entry is None or raw is None:
        return None
    cached = CachedList.decode(raw)
    fingerprint = arms.serving_snapshot(recommender, customer_id).fingerprint
    now = time.time() if now is None else now
    return cached if is_fresh(cached, fingerprint, entry["digest"], now, policy) else None


def serve(
    recommender: Recommender,
    store: Store,
    customer_id: str,
    limit: int,
    locale: str | None,
    policy: CachePolicy,
    schedule: Scheduler | None = None,
    impressions: Any = None,
    request_id: str = "",
    corrupt: CorruptionReport | None = None,
    hits: HitLog | None = None,
    placement: str | None = None,
) -> dict[str, Any] | bytes:
    """The contract's body plus `source`: "cache" in one round trip when fresh, else computed
    now (and a refresh is queued through `schedule`). A hit with the cached limit is the
    ready-made response as JSON bytes, which the web layer sends without parsing. A cached list
    that does not decode is reported through `corrupt` and treated as a miss: the refresh this
    queues writes it again. A hit's impression is logged through `hits` (a computed list's
    through `impressions`, with the features computed for it). `placement` (issue 11): that
    placement's precomputed list, or computed now when it is not precomputed or not fresh; a
    hit logs the placement's stored impression part, cut to the items shown (as the fast path
    logs a full-length hit). `locale` None: the shop language of the customer's country, the
    one the list was precomputed in (review 22 F3)."""
    entry, raw = store.read(customer_id)  # CorruptEntry for a profile that does not decode
    if entry is None:
        raise NotFound(f"no customer {customer_id!r}")
    check_stored(recommender.snapshot.catalog, customer_id, entry)  # 409: a product removed
    locale = locale or locales_for(entry["profile"])[0]
    try:
        cached = fresh_list(recommender, entry, raw, policy, customer_id=customer_id)
        part = part_name(locale, placement)
        shown = part if placement is not None else None  # the impression part of the list
        if cached is not None:
            if limit == cached.limit:
                ready = cached.response(part)
                if ready is not None:
                    if hits is not None:
                        hits(cached, customer_id, limit, shown)
                    return ready
            body = _one_body(cached, part) if limit < cached.limit else None
            sliced = _sliced(body, limit) if body is not None else None
            if sliced is not None:
                if hits is not None:
                    hits(cached, customer_id, limit, shown)
                return {**sliced, "source": "cache"}
    except CorruptEntry as exc:
        if corrupt is not None:
            corrupt(exc.family)
        cached = None
    fresh = cached is not None
    check_profile(entry)  # computed from it: CorruptEntry (503) unless a PUT would store it
    entry = effective_entry(recommender, store, customer_id, entry)  # R4: supplies lasting
    if placement is not None:
        answer = recommend_stored(
            recommender.snapshot,
            entry["profile"],
            placement,
            limit,
            locale,
            recommender.clock(),
            recommender.jurisdiction,
        )
        if not fresh and schedule is not None and store.mark_pending(customer_id):
            schedule(customer_id)
        return {**answer, "source": "computed"}
    answer = arms.recommend(  # recommender.recommend, in the customer's A/B arm if any
        recommender,
        {"profile": entry["profile"], "limit": limit, "locale": locale, "customer_id": customer_id},
        impressions=impressions,
        request_id=request_id,
    )
    if not fresh and schedule is not None and store.mark_pending(customer_id):
        schedule(customer_id)
    return {**answer, "source": "computed"}


def _sliced(body: dict[str, Any], limit: int) -> dict[str, Any] | None:
    """A stored list's first `limit` items, as a request with that limit answers: no
    `short_list` notice where they fill it (review 21 L1: 3 of 4 items kept "shorter than you
    asked for"). None where a notice names the items (`not_together:`, `one_of:`,
    list_together.py): the fewer items are computed anew."""
    items = body["items"][:limit]
    notices = body.get("notices")
    naming = ("not_together:", "one_of:")
    if notices is not None and any(n.get("code", "").startswith(naming) for n in notices):
        return None
    if notices is not None and len(items) >= limit:
        notices = [n for n in notices if n.get("code") != "short_list"]
    return (
        {**body, "items": items}
        if notices is None
        else {**body, "items": items, "notices": notices}
    )


def _one_body(cached: CachedList, part: str) -> dict[str, Any] | None:
    """One part of a cached list, parsed (not every locale and placement it holds)."""
    ready = cached.response(part)
    if ready is None:
        return None
    try:
        return json.loads(ready)
    except ValueError as exc:
        raise CorruptEntry("recs") from exc


def compute_payload(
    snapshot: Snapshot,
    profile: dict[str, Any],
    day: dt.date,
    limit: int,
    skus: list[str],
    learning: Learning | None = None,
) -> bytes:
    """The cached payload of one profile: its list in the shop's locale, ready to send, and
    the impression a cache hit logs (the features of the items shown, computed with them)."""
    locales = locales_for(profile)
    request = RecommendationRequest.from_dict(
        {"profile": profile, "limit": limit, "locale": locales[0]}
    )
    shown: list[tuple[Any, list[int]]] = []
    # the plain list and the placements marked precomputed (issue 11), one evaluation
    bodies = plain_and_precomputed(
        snapshot, request, day, locales, lambda ev, ranked: shown.append((ev, ranked))
    )
    template = None
    if shown and learning is not None:  # the training log's record (core/learned.py)
        ev, ranked = shown[0]
        rows = ev.model_features if ev.model_features is not None else learning.features(ev)
        template = learning.impression(
            "", "", dt.datetime.now(dt.UTC), rows, ranked, skus, snapshot.versions["model"]
        )
        for name in ("request_id", "customer_id", "timestamp"):  # put in by each hit
            del template[name]
    return CachedList.encode_payload(bodies, template)


def refresh_chunk(
    recommender: Recommender,
    store: Store,
    ids: list[str],
    policy: CachePolicy,
    *,
    force: bool = False,
    today: dt.date | None = None,
    dedupe: bool = True,
) -> dict[str, int]:
    """Recompute the stale lists among `ids`, each distinct profile once, written in one
    pipelined round trip. Returns counts: done, computed (distinct profiles), skipped, missing,
    corrupt (entries that did not decode: a corrupt list is computed again and so replaced, a
    corrupt profile is left for a PUT to replace; neither fails the rest of the chunk)."""
    recommender.reload_if_changed()
    options = {"force": force, "today": today, "dedupe": dedupe}
    if (
        per_arm := arms.refresh_per_arm(
            refresh_chunk, CachedList.decode, recommender, store, ids, policy, **options
        )
    ) is not None:
        return per_arm  # an A/B test on the customer lists: each arm's lists computed apart
    snapshot = recommender.snapshot
    day = today or recommender.clock()
    now = time.time()
    # a profile is checked (entries.check_profile) where a list is computed from it, below
    # and in refresh_lasting, not where the list is fresh and skipped (review s31b H2)
    profiles, lists, corrupt_profiles = store.read_many_checked(ids, checked=False)
    verdicts: dict[str, bool] = {}  # each distinct profile checked once
    # a profile naming a product the catalog lacks is left for a PUT, as a corrupt one: it
    # failed the whole chunk (review 21 M1)
    stale = [
        c
        for c, e in zip(ids, profiles, strict=True)
        if e is not None and unknown_products(snapshot.catalog, e["profile"])
    ]
    if stale:
        log.warning("refresh left %d profiles naming products the catalog lacks", len(stale))
        profiles = [None if c in stale else e for c, e in zip(ids, profiles, strict=True)]
        corrupt_profiles = [*corrupt_profiles, *stale]
    newest: dict[str, bytes | None] = {}  # per customer the newest purchase read (review 25)
    ids, profiles, lists, lasting = refresh_lasting(  # R4: supplies still lasting (supplies.py)
        recommender,
        store,
        ids,
        profiles,
        lists,
        policy,
        day,
        now,
        newest,
        force=force,
        dedupe=dedupe,
        verdicts=verdicts,
    )
    todo: dict[str, list[str]] = {}
    profile_of: dict[str, dict] = {}
    skipped = missing = 0
    corrupt = len(corrupt_profiles)
    refused: set[str] = set()
    for customer_id, entry, raw in zip(ids, profiles, lists, strict=True):
        if entry is None:
            missing += 0 if customer_id in corrupt_profiles else 1
            continue
        if not force and raw is not None:
            try:
                cached = CachedList.decode(raw)
            except CorruptEntry:
                corrupt += 1
            else:
                if is_fresh(cached, snapshot.fingerprint, entry["digest"], now, policy):
                    skipped += 1
                    continue
        try:
            check_profile(entry, verdicts)  # not one a PUT would store: left for that PUT
        except CorruptEntry:
            corrupt += 1
            refused.add(customer_id)
            continue
        todo.setdefault(entry["digest"], []).append(customer_id)
        profile_of[entry["digest"]] = entry["profile"]
    digests = list(todo)
    field = f"{snapshot.fingerprint}:{day.isoformat()}:{policy.limit}"
    names = [(d, field) for d in digests]
    # dedupe=False computes every profile on its own (the naive baseline of bench/precompute)
    # `force` reads none of today's shared results: it recomputes (review s32b F6: a forced
    # run within the hour recomputed nothing); what it computes is shared again
    shared = store.get_shared(names) if dedupe and not force else [None] * len(names)
    computed: dict[tuple[str, str], bytes] = {}
    bodies_by_digest: dict[str, bytes] = {}
    skus = [p.sku for p in snapshot.catalog.products]
    for digest, name, known in zip(digests, names, shared, strict=True):
        if known is None:
            known = compute_payload(
                snapshot, profile_of[digest], day, policy.limit, skus, recommender.learning
            )
            computed[name] = known
        bodies_by_digest[digest] = known
    if computed and dedupe:
        store.put_shared(computed)
    entries = []
    for digest, customer_ids in todo.items():
        meta = {
            "fingerprint": snapshot.fingerprint,
            "profile_digest": digest,
            "computed_at": now,
            "limit": policy.limit,
        }
        value = CachedList.encode(meta, bodies_by_digest[digest])
        entries.extend((customer_id, digest, value) for customer_id in customer_ids)
    store.write_lists(entries, newest)
    # every customer looked at is settled now, fresh or skipped: a later change must be able to
    # queue a refresh again at once
    store.clear_pending(
        [c for c, e in zip(ids, profiles, strict=True) if e is not None and c not in refused]
    )
    if corrupt:
        log.warning("refresh replaced %d stored entries that did not decode", corrupt)
    return add_counts(
        lasting,
        {
            "done": len(ids),
            "computed": len(computed),
            "skipped": skipped,
            "missing": missing,
            "corrupt": corrupt,
        },
    )


# ---------------------------------------------------------------- batch runs
def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def begin_run(
    store: Store, recommender: Recommender, reason: str, lock_ttl: int, run_id: str | None = None
) -> tuple[str, bool]:
    """Take the refresh lock and record the run. Returns (run id, started); when another run
    holds the lock, its id and False: two runs at once never double the work."""
    run_id = run_id or new_run_id()
    abandon_if_dead(store, store.run_state())
    holder = store.acquire_lock(run_id, lock_ttl)
    if holder is not None:
        return holder, False
    store.start_run(
        run_id,
        {
            "run_id": run_id,
            "status": "running",
            "total": store.count(),
            "done": 0,
            "computed": 0,
            "skipped": 0,
            "missing": 0,
            "corrupt": 0,
            "failed": 0,
            "chunks": 0,
            "started_at": time.time(),
            "reason": reason,
            "fingerprint": recommender.snapshot.fingerprint,
        },
    )
    return run_id, True


def abandon_if_dead(store: Store, state: dict[str, str] | None) -> dict[str, str] | None:
    """Mark a run abandoned when it still says "running" but holds the lock no more: no chunk
    finished within the lock's TTL (its workers were killed, its chunks lost with them).
    Returns the run's new state, or None when it is not such a run. Its lists are not lost:
    the next run (beat starts one, see workers.tasks.refresh_if_changed) skips what is fresh
    and so completes it."""
    if state is None or state.get("status") != "running":
        return None
    run_id = state.get("run_id", "")
    if store.lock_holder() == run_id:
        return None
    log.warning("refresh run %s made no progress within its lock's TTL: abandoned", run_id)
    return store.update_run(run_id, {}, {"status": "abandoned", "abandoned_at": time.time()})


def finish_chunk(
    store: Store, run_id: str, chunk: int, counts: dict[str, int], lock_ttl: int
) -> dict[str, str]:
    """Count a finished chunk (once, even if a redelivered task runs it again)."""
    state = store.complete_chunk(run_id, chunk, {**counts, "chunks": 1})
    store.extend_lock(run_id, lock_ttl)
    return _maybe_finish(store, run_id, state)


def end_fanout(store: Store, run_id: str, chunks_sent: int) -> dict[str, str]:
    """Record that every chunk of the run has been sent."""
    state = store.update_run(run_id, {}, {"chunks_sent": chunks_sent, "fanout_done": 1})
    return _maybe_finish(store, run_id, state)


def _maybe_finish(store: Store, run_id: str, state: dict[str, str]) -> dict[str, str]:
    if (
        state.get("status") == "running"
        and state.get("fanout_done") == "1"
        and _int(state, "chunks") >= _int(state, "chunks_sent")
    ):
        state = store.update_run(run_id, {}, {"status": "finished", "finished_at": time.time()})
        store.release_lock(run_id)
    return state


def progress(state: dict[str, str] | None) -> dict[str, Any] | None:
    """A run's state with rate and ETA, for the endpoints and the CLI (`refresh --status`,
    `refills --status`): every count a number, every time (`..._at`) seconds as a number."""
    if state is None:
        return None
    total, done = _int(state, "total"), _int(state, "done")
    started = float(state.get("started_at", time.time()))
    end = float(state.get("finished_at", time.time()))
    elapsed = max(end - started, 1e-6)
    rate = done / elapsed
    eta = (total - done) / rate if rate > 0 and done < total else 0.0
    out: dict[str, Any] = {k: v for k, v in state.items() if k != "fanout_done"}
    for stamp in ("started_at", "finished_at", "abandoned_at", "exported_at"):
        if stamp in state:
            out[stamp] = float(state[stamp])
    if "due" in state:  # the refill job's count (review 22 F10: a string at the CLI)
        out["due"] = _int(state, "due")
    for field in (
        "total",
        "done",
        "computed",
        "skipped",
        "missing",
        "corrupt",
        "failed",
        "chunks",
        "chunks_sent",
    ):
        out[field] = _int(state, field)
    out.update(
        {"rate_per_s": round(rate, 1), "eta_s": round(eta, 1), "elapsed_s": round(elapsed, 2)}
    )
    return json.loads(json.dumps(out))


def _int(state: dict[str, str], field: str) -> int:
    try:
        return int(float(state.get(field, "0")))
    except ValueError:
        return 0
