"""Where customer profiles, cached lists and events live: Redis, or process memory without it.

On a Redis Cluster (RedisStore(cluster=True)) the customer keys below carry the id as a hash
tag, `dw:profile:{id}`, and the customer set is `dw:{customers}`; see `key()`.

Redis keys (prefix `dw:`), every family erased by `delete()`:
  dw:profile:{id}      JSON {"profile", "digest", "updated_at"}
  dw:recs:{id}         cached list: one JSON line of metadata, a newline, the ready-made
                       responses per locale (JSON, gzip; zlib before) and the impression
                       part (entries.CachedList); TTL 14 days
  dw:pending:{id}      a refresh of this customer is queued (TTL)
  dw:events:{id}       ids of this customer's entries in the dw:events stream (a sorted set by
                       time; older stores kept a list of the last 1000, read by `delete()`)
  dw:impressions:{id}  the same for the dw:impressions stream (lists shown, for training),
                       trimmed to the stream at each multiple of scripts.TRIM_EVERY entries
  dw:purchases:{id}, dw:refills:{id}  purchase history and refills due (purchases.py)
Shared keys: dw:customers (set of ids), dw:events (stream), dw:shared:{digest} (hash: lists
computed for one profile digest during a refresh, per fingerprint, day and limit; TTL; erased
with any customer whose profile has that digest), dw:erasing (set: ids erased whose exported
files are not cleaned yet), dw:erased (sorted set: ids whose files were cleaned, by time, kept
ERASURE_MEMORY seconds so exports keep dropping them), dw:refresh:* (lock and progress of
batch refreshes), dw:refilljob:* (the same for the daily refill job: `for_job`),
dw:local-hits:lease (a web process holds local copies of lists: local_hits.py).

A dw:impressions entry is `data` (the record's JSON) or, from a cache hit, `data` (request id,
customer id, time) + `imp` (the list's impression part, gzip): read with entries.stream_record.
"""

import copy
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis

from ..core.placements.serve import part_name
from .entries import (  # noqa: F401 - re-exported: the store's public names
    CUSTOMERS,
    ERASED,
    ERASING,
    ERASURE_MEMORY,
    EVENTS_MAXLEN,
    EVENTS_PER_CUSTOMER,
    EVENTS_STREAM,
    IMPRESSIONS_STREAM,
    LIST_TTL,
    PENDING_TTL,
    PREFIX,
    SHARED_TTL,
    CachedList,
    CorruptEntry,
    _stream_ms,
    _text,
    key,
    load_entries,
    load_profile_entry,
    profile_digest,
    shared_key,
    stream_record,
)
from .memory import MemoryStore  # noqa: F401 - re-exported
from .purchases import RedisPurchases
from .scripts import (
    LOG_IMPRESSION,
    READ_AND_LOG,
    RELEASE_IF_HELD,
    WRITE_IF_CURRENT,
    WRITE_MANY_IF_CURRENT,
)


@dataclass(frozen=True)
class Hit:
    """What makes a cached list a hit now: see READ_AND_LOG."""

    fingerprint: str
    now: float
    max_age: float
    limit: int
    locale: str  # '': the list's own (the customer's shop language; see READ_AND_LOG)
    placement: str | None = None  # issue 11: a precomputed placement's list (its impression)


class RedisStore(RedisPurchases):
    """All customer data in Redis; every read the GET path needs is one round trip."""

    kind = "redis"
    job_prefix = f"{PREFIX}refresh"  # lock and progress of batch runs (see `for_job`)

    def for_job(self, job: str) -> "RedisStore":
        """The same store whose batch-run lock and progress (acquire_lock ... run_state) are
        another job's: `dw:{job}:lock`, `dw:{job}:run:{id}`, `dw:{job}:latest`."""
        view = copy.copy(self)
        view.job_prefix = f"{PREFIX}{job}"
        return view

    def __init__(self, client: Any, cluster: bool = False) -> None:
        """`cluster`: `client` is a RedisCluster. Customer keys then carry hash tags, the
        customer and erasure sets share one (SMOVE needs both in one slot), and no MULTI spans
        keys of different slots. Without it the key layout is the single-Redis one."""
        self.client = client
        self.cluster = cluster
        self.customers = f"{PREFIX}{{customers}}" if cluster else CUSTOMERS
        self.erasing = f"{PREFIX}{{customers}}:erasing" if cluster else ERASING
        self._local = threading.local()

    def _own(self) -> Any:
        """This thread's client with a connection of its own, for the GET path's one round
        trip (no pool lock, no idle check: a poll() per command), with the pool's settings; a
        cluster client routes by slot: it is returned."""
        if self.cluster:
            return self.client
        own = getattr(self._local, "client", None)
        if own is None:
            own = redis.Redis(
                connection_pool=self.client.connection_pool, single_connection_client=True
            )
            self._local.client = own
        return own

    def _key(self, family: str, customer_id: str) -> str:
        return key(family, customer_id, self.cluster)

    # -- profiles and cached lists
    def put_profile(self, customer_id: str, profile: dict[str, Any]) -> str:
        digest = profile_digest(profile)
        value = json.dumps({"profile": profile, "digest": digest, "updated_at": time.time()})
        # one MULTI on a single Redis; on a cluster these keys live in different slots
        pipe = self.client.pipeline(transaction=not self.cluster)
        pipe.set(self._key("profile", customer_id), value)
        pipe.sadd(self.customers, customer_id)
        pipe.delete(self._key("pending", customer_id))  # a new profile always gets its own refresh
        pipe.execute()
        return digest

    def read(self, customer_id: str) -> tuple[dict | None, bytes | None]:
        """Profile entry and cached list of one customer, in one round trip (MGET)."""
        profile_raw, recs_raw = self._own().mget(
            self._key("profile", customer_id), self._key("recs", customer_id)
        )
        return load_profile_entry(profile_raw), recs_raw

    def read_many(self, ids: list[str]) -> tuple[list[dict | None], list[bytes | None]]:
        """Profiles and cached lists of many customers; a corrupt profile reads as None."""
        profiles, lists, _ = self.read_many_checked(ids)
        return profiles, lists

    def read_many_checked(
        self, ids: list[str], checked: bool = True
    ) -> tuple[list[dict | None], list[bytes | None], list[str]]:
        """As `read_many`, plus the ids whose stored profile is corrupt: it does not decode,
        or (`checked`) is not one a PUT would store (entries.load_entries)."""
        if not ids:
            return [], [], []
        keys = [self._key("profile", i) for i in ids] + [self._key("recs", i) for i in ids]
        # a cluster answers an MGET within one slot only: it is split by slot there
        values = self.client.mget_nonatomic(keys) if self.cluster else self.client.mget(keys)
        profiles, corrupt = load_entries(ids, values[: len(ids)], checked)
        return profiles, list(values[len(ids) :]), corrupt

    def write_lists(
        self, entries: list[tuple[str, str, bytes]], newest: Mapping[str, Any] | None = None
    ) -> int:
        """Write many cached lists (customer id, profile digest, value) in one pipelined round
        trip; each replaces one customer's entry whole (a reader sees the old list or the new
        one) and only while the stored profile still has that digest and, for a customer in
        `newest`, the newest purchase is the one its refresh read (WRITE_MANY_IF_CURRENT).
        Returns the number written."""
        if not entries:
            return 0
        newest = newest or {}
        pipe = self.client.pipeline(transaction=False)
        if self.cluster:  # a cluster pipeline sends the script itself (one slot per call)
            for customer_id, digest, value in entries:
                keys = [self._key("profile", customer_id), self._key("recs", customer_id)]
                args = [digest, value, LIST_TTL]  # (unasked for LIST_TTL s: a GET computes it)
                if customer_id in newest:
                    keys.append(self._key("purchases", customer_id))
                    args.append(newest[customer_id] or b"")
                pipe.execute_command("EVAL", WRITE_IF_CURRENT, len(keys), *keys, *args)
            return sum(int(done) for done in pipe.execute())
        # the customers of one profile get the same value: sent once for up to 256 of them
        script = self.client.register_script(WRITE_MANY_IF_CURRENT)
        groups: dict[tuple[str, bytes, bool], list[str]] = {}
        for customer_id, digest, value in entries:
            groups.setdefault((digest, value, customer_id in newest), []).append(customer_id)
        for (digest, value, checked), ids in groups.items():
            for start in range(0, len(ids), 256):
                keys, seen = [], []
                for customer_id in ids[start : start + 256]:
                    keys += (self._key("profile", customer_id), self._key("recs", customer_id))
                    if checked:
                        keys.append(self._key("purchases", customer_id))
                        seen.append(newest[customer_id] or b"")
                args = [digest, value, LIST_TTL, 3 if checked else 2, *seen]
                script(keys=keys, args=args, client=pipe)
        return sum(int(done) for done in pipe.execute())

    def delete(self, customer_id: str) -> bool:
        """Erase every key of the customer, its entries in both streams (however old), the
        shared lists of its profile digest, and record the erasure for exported files.

        Plain commands, no MULTI: Redis refuses a transaction when out of memory, while DEL, XDEL
        and SMOVE work there. Each step is idempotent: a DELETE failed midway is completed by
        repeating it. A PUT racing it ends stored and indexed, or erased, never half of each.

        True when anything of the customer was erased (a profile, a cached list, events,
        purchases, a pending marker...), False when nothing was there (review 20a: a customer
        with events and purchases but no profile was erased and answered False)."""
        profile_raw = self.client.get(self._key("profile", customer_id))
        digest = None
        try:
            entry = load_profile_entry(profile_raw)
            digest = entry["digest"] if entry else None
        except CorruptEntry:
            pass
        indexes = ((EVENTS_STREAM, "events"), (IMPRESSIONS_STREAM, "impressions"))
        erased = [self._erase_index(stream, self._key(f, customer_id)) for stream, f in indexes]
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self._key("profile", customer_id))
        for family in ("recs", "pending", "purchases", "refills"):
            pipe.delete(self._key(family, customer_id))  # one key a DEL: cluster pipelines
        if digest:
            pipe.delete(shared_key(digest))
        removed = [*pipe.execute(), *erased]
        # an event or impression written while this ran (its id indexed after the first pass)
        removed += [self._erase_index(stream, self._key(f, customer_id)) for stream, f in indexes]
        # SMOVE, unlike SADD, is allowed at maxmemory: the id goes from the customers to the
        # erasures the exported files still need (outside the pipeline: a cluster refuses it
        # there; both sets share one slot)
        moved = self.client.smove(self.customers, self.erasing, customer_id)
        if not moved:  # not a stored customer (events only, or erased before)
            self.client.sadd(self.erasing, customer_id)
        if self.client.exists(self._key("profile", customer_id)):  # a PUT after the DEL above
            self.client.sadd(self.customers, customer_id)  # is stored: indexed (review s35b F1)
        return bool(moved or any(removed))

    def pending_erasures(self) -> set[str]:
        """Ids erased whose exported files have not been cleaned yet."""
        return {_text(i) for i in self.client.smembers(self.erasing)}

    def recent_erasures(self) -> set[str]:
        """Ids erased in the last ERASURE_MEMORY seconds, pending or cleaned, read at once (an
        id settles between the two): exports drop them (read before the DELETE, s36b F2)."""
        since = time.time() - ERASURE_MEMORY
        with self.client.pipeline(transaction=True) as both:  # one read (review s36b F2)
            both.zrangebyscore(ERASED, since, "+inf").smembers(self.erasing)
            recent, pending = both.execute()
        return {_text(i) for i in recent} | {_text(i) for i in pending}

    def settle_erasures(self, ids: set[str]) -> None:
        """The exported files no longer hold `ids`: remember them a while, then forget them."""
        if not ids:
            return
        now = time.time()
        self.client.zadd(ERASED, dict.fromkeys(ids, now))
        self.client.zremrangebyscore(ERASED, "-inf", now - ERASURE_MEMORY)
        self.client.srem(self.erasing, *ids)

    def _erase_index(self, stream: str, index: str) -> int:
        """Erase the `stream` entries a per-customer index names, then those ids from it: one
        a racing write indexes stays for the next pass or DELETE (review s34b F2), as do all
        where a DELETE fails midway (s34c 2). How many; an older store's list goes whole."""
        done, kind = 0, _text(self.client.type(index))
        while kind in ("zset", "list"):
            listed = kind == "list"
            ids = self.client.lrange(index, 0, -1) if listed else self.client.zrange(index, 0, 999)
            self.client.xdel(stream, *ids)
            if listed:
                self.client.delete(index)
            else:
                self.client.zrem(index, *ids)
            done, kind = done + len(ids), _text(self.client.type(index))
        return done

    def mark_pending(self, customer_id: str) -> bool:
        """True when no refresh of this customer was queued in the last PENDING_TTL seconds."""
        return bool(
            self.client.set(self._key("pending", customer_id), b"1", nx=True, ex=PENDING_TTL)
        )

    def clear_pending(self, ids: list[str]) -> None:
        if ids:
            self.client.delete(*[self._key("pending", i) for i in ids])

    def count(self) -> int:
        return int(self.client.scard(self.customers))

    def iter_id_chunks(self, size: int) -> Iterator[list[str]]:
        chunk: list[str] = []
        for raw in self.client.sscan_iter(self.customers, count=size):
            chunk.append(raw.decode() if isinstance(raw, bytes) else raw)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # -- lists shared by identical profiles during a refresh
    def get_shared(self, names: list[tuple[str, str]]) -> list[bytes | None]:
        """(profile digest, "fingerprint:day:limit") -> the list computed for it, if any."""
        if not names:
            return []
        pipe = self.client.pipeline(transaction=False)
        for digest, field in names:
            pipe.hget(shared_key(digest), field)
        return list(pipe.execute())

    def put_shared(self, items: dict[tuple[str, str], bytes]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for (digest, field), value in items.items():
            pipe.hset(shared_key(digest), field, value)
            pipe.expire(shared_key(digest), SHARED_TTL)
        pipe.execute()

    # -- events
    def add_events(self, events: list[dict[str, Any]]) -> None:
        self._append(EVENTS_STREAM, "events", events)

    def add_impressions(self, records: list[dict[str, Any]]) -> None:
        """Append served lists (with the features of each item) to the impressions stream."""
        self._append(IMPRESSIONS_STREAM, "impressions", records)

    def log_impression(self, customer_id: str, record: bytes) -> None:
        """One served list's impression record (JSON bytes), with its entry in the customer's
        index, in one round trip (on a cluster the stream and the index live in different
        slots: two round trips there)."""
        if self.cluster:
            self._append_raw(IMPRESSIONS_STREAM, "impressions", [(customer_id, record)])
            return
        self._logging_call(
            self._log_script, customer_id, [IMPRESSIONS_STREAM], [EVENTS_MAXLEN, record]
        )

    def read_and_log(
        self, customer_id: str, hit: Hit, head: bytes
    ) -> tuple[dict | None, bytes | None, bool]:
        """`read()` that also logs the impression of the cached list in the same round trip
        when the list is a hit for `hit` (fresh for that fingerprint and time, with that limit,
        locale and placement, and carrying an impression part for that list): the stream entry
        is `head` (request id, customer id, time) plus the stored impression part (`imp`, gzip;
        see `stream_record`; a placement's part names the placement). Returns profile entry,
        cached list and whether it was logged. The caller still decides from the values what to
        answer. On a cluster: `read()` only."""
        if self.cluster:
            return (*self.read(customer_id), False)
        keys = [self._key("profile", customer_id), self._key("recs", customer_id)]
        args = [
            EVENTS_MAXLEN,
            head,
            hit.fingerprint,
            repr(hit.now),
            repr(hit.max_age),
            hit.limit,
            part_name(hit.locale, hit.placement),
            hit.placement or "",
        ]
        profile_raw, recs_raw, logged = self._logging_call(
            self._read_log_script, customer_id, [*keys, IMPRESSIONS_STREAM], args, self._own()
        )
        return load_profile_entry(profile_raw), recs_raw, bool(logged)

    def _logging_call(
        self, script: Any, customer_id: str, keys: list, args: list, client: Any = None
    ) -> Any:
        index = self._key("impressions", customer_id)
        try:
            return script(keys=[*keys, index], args=args, client=client)
        except redis.ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            self._convert_index(index)  # an index of an older version (a list)
            return script(keys=[*keys, index], args=args, client=client)

    @cached_property
    def _log_script(self) -> Any:
        return self.client.register_script(LOG_IMPRESSION)

    @cached_property
    def _read_log_script(self) -> Any:
        return self.client.register_script(READ_AND_LOG)

    def _append(self, stream: str, family: str, records: list[dict[str, Any]]) -> None:
        self._append_raw(
            stream,
            family,
            [(r.get("customer_id"), json.dumps(r, separators=(",", ":"))) for r in records],
        )

    def _append_raw(
        self, stream: str, family: str, records: list[tuple[str | None, str | bytes]]
    ) -> None:
        pipe = self.client.pipeline(transaction=False)
        for _, data in records:
            pipe.xadd(stream, {"data": data}, maxlen=EVENTS_MAXLEN, approximate=True)
        pipe.xrange(stream, count=1)
        *ids, first = pipe.execute()
        # every entry of a customer stays findable by its id, however old; entries that left
        # the stream (trimmed by MAXLEN, or exported) leave the index here
        oldest = _stream_ms(first[0][0]) if first else 0
        additions: dict[str, dict[bytes, int]] = {}
        for (customer_id, _), stream_id in zip(records, ids, strict=True):
            if customer_id:
                index = self._key(family, customer_id)
                additions.setdefault(index, {})[stream_id] = _stream_ms(stream_id)
        pipe = self.client.pipeline(transaction=False)
        for index, members in additions.items():
            pipe.zadd(index, members)
            pipe.zremrangebyscore(index, "-inf", f"({oldest}")
        results = pipe.execute(raise_on_error=False)
        for (index, members), result in zip(additions.items(), results[::2], strict=True):
            if isinstance(result, redis.ResponseError) and "WRONGTYPE" in str(result):
                self._convert_index(index)
                self.client.zadd(index, members)
            elif isinstance(result, Exception):
                raise result

    def _convert_index(self, index: str) -> None:
        """An index written by an older version (a list) becomes a sorted set."""
        ids = self.client.lrange(index, 0, -1)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(index)
        if ids:
            pipe.zadd(index, {i: _stream_ms(i) for i in ids})
        pipe.execute()

    def export_stream(self, stream: str, batch: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Take the records out of a stream in batches, oldest first. A batch is deleted from
        the stream only when the caller asks for the next one, so an export that dies midway
        writes one batch twice at worst and never loses one."""
        while True:
            entries = self.client.xrange(stream, count=batch)
            if not entries:
                return
            yield [stream_record(fields) for _, fields in entries]
            self.client.xdel(stream, *[entry_id for entry_id, _ in entries])

    # -- batch refresh bookkeeping
    def acquire_lock(self, run_id: str, ttl: int) -> str | None:
        """Take the refresh lock; the id of the run holding it when it is taken already."""
        if self.client.set(f"{self.job_prefix}:lock", run_id, nx=True, ex=ttl):
            return None
        holder = self.client.get(f"{self.job_prefix}:lock")
        return holder.decode() if holder else None

    def lock_holder(self) -> str | None:
        holder = self.client.get(f"{self.job_prefix}:lock")
        return holder.decode() if holder else None

    def extend_lock(self, run_id: str, ttl: int) -> None:
        """Keep the lock while chunks finish; a run whose workers died frees it within `ttl`."""
        lock = f"{self.job_prefix}:lock"
        if self.client.get(lock) == run_id.encode():
            self.client.expire(lock, ttl)

    def release_lock(self, run_id: str) -> None:
        """Free the lock if this run still holds it (compare and delete, atomic in Redis)."""
        self.client.eval(RELEASE_IF_HELD, 1, f"{self.job_prefix}:lock", run_id)

    def start_run(self, run_id: str, fields: dict[str, Any]) -> None:
        pipe = self.client.pipeline(transaction=not self.cluster)
        pipe.hset(f"{self.job_prefix}:run:{run_id}", mapping={k: str(v) for k, v in fields.items()})
        pipe.expire(f"{self.job_prefix}:run:{run_id}", 7 * 86400)
        pipe.set(f"{self.job_prefix}:latest", run_id)
        pipe.execute()

    def update_run(
        self, run_id: str, increments: dict[str, int], fields: dict[str, Any] | None = None
    ) -> dict[str, str]:
        name = f"{self.job_prefix}:run:{run_id}"
        pipe = self.client.pipeline(transaction=True)
        for field, amount in increments.items():
            pipe.hincrby(name, field, amount)
        if fields:
            pipe.hset(name, mapping={k: str(v) for k, v in fields.items()})
        pipe.hgetall(name)
        state = pipe.execute()[-1]
        return {k.decode(): v.decode() for k, v in state.items()}

    def complete_chunk(self, run_id: str, chunk: int, counts: dict[str, int]) -> dict[str, str]:
        """Count a chunk once, even when a redelivered task finishes it a second time."""
        first = self.client.sadd(f"{self.job_prefix}:run:{run_id}:chunks", chunk)
        self.client.expire(f"{self.job_prefix}:run:{run_id}:chunks", 7 * 86400)
        return self.update_run(run_id, counts if first else {})

    def run_state(self, run_id: str | None = None) -> dict[str, str] | None:
        if run_id is None:
            latest = self.client.get(f"{self.job_prefix}:latest")
            if latest is None:
                return None
            run_id = latest.decode()
        state = self.client.hgetall(f"{self.job_prefix}:run:{run_id}")
        return {k.decode(): v.decode() for k, v in state.items()} or None

    def ping(self) -> bool:
        return bool(self.client.ping())
